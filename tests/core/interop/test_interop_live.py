"""Live truth: llama-swap's /running on a real loopback server, and model servers recognised by argv."""
from __future__ import annotations

import pytest

from portmanager_gui.core.interop.live import (
    ModelServer,
    compare,
    fetch_running,
    model_server,
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
