"""Which importer a file goes to."""
from __future__ import annotations

from pathlib import Path

import pytest

from portmanager_gui.core.interop.detect import guess_kind, import_file
from portmanager_gui.core.interop.errors import InteropError
from portmanager_gui.core.registry.defaults import DEFAULT_REGISTRY_YAML

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "interop"


@pytest.mark.parametrize("rel, kind", [
    ("claracore/config.yaml", "claracore"), ("project/ports_config.py", "python"), ("project/.env", "env"),
    ("project/docker-compose.yml", "compose"), ("foreign/workflow.yaml", "claracore"),
])
def test_guess(rel, kind):
    assert guess_kind(FIXTURES / rel) == kind


def test_compose_file_with_another_name(tmp_path):
    f = tmp_path / "stack.yaml"
    f.write_text("services:\n  web:\n    image: nginx\n    ports: ['8080:80']\n")
    assert guess_kind(f) == "compose"


def test_a_registry_is_not_imported(tmp_path):
    f = tmp_path / "registry.yaml"
    f.write_text(DEFAULT_REGISTRY_YAML)
    with pytest.raises(InteropError, match="is a Port Manager registry"):
        guess_kind(f)


def test_unknown_kind(tmp_path, registry):
    f = tmp_path / "ports.txt"
    f.write_text("x")
    with pytest.raises(InteropError, match="--as"):
        import_file(f, registry)
    assert import_file(FIXTURES / "project/.env", registry, kind="env").kind == "env"
