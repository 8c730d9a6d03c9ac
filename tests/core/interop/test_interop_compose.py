"""docker-compose.yml: published ports in short and long syntax."""
from __future__ import annotations

import re
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
    ("7000-7100:7000-7100", "range of 101 ports"),
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


def test_compose_traits(tmp_path, registry):
    # traits seen in docker compose's own test fixtures and in projects' compose files:
    # tcp+udp on one port, $VAR without braces, variables set in the project's .env, ranges,
    # long syntax with host_ip and a range, an anchor reused by two services
    (tmp_path / ".env").write_text("WEB_PORT=8088\nDNS=5353\n")
    f = tmp_path / "compose.yaml"
    f.write_text("x-ports: &ports\n  - \"$DNS:53/tcp\"\n  - \"$DNS:53/udp\"\n"
                 "services:\n"
                 "  dns:\n    image: coredns\n    ports: *ports\n"
                 "  web:\n    image: nginx\n    ports:\n      - \"${WEB_PORT}:80\"\n      - \"9000-9001:9000-9001\"\n"
                 "  api:\n    image: api\n    ports:\n      - target: 8000\n        host_ip: 127.0.0.1\n"
                 "        published: \"8500-8501\"\n        protocol: tcp\n")
    result = compose.import_file(f, registry)
    reg = result.registry
    assert reg.services["dns"].ports == (5353,) and "dns-53" not in reg.services
    assert reg.services["web"].ports == (8088,)
    assert reg.services["web-9000"].ports == (9000,) and reg.services["web-9001"].ports == (9001,)
    assert reg.services["api"].ports == (8500,) and reg.services["api-8001"].ports == (8501,)


def test_nested_alias_bomb_is_refused_quickly(tmp_path, registry):
    lines = ["x0: &x0 [\"1:1\", \"1:1\", \"1:1\", \"1:1\", \"1:1\", \"1:1\", \"1:1\", \"1:1\"]"]
    lines += [f"x{i}: &x{i} [" + ", ".join([f"*x{i - 1}"] * 8) + "]" for i in range(1, 9)]
    lines += ["services:", "  web:", "    image: nginx", "    ports: *x8"]
    f = tmp_path / "docker-compose.yml"
    f.write_text("\n".join(lines) + "\n")
    with pytest.raises(InteropError) as exc:
        compose.import_file(f, registry)
    assert "alias bomb" in str(exc.value) and len(str(exc.value)) < 400


REALWORLD_COMPOSE = sorted((FIXTURES / "realworld" / "compose").glob("*/compose.yaml"))


@pytest.mark.parametrize("path", REALWORLD_COMPOSE, ids=[p.parent.name for p in REALWORLD_COMPOSE])
def test_realworld_compose_traits_publish_what_compose_publishes(path, registry):
    """Each fixture's header lists the host ports docker compose publishes for it (worked out by
    hand with compose's rules: extends, merge keys, !reset / !override, ranges, .env variables)."""
    pairs = re.search(r"^# expect-ports: (.*)$", path.read_text(encoding="utf-8"), re.M)[1].split()
    expected = {k: int(v) for k, v in (p.split("=") for p in pairs)}
    reg = compose.import_file(path, registry).registry
    assert {name: reg.services[name].ports for name in expected} == {k: (v,) for k, v in expected.items()}
    mentioned = {n for n in reg.services if n not in registry.services or reg.services[n] != registry.services[n]}
    assert mentioned == set(expected)


def test_what_compose_would_not_follow_is_a_note_not_a_failure(tmp_path, registry):
    """A service with no body, an extends cycle, a missing extends file or service: only the ports
    they would bring are skipped; every other service still imports."""
    f = tmp_path / "compose.yaml"
    f.write_text("services:\n  ok:\n    ports: ['7400:80']\n  nil: # left intentionally empty\n"
                 "  loop-a:\n    extends: loop-b\n  loop-b:\n    extends: loop-a\n"
                 "  gone:\n    extends: {file: nowhere.yaml, service: x}\n  ghost:\n    extends: nobody\n"
                 "  swap:\n    image: llama-swap\n    network_mode: host\n")
    result = compose.import_file(f, registry)
    assert result.registry.services["ok"].ports == (7400,)
    text = "\n".join(str(x) for x in result.findings)
    assert "compose.yaml:4: services.nil is empty; it publishes no port, skipped" in text
    assert "extends` goes round in a circle" in text
    assert "nowhere.yaml, which does not exist" in text and "extends nobody, which is not defined" in text
    assert "services.swap uses network_mode: host, so compose publishes nothing" in text
