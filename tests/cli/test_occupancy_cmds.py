"""``portmanager status`` and ``portmanager kill``, run as a user would, against real processes."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest

from tests.helpers import free_ports, is_root, run_cli, wait_for

run = run_cli


def free_port() -> int:
    return free_ports(1)[0]


@pytest.fixture
def registry(tmp_path, listener):
    """A registry whose router prefers a held port, falls back to a free one; one model group."""
    held = listener.listen("127.0.0.1")
    fallback = free_port()
    start = free_port()
    path = tmp_path / "registry.yaml"
    path.write_text(f"services:\n  router:\n    ports: [{held.port}, {fallback}]\n"
                    f"groups:\n  small:\n    start_port: {start}\n    size: 1\n    members: [emb]\n")
    return path, held, fallback, start


def test_status_shows_holders_roles_and_model_slots(capsys, registry):
    path, held, fallback, start = registry
    code, out, _ = run(capsys, "--registry", str(path), "status")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["SERVICE/GROUP", "ROLE", "PORT", "STATE", "PID", "NAME", "USER", "ADDRESSES"]
    preferred = next(line for line in lines if str(held.port) in line)
    assert preferred.split()[:5] == ["router", "preferred", str(held.port), "listening", str(held.pid)]
    assert "127.0.0.1" in preferred
    assert next(line for line in lines if str(fallback) in line).split()[:4] == [
        "router", "fallback", str(fallback), "free"]
    assert next(line for line in lines if "small/emb" in line).split()[:4] == [
        "small/emb", "model", "slot", str(start)]


def test_status_json_is_the_whole_snapshot(capsys, registry):
    path, held, fallback, start = registry
    code, out, _ = run(capsys, "--registry", str(path), "status", "--json")
    assert code == 0
    data = json.loads(out)
    (holder,) = data["ports"][str(held.port)]["holders"]
    assert holder["pid"] == held.pid and holder["protocol"] == "tcp" and holder["addresses"] == ["127.0.0.1"]
    assert holder["create_time"] and holder["cmdline"][0] == sys.executable
    assert data["ports"][str(fallback)] == {"status": "free", "note": "", "holders": []}
    assert {(r["unit"], r["role"], r["port"]) for r in data["rows"]} == {
        ("router", "preferred", held.port), ("router", "fallback", fallback), ("small/emb", "model slot", start)}


def test_status_filters_by_name_and_rejects_unknown_names(capsys, registry):
    path, held, *_ = registry
    code, out, _ = run(capsys, "--registry", str(path), "status", "small")
    assert code == 0 and "small/emb" in out and "router" not in out
    code, _, err = run(capsys, "--registry", str(path), "status", "nope")
    assert code == 2 and "nope" in err


def test_kill_with_yes_frees_the_port(capsys, listener):
    child = listener.listen("127.0.0.1")
    code, out, _ = run(capsys, "kill", str(child.port), "--yes")
    assert code == 0, out
    assert f"Stopped python (pid {child.pid})" in out
    assert f"Port {child.port} is free now." in out
    wait_for(lambda: child.proc.poll() is not None, message="the holder to exit")


def test_kill_asks_first_and_no_means_no(capsys, listener, monkeypatch):
    child = listener.listen("127.0.0.1")
    code, out, _ = run(capsys, "kill", str(child.port), stdin="n\n", monkeypatch=monkeypatch)
    assert code == 1 and "Nothing was killed." in out
    assert f"pid {child.pid}, user " in out and "-c" in out           # name, pid, user, cmdline
    assert child.proc.poll() is None
    code, out, _ = run(capsys, "kill", str(child.port), "--timeout", "2", stdin="y\n", monkeypatch=monkeypatch)
    assert code == 0 and "is free now" in out


def test_kill_of_a_free_port_says_so(capsys):
    port = free_port()
    code, out, _ = run(capsys, "kill", str(port), "--yes")
    assert code == 0 and f"Port {port} is free; nothing to kill." in out


def test_kill_refuses_port_manager_itself_with_exit_3(capsys):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    try:
        code, _, err = run(capsys, "kill", str(s.getsockname()[1]), "--yes")
    finally:
        s.close()
    assert code == 3
    assert err.splitlines()[0].startswith("portmanager: refused: port ") and "Port Manager itself" in err


@pytest.mark.skipif(not is_root(), reason="starting a process as another user needs root")
def test_kill_refuses_another_users_process(capsys, listener):
    child = listener.listen("127.0.0.1", user="nobody")
    code, _, err = run(capsys, "kill", str(child.port), "--yes", "--force")
    assert code == 3 and "belongs to user nobody" in err and child.proc.poll() is None


@pytest.mark.parametrize("bad", ["03000", "abc", "70000", "-1"])
def test_kill_rejects_a_bad_port(capsys, bad):
    code, _, err = run(capsys, "kill", bad, "--yes")
    assert code == 2 and "not a port" in err


def test_as_a_real_command(listener, pm_home):
    """The installed entry point, in a fresh process, as a new user would run it."""
    child = listener.listen("::1")
    env = {**os.environ, "PORTMANAGER_HOME": str(pm_home)}
    cmd = [sys.executable, "-m", "portmanager_gui"]
    done = subprocess.run([*cmd, "kill", str(child.port), "--yes", "--timeout", "2"], capture_output=True,
                          text=True, env=env, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert f"Port {child.port} is free now." in done.stdout
    done = subprocess.run([*cmd, "status", "--json", "router"], capture_output=True, text=True, env=env,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert [r["unit"] for r in json.loads(done.stdout)["rows"]] == ["router", "router"]


def test_status_names_a_model_server_sitting_on_another_models_port(capsys, tmp_path):
    """A real child process whose command line is a llama-server's, holding the port llama-swap's
    numbering now gives to another model (the config changed after llama-swap loaded it)."""
    start = free_port()
    exe = tmp_path / "llama-server"
    exe.symlink_to(sys.executable)
    code = ("import socket, sys; s = socket.socket(); s.bind(('127.0.0.1', int(sys.argv[2]))); s.listen(); "
            "print('ready', flush=True); sys.stdin.read()")
    child = subprocess.Popen([str(exe), "-c", code, "--port", str(start), "--alias", "beta"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ready"
        path = tmp_path / "registry.yaml"
        path.write_text(f"start_port: {start}\nmodels:\n  numbered_by: llama-swap\n  size: 2\n"
                        "  members: [alpha, beta]\n")
        code_, out, _ = run(capsys, "--registry", str(path), "status")
        assert code_ == 0
        assert (f"WARNING: port {start} is held by the model server of beta, but llama-swap numbers it for alpha"
                in out)
    finally:
        child.kill()
        child.wait(timeout=30)
        child.stdin.close()
        child.stdout.close()
def test_status_all_lists_every_listener_with_its_service_and_label(capsys, tmp_path, listener):
    mine = listener.listen("127.0.0.1")
    other = listener.listen("::1", kind="udp")
    path = tmp_path / "registry.yaml"
    path.write_text(f"services:\n  api:\n    ports: [{mine.port}]\n")
    code, out, _ = run(capsys, "--registry", str(path), "status", "--all", "--json")
    assert code == 0
    rows = json.loads(out)["listeners"]
    by_port = {(r["port"], r["protocol"]): r for r in rows}
    tcp = by_port[(mine.port, "tcp")]
    assert tcp["pid"] == mine.pid and tcp["service"] == "api" and tcp["addresses"] == ["127.0.0.1"]
    assert tcp["name"] and tcp["user"] and "-c" in tcp["cmdline"] and "label" in tcp
    udp = by_port[(other.port, "udp")]
    assert udp["pid"] == other.pid and udp["service"] is None and udp["addresses"] == ["::1"]
    code, out, _ = run(capsys, "--registry", str(path), "status", "--all")
    assert code == 0 and out.splitlines()[0].split()[:4] == ["PORT", "PROTO", "PID", "PROCESS"]
    line = next(x for x in out.splitlines() if x.startswith(f"{mine.port} "))
    assert str(mine.pid) in line and "api" in line


def test_status_all_takes_no_names(capsys, registry):
    path = registry[0]
    code, _, err = run(capsys, "--registry", str(path), "status", "--all", "router")
    assert code == 2 and "--all" in err
