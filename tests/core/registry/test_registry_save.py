"""Saving: atomic, with a backup, comments and key order kept, bad files never overwritten."""
from __future__ import annotations

import os

import pytest

from portmanager_gui.core.registry import save as yamlio
from portmanager_gui.core.registry.defaults import DEFAULT_REGISTRY_YAML
from portmanager_gui.core.registry.load import RegistryError, load, parse
from portmanager_gui.core.registry.model import Service

ANNOTATED = """\
# my stack -- hand written
version: 1
start_port: 8100   # ClaraCore startPort

services:
  # the router comes first on purpose
  router:
    ports: [3791, 3003]   # keep 3003 as fallback
    description: Model Router
    size_note_is_not_a_key: false
"""


def _write(tmp_path, text):
    path = tmp_path / "registry.yaml"
    path.write_text(text)
    return path


def test_ensure_default_writes_once(tmp_path):
    path = tmp_path / "cfg" / "registry.yaml"
    assert yamlio.ensure_default(path) is True
    assert path.read_text() == DEFAULT_REGISTRY_YAML
    path.write_text(DEFAULT_REGISTRY_YAML + "# mine\n")
    assert yamlio.ensure_default(path) is False
    assert path.read_text().endswith("# mine\n")


def test_a_save_keeps_comments_order_and_untouched_defaults(tmp_path):
    path = _write(tmp_path, DEFAULT_REGISTRY_YAML)
    reg = load(path)
    yamlio.save(reg.with_service_ports("router", (3791, 3003, 8080)), path)
    text = path.read_text()
    assert "ports: [3791, 3003, 8080]    # preferred first, then fallbacks -- never a random port" in text
    assert "# ClaraCore \"startPort\": ungrouped model servers get ports from here" in text
    assert "    size: 100\n" in text  # a value equal to the default stays where the user wrote it
    order = [line.split(":")[0].strip() for line in text.splitlines() if line.startswith("  ") and not line.startswith("   ")]
    assert order[:3] == ["router", "claracore", "backend"]
    # and only the ports line changed
    before, after = DEFAULT_REGISTRY_YAML.splitlines(), text.splitlines()
    assert [(a, b) for a, b in zip(before, after) if a != b] == [
        (before[11], after[11])]
    assert load(path).services["router"].ports == (3791, 3003, 8080)


def test_save_makes_a_backup_and_leaves_no_temp_files(tmp_path):
    path = _write(tmp_path, DEFAULT_REGISTRY_YAML)
    reg = load(path)
    yamlio.save(reg.with_group_range("large-models", 8400, 50), path)
    assert (tmp_path / "registry.yaml.bak").read_text() == DEFAULT_REGISTRY_YAML
    assert sorted(os.listdir(tmp_path)) == ["registry.yaml", "registry.yaml.bak"]
    assert load(path).groups["large-models"].range_text == "8400-8449"


def test_added_and_removed_services_round_trip(tmp_path):
    path = _write(tmp_path, DEFAULT_REGISTRY_YAML)
    reg = load(path)
    new = reg.without_service("tts").with_service(
        Service("webui", (7860, 7861), description="Web UI", env={"A": "1"}, command=("x", "{port}")))
    yamlio.save(new, path)
    again = load(path)
    assert "tts" not in again.services
    assert again.services["webui"] == new.services["webui"]
    assert list(again.services)[-1] == "webui"


def test_a_file_that_fails_to_load_is_never_overwritten(tmp_path):
    path = _write(tmp_path, ANNOTATED)  # has an unknown key
    with pytest.raises(RegistryError) as info:
        load(path)
    assert "size_note_is_not_a_key" in info.value.key
    reg = parse(DEFAULT_REGISTRY_YAML, "x")
    with pytest.raises(RegistryError, match="was not overwritten"):
        yamlio.save(reg, path)
    assert path.read_text() == ANNOTATED


def test_a_change_on_disk_since_loading_is_not_lost(tmp_path):
    path = _write(tmp_path, DEFAULT_REGISTRY_YAML)
    reg = load(path)
    path.write_text(DEFAULT_REGISTRY_YAML.replace("[3791, 3003]", "[3791, 3004]"))
    with pytest.raises(RegistryError, match="changed on disk"):
        yamlio.save(reg.with_service_ports("router", (1, 2)), path, expected_text=DEFAULT_REGISTRY_YAML)
    assert "[3791, 3004]" in path.read_text()
