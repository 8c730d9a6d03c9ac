""".env import and output: KEY=value lines, quotes and comments kept."""
from __future__ import annotations

from pathlib import Path

import pytest

from portmanager_gui.core.interop import dotenv
from portmanager_gui.core.interop.changes import ChangeKind
from portmanager_gui.core.interop.errors import InteropError

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "interop"


def test_port_lines_of_the_fixture(registry):
    lines = dotenv.port_lines(dotenv.parse((FIXTURES / "project/.env").read_text()), ".env")
    assert [(e.key, e.value, e.line) for e in lines] == [
        ("BACKEND_PORT", "8203", 3), ("FRONTEND_PORT", "3000", 4), ("REDIS_PORT", "6379", 5),
        ("OLLAMA_PORT", "11434", 6)]
    assert lines[1].comment == "React dev server"


def test_import_maps_onto_services(tmp_path, registry):
    f = tmp_path / ".env"
    f.write_text("export BACKEND_PORT=9000\nRAG_PORT='8702'\nPORT=1\nAPI_URL=http://x:1\n")
    result = dotenv.import_file(f, registry)
    changes = {(c.kind, c.name): c.new for c in result.changes}
    assert changes == {(ChangeKind.PORTS, "backend"): (9000,), (ChangeKind.PORTS, "rag"): (8702,)}
    assert any("PORT names no service" in str(n) for n in result.findings)


@pytest.mark.parametrize("text, line, words", [
    ("A=1\nthis is not a pair\n", 2, "not a KEY=value line"),
    ("BACKEND_PORT=${PORT}\n", 1, "variable references"),
    ("BACKEND_PORT=99999\n", 1, "not a port"),
    ('BACKEND_PORT="8203\n', 1, "unclosed quote"),
])
def test_bad_lines_name_the_line(tmp_path, registry, text, line, words):
    f = tmp_path / ".env"
    f.write_text(text)
    with pytest.raises(InteropError) as exc:
        dotenv.import_file(f, registry)
    assert exc.value.line == line and words in str(exc.value) and str(f) in str(exc.value)


def test_update_keeps_quotes_comments_and_other_keys(registry):
    text = (FIXTURES / "project/.env").read_text()
    new = registry.with_service_ports("backend", (9000,)).with_service_ports("frontend", (3100,))
    out = dotenv.update(text, new)
    lines = out.text.splitlines()
    assert lines[2] == "export BACKEND_PORT=9000"
    assert lines[3] == 'FRONTEND_PORT="3100"   # React dev server'
    assert lines[1] == "COMPOSE_PROJECT_NAME=avatar-stack"
    assert lines[7] == "REACT_APP_API_BASE_URL=http://localhost:8203/api"  # not a port key: the user's
    assert dotenv.ADDED_MARK in out.text and "LLM_ORIGINAL_PORT=8610" in out.text
    assert dotenv.update(out.text, new).text == out.text


def test_fresh_env_round_trips_through_import(tmp_path, registry):
    f = tmp_path / ".env"
    f.write_text(dotenv.render(registry.with_service_ports("ollama", (11500,))))
    result = dotenv.import_file(f, registry)
    assert [(c.name, c.new) for c in result.changes] == [("ollama", (11500,))]
