"""Test setup shared by every test: Qt offscreen, and a private PORTMANAGER_HOME per test."""
from __future__ import annotations

import os

# Before anything imports Qt: no display in CI.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def pm_home(tmp_path, monkeypatch):
    """Everything the app writes (registry, state, logs) goes to a fresh folder per test."""
    home = tmp_path / "pmhome"
    monkeypatch.setenv("PORTMANAGER_HOME", str(home))
    monkeypatch.delenv("PORTMANAGER_REGISTRY", raising=False)
    return home
