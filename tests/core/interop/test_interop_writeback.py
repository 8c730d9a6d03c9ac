"""Write-back of startPort into a ClaraCore config: byte-exact except the numbers."""
from __future__ import annotations

from pathlib import Path

import pytest

from portmanager_gui.core.interop import llamaswap
from portmanager_gui.core.interop.errors import InteropError
from portmanager_gui.core.interop.llamaswap_write import write_back

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "interop"


def _changed_lines(a: str, b: str):
    return [(x, y) for x, y in zip(a.splitlines(), b.splitlines()) if x != y]


def test_round_trip_changes_only_the_numbers(registry):
    text = (FIXTURES / "claracore/config.yaml").read_text()
    new = registry.with_group_range("models", 8150).with_group_range("small-models", 8500)
    out = write_back(text, new)
    assert _changed_lines(text, out.text) == [
        ("startPort: 8100  # Models start from port 8100", "startPort: 8150  # Models start from port 8100"),
        ("    startPort: 8300  # Small models start from 8300", "    startPort: 8500  # Small models start from 8300"),
    ]
    assert len(out.text) == len(text)  # same length numbers: nothing else moved, comments and blocks intact
    assert out.changes == ("startPort 8100 -> 8150", "groups.small-models.startPort 8300 -> 8500")
    cfg = llamaswap.parse(out.text)
    assert (cfg.start_port, cfg.groups[1].start_port) == (8150, 8500)


def test_unchanged_registry_gives_the_same_text(registry):
    text = (FIXTURES / "claracore/config.yaml").read_text()
    out = write_back(text, registry)
    assert out.text == text and out.changes == ()


def test_missing_start_ports_are_inserted_with_the_files_indentation(registry):
    text = ("# my proxy\nlogLevel: debug\nmodels:\n  model1:\n    cmd: x --port ${PORT}\n"
            "groups:\n  large-models:\n      swap: true\n      members: [model1]\n")
    out = write_back(text, registry)
    assert out.text == ("# my proxy\nstartPort: 8100\nlogLevel: debug\nmodels:\n  model1:\n    cmd: x --port ${PORT}\n"
                        "groups:\n  large-models:\n      startPort: 8200\n      swap: true\n      members: [model1]\n")


def test_crlf_files_stay_crlf(registry):
    text = "startPort: 5800\r\nmodels:\r\n  a:\r\n    cmd: x\r\n"
    out = write_back(text, registry)
    assert out.text == "startPort: 8100\r\nmodels:\r\n  a:\r\n    cmd: x\r\n"


def test_flow_style_group_without_start_port_is_refused(registry):
    text = "startPort: 8100\nmodels:\n  a:\n    cmd: x\ngroups:\n  large-models: {members: [a]}\n"
    with pytest.raises(InteropError) as exc:
        write_back(text, registry, "config.yaml")
    assert exc.value.line == 6 and "by hand" in str(exc.value)


def test_foreign_file_is_refused(registry):
    with pytest.raises(InteropError):
        write_back((FIXTURES / "foreign/workflow.yaml").read_text(), registry, "workflow.yaml")
