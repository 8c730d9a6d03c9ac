"""ports_config.py import: parsed with ast, never run; names mapped onto the registry."""
from __future__ import annotations

from pathlib import Path

import pytest

from portmanager_gui.core.interop import pyconst
from portmanager_gui.core.interop.changes import ChangeKind
from portmanager_gui.core.interop.errors import InteropError

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "interop"


def test_document_module_is_read_with_its_constant_names():
    module = pyconst.parse((FIXTURES / "project/ports_config.py").read_text(), "ports_config.py")
    ports = {p.key: p.value for p in module.ports}
    assert ports["BACKEND_PORT"] == 8203
    assert ports["LLM_PORT_ORIGINAL"] == 8610
    assert ports["AVATAR_MANAGER_API_PORT"] == 8607
    assert len(ports) == 15
    assert module.helpers == ("get_backend_url", "get_llm_url", "get_avatar_manager_url")
    assert ("HOST", "localhost") in module.strings
    backend = next(p for p in module.ports if p.key == "BACKEND_PORT")
    assert backend.comment == "Backend API service"
    assert backend.line == 9


def test_names_map_onto_existing_services(registry):
    module = pyconst.parse((FIXTURES / "project/ports_config.py").read_text())
    names = {e.key: e.name for e in pyconst.entries(module, registry.services)}
    assert names["BACKEND_PORT"] == "backend"
    assert names["LLM_PORT_ORIGINAL"] == "llm-original"
    assert names["AVATAR_MANAGER_API_PORT"] == "avatar-manager"
    assert names["LIVE_SERVER_PORT"] == "live-server"
    assert names["TTS_COSYVOICE_PORT"] == "tts-cosyvoice"


def test_import_of_the_document_matches_the_default_registry(registry):
    result = pyconst.import_file(FIXTURES / "project/ports_config.py", registry)
    assert result.changes == ()
    assert result.kind == "python"


def test_changed_and_new_constants_become_changes(tmp_path, registry):
    f = tmp_path / "ports_config.py"
    f.write_text("BACKEND_PORT = 9000\nWEBRTC_PORT = 8620  # WebRTC signalling\n")
    result = pyconst.import_file(f, registry)
    kinds = {(c.kind, c.name): (c.old, c.new) for c in result.changes}
    assert kinds[(ChangeKind.PORTS, "backend")] == ((8203,), (9000,))
    assert kinds[(ChangeKind.ADD_SERVICE, "webrtc")] == ((), (8620,))
    assert result.registry.services["webrtc"].description == "WebRTC signalling"
    assert registry.services["backend"].ports == (8203,)  # the base value is untouched


def test_fallbacks_are_kept_when_the_preferred_port_changes(tmp_path, registry):
    f = tmp_path / "ports_config.py"
    f.write_text("ROUTER_PORT = 3800\n")
    result = pyconst.import_file(f, registry)
    assert result.registry.services["router"].ports == (3800, 3003)


def test_code_besides_constants_is_refused_with_file_and_line():
    with pytest.raises(InteropError) as exc:
        pyconst.import_file(FIXTURES / "foreign/ports_config_with_code.py", None)
    assert exc.value.line == 2
    assert str(exc.value).startswith(str(FIXTURES / "foreign/ports_config_with_code.py") + ":2:")
    assert "import" in exc.value.message


@pytest.mark.parametrize("source, line, words", [
    ("A_PORT = 1\nB_PORT = int('2')\n", 2, "function call"),
    ("A_PORT = '8080'\n", 1, "not a port"),
    ("A_PORT = 70000\n", 1, "out of range"),
    ("A_PORT = True\n", 1, "not a port"),
    ("A_PORT = 1\nA_PORT = 2\n", 2, "already set on line 1"),
    ("if True:\n    A_PORT = 1\n", 1, "`if` block"),
    ("A_PORT = (\n", 1, "not valid Python"),
    ("x = y = 3\n", 1, "not a port constant"),
])
def test_bad_modules_name_the_line(source, line, words):
    with pytest.raises(InteropError) as exc:
        pyconst.parse(source, "p.py")
    assert exc.value.line == line
    assert words in str(exc.value)


def test_the_file_is_never_executed(tmp_path):
    marker = tmp_path / "ran"
    f = tmp_path / "ports_config.py"
    f.write_text(f"A_PORT = 1\nopen({str(marker)!r}, 'w').write('x')\n")
    with pytest.raises(InteropError):
        pyconst.parse(f.read_text(), f)
    assert not marker.exists()


def test_two_constants_for_one_service_is_an_error(tmp_path, registry):
    f = tmp_path / "p.py"
    f.write_text("AVATAR_MANAGER_PORT = 1\nAVATAR_MANAGER_API_PORT = 2\n")
    with pytest.raises(InteropError) as exc:
        pyconst.import_file(f, registry)
    assert exc.value.line == 2
