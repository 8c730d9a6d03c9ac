"""Live truth: llama-swap's /running on a real loopback server, and model servers recognised by argv."""
from __future__ import annotations

import pytest

from portmanager_gui.core.interop.live import (
    ModelServer,
    RunningModel,
    compare,
    fetch_running,
    model_server,
    parse_running,
)
from portmanager_gui.core.registry.model import Group
from tests.helpers import FakeLlamaSwap


@pytest.fixture
def swap_api():
    """A real HTTP server on 127.0.0.1 answering /running as llama-swap does."""
    api = FakeLlamaSwap([
        {"model": "alpha", "state": "ready", "proxy": "http://127.0.0.1:5800", "cmd": "llama-server --port 5800"},
        {"model": "zeta", "state": "starting", "proxy": "http://localhost:5809"}])
    yield api.port
    api.close()


def test_running_models_are_read_and_a_moved_model_is_a_mismatch(swap_api):
    running = fetch_running(swap_api)
    assert [(r.model, r.state, r.port) for r in running] == [("alpha", "ready", 5800), ("zeta", "starting", 5809)]
    pool = Group("models", 5800, members=("alpha", "docker-qwen", "zeta"), numbered_by="llama-swap")
    checks = {c.model: c for c in compare(pool, running)}
    assert not checks["alpha"].mismatch and checks["alpha"].source == "api"
    assert checks["zeta"].expected == 5802 and checks["zeta"].actual == 5809 and checks["zeta"].mismatch
    assert checks["docker-qwen"].actual is None and not checks["docker-qwen"].mismatch


def test_nothing_answering_is_none_not_an_error(swap_api):
    assert fetch_running(swap_api, timeout=2.0) is not None
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    assert fetch_running(free, timeout=2.0) is None
    with pytest.raises(ValueError):
        fetch_running(80, host="192.0.2.1")


@pytest.mark.parametrize("argv, expected", [
    (["/opt/llama.cpp/build/bin/llama-server", "--port", "8101", "-m", "/m/Qwen3-4B.gguf"],
     ModelServer(8101, "/m/Qwen3-4B.gguf")),
    (["C:\\llama\\llama-server.exe", "--model=D:\\m\\bge-m3.gguf", "--port=8102", "--alias", "bge"],
     ModelServer(8102, "D:\\m\\bge-m3.gguf", "bge")),
    (["python", "-m", "http.server", "--port", "8000"], None),
    (["llama-server", "-m", "x.gguf"], None),   # no --port: its default, not a port the proxy gave it
    (["/usr/bin/python3", "-u", "-m", "llama_cpp.server", "--model", "/m/phi.gguf", "--port", "8103"],
     ModelServer(8103, "/m/phi.gguf")),        # llama-cpp-python's server, run by the interpreter
    (["python3", "/opt/llama-server.py", "--port", "8104", "--alias", "tiny"], ModelServer(8104, "", "tiny")),
    (["python3", "-m", "http.server", "--port", "8105", "-m", "x"], None),
])
def test_model_server_recognition(argv, expected):
    assert model_server(argv) == expected


def test_process_holders_stand_in_when_the_api_is_silent():
    pool = Group("models", 8100, members=("bge-m3", "qwen"), numbered_by="claracore")
    holders = {8100: ["llama-server", "--port", "8100", "-m", "/m/bge-m3.gguf"],
               8107: ["llama-server", "--port", "8107", "--alias", "qwen"]}
    checks = {c.model: c for c in compare(pool, None, holders)}
    assert (checks["bge-m3"].actual, checks["bge-m3"].mismatch) == (8100, False)
    assert (checks["qwen"].actual, checks["qwen"].mismatch, checks["qwen"].source) == (8107, True, "process")


def test_an_http_proxy_in_the_environment_never_carries_the_loopback_read(swap_api, monkeypatch):
    """urllib honours http_proxy; a read of the local proxy's API must not go through one."""
    monkeypatch.setenv("http_proxy", "http://192.0.2.1:3128")
    monkeypatch.setenv("HTTP_PROXY", "http://192.0.2.1:3128")
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    running = fetch_running(swap_api, timeout=2.0)
    assert running is not None and [r.model for r in running] == ["alpha", "zeta"]


def test_report_asks_each_proxy_port_and_sets_api_and_processes_side_by_side():
    from portmanager_gui.core.interop.live import RunningModel, report
    from portmanager_gui.core.registry.model import Registry, Service
    pool = Group("models", 5800, members=("a", "b", "c"), numbered_by="llama-swap")
    reg = Registry({"llama-swap": Service("llama-swap", (8080, 8081))}, {}, pool)
    asked = []

    def fetch(port):
        asked.append(port)
        return (RunningModel("a", "ready", 5801),) if port == 8081 else None

    (rep,) = report(reg, [(5800, ["llama-server", "--port", "5800", "--alias", "b"])], fetch)
    assert asked == [8080, 8081] and rep.api_port == 8081 and rep.runtime == "llama-swap"
    checks = {m.model: m for m in rep.models}
    assert (checks["a"].actual, checks["a"].held_by, checks["a"].mismatch) == (5801, "b", True)
    assert (checks["b"].actual, checks["b"].held_by, checks["b"].source) == (5800, "a", "process")
    assert checks["c"].actual is None and not checks["c"].mismatch
    assert report(Registry({}, {}, Group("models", 8100)), [], fetch) == ()


def test_ids_port_manager_renames_still_meet_the_api_and_a_locked_api_is_no_answer(tmp_path):
    """llama-swap IDs with spaces or slashes ("GPT-OSS 20B ROCm", "swap/qwen") are members under
    the names Port Manager can use; /running and --alias still find them. A proxy with apiKeys
    answers 401: that is no answer (the command lines stand in), never a crash."""
    pool = Group("models", 5800, members=("GPT-OSS-20B-ROCm", "swap-qwen"), numbered_by="llama-swap")
    running = (RunningModel("GPT-OSS 20B ROCm", "ready", 5800), RunningModel("swap/qwen", "ready", 5809))
    checks = {c.model: c for c in compare(pool, running)}
    assert (checks["GPT-OSS-20B-ROCm"].actual, checks["GPT-OSS-20B-ROCm"].mismatch) == (5800, False)
    assert (checks["swap-qwen"].actual, checks["swap-qwen"].mismatch) == (5809, True)
    by_alias = compare(pool, None, {5801: ["/app/llama-server", "--port", "5801", "--alias", "swap/qwen"]})
    assert [(c.model, c.actual) for c in by_alias] == [("GPT-OSS-20B-ROCm", None), ("swap-qwen", 5801)]

    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Locked(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            self.send_error(401, "Unauthorized")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Locked)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        assert fetch_running(server.server_address[1], timeout=5.0) is None
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_claracore_running_names_no_port_and_the_command_lines_give_it():
    """ClaraCore's /running lists {"model", "state"} only: the state comes from it, the port from
    the model server's command line; with neither port, the model is running, port unknown."""
    pool = Group("models", 8100, members=("bge-m3", "qwen"), numbered_by="claracore")
    running = parse_running('{"running": [{"model": "bge-m3", "state": "ready"}, {"model": "qwen", "state": "ready"}]}')
    checks = {c.model: c for c in compare(pool, running, {8105: ["llama-server", "--port", "8105", "-m", "/m/bge-m3.gguf"]})}
    assert (checks["bge-m3"].actual, checks["bge-m3"].state, checks["bge-m3"].source, checks["bge-m3"].mismatch) == (
        8105, "ready", "process", True)
    assert (checks["qwen"].actual, checks["qwen"].state, checks["qwen"].source, checks["qwen"].mismatch) == (
        None, "ready", "api", False)
