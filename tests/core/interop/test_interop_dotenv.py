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
    ("BACKEND_PORT=${NOPE}\n", 1, "refers to a variable this file does not set"),
    ("BACKEND_PORT=99999\n", 1, "not a port"),
    ('BACKEND_PORT="8203\n', 1, "never closed"),
    ("BACKEND PORT=8203\n", 1, "not a KEY=value line"),
])
def test_bad_port_lines_name_the_line(tmp_path, registry, text, line, words):
    f = tmp_path / ".env"
    f.write_text(text)
    with pytest.raises(InteropError) as exc:
        dotenv.import_file(f, registry)
    assert exc.value.line == line and words in str(exc.value) and str(f) in str(exc.value)


def test_compose_dotenv_rules(tmp_path, registry):
    # traits of compose-go's dotenv fixtures (plain, quoted, special, substitutions, utf8-bom,
    # inherited, invalid1) and of .env files projects publish, reproduced here
    f = tmp_path / ".env"
    f.write_bytes("\ufeff# stack\r\n"
                  "EMPTY=\r\n"
                  "OPENAI_API_KEY=\r\n"
                  "INHERITED_FROM_SHELL\r\n"
                  "VAR-WITH-DASHES=dashes\r\n"
                  "a = b\r\n"
                  "BASE=8200\r\n"
                  "RAG_PORT = ${BASE:-1}\r\n"
                  "LLM_PORT: 8611\r\n"
                  "CERT=\"-----BEGIN\r\nline two\r\n-----END\"\r\n"
                  "export BACKEND_PORT='9000' # api\r\n"
                  "THIS LINE IS JUNK\r\n"
                  "SERIAL_PORT=/dev/ttyACM0\r\n"
                  "DB_PORT=\r\n"
                  "TTS_PORT=8605 # inline comment\r\n".encode("utf-8"))
    result = dotenv.import_file(f, registry)
    ports = {c.name: c.new for c in result.changes}
    assert ports == {"rag": (8200,), "backend": (9000,), "tts": (8605,)}  # LLM_PORT 8611: as the registry has it
    notes = " | ".join(str(n) for n in result.findings)
    assert ":14: 'THIS LINE IS JUNK' is not a KEY=value line" in notes
    assert "SERIAL_PORT=/dev/ttyACM0 is not a port number" in notes
    lines = {e.key: e for e in dotenv.parse_file(f.read_bytes().decode("utf-8")).lines}
    assert lines["CERT"].value == "-----BEGIN\r\nline two\r\n-----END" and lines["a"].value == "b"
    assert lines["BACKEND_PORT"].line == 13 and lines["TTS_PORT"].comment == "inline comment"


def test_update_keeps_quotes_comments_and_other_keys(registry):
    text = (FIXTURES / "project/.env").read_text()
    new = registry.with_service_ports("backend", (9000,)).with_service_ports("frontend", (3100,))
    out = dotenv.update(text, new)
    lines = out.text.splitlines()
    assert lines[2] == "export BACKEND_PORT=9000"
    assert lines[3] == 'FRONTEND_PORT="3100"   # React dev server'
    assert lines[1] == "COMPOSE_PROJECT_NAME=avatar-stack"
    assert lines[7] == "REACT_APP_API_BASE_URL=http://localhost:8203/api"  # not a port key: the user's
    assert out.changes == ("line 3: BACKEND_PORT 8203 -> 9000", "line 4: FRONTEND_PORT 3000 -> 3100")
    assert dotenv.ADDED_MARK not in out.text and len(lines) == len(text.splitlines())  # nothing appended
    assert dotenv.update(out.text, new).text == out.text


def test_update_of_a_multiline_crlf_bom_file(registry):
    text = "\ufeffCERT=\"a\r\nb\"\r\nBACKEND_PORT=1\r\n"
    assert dotenv.update(text, registry).text == "\ufeffCERT=\"a\r\nb\"\r\nBACKEND_PORT=8203\r\n"


def test_fresh_env_round_trips_through_import(tmp_path, registry):
    f = tmp_path / ".env"
    f.write_text(dotenv.render(registry.with_service_ports("ollama", (11500,))))
    result = dotenv.import_file(f, registry)
    assert [(c.name, c.new) for c in result.changes] == [("ollama", (11500,))]
