"""``portmanager status`` and ``portmanager kill``, run as a user would, against real processes."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest

from tests.helpers import (
    FakeLlamaServer,
    FakeLlamaSwap,
    free_port_block,
    free_ports,
    is_root,
    run_cli,
    wait_for,
)

run = run_cli

# Another checkout's suite may run a fake llama-server for "beta" on this machine at the same time,
# and the machine-wide scan sees every one: this run's model has a name of its own.
BETA = f"beta{os.getpid()}"


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
    start = free_port_block(2)
    server = FakeLlamaServer(tmp_path, start, "--alias", "beta")
    try:
        path = tmp_path / "registry.yaml"
        path.write_text(f"start_port: {start}\nmodels:\n  numbered_by: llama-swap\n  size: 2\n"
                        "  members: [alpha, beta]\n")
        code_, out, _ = run(capsys, "--registry", str(path), "status")
        assert code_ == 0
        assert (f"WARNING: port {start} is held by the model server of beta, but llama-swap numbers it for alpha"
                in out)
    finally:
        server.close()


def test_status_sets_each_models_live_port_beside_the_registrys(capsys, tmp_path):
    """llama-swap's /running (a real loopback HTTP server) and a real llama-server child: every model's
    real port and state next to the registry's, in the table and in --json; each mismatch a WARNING."""
    start = free_port_block(10)                # the pool's ports, and omega's (start + 9)
    (beta_port,) = free_ports(1)
    api = FakeLlamaSwap([{"model": "alpha", "state": "ready", "proxy": f"http://127.0.0.1:{start}"},
                         {"model": "gamma", "state": "starting", "proxy": f"http://localhost:{start + 1}"},
                         {"model": "omega", "state": "ready", "proxy": f"http://127.0.0.1:{start + 9}"}])
    beta = FakeLlamaServer(tmp_path, beta_port, "-m", f"/models/{BETA}.gguf")
    try:
        path = tmp_path / "registry.yaml"
        path.write_text(f"services:\n  llama-swap:\n    ports: [{free_port()}, {api.port}]\n"
                        f"start_port: {start}\nmodels:\n  numbered_by: llama-swap\n  size: 4\n"
                        f"  members: [alpha, {BETA}, gamma, delta]\n")
        code, out, err = run(capsys, "--registry", str(path), "status")
        assert code == 0, err
        assert f"llama-swap models, live (its /running on port {api.port}):" in out
        table = {line.split()[0]: line.split()[1:] for line in out.split("live (", 1)[1].splitlines()[2:8]
                 if line.startswith("  ") and line.split()}
        assert table["alpha"] == [str(start), str(start), "ready", "ok"]
        assert table[BETA] == [str(start + 1), str(beta_port), "listening", "MISMATCH"]
        assert table["gamma"] == [str(start + 2), str(start + 1), "starting", "MISMATCH"]
        assert table["delta"] == [str(start + 3), "-", "not", "running"]
        assert table["omega"] == ["-", str(start + 9), "ready", "NOT", "IN", "REGISTRY"]
        assert (f"WARNING: llama-swap runs model omega on port {start + 9}, which the registry does not have; "
                "import llama-swap's config again") in out
        assert (f"WARNING: model gamma runs on port {start + 1} (llama-swap /running says starting), "
                f"but the registry expects {start + 2}") in out
        assert (f"WARNING: model {BETA} runs on port {beta_port} (its llama-server command line says so), but the "
                f"registry expects {start + 1}, where the model server of gamma runs") in out
        code, out, err = run(capsys, "--registry", str(path), "status", "--json", "models")
        assert code == 0, err
        models = {m["model"]: m for m in json.loads(out)["models"]}
        assert models["alpha"] == {"pool": "models", "runtime": "llama-swap", "model": "alpha", "expected": start,
                                   "actual": start, "state": "ready", "source": "api", "api_port": api.port,
                                   "held_by": None, "mismatch": False}
        assert (models[BETA]["actual"], models[BETA]["source"], models[BETA]["held_by"],
                models[BETA]["mismatch"]) == (beta_port, "process", "gamma", True)
        assert (models["gamma"]["actual"], models["gamma"]["state"], models["gamma"]["mismatch"]) == (
            start + 1, "starting", True)
        assert (models["delta"]["actual"], models["delta"]["state"], models["delta"]["mismatch"]) == (
            None, "not running", False)
        assert (models["omega"]["expected"], models["omega"]["actual"], models["omega"]["mismatch"]) == (
            None, start + 9, True)
        code, out, _ = run(capsys, "--registry", str(path), "status", "--json", "llama-swap")
        assert json.loads(out)["models"] == []          # no model asked for: no live section
    finally:
        beta.close()
        api.close()


def test_status_all_takes_no_names(capsys, registry):
    path = registry[0]
    code, _, err = run(capsys, "--registry", str(path), "status", "--all", "router")
    assert code == 2 and "--all" in err


def test_status_all_names_every_listener_with_its_registry_service_or_model_slot(capsys, tmp_path, listener):
    """Real listeners on IPv4 TCP, IPv6 UDP and two model slots (a group's and a llama-swap pool's):
    each is listed with its process, and a model slot's port belongs to "pool/model"."""
    web = listener.listen("127.0.0.1")
    udp6 = listener.listen("::1", kind="udp")
    chat = listener.listen("127.0.0.1")
    gamma = listener.listen("::1")
    path = tmp_path / "registry.yaml"
    path.write_text(f"services:\n  web:\n    ports: [{web.port}]\n"
                    f"start_port: {gamma.port - 2}\nmodels:\n  numbered_by: llama-swap\n  size: 3\n"
                    "  members: [alpha, beta, gamma]\n"
                    f"groups:\n  small:\n    start_port: {chat.port - 1}\n    size: 2\n    members: [emb, chat]\n")
    code, out, err = run(capsys, "--registry", str(path), "status", "--all", "--json")
    assert code == 0, err
    # Keyed by pid too: another process may hold the same port number on another address.
    rows = {(r["port"], r["protocol"], r["pid"]): r for r in json.loads(out)["listeners"]}
    assert rows[(web.port, "tcp", web.pid)]["service"] == "web"
    assert rows[(chat.port, "tcp", chat.pid)]["service"] == "small/chat"
    assert rows[(gamma.port, "tcp", gamma.pid)]["service"] == "models/gamma"
    row = rows[(udp6.port, "udp", udp6.pid)]
    assert (row["addresses"], row["service"]) == (["::1"], None)
    assert row["user"] and row["cmdline"][0] == sys.executable and row["create_time"] > 0
    assert rows[(gamma.port, "tcp", gamma.pid)]["addresses"] == ["::1"]
    code, out, err = run(capsys, "--registry", str(path), "status", "--all")
    assert code == 0, err
    lines = {(int(cells[0]), cells[2]): cells for cells in map(str.split, out.splitlines()[1:])
             if cells and cells[0].isdigit()}
    assert "small/chat" in lines[(chat.port, str(chat.pid))] and "models/gamma" in lines[(gamma.port, str(gamma.pid))]
    assert lines[(udp6.port, str(udp6.pid))][1] == "udp"
    # One line per listener: a `python -c` script's line breaks do not break the table.
    assert all(line.split()[0].isdigit() for line in out.splitlines()[1:] if line.strip())


def test_status_and_kill_name_a_holder_for_what_it_is(capsys, tmp_path, monkeypatch):
    """A real child whose command line is a llama-server's: ``status`` and the kill listing say so."""
    port = free_port()
    server = FakeLlamaServer(tmp_path, port, "-m", "/models/qwen2.5-7b.gguf")
    try:
        path = tmp_path / "registry.yaml"
        path.write_text(f"services:\n  llm:\n    ports: [{port}]\n")
        code, out, err = run(capsys, "--registry", str(path), "status")
        assert code == 0, err
        line = next(line for line in out.splitlines() if line.startswith("llm "))
        assert f"{server.pid}  llama-server (qwen2.5-7b) " in line
        code, out, _ = run(capsys, "kill", str(port), stdin="n\n", monkeypatch=monkeypatch)
        assert code == 1 and f"  llama-server (qwen2.5-7b) (pid {server.pid}, user " in out
    finally:
        server.close()


@pytest.mark.skipif(sys.platform == "win32", reason="a pseudo-terminal is POSIX")
@pytest.mark.parametrize("extra", [(), ("--all",)])
def test_status_json_is_indented_on_a_terminal_and_one_line_when_piped(pm_home, extra):
    """People reading a terminal get indented JSON; a pipe (a script, jq) gets the same value
    on one line, written by the C encoder (indent makes CPython use its pure-Python encoder)."""
    import pty

    env = {**os.environ, "PORTMANAGER_HOME": str(pm_home)}
    argv = [sys.executable, "-m", "portmanager_gui", "status", "--json", *extra]
    piped = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60, check=False)
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout.count("\n") == 1 and piped.stdout.endswith("}\n")
    main, sub = pty.openpty()
    try:
        child = subprocess.Popen(argv, stdout=sub, stderr=subprocess.PIPE, env=env)
        os.close(sub)
        chunks = []
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:         # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert child.wait(timeout=60) == 0, child.stderr.read()
        child.stderr.close()
    finally:
        os.close(main)
    shown = b"".join(chunks).decode().replace("\r\n", "\n")
    assert shown.startswith("{\n  \"taken_at\": ")
    assert set(json.loads(shown)) == set(json.loads(piped.stdout))
