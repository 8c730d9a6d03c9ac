"""llama-swap / ClaraCore config.yaml import: ports, groups, ${PORT} models, the 5800 migration case."""
from __future__ import annotations

from pathlib import Path

import pytest

from portmanager_gui.core.interop import llamaswap, llamaswap_import
from portmanager_gui.core.interop.changes import ChangeKind
from portmanager_gui.core.interop.errors import InteropError

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "interop"


def test_document_config_is_read():
    cfg = llamaswap.load(FIXTURES / "claracore/config.yaml")
    assert cfg.start_port == 8100 and cfg.start_line == 7
    assert cfg.listen_port is None and cfg.effective_listen == 5800
    assert [m.name for m in cfg.models] == ["my-model", "model1", "model2", "embedding1", "embedding2"]
    assert all(m.uses_port for m in cfg.models)  # directly, or through the llama-server macro
    assert [(g.name, g.start_port, g.members) for g in cfg.groups] == [
        ("large-models", 8200, ("model1", "model2")), ("small-models", 8300, ("embedding1", "embedding2"))]


def test_import_into_a_registry_that_differs(registry):
    base = (registry.with_group_range("large-models", 8400).with_group_range("models", 8150)
            .with_service_ports("claracore", (5900,)))
    result = llamaswap_import.import_file(FIXTURES / "claracore/config.yaml", base)
    reg = result.registry
    assert reg.start_port == 8100 and reg.models.members == ("my-model",)
    assert reg.groups["large-models"].start_port == 8200
    assert reg.groups["large-models"].command == registry.groups["large-models"].command  # other fields kept
    assert reg.services["claracore"].ports == (5900,)  # no listen key: the registry's own port stays
    assert {(c.kind, c.name) for c in result.changes} == {(ChangeKind.RANGE, "models"),
                                                          (ChangeKind.RANGE, "large-models")}
    assert result.clash is None


def test_import_of_a_plain_llama_swap_config(tmp_path, registry):
    f = tmp_path / "config.yaml"
    f.write_text("listen: 127.0.0.1:9292\nmodels:\n"
                 "  a:\n    cmd: llama-server --port ${PORT}\n"
                 "  b:\n    cmd: docker run -p 9503:8080 vllm\n    proxy: http://127.0.0.1:9503\n"
                 "groups:\n  g1:\n    members: [a]\n")
    result = llamaswap_import.import_file(f, registry)
    reg = result.registry
    assert reg.services["claracore"].preferred == 9292
    assert reg.start_port == 8100 and reg.models.members == ()  # ClaraCore's default
    assert reg.groups["g1"].members == ("a",)
    assert reg.groups["g1"].start_port == 8400  # the next free block after small-models (8300-8399)
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


@pytest.mark.parametrize("text, line, words", [
    ("startPort: 82OO\n", 1, "not a port"),
    ("models: [a, b]\n", 1, "must be a mapping"),
    ("models:\n  a:\n    ttl: 5\n", 2, "no `cmd:`"),
    ("models:\n  a:\n    cmd: x\ngroups:\n  g:\n    members: [a, zz]\n", 6, "'zz', which is not under models"),
    ("models:\n  a:\n    cmd: x\ngroups:\n  g:\n    members: [a]\n  h:\n    members:\n      - a\n", 9, "both g and h"),
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
    with pytest.raises(InteropError):
        llamaswap.load(f)
    assert not (tmp_path / "x").exists()
