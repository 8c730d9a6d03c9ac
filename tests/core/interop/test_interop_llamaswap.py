"""llama-swap / ClaraCore config.yaml import: each runtime's own port numbering, groups, write-back safety.

Expected ports are written in each fixture's header (``# expect-ports:``), computed by hand with
the runtime's rule (llama-swap ``internal/config/macros.go``, ClaraCore ``proxy/config.go``):
start at startPort, walk model IDs in byte order, next port only to models that ask for ${PORT}.
"""
from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from portmanager_gui.core.interop import llamaswap, llamaswap_import
from portmanager_gui.core.interop.changes import ChangeKind
from portmanager_gui.core.interop.errors import InteropError
from portmanager_gui.core.interop.naming import safe_name
from portmanager_gui.core.ports.selection import model_slots

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "interop"
REALWORLD = sorted((FIXTURES / "realworld").glob("*.yaml"))


def _expected(path: Path) -> tuple[str, dict[str, int | None]]:
    text = path.read_text(encoding="utf-8")
    runtime = re.search(r"^# expect-runtime: (\S+)", text, re.M)[1]
    pairs = shlex.split(re.search(r"^# expect-ports: (.*)$", text, re.M)[1])   # "an ID with spaces"=5800
    return runtime, {k: (None if v == "-" else int(v)) for k, v in (p.rsplit("=", 1) for p in pairs)}


@pytest.mark.parametrize("path", REALWORLD, ids=[p.name for p in REALWORLD])
def test_ports_are_the_runtimes_own(path, registry):
    runtime, expected = _expected(path)
    cfg = llamaswap.load(path)
    assert cfg.runtime == runtime, cfg.runtime_reason
    assert {m.name: m.port for m in cfg.models} == expected
    # ... and the registry after an import gives each model that same port
    result = llamaswap_import.import_file(path, registry)
    slots = {s.model: s.port for s in model_slots(result.registry) if s.pool == "models"}
    assert slots == {safe_name(k): v for k, v in expected.items() if v is not None}
    assert result.registry.models.numbered_by == runtime


def test_document_config_numbers_by_name_and_ignores_group_start_ports(registry):
    cfg = llamaswap.load(FIXTURES / "claracore/config.yaml")
    assert cfg.runtime == "claracore" and cfg.start_port == 8100 and cfg.start_line == 7
    assert cfg.listen_port is None and cfg.effective_listen == 5800
    assert [(m.name, m.port) for m in cfg.models] == [
        ("embedding1", 8100), ("embedding2", 8101), ("model1", 8102), ("model2", 8103), ("my-model", 8104)]
    assert [(g.name, g.ignored_start, g.members) for g in cfg.groups] == [
        ("large-models", 8200, ("model1", "model2")), ("small-models", 8300, ("embedding1", "embedding2"))]
    result = llamaswap_import.import_file(FIXTURES / "claracore/config.yaml", registry)
    notes = [str(f) for f in result.findings]
    ignored = next(n for n in notes if "groups.large-models.startPort" in n)
    assert "config.yaml:37" in ignored and "ignored" in ignored
    assert "model1 8102, model2 8103" in ignored and "global startPort" in ignored
    # Port Manager's own groups keep their ranges; the models ClaraCore owns leave them
    assert result.registry.groups["large-models"].start_port == 8200
    assert result.registry.groups["large-models"].members == ()
    assert any("left Port Manager's group large-models" in n for n in notes)


def test_llama_swap_default_is_5800_not_8100(tmp_path, registry):
    f = tmp_path / "config.yaml"
    f.write_text("models:\n  a:\n    cmd: llama-server --port ${PORT}\n")
    result = llamaswap_import.import_file(f, registry)
    assert result.runtime == "llama-swap" and result.registry.start_port == 5800
    assert result.registry.services["llama-swap"].ports == (8080,)  # llama-swap's default --listen
    assert any("default 5800" in str(n) for n in result.findings)


def test_runtime_can_be_named_and_changes_the_rule(registry):
    path = FIXTURES / "realworld/cc_loose_groups.yaml"
    as_swap = llamaswap.load(path, runtime="llama-swap")
    assert {m.name: m.port for m in as_swap.models} == {"a": 5800, "b": 5801, "stopper": None}


def test_import_into_a_registry_that_differs(registry):
    base = registry.with_group_range("models", 8150).with_service_ports("claracore", (5900,))
    result = llamaswap_import.import_file(FIXTURES / "claracore/config.yaml", base)
    reg = result.registry
    assert reg.start_port == 8100 and reg.models.members == ("embedding1", "embedding2", "model1", "model2",
                                                             "my-model")
    assert reg.services["claracore"].ports == (5900,)  # no listen key: the registry's own port stays
    assert (ChangeKind.RANGE, "models") in {(c.kind, c.name) for c in result.changes}
    assert result.clash is None


def test_listen_key_and_fixed_port_models(tmp_path, registry):
    f = tmp_path / "config.yaml"
    f.write_text("listen: 127.0.0.1:9292\nmodels:\n"
                 "  a:\n    cmd: llama-server --port ${PORT}\n"
                 "  b:\n    cmd: docker run -p 9503:8080 vllm\n    proxy: http://127.0.0.1:9503\n"
                 "groups:\n  g1:\n    members: [a]\n")
    result = llamaswap_import.import_file(f, registry)
    reg = result.registry
    assert reg.services["llama-swap"].preferred == 9292
    assert reg.models.members == ("a",) and reg.start_port == 5800
    assert "g1" not in reg.groups  # llama-swap groups have no ports
    notes = " ".join(str(n) for n in result.findings)
    assert "fixed port" in notes and "9503" in notes and "no startPort" in notes


def test_migration_case_is_flagged_and_fixed_on_request(registry):
    result = llamaswap_import.import_file(FIXTURES / "claracore/config_old_5800.yaml", registry)
    assert result.clash is not None
    assert (result.clash.start_port, result.clash.listen_port, result.clash.fix_port, result.clash.line) == \
        (5800, 5800, 8100, 5)
    assert "8100" in str(result.clash) and "config_old_5800.yaml:5" in str(result.clash)
    assert result.registry.start_port == 5800
    fixed = result.with_clash_fixed()
    assert fixed.registry.start_port == 8100 and fixed.clash is None
    assert fixed.registry.models.members == ("my-model", "qwen2.5-7b")  # "qwen2.5:7b" made a valid name


def test_a_model_landing_on_the_ui_port_is_a_clash_too(tmp_path, registry):
    f = tmp_path / "config.yaml"
    f.write_text("# ClaraCore\nstartPort: 5799\nmodels:\n  a: {cmd: 's --port ${PORT}'}\n  b: {cmd: 's --port ${PORT}'}\n")
    result = llamaswap_import.import_file(f, registry)
    assert result.clash is not None and result.clash.listen_port == 5800
    assert "puts a model server on ClaraCore's own web UI port 5800" in str(result.clash)


def test_group_start_port_on_the_ui_port_is_still_reported(tmp_path, registry):
    f = tmp_path / "config.yaml"
    f.write_text("models:\n  a: {cmd: 's --port ${PORT}'}\ngroups:\n  g:\n    startPort: 5800\n    members: [a]\n")
    result = llamaswap_import.import_file(f, registry)
    note = next(str(n) for n in result.findings if "groups.g.startPort" in str(n))
    assert "web UI port" in note and "config.yaml:5" in note and "a 8100" in note


def test_tolerant_groups_load_like_the_runtimes(registry):
    result = llamaswap_import.import_file(FIXTURES / "realworld/cc_loose_groups.yaml", registry)
    cfg = llamaswap.load(FIXTURES / "realworld/cc_loose_groups.yaml")
    assert [(g.name, g.members, g.undefined) for g in cfg.groups] == [
        ("empty", (), ()), ("also-empty", (), ()), ("ghosts", ("a", "not-defined"), ("not-defined",))]
    assert any("'not-defined', which is not under models" in str(n) for n in result.findings)


def test_refused_model_is_reported(registry):
    result = llamaswap_import.import_file(FIXTURES / "realworld/ls_defaults_sorted.yaml", registry)
    note = next(str(n) for n in result.findings if "upstream" in str(n))
    assert "refuses" in note and "no `proxy:`" in note


def test_start_port_through_a_macro(tmp_path):
    cfg = llamaswap.parse("macros:\n  base: 9000\nstartPort: ${base}\nmodels:\n  a: {cmd: 's --port ${PORT}'}\n")
    assert cfg.start_port == 9000 and not cfg.start_literal and cfg.models[0].port == 9000


def test_crlf_and_bom(registry, tmp_path):
    f = tmp_path / "config.yaml"
    f.write_bytes("\ufeffstartPort: 7000\r\nmodels:\r\n  b:\r\n    cmd: s --port ${PORT}\r\n  a:\r\n"
                  "    cmd: |\r\n      # --port ${PORT}\r\n      s --port ${PORT}\r\n".encode("utf-8"))
    cfg = llamaswap.load(f)
    assert [(m.name, m.port) for m in cfg.models] == [("a", 7000), ("b", 7001)]


@pytest.mark.parametrize("text, line, words", [
    ("startPort: 82OO\n", 1, "not a port"),
    ("models: [a, b]\n", 1, "must be a mapping"),
    ("models:\n  a: {cmd: x}\ngroups:\n  g:\n    members: [a]\n  h:\n    members:\n      - a\n", 8,
     "in both g and h"),
    ("models:\n  a: {cmd: x}\ngroups:\n  g:\n    members: [a, a]\n", 5, "twice in g"),
    ("listen: nowhere\nstartPort: 8100\n", 1, "not a listen address"),
    ("startPort: [8100\n", 2, "not valid YAML"),
    ('startPort: "8100"\n', 1, "without quotes"),
    ("- a\n- b\n", 1, "not a llama-swap config"),
])
def test_bad_configs_name_the_line(tmp_path, registry, text, line, words):
    f = tmp_path / "config.yaml"
    f.write_text(text)
    with pytest.raises(InteropError) as exc:
        llamaswap_import.import_file(f, registry)
    assert exc.value.line == line, str(exc.value)
    assert words in str(exc.value) and str(f) in str(exc.value)


def test_foreign_yaml_is_refused():
    with pytest.raises(InteropError, match="is not a llama-swap config"):
        llamaswap.load(FIXTURES / "foreign/workflow.yaml")
    with pytest.raises(InteropError) as exc:
        llamaswap.load(FIXTURES / "foreign/bad_group.yaml")
    assert exc.value.line == 7


def test_python_tags_are_never_constructed(tmp_path):
    f = tmp_path / "config.yaml"
    f.write_text("startPort: 8100\nmodels:\n  a:\n    cmd: !!python/object/apply:os.system ['touch x']\n")
    llamaswap.load(f)  # the tag is kept as data, never run
    assert not (tmp_path / "x").exists()


def test_alias_bomb_is_refused_quickly(tmp_path):
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        prev = chr(ord("a") + i - 1)
        cur = chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 10) + "]")
    lines.append("models: {m: {cmd: *i}}")
    f = tmp_path / "config.yaml"
    f.write_text("\n".join(lines) + "\n")
    with pytest.raises(InteropError) as exc:
        llamaswap.load(f)
    assert "alias bomb" in str(exc.value) and len(str(exc.value)) < 400


def test_oversized_file_is_refused(tmp_path):
    f = tmp_path / "config.yaml"
    f.write_text("startPort: 8100\n" + "#" * (5 * 1024 * 1024) + "\n")
    with pytest.raises(InteropError, match="MB"):
        llamaswap.load(f)


def test_ids_port_manager_cannot_name_as_they_are_still_import(tmp_path, registry):
    """llama-swap loads IDs that Port Manager's names cannot hold apart ("qwen 7b", "qwen-7b",
    "qwen/7b") or hold at all (an emoji): each stays a member at its runtime port, named with
    that port, with a note -- the file is not refused (it used to be). An envsubst-escaped
    template (`$${KEEP}{PORT}`) asks for no ${PORT}: llama-swap numbers none of its models."""
    f = tmp_path / "config.yaml"
    f.write_text('models:\n  "qwen 7b":\n    cmd: llama-server --port ${PORT}\n'
                 '  "qwen-7b":\n    cmd: llama-server --port ${PORT}\n'
                 '  "qwen/7b":\n    cmd: llama-server --port ${PORT}\n'
                 '  "\U0001f999":\n    cmd: llama-server --port ${PORT}\n'
                 '  tmpl:\n    cmd: llama-server --port $${KEEP}{PORT}\n    proxy: "http://127.0.0.1:$${KEEP}{PORT}"\n',
                 encoding="utf-8")
    result = llamaswap_import.import_file(f, registry)
    slots = {s.model: s.port for s in model_slots(result.registry) if s.pool == "models"}
    # byte order: "qwen 7b" < "qwen-7b" < "qwen/7b" < "tmpl" < the emoji (4 UTF-8 bytes from 0xF0)
    assert slots == {"qwen-7b": 5800, "qwen-7b-5801": 5801, "qwen-7b-5802": 5802, "model-5803": 5803}
    text = "\n".join(str(x) for x in result.findings)
    assert "models 'qwen 7b' and 'qwen-7b' would both be 'qwen-7b'" in text and "called 'qwen-7b-5801'" in text
