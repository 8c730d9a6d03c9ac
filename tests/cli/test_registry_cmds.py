"""The registry and planner commands, run as a user would (in-process and as a real command)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from portmanager_gui.core.registry.defaults import DEFAULT_REGISTRY_YAML
from tests.helpers import free_ports, run_cli

run = run_cli


@pytest.fixture
def registry_file(pm_home):
    path = pm_home / "config" / "registry.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(DEFAULT_REGISTRY_YAML)
    return path


@pytest.fixture
def two_held(listener):
    return listener.listen(), listener.listen()


def _router_registry(tmp_path, ports):
    path = tmp_path / "r.yaml"
    path.write_text("services:\n  router:\n    description: Model Router\n"
                    f"    ports: [{', '.join(map(str, ports))}]\n")
    return path


def test_first_run_writes_the_default_registry(pm_home, capsys):
    code, out, _ = run(capsys, "check", "router")
    assert code == 0
    assert (pm_home / "config" / "registry.yaml").read_text() == DEFAULT_REGISTRY_YAML
    assert "Port Availability Test" in out


def test_check_reports_a_fallback_with_the_documents_line(tmp_path, capsys, two_held):
    held, _ = two_held
    free_port = free_ports(1)[0]
    path = _router_registry(tmp_path, [held.port, free_port])
    code, out, _ = run(capsys, "--registry", str(path), "check")
    assert code == 0
    assert f"Port {held.port} is in use, using fallback port {free_port}" in out
    assert f"Will use fallback port: {free_port}" in out


def test_check_with_every_port_taken_prints_the_error_block_and_exits_1(tmp_path, capsys, two_held):
    a, b = two_held
    path = _router_registry(tmp_path, [a.port, b.port])
    code, out, _ = run(capsys, "--registry", str(path), "check", "router")
    assert code == 1
    assert "ERROR: All preferred ports are in use!" in out
    assert f"Tried ports: {a.port}, {b.port}" in out
    assert "Please free up one of these ports and try again." in out


def test_ports_sets_the_list_and_keeps_comments(registry_file, capsys):
    code, out, _ = run(capsys, "ports", "router", "3791", "3003", "8080")
    assert code == 0
    assert "preferred port 3791, fallbacks 3003, 8080" in out
    text = registry_file.read_text()
    assert "ports: [3791, 3003, 8080]    # preferred first, then fallbacks" in text
    assert text.startswith("# Port Manager registry")


@pytest.mark.parametrize("argv, needle", [
    (("ports", "router", "08100"), "'08100' is not a port"),
    (("ports", "router", "70000"), "is not a port"),
    (("ports", "router", "3791", "3791"), "listed twice"),
    (("ports", "nosuch", "3791"), "unknown service or group 'nosuch'"),
    (("group", "nosuch", "--start", "9000"), "unknown group"),
    (("group", "large-models", "--start", "65500"), "goes past 65535"),
    (("url", "nosuch"), "unknown service or group"),
])
def test_bad_input_is_one_line_exit_2_and_nothing_written(registry_file, capsys, argv, needle):
    before = registry_file.read_text()
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert needle in err
    assert len(err.strip().splitlines()) == 1 or err.startswith("usage:")
    assert out == ""
    assert registry_file.read_text() == before


def test_a_broken_registry_is_reported_with_file_and_line_and_left_alone(registry_file, capsys):
    broken = DEFAULT_REGISTRY_YAML.replace("[3791, 3003]", "[3791, 08100]")
    registry_file.write_text(broken)
    code, _, err = run(capsys, "ports", "router", "1234")
    assert code == 2
    assert f"{registry_file}:12: services.router.ports[1]" in err
    assert registry_file.read_text() == broken


def test_group_range_prints_the_assignment(registry_file, capsys):
    code, out, _ = run(capsys, "group", "large-models", "--start", "8400", "--size", "50")
    assert code == 0
    assert "large-models: ports 8400-8449 (50 ports)" in out
    assert "model1: 8400" in out and "model2: 8401" in out


def test_url_env_and_plan(registry_file, capsys):
    assert run(capsys, "url", "router")[1].strip() == "http://127.0.0.1:3791/"
    assert run(capsys, "url", "backend")[1].strip() == "http://127.0.0.1:8203/api"
    assert run(capsys, "url", "model1")[1].strip() == "http://127.0.0.1:8200/"
    env = run(capsys, "env")[1].splitlines()
    assert "ROUTER_PORT=3791" in env and "LLM_ORIGINAL_PORT=8610" in env
    assert "LARGE_MODELS_MODEL1_PORT=8200" in env
    code, out, _ = run(capsys, "plan")
    assert "groups.large-models: range 8200-8299 of large-models contains port 8203 of backend" in out
    assert "fix:" in out


def test_env_reads_the_state_record_once_for_all_units(registry_file, capsys, monkeypatch):
    """Each unit's running port comes from the state record: one read (and one liveness check
    per record) for the whole registry, not one per unit."""
    from portmanager_gui.core.supervisor import records

    calls = []
    real = records.StateStore.records
    monkeypatch.setattr(records.StateStore, "records", lambda self: calls.append(1) or real(self))
    env = run(capsys, "env")[1].splitlines()
    assert len(env) > 10 and "ROUTER_PORT=3791" in env
    assert len(calls) == 1


def test_the_command_runs_as_a_module(registry_file):
    proc = subprocess.run([sys.executable, "-m", "portmanager_gui", "url", "frontend"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "http://127.0.0.1:3000/"


def test_registry_option_before_or_after_the_command(tmp_path, capsys):
    path = _router_registry(tmp_path, [39111])
    assert run(capsys, "--registry", str(path), "url", "router")[1].strip() == "http://127.0.0.1:39111/"
    assert run(capsys, "url", "router", "--registry", str(path))[1].strip() == "http://127.0.0.1:39111/"


@pytest.mark.parametrize("data", [
    b"services:\n  router:\n    ports: [3791]\n    description: x\x07y\n",
    b"services:\n  router:\n    ports: [3791]\n    description: caf\xe9\n",
    b"services: " + b"[" * 800 + b"]" * 800 + b"\n",
])
def test_odd_bytes_are_bad_input_with_the_file_named(tmp_path, capsys, data):
    path = tmp_path / "r.yaml"
    path.write_bytes(data)
    for args in (("check", "router"), ("ports", "router", "3791", "3003")):
        code, _, err = run(capsys, "--registry", str(path), *args)
        assert code == 2 and f"{path}:" in err and "Traceback" not in err
    assert path.read_bytes() == data


def test_reads_write_no_files_and_group_remembers_the_slots(registry_file, pm_home, capsys):
    allocations = pm_home / "state" / "allocations.json"
    before = sorted(p.relative_to(pm_home) for p in pm_home.rglob("*") if p.is_file())
    for argv in (["check"], ["plan"], ["url", "model1"], ["env"], ["status"]):
        run(capsys, *argv)
    after = sorted(p.relative_to(pm_home) for p in pm_home.rglob("*") if p.is_file())
    assert after == before and not allocations.exists()
    start = free_ports(1)[0]
    code, out, _ = run(capsys, "group", "large-models", "--start", str(start))
    assert code == 0, out
    assert json.loads(allocations.read_text())["large-models"]["model1"] == start


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
def test_a_full_disk_while_the_backup_is_written_changes_nothing(tmp_path):
    """The OS refuses to write past a size limit, as a full disk would: first the .bak, then
    nothing else is tried; the registry is as it was, no temp file is left, exit 2 with the file."""
    import os
    import resource

    path = tmp_path / "registry.yaml"
    path.write_text("version: 1\nservices:\n  web:\n    ports: [21001]\n" + "# padding\n" * 300)
    before = path.read_bytes()

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (1000, 1000))

    done = subprocess.run([sys.executable, "-m", "portmanager_gui", "--registry", str(path), "ports", "web", "21002"],
                          capture_output=True, text=True, timeout=120, preexec_fn=small_files)
    assert done.returncode == 2 and str(path.name) in done.stderr and "nothing was changed" in done.stderr
    assert path.read_bytes() == before
    assert [n for n in os.listdir(tmp_path) if n != "pmhome"] == ["registry.yaml"]   # no .bak, no temp file
