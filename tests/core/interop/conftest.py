"""Fixtures for the interop tests: the default registry and copies of the real-format files."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from portmanager_gui.core.registry.defaults import DEFAULT_REGISTRY_YAML
from portmanager_gui.core.registry.load import parse

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "interop"


@pytest.fixture
def registry():
    """A fresh default registry value (the seed documents' ports)."""
    return parse(DEFAULT_REGISTRY_YAML, "registry.yaml")


@pytest.fixture
def fixture_copy(tmp_path):
    """Copy a fixture (path relative to tests/fixtures/interop) into tmp_path; returns the copy."""
    def copy(rel: str, name: str | None = None) -> Path:
        dst = tmp_path / (name or Path(rel).name)
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(FIXTURES / rel, dst)
        return dst
    return copy
