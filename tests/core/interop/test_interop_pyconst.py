"""ports_config.py import: parsed with ast, never run; names mapped onto the registry."""
from __future__ import annotations

import re
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


def test_any_module_shape_is_read_without_running_it(tmp_path, registry):
    # trait (seen in projects' ports_config.py / settings modules): imports, os.getenv, classes,
    # a dict of ports, a serial "port" that is a device path, a BOM
    marker = tmp_path / "ran"
    f = tmp_path / "ports_config.py"
    f.write_text("\ufeff\"\"\"Ports.\"\"\"\nimport os\nfrom pathlib import Path\n\n"
                 "BACKEND_PORT = 9000  # API\n"
                 "REDIS_PORT = int(os.getenv('REDIS_PORT', '6379'))\n"
                 "SERIAL_PORT = '/dev/ttyACM0'\n"
                 "STABLE_PORTS = {'rag': 8702, 'tts': 'x', 'LLM_PORT': 8611}\n"
                 "class Ports:\n    WEBRTC = 8620\n    NAME = 'x'\n"
                 "class Settings:\n    FRONTEND_PORT = 3100\n    DEBUG = 1\n"
                 f"if __name__ == '__main__':\n    open({str(marker)!r}, 'w').write('x')\n",
                 encoding="utf-8")
    result = pyconst.import_file(f, registry)
    reg = result.registry
    assert reg.services["backend"].preferred == 9000
    assert reg.services["rag"].preferred == 8702 and reg.services["llm"].preferred == 8611
    assert reg.services["webrtc"].preferred == 8620 and reg.services["frontend"].preferred == 3100
    assert reg.services["redis"].preferred == 6379  # unchanged: the file computes it at run time
    notes = " | ".join(str(n) for n in result.findings)
    assert ":6: REDIS_PORT is computed when the program runs" in notes
    assert "SERIAL_PORT = '/dev/ttyACM0' is not a port number; skipped" in notes
    assert "STABLE_PORTS['tts']" in notes
    assert "debug" not in reg.services and not marker.exists()


@pytest.mark.parametrize("source, line, words", [
    ("A_PORT = 70000\n", 1, "out of range"),
    ("A_PORT = (\n", 1, "not valid Python"),
    ("PORTS = {'a': 0}\n", 1, "out of range"),
])
def test_bad_modules_name_the_line(source, line, words):
    with pytest.raises(InteropError) as exc:
        pyconst.parse(source, "p.py")
    assert exc.value.line == line
    assert words in str(exc.value)


def test_a_name_set_twice_counts_its_last_value(registry):
    module = pyconst.parse("A_PORT = 1\nA_PORT = 2\n", "p.py")
    assert [(p.key, p.value, p.line) for p in module.ports] == [("A_PORT", 2, 2)]
    assert "set again" in module.notes[0].message


def test_the_file_is_never_executed(tmp_path):
    marker = tmp_path / "ran"
    f = tmp_path / "ports_config.py"
    f.write_text(f"A_PORT = 1\nopen({str(marker)!r}, 'w').write('x')\n")
    assert [p.key for p in pyconst.parse(f.read_text(), f).ports] == ["A_PORT"]
    assert not marker.exists()


def test_own_export_round_trips_mixed_case_names(registry):
    from portmanager_gui.core.interop import pyexport
    from portmanager_gui.core.registry.model import Service
    reg = registry.with_service(Service("serviceA", (8777,)))
    module = pyconst.parse(pyexport.render(reg))
    entries = {e.name: e.port for e in pyconst.entries(module, reg.services)}
    assert entries["serviceA"] == 8777 and "servicea" not in entries


def test_two_constants_for_one_service_is_an_error(tmp_path, registry):
    f = tmp_path / "p.py"
    f.write_text("AVATAR_MANAGER_PORT = 1\nAVATAR_MANAGER_API_PORT = 2\n")
    with pytest.raises(InteropError) as exc:
        pyconst.import_file(f, registry)
    assert exc.value.line == 2


REALWORLD_PY = sorted((FIXTURES / "realworld" / "pyconst").glob("*.py"))


@pytest.mark.parametrize("path", REALWORLD_PY, ids=[p.stem for p in REALWORLD_PY])
def test_realworld_module_shapes(path, registry):
    """Each fixture names its trait and the ports the module really defines (read by hand: what
    the program uses when nothing overrides it); nothing else is imported, nothing fails."""
    pairs = re.search(r"^#? ?expect-ports:(.*)$", path.read_text(encoding="utf-8"), re.M)[1].split()
    expected = {k: int(v) for k, v in (p.split("=") for p in pairs)}
    result = pyconst.import_file(path, registry)
    reg = result.registry
    changed = {n: s.preferred for n, s in reg.services.items()
               if n not in registry.services or s.ports != registry.services[n].ports}
    assert changed == expected
    if not expected:
        assert any("nothing to import" in str(f) for f in result.findings)
