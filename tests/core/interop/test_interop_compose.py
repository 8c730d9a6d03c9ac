"""docker-compose.yml: published ports in short and long syntax."""
from __future__ import annotations

from pathlib import Path

import pytest

from portmanager_gui.core.interop import compose
from portmanager_gui.core.interop.changes import ChangeKind
from portmanager_gui.core.interop.errors import InteropError

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "interop"


def test_fixture_published_ports(registry):
    result = compose.import_file(FIXTURES / "project/docker-compose.yml", registry)
    reg = result.registry
    assert reg.services["backend"].preferred == 8203      # ${BACKEND_PORT:-8203}
    assert reg.services["frontend"].preferred == 3000     # 3000:3000/tcp
    assert reg.services["redis"].preferred == 6379        # 127.0.0.1:6379:6379
    assert reg.services["milvus"].preferred == 9090       # long syntax, published: 9090
    assert reg.services["milvus-9091"].preferred == 9091  # a second port of one service
    assert reg.services["ollama"].preferred == 11434      # a YAML int-looking "11434:11434"
    assert "worker" not in reg.services                   # expose: is not published
    assert [(c.kind, c.name) for c in result.changes] == [(ChangeKind.ADD_SERVICE, "milvus-9091")]


@pytest.mark.parametrize("spec, expected", [
    ("8080:80", 8080), ("127.0.0.1:8081:80", 8081), ("8082:80/udp", 8082), ("[::1]:8083:80", 8083),
    ("${WEB:-8084}:80", 8084),
])
def test_short_syntax(tmp_path, registry, spec, expected):
    f = tmp_path / "docker-compose.yml"
    f.write_text(f'services:\n  web:\n    image: nginx\n    ports: ["{spec}"]\n')
    assert compose.import_file(f, registry).registry.services["web"].ports == (expected,)


@pytest.mark.parametrize("spec, why", [
    ("80", "no fixed host port"), ("127.0.0.1::80", "no fixed host port"), ("${WEB}:80", "without a default"),
    ("8000-8002:8000-8002", "range"),
])
def test_skipped_mappings_are_reported(tmp_path, registry, spec, why):
    f = tmp_path / "docker-compose.yml"
    f.write_text(f'services:\n  web:\n    image: nginx\n    ports: ["{spec}"]\n')
    result = compose.import_file(f, registry)
    assert "web" not in result.registry.services
    assert any(why in str(n) and ":4:" in str(n) for n in result.findings)


def test_bad_host_port_names_the_line(tmp_path, registry):
    f = tmp_path / "docker-compose.yml"
    f.write_text("services:\n  web:\n    image: nginx\n    ports:\n      - target: 80\n        published: 99999\n")
    with pytest.raises(InteropError) as exc:
        compose.import_file(f, registry)
    assert exc.value.line == 5 and "99999" in str(exc.value)


def test_not_a_compose_file(tmp_path, registry):
    f = tmp_path / "compose.yml"
    f.write_text("name: x\n")
    with pytest.raises(InteropError, match="no `services:`"):
        compose.import_file(f, registry)
