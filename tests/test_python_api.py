"""``from portmanager_gui import registry``: the ports_config.py-style API for services."""
from __future__ import annotations

from portmanager_gui import registry


def test_port_and_url_follow_the_registry_file(pm_home):
    assert registry.port("backend") == 8203
    assert registry.url("llm") == "http://127.0.0.1:8611/"
    assert registry.port("large-models/model2") == 8201
    path = pm_home / "config" / "registry.yaml"
    path.write_text(path.read_text().replace("ports: [8203]", "ports: [9000]"))
    assert registry.port("backend") == 9000  # read on every call: a saved edit is seen at once


def test_an_explicit_registry_file(tmp_path, monkeypatch):
    path = tmp_path / "other.yaml"
    path.write_text("services:\n  api:\n    ports: [7000, 7001]\n    url: 'http://{host}:{port}/v1'\n")
    monkeypatch.setenv(registry.REGISTRY_ENV, str(path))
    assert registry.url("api") == "http://127.0.0.1:7000/v1"
