"""The supervisor's parts without processes: OS decisions, state record, logs, units."""
from __future__ import annotations

import json
import sys
from types import MappingProxyType

import pytest

from portmanager_gui.core.paths import Paths
from portmanager_gui.core.platform import LINUX, MACOS, WINDOWS
from portmanager_gui.core.platform import process_tree as pt
from portmanager_gui.core.supervisor import logfiles
from portmanager_gui.core.supervisor.records import ManagedRecord, StateStore
from portmanager_gui.core.supervisor.start_check import ADDRESS_IN_USE
from portmanager_gui.core.supervisor.types import SupervisorEvent
from portmanager_gui.core.supervisor.unit_spec import (
    UnitSpec,
    argv_for,
    child_env,
    title_of,
)

# -- process tree decisions, all three OSes -------------------------------------------------


def test_spawn_flags_per_os():
    assert pt.spawn_kwargs(LINUX) == {"start_new_session": True} == pt.spawn_kwargs(MACOS)
    assert pt.spawn_kwargs(WINDOWS) == {"creationflags": 0x200 | 0x08000000}
    assert pt.job_limit_flags(True) == 0x2000 and pt.job_limit_flags(False) == 0


def test_stop_plan_per_os():
    S = pt.Step
    assert pt.stop_plan(LINUX, has_job=False, own_group=True) == (
        S.TERM_GROUP, S.TERM_TREE, S.WAIT, S.KILL_GROUP, S.KILL_TREE)
    assert pt.stop_plan(MACOS, has_job=False, own_group=False) == (S.TERM_TREE, S.WAIT, S.KILL_TREE)
    # Windows asks first (CTRL_BREAK to the group we made), waits, then the job ends the tree
    # and psutil catches what the job did not hold.
    assert pt.stop_plan(WINDOWS, has_job=True, own_group=True) == (
        S.CTRL_BREAK, S.WAIT, S.TERMINATE_JOB, S.KILL_TREE)
    assert pt.stop_plan(WINDOWS, has_job=False, own_group=True) == (S.CTRL_BREAK, S.WAIT, S.KILL_TREE)
    # a tree we did not start in its own group: nothing to ask through, so nothing to wait for
    assert pt.stop_plan(WINDOWS, has_job=True, own_group=False) == (S.TERMINATE_JOB, S.KILL_TREE)


def test_protected_pids():
    assert pt.is_protected(0, self_pid=50) and pt.is_protected(1, self_pid=50) and pt.is_protected(4, self_pid=50)
    assert pt.is_protected(50, self_pid=50) and pt.is_protected(7, self_pid=50, ancestors=[7])
    assert not pt.is_protected(99, self_pid=50, ancestors=[7])


def test_group_members_uses_injected_lookups():
    groups = {10: 10, 11: 10, 12: 99}
    def getpgid(pid):
        if pid == 13:
            raise ProcessLookupError
        return groups[pid]
    assert pt.group_members(10, pids=lambda: [10, 11, 12, 13], getpgid=getpgid) == [10, 11]


# -- state record ---------------------------------------------------------------------------

def _rec(unit="router", pid=100, port=3791):
    return ManagedRecord(unit, pid, 5.0, port, ("x", "--port", str(port)), 1.0, "/l")


def test_state_round_trip_alive_and_guarded_remove(tmp_path):
    alive = {100}
    store = StateStore(tmp_path / "services.json", is_alive=lambda pid, ct: pid in alive)
    store.put(_rec())
    store.put(_rec("large-models/model1", 101, 8200))
    recs = {r.unit: r for r in store.records()}
    assert recs["router"].alive and not recs["large-models/model1"].alive
    assert recs["router"].argv == ("x", "--port", "3791")
    store.remove("router", pid=555)          # another start owns the unit now: keep it
    assert store.get("router") is not None
    dropped = store.prune_dead()
    assert [r.unit for r in dropped] == ["large-models/model1"]
    store.remove("router", pid=100)
    assert store.records() == []
    assert json.loads((tmp_path / "services.json").read_text())["version"] == 1


def test_a_damaged_state_file_reads_as_empty_and_is_replaced(tmp_path):
    path = tmp_path / "services.json"
    path.write_text("{not json")
    store = StateStore(path, is_alive=lambda pid, ct: True)
    assert store.records() == []
    store.put(_rec())
    assert [r.unit for r in store.records()] == ["router"]


# -- logs -----------------------------------------------------------------------------------

def test_log_path_and_rotation_on_start(tmp_path):
    paths = Paths(tmp_path / "c", tmp_path / "s", tmp_path / "logs")
    log = logfiles.log_path(paths, "large-models/model1")
    assert log.name == "large-models@model1.log"
    assert logfiles.log_path(paths, "large-models__model1") != log   # a service may be named so
    log.parent.mkdir(parents=True)
    for n in range(4):
        log.write_bytes(bytes([65 + n]) * 20)
        assert logfiles.rotate_if_large(log, max_bytes=10, backups=2)
    assert not log.exists()
    assert log.with_name(log.name + ".1").read_bytes() == b"D" * 20
    assert log.with_name(log.name + ".2").read_bytes() == b"C" * 20
    assert not log.with_name(log.name + ".3").exists()
    log.write_bytes(b"small")
    assert not logfiles.rotate_if_large(log, max_bytes=10)


def test_copytruncate_keeps_the_writer_appending(tmp_path):
    log = tmp_path / "x.log"
    with open(log, "ab", buffering=0) as writer:   # the child's O_APPEND descriptor
        writer.write(b"a" * 100)
        assert logfiles.copytruncate_if_large(log, max_bytes=10, backups=1)
        writer.write(b"after\n")
    assert log.read_bytes() == b"after\n"           # no hole of zeros before it
    assert log.with_name("x.log.1").read_bytes() == b"a" * 100


def test_tail_reads_the_last_lines_of_a_big_file(tmp_path):
    log = tmp_path / "x.log"
    log.write_text("".join(f"line {i}\n" for i in range(100_000)))
    assert logfiles.tail(log, 3, chunk=1024) == ["line 99997", "line 99998", "line 99999"]
    assert logfiles.tail(tmp_path / "missing.log") == []


# -- units, argv, environment ----------------------------------------------------------------

def test_argv_substitution_and_environment():
    spec = UnitSpec("large-models/model1", "large-models/model1", (8200,),
                    ("{python}", "-m", "x", "--model", "{model}", "--host", "{host}", "--port", "{port}", "; rm -rf {port}"),
                    "127.0.0.1", model="model1", env=MappingProxyType({"URL": "http://{host}:{port}"}))
    assert argv_for(spec, 8201) == [sys.executable, "-m", "x", "--model", "model1", "--host", "127.0.0.1",
                                    "--port", "8201", "; rm -rf 8201"]
    env = child_env(spec, 8201, base={"LLAMA_ARG_HOST": "0.0.0.0", "LLAMA_ARG_PORT": "1", "KEEP": "1"})
    assert env["PORT"] == "8201" and env["URL"] == "http://127.0.0.1:8201" and env["KEEP"] == "1"
    assert "LLAMA_ARG_HOST" not in env and "LLAMA_ARG_PORT" not in env


def test_title_is_the_description_before_the_parenthesis():
    assert title_of("Model Router (web UI at /, API at /api)", "router") == "Model Router"
    assert title_of("", "router") == "router"


@pytest.mark.parametrize("text", ["OSError: [Errno 98] Address already in use", "[Errno 48] Address already in use",
                                  "OSError: [WinError 10048] Only one usage of each socket address",
                                  "couldn't bind HTTP server socket, hostname: 127.0.0.1, port: 8080"])
def test_address_in_use_messages_are_recognised(text):
    assert ADDRESS_IN_USE.search(text)


def test_event_kinds_are_checked():
    with pytest.raises(ValueError):
        SupervisorEvent("exploded", "router", None)


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges on Windows")
def test_a_link_at_a_log_path_is_never_followed(tmp_path):
    paths = Paths(tmp_path / "c", tmp_path / "s", tmp_path / "logs")
    log = logfiles.log_path(paths, "router")
    log.parent.mkdir(parents=True)
    precious = tmp_path / "precious.txt"
    precious.write_bytes(b"P" * 100)
    log.symlink_to(precious)
    assert logfiles.copytruncate_if_large(log, max_bytes=10) is False     # never truncates the target
    with logfiles.open_for_child(log, "=== start") as fh:
        fh.write(b"service output\n")
    assert precious.read_bytes() == b"P" * 100
    assert not log.is_symlink() and log.read_bytes() == b"=== start\nservice output\n"
