"""ports_config.py output: a fresh module that imports, and in-place updates that keep the user's file."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from portmanager_gui.core.interop import pyconst, pyexport
from portmanager_gui.core.interop.errors import InteropError

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "interop"


def _import_in_subprocess(folder, code):
    """Import the generated module in a fresh interpreter and return what ``code`` prints as JSON."""
    done = subprocess.run([sys.executable, "-c", f"import json, ports_config as m; print(json.dumps({code}))"],
                          cwd=folder, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_fresh_module_imports_and_has_the_document_helpers(tmp_path, registry):
    (tmp_path / "ports_config.py").write_text(pyexport.render(registry))
    got = _import_in_subprocess(tmp_path, "[m.BACKEND_PORT, m.get_backend_url(), m.get_llm_url(use_optimized=True), "
                                          "m.get_llm_url(use_optimized=False), m.get_avatar_manager_url(), "
                                          "m.get_redis_url()]")
    assert got == [8203, "http://localhost:8203", "http://localhost:8611", "http://localhost:8610",
                   "http://localhost:8607", "redis://localhost:6379"]


def test_fresh_module_is_readable_by_the_importer(registry):
    module = pyconst.parse(pyexport.render(registry))
    assert len(module.ports) == len(registry.services)
    assert "get_llm_url" in module.helpers


def test_update_changes_only_the_numbers_and_keeps_the_users_names(registry):
    text = (FIXTURES / "project/ports_config.py").read_text()
    new = registry.with_service_ports("backend", (9000,)).with_service_ports("llm-original", (8710,))
    out = pyexport.update(text, new)
    before, after = text.splitlines(), out.text.splitlines()
    changed = [(a, b) for a, b in zip(before, after) if a != b]
    assert changed == [("BACKEND_PORT = 8203  # Backend API service", "BACKEND_PORT = 9000  # Backend API service"),
                       ("LLM_PORT_ORIGINAL = 8610  # LLM service (original)",
                        "LLM_PORT_ORIGINAL = 8710  # LLM service (original)")]
    assert out.changes == ("line 9: BACKEND_PORT 8203 -> 9000", "line 14: LLM_PORT_ORIGINAL 8610 -> 8710")


def test_a_users_own_file_gets_no_services_it_did_not_have(registry):
    text = (FIXTURES / "project/ports_config.py").read_text()
    out = pyexport.update(text, registry)
    assert out.text == text and out.changes == ()


def test_a_generated_file_gains_new_services_and_still_imports(tmp_path, registry):
    from portmanager_gui.core.registry.model import Service
    text = pyexport.render(registry)
    out = pyexport.update(text, registry.with_service(Service("webrtc", (8620,))))
    assert out.text.startswith(text)
    tail = out.text[len(text):]
    assert pyexport.ADDED_MARK in tail and "WEBRTC_PORT = 8620" in tail and "def get_webrtc_url" in tail
    assert out.changes == ("added WEBRTC_PORT = 8620",)
    (tmp_path / "ports_config.py").write_text(out.text)
    got = _import_in_subprocess(tmp_path, "[m.get_webrtc_url(), m.get_backend_url()]")
    assert got == ["http://localhost:8620", "http://localhost:8203"]


def test_update_is_stable(registry):
    once = pyexport.update((FIXTURES / "project/ports_config.py").read_text(), registry).text
    twice = pyexport.update(once, registry)
    assert twice.text == once and twice.changes == ()


def test_update_keeps_crlf_line_endings(registry):
    text = "BACKEND_PORT = 8203\r\nHOST = 'x'\r\n"
    out = pyexport.update(text, registry.with_service_ports("backend", (9000,)))
    assert out.text.startswith("BACKEND_PORT = 9000\r\nHOST = 'x'\r\n")
    assert "\n" not in out.text.replace("\r\n", "")


def test_update_of_a_file_with_code_changes_only_the_number(registry):
    out = pyexport.update("import os\nBACKEND_PORT = 1\nDEBUG = os.getenv('D')\n", registry, "ports_config.py")
    assert out.text == "import os\nBACKEND_PORT = 8203\nDEBUG = os.getenv('D')\n"


def test_update_of_invalid_python_is_refused(registry):
    with pytest.raises(InteropError) as exc:
        pyexport.update("BACKEND_PORT = (\n", registry, "ports_config.py")
    assert exc.value.line == 1
