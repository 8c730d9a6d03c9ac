"""config.js and JSON outputs; config.js is checked and evaluated by node when node is present."""
from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from portmanager_gui.core.interop import exporters

NODE = shutil.which("node")


def test_js_has_the_documents_names(registry):
    js = exporters.render_js(registry)
    assert "export const BACKEND_URL = `http://${HOST}:${BACKEND_PORT}`;" in js
    assert "export const BACKEND_PORT = 8203;  // Backend API service" in js
    assert "export const REDIS_URL = `redis://${HOST}:${REDIS_PORT}`;" in js


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_js_passes_node_check_and_evaluates(tmp_path, registry):
    # Frontend config.js is an ES module; .mjs makes node treat it as one.
    f = tmp_path / "config.mjs"
    f.write_text(exporters.render_js(registry.with_service_ports("backend", (9000,))))
    check = subprocess.run([NODE, "--check", str(f)], capture_output=True, text=True, timeout=60, check=False)
    assert check.returncode == 0, check.stderr
    script = ("import(process.argv[1]).then(m => console.log(JSON.stringify("
              "[m.BACKEND_URL, m.default.FRONTEND_PORT, m.LLM_ORIGINAL_URL])))")
    run = subprocess.run([NODE, "-e", script, f.as_uri()], capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == ["http://localhost:9000", 3000, "http://localhost:8610"]


def test_json_output(registry):
    data = json.loads(exporters.render_json(registry))
    assert data["services"]["backend"] == {"port": 8203, "ports": [8203], "url": "http://127.0.0.1:8203"}
    assert data["services"]["router"]["ports"] == [3791, 3003]
    assert data["pools"]["large-models"] == {"start_port": 8200, "end_port": 8299, "size": 100,
                                             "members": ["model1", "model2"]}


def test_output_regenerates_js_and_reports_unchanged(registry):
    first = exporters.output("js", registry, None)
    assert first.changes == ("created",)
    assert exporters.output("js", registry, "old").changes == ("regenerated",)
    assert exporters.output("js", registry, first.text).changes == ()


def test_unknown_format(registry):
    with pytest.raises(ValueError, match="unknown export format"):
        exporters.render("yaml", registry)
