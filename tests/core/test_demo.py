"""The embedded demo router and model server, run as real processes on loopback."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from tests.supervisor_helpers import LineReader, free_ports, write_registry

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _get(url: str) -> tuple[int, bytes]:
    try:
        with _OPENER.open(url, timeout=5) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.read()


@pytest.fixture
def demo(no_leftovers):
    """``demo(*args)`` starts ``python -m portmanager_gui.demo ...`` on port 0; returns (proc, port)."""
    started: list[subprocess.Popen] = []

    def start(*args: str) -> tuple[subprocess.Popen, int, LineReader]:
        proc = subprocess.Popen([sys.executable, "-m", "portmanager_gui.demo", *args, "--port", "0"],
                                stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
        started.append(proc)
        reader = LineReader(proc)
        line = reader.until("listening on")[-1]
        return proc, int(line.rsplit(":", 1)[1]), reader

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        proc.stdout.close()


def test_model_server_answers_like_llama_server(demo):
    proc, port, reader = demo("model", "--model", "qwen-7b")
    base = f"http://127.0.0.1:{port}"
    assert _get(base + "/health") == (200, json.dumps({"status": "ok"}, indent=2).encode())
    status, body = _get(base + "/v1/models")
    assert status == 200 and [m["id"] for m in json.loads(body)["data"]] == ["qwen-7b"]
    assert _get(base + "/nope")[0] == 404
    req = urllib.request.Request(base + "/v1/chat/completions", method="POST",
                                 data=json.dumps({"messages": [{"role": "user", "content": "hi"}]}).encode())
    with _OPENER.open(req, timeout=5) as resp:
        answer = json.loads(resp.read())
    assert answer["choices"][0]["message"]["content"] == "[qwen-7b] hi"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0           # a stop is a clean exit, not a crash
    assert "stopped" in reader.rest()


def test_router_lists_the_registrys_model_servers_and_whether_they_answer(demo, tmp_path, monkeypatch):
    model_proc, model_port, _ = demo("model", "--model", "model1")
    [router_only] = free_ports(1)
    groups = (f"  large-models:\n    start_port: {model_port}\n    size: 2\n    members: [model1, model2]\n"
              "    command: [x]\n")
    reg = write_registry(tmp_path, f"  router:\n    ports: [{router_only}]\n", groups)
    monkeypatch.setenv("PORTMANAGER_REGISTRY", str(reg))
    proc, port, reader = demo("router")
    assert "MODEL ROUTER API SERVER" in reader.lines and f"Server running on port {port}" in reader.lines
    assert json.loads(_get(f"http://127.0.0.1:{port}/api/health")[1]) == {"status": "ok", "service": "router"}
    status, body = _get(f"http://127.0.0.1:{port}/api/models")
    models = {m["unit"]: m for m in json.loads(body)["data"]}
    assert status == 200 and set(models) == {"large-models/model1", "large-models/model2"}
    assert models["large-models/model1"]["port"] == model_port and models["large-models/model1"]["answering"]
    assert models["large-models/model2"]["port"] == model_port + 1 and not models["large-models/model2"]["answering"]
    status, page = _get(f"http://127.0.0.1:{port}/")
    assert status == 200 and b"large-models/model1" in page and b"not answering" in page
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0


def test_demo_refuses_a_port_in_use(demo, listener):
    held = listener.listen(port=0)
    proc = subprocess.Popen([sys.executable, "-m", "portmanager_gui.demo", "model", "--model", "m",
                             "--port", str(held.port)], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode != 0 and "Address already in use" in err
