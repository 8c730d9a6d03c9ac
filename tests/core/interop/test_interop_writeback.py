"""Write-back into a linked llama-swap/ClaraCore config: only keys the runtime reads, byte-exact otherwise."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from portmanager_gui.core.interop import llamaswap, llamaswap_import
from portmanager_gui.core.interop.errors import InteropError
from portmanager_gui.core.interop.llamaswap_write import write_back

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "interop"


def _changed_lines(a: str, b: str):
    return [(x, y) for x, y in zip(a.splitlines(), b.splitlines()) if x != y]


def _imported(text: str, registry, tmp_path):
    f = tmp_path / "config.yaml"
    f.write_bytes(text.encode("utf-8"))
    return llamaswap_import.import_file(f, registry).registry


def test_round_trip_changes_only_the_start_port(registry):
    text = (FIXTURES / "claracore/config.yaml").read_text()
    imported = llamaswap_import.import_file(FIXTURES / "claracore/config.yaml", registry).registry
    new = imported.with_group_range("models", 8150).with_group_range("small-models", 8500)
    out = write_back(text, new)
    assert _changed_lines(text, out.text) == [
        ("startPort: 8100  # Models start from port 8100", "startPort: 8150  # Models start from port 8100")]
    assert len(out.text) == len(text)  # nothing else moved: comments, blocks and group startPorts intact
    assert out.changes == ("startPort 8100 -> 8150",)
    assert llamaswap.parse(out.text).start_port == 8150


def test_unchanged_registry_gives_the_same_text(registry):
    text = (FIXTURES / "claracore/config.yaml").read_text()
    imported = llamaswap_import.import_file(FIXTURES / "claracore/config.yaml", registry).registry
    out = write_back(text, imported)
    assert out.text == text and out.changes == ()


def test_a_registry_not_numbered_by_the_runtime_writes_no_start_port(registry):
    text = "models:\n  a:\n    cmd: x --port ${PORT}\n"
    assert registry.models.numbered_by == "" and write_back(text, registry).text == text


def test_missing_start_port_is_not_inserted_when_the_runtime_default_applies(registry, tmp_path):
    text = "# my proxy\nlogLevel: debug\nmodels:\n  model1:\n    cmd: x --port ${PORT}\n"
    reg = _imported(text, registry, tmp_path)
    assert reg.start_port == 5800
    assert write_back(text, reg).text == text  # a running llama-swap keeps its models on 5800+
    out = write_back(text, reg.with_group_range("models", 6000))
    assert out.text == "# my proxy\nstartPort: 6000\nlogLevel: debug\nmodels:\n  model1:\n    cmd: x --port ${PORT}\n"


def test_group_start_ports_are_never_written(registry, tmp_path):
    text = "startPort: 8100\nmodels:\n  a: {cmd: 'x --port ${PORT}'}\ngroups:\n  large-models:\n    members: [a]\n"
    reg = _imported(text, registry, tmp_path)
    out = write_back(text, reg.with_group_range("large-models", 8400).with_group_range("models", 8150))
    assert out.text == text.replace("startPort: 8100", "startPort: 8150")


def test_listen_port_digits_are_written_and_nothing_else(registry, tmp_path):
    text = 'listen: "127.0.0.1:9292"  # behind nginx\nmodels:\n  a: {cmd: "x --port ${PORT}"}\n'
    reg = _imported(text, registry, tmp_path)
    out = write_back(text, reg.with_service_ports("llama-swap", (9393,)))
    assert out.text == text.replace("9292", "9393")
    assert out.changes == ('listen "127.0.0.1:9292" -> "127.0.0.1:9393"',)


def test_crlf_and_bom_are_kept(registry, tmp_path):
    text = "\ufeffstartPort: 5800\r\nmodels:\r\n  a:\r\n    cmd: x --port ${PORT}\r\n"
    reg = _imported(text, registry, tmp_path)
    out = write_back(text, reg.with_group_range("models", 8100))
    assert out.text == "\ufeffstartPort: 8100\r\nmodels:\r\n  a:\r\n    cmd: x --port ${PORT}\r\n"


def test_start_port_written_through_a_macro_is_left_to_the_user(registry):
    text = "macros:\n  base: 9000\nstartPort: ${base}\nmodels:\n  a: {cmd: 'x --port ${PORT}'}\n"
    reg = registry.with_group(replace(registry.models, numbered_by="llama-swap", start_port=9100))
    with pytest.raises(InteropError) as exc:
        write_back(text, reg, "config.yaml")
    assert exc.value.line == 3 and "by hand" in str(exc.value)


def test_foreign_file_is_refused(registry):
    with pytest.raises(InteropError):
        write_back((FIXTURES / "foreign/workflow.yaml").read_text(), registry, "workflow.yaml")
