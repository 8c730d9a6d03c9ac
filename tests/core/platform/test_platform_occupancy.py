"""OS decision logic for occupancy and kill, each OS tested here with its facts injected."""
from __future__ import annotations

import pytest

from portmanager_gui.core.kill.policy import Me, Reason, refusal
from portmanager_gui.core.occupancy.snapshot import Holder
from portmanager_gui.core.platform import LINUX, MACOS, WINDOWS
from portmanager_gui.core.platform import occupancy as po
from portmanager_gui.text.kill import refusal_text


def names(chain):
    return [(s.backend, s.complete) for s in chain]


def test_backend_chain_per_os():
    assert names(po.backend_chain(LINUX)) == [("linux", True), ("psutil", True)]
    # without root psutil fails once; netstat -anv names every owner (one process per scan);
    # lsof, two processes per scan that see no more than per-process, is not forked on its own
    assert names(po.backend_chain(MACOS)) == [("psutil", True), ("netstat", True), ("per-process", False)]
    assert names(po.backend_chain(MACOS, has_lsof=False)) == names(po.backend_chain(MACOS))
    assert names(po.backend_chain(WINDOWS)) == [("psutil", True)]


def test_an_explicit_backend_is_used_alone():
    assert names(po.backend_chain(LINUX, "psutil")) == [("psutil", True)]
    assert names(po.backend_chain(MACOS, "lsof")) == [("lsof", False)]
    with pytest.raises(ValueError):
        po.backend_chain(LINUX, "ss")


@pytest.mark.parametrize("os_name", [LINUX, MACOS, WINDOWS])
def test_pids_0_1_4_are_protected_everywhere(os_name):
    assert {0, 1, 4} <= po.protected_pids(os_name)
    assert 1234 not in po.protected_pids(os_name)


def test_kthreadd_is_protected_on_linux_only():
    assert 2 in po.protected_pids(LINUX) and 2 not in po.protected_pids(WINDOWS)


def test_windows_pid_4_is_explained_as_http_sys():
    note = po.holder_note(WINDOWS, 4)
    assert "HTTP.sys" in note and "netsh http show urlacl" in note and "cannot be killed" in note
    assert po.holder_note(LINUX, 4) == "" and po.holder_note(WINDOWS, 5) == ""


def test_hidden_and_busy_notes_say_what_to_do():
    assert "sudo" in po.hidden_note(MACOS) and "administrator" in po.hidden_note(WINDOWS)
    assert "owned by redis" in po.hidden_note(LINUX, "redis")
    assert "does not listen" in po.busy_note(LINUX, saw_everything=True)
    assert "cannot see" in po.busy_note(MACOS, saw_everything=False)
    assert "excludedportrange" in po.reserved_note(WINDOWS)


def test_same_user_rules():
    assert po.same_user(WINDOWS, "HOST\\Alice", "host\\alice")
    assert not po.same_user(LINUX, "Alice", "alice")
    assert not po.same_user(LINUX, "", "")


ME = Me(pid=500, ancestors=frozenset({400, 1}), username="alice")


def holder(pid, user="alice", create=10.0, name="srv"):
    return Holder(pid, name, username=user, create_time=create)


@pytest.mark.parametrize("os_name", [LINUX, MACOS, WINDOWS])
@pytest.mark.parametrize("pid", [0, 1, 4])
def test_refusal_of_system_pids(os_name, pid):
    why = refusal(holder(pid, user="alice"), 80, os_name, ME)
    assert why.reason is Reason.PROTECTED and why.port == 80 and "port 80" in refusal_text(why)


def test_refusal_of_pid_4_on_windows_names_netsh():
    why = refusal(holder(4, user="SYSTEM", name="System"), 80, WINDOWS, ME)
    assert "netsh http show urlacl" in why.note and "netsh http show urlacl" in refusal_text(why)


@pytest.mark.parametrize("pid,user,create,reason", [
    (500, "alice", 1.0, Reason.SELF),
    (400, "alice", 1.0, Reason.SELF),
    (600, "bob", 1.0, Reason.OTHER_USER),
    (601, "", 1.0, Reason.UNKNOWN_OWNER),
    (602, "alice", None, Reason.UNKNOWN_OWNER),
])
def test_refusal_rules(pid, user, create, reason):
    why = refusal(holder(pid, user, create), 3000, LINUX, ME)
    assert why is not None and why.reason is reason and "\n" not in refusal_text(why)


def test_an_own_process_may_be_killed():
    assert refusal(holder(700), 3000, LINUX, ME) is None
    assert refusal(holder(700, user="ALICE"), 3000, WINDOWS, ME) is None


# -- container runtimes' forwarders are never killed: the container is what to stop ----------

@pytest.mark.parametrize("os_name, name, says", [
    (MACOS, "com.docker.backend", "Docker Desktop's backend"),
    (WINDOWS, "com.docker.backend.exe", "Docker Desktop's backend"),
    (MACOS, "com.docker.vpnkit", "vpnkit"),
    (WINDOWS, "vpnkit.exe", "vpnkit"),
    (WINDOWS, "wslrelay.exe", "inside WSL"),
    (LINUX, "docker-proxy", "docker stop"),
])
def test_forwarders_of_our_own_user_are_refused_with_what_they_are(os_name, name, says):
    holder = Holder(7001, name, create_time=1.0, username="alice")
    why = refusal(holder, 8080, os_name, ME)
    assert why is not None and why.reason is Reason.FORWARDER
    assert says in why.forwarder.what + why.forwarder.instead
    assert says in refusal_text(why) and "port 8080" in refusal_text(why) and "pid 7001" in refusal_text(why)


def test_wslrelay_means_nothing_outside_windows():
    assert po.forwarder(LINUX, "wslrelay") is None
    assert refusal(Holder(7001, "wslrelay", create_time=1.0, username="alice"), 8080, LINUX, ME) is None


def test_an_ordinary_process_of_ours_is_no_forwarder():
    assert po.forwarder(MACOS, "node") is None
    assert refusal(Holder(7001, "node", create_time=1.0, username="alice"), 8080, MACOS, ME) is None


@pytest.mark.parametrize("os_name, user, exe, system", [
    (LINUX, "root", "/usr/bin/python3", True),
    (LINUX, "alice", "/usr/sbin/cupsd", True),
    (LINUX, "alice", "/home/alice/app", False),
    (MACOS, "_mdnsresponder", "", True),
    (MACOS, "alice", "/System/Library/CoreServices/ControlCenter.app/Contents/MacOS/ControlCenter", True),
    (MACOS, "alice", "/Applications/LM Studio.app/Contents/MacOS/LM Studio", False),
    (WINDOWS, "NT AUTHORITY\\SYSTEM", "", True),
    (WINDOWS, "PC\\alice", "C:\\Windows\\System32\\svchost.exe", True),
    (WINDOWS, "PC\\alice", "C:\\Users\\alice\\ollama.exe", False),
])
def test_system_processes_by_account_or_install_place(os_name, user, exe, system):
    assert (po.system_account(os_name, user) or po.system_path(os_name, exe)) is system


@pytest.mark.parametrize("port", [445, 139])
def test_pid_4_on_the_smb_ports_is_file_sharing_not_http_sys(port):
    note = po.holder_note(WINDOWS, 4, port)
    assert "SMB" in note and str(port) in note and "HTTP.sys" not in note and "cannot be killed" in note
    assert "HTTP.sys" in po.holder_note(WINDOWS, 4, 80)
    why = refusal(holder(4, user="SYSTEM", name="System"), port, WINDOWS, ME)
    assert "SMB" in why.note and "SMB" in refusal_text(why)


def test_command_lines_are_quoted_as_each_os_reads_them():
    from portmanager_gui.core.platform.commands import command_line_text

    argv = [r"C:\Program Files\llama\llama-server.exe", "-m", r"C:\models\my model.gguf", 'say "hi"', ""]
    assert command_line_text(argv, WINDOWS) == \
        r'"C:\Program Files\llama\llama-server.exe" -m "C:\models\my model.gguf" "say \"hi\"" ""'
    assert command_line_text(["/usr/bin/llama-server", "-m", "/m/my model.gguf"], LINUX) == \
        "/usr/bin/llama-server -m '/m/my model.gguf'"


def test_root_is_never_told_to_run_with_sudo():
    for os_name in (LINUX, MACOS):
        note = po.hidden_note(os_name, "redis", elevated=True)
        assert "sudo" not in note and "owned by redis" in note and "container" in note
        assert "sudo" not in po.busy_note(os_name, saw_everything=False, elevated=True)
    assert "administrator" not in po.hidden_note(WINDOWS, elevated=True).split(";")[1]


def test_a_kill_asks_windows_to_close_on_windows_and_sends_sigterm_elsewhere():
    from portmanager_gui.core.platform.occupancy import FirstAsk, kill_first_asks

    assert kill_first_asks("windows") is FirstAsk.CLOSE_WINDOWS       # no SIGTERM there
    assert kill_first_asks("linux") is kill_first_asks("macos") is FirstAsk.TERMINATE
