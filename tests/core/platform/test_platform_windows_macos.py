"""Windows and macOS branches checked on any machine: OS facts, fake command output and
fake ctypes objects are injected, and a child Python without the POSIX-only stdlib parts
imports the modules a Windows user's app imports."""
from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from portmanager_gui.core.platform import WINDOWS, commands
from portmanager_gui.core.platform import facts as pf
from portmanager_gui.core.platform import process_tree as pt
from portmanager_gui.core.ports.probe import Availability, probe

# What Windows' Python lacks that POSIX code likes to use (os module docs: "Availability: Unix").
_AS_ON_WINDOWS = r"""
import os, signal, sys
# Third-party and stdlib modules first: on Linux they need these parts themselves.
import psutil, platformdirs, ruamel.yaml, subprocess, shutil, tempfile, pathlib, selectors, socket
for name in ("getpgid", "getpgrp", "killpg", "setsid", "getuid", "geteuid", "getgid", "fork", "setpgid"):
    if hasattr(os, name):
        delattr(os, name)
for name in ("SIGKILL", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGCHLD", "SIGPIPE", "SIGALRM"):
    if hasattr(signal, name):
        delattr(signal, name)
for name in ("fcntl", "pwd", "grp", "resource", "termios"):
    sys.modules[name] = None   # "import fcntl" now raises ImportError, as on Windows
import importlib
for module in sys.argv[1:]:
    importlib.import_module(module)
print("imported", len(sys.argv) - 1)
"""

# The modules the desktop app and the CLI import on every OS (not occupancy_linux).
_PORTABLE_MODULES = (
    "portmanager_gui.core.platform.process_tree", "portmanager_gui.core.platform.file_lock",
    "portmanager_gui.core.platform.autostart", "portmanager_gui.core.platform.search_path",
    "portmanager_gui.core.platform.facts", "portmanager_gui.core.platform.sockets",
    "portmanager_gui.core.platform.occupancy", "portmanager_gui.core.supervisor.launch",
    "portmanager_gui.core.supervisor.stopper", "portmanager_gui.core.kill.policy", "portmanager_gui.core.occupancy.scan",
    "portmanager_gui.core.occupancy.psutil_backends", "portmanager_gui.core.ports.probe", "portmanager_gui.core.supervisor.supervisor",
    "portmanager_gui.entry", "portmanager_gui.cli",
)


def test_the_portable_modules_import_without_posix_only_stdlib_parts():
    # process_tree once had ``getpgid=os.getpgid`` as a default value: AttributeError on import on Windows.
    done = subprocess.run([sys.executable, "-c", _AS_ON_WINDOWS, *_PORTABLE_MODULES],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"imported {len(_PORTABLE_MODULES)}"


def test_group_members_still_defaults_to_the_real_getpgid():
    import os

    me = os.getpid()
    assert me in pt.group_members(os.getpgid(me), pids=lambda: [me])


# -- the Windows bind probe --------------------------------------------------------------

WSAEACCES, WSAEADDRINUSE = 10013, 10048


def _winsock(holder: tuple[str, str] | None, excluded: bool = False):
    """A socket class answering bind() as Winsock does for a probe with SO_EXCLUSIVEADDRUSE
    ("Using SO_REUSEADDR and SO_EXCLUSIVEADDRUSE", second bind = SO_EXCLUSIVEADDRUSE):
    a wildcard bind is INUSE against every holder; a specific bind is DENIED (WSAEACCES) when
    the holder has the wildcard with SO_EXCLUSIVEADDRUSE, INUSE on the same address, and
    succeeds (same user's CHECK) against a plain wildcard holder. ``holder``: (address,
    "exclusive" | "default")."""
    class FakeSocket:
        options: list[int] = []

        def __init__(self, family, kind):
            self.family = family

        def setsockopt(self, level, name, value):
            FakeSocket.options.append(name)

        def bind(self, addr):
            host = addr[0]
            if excluded:
                raise OSError(WSAEACCES, "An attempt was made to access a socket in a way forbidden")
            if holder is None or (":" in host) != (":" in holder[0]):
                return
            if host in ("0.0.0.0", "::") or host == holder[0]:
                raise OSError(WSAEADDRINUSE, "Only one usage of each socket address is normally permitted")
            if holder[0] in ("0.0.0.0", "::") and holder[1] == "exclusive":
                raise OSError(WSAEACCES, "An attempt was made to access a socket in a way forbidden")

        def close(self):
            pass

    return FakeSocket


@pytest.mark.parametrize("holder, expected", [
    (("0.0.0.0", "exclusive"), Availability.IN_USE),   # was "reserved": 127.0.0.1 was probed first
    (("::", "exclusive"), Availability.IN_USE),
    (("0.0.0.0", "default"), Availability.IN_USE),
    (("127.0.0.1", "default"), Availability.IN_USE),
    (("::1", "exclusive"), Availability.IN_USE),
    (None, Availability.FREE),
])
def test_windows_probe_tells_an_exclusive_holder_from_a_reserved_port(monkeypatch, holder, expected):
    fake = _winsock(holder)
    fake.options = []
    monkeypatch.setattr(socket, "SO_EXCLUSIVEADDRUSE", -5, raising=False)   # ~SO_REUSEADDR in winsock2.h
    monkeypatch.setattr(socket, "socket", fake)
    assert probe(5000, os_name=WINDOWS) is expected
    assert socket.SO_REUSEADDR not in fake.options and -5 in fake.options


def test_windows_probe_calls_an_excluded_range_reserved(monkeypatch):
    monkeypatch.setattr(socket, "SO_EXCLUSIVEADDRUSE", -5, raising=False)
    monkeypatch.setattr(socket, "socket", _winsock(None, excluded=True))
    assert probe(50000, os_name=WINDOWS) is Availability.RESERVED


# -- Windows facts from netsh -------------------------------------------------------------

NETSH_DYNAMIC_EN = ("\nProtocol tcp Dynamic Port Range\n---------------------------------\n"
                    "Start Port      : 10000\nNumber of Ports : 2000\n\n")
NETSH_DYNAMIC_DE = ("\nProtokoll tcp Dynamischer Portbereich\n---------------------------------\n"
                    "Startport       : 10000\nAnzahl der Ports: 2000\n\n")
NETSH_EXCLUDED = ("\nProtocol tcp Port Exclusion Ranges\n\nStart Port    End Port\n----------    --------\n"
                  "      5357        5357\n     50000       50059     *\n\n* - Administered port exclusions.\n\n")

NETSH_EXCLUDED_V6 = ("\nProtocol tcp Port Exclusion Ranges\n\nStart Port    End Port\n----------    --------\n"
                     "      2869        2869\n      5357        5357\n\n")


@pytest.fixture
def windows_netsh(monkeypatch):
    """current_facts() on "Windows", with netsh answered from ``outputs``; records each call."""
    calls: list[tuple[list[str], dict]] = []
    outputs = {"dynamicport": NETSH_DYNAMIC_EN, "excludedportrange": NETSH_EXCLUDED,
               "excludedportrange ipv6": NETSH_EXCLUDED_V6}

    def fake_run(argv, **kwargs):
        calls.append((argv, kwargs))
        key = argv[4] + (" ipv6" if argv[2] == "ipv6" else "")
        return subprocess.CompletedProcess(argv, 0, stdout=outputs[key], stderr="")

    monkeypatch.setattr(pf, "current_os", lambda: WINDOWS)
    monkeypatch.setattr(commands.subprocess, "run", fake_run)
    pf.current_facts.cache_clear()
    yield calls, outputs
    pf.current_facts.cache_clear()


def test_windows_facts_run_netsh_without_a_console_window(windows_netsh):
    calls, _ = windows_netsh
    facts = pf.current_facts()
    assert facts.ephemeral_range == (10000, 11999)
    # IPv4 and IPv6 exclusions (one range is reserved for IPv6 only), each range once
    assert facts.excluded_ranges == ((2869, 2869), (5357, 5357), (50000, 50059))
    assert [argv[0] for argv, _ in calls] == ["netsh", "netsh", "netsh"]
    assert [argv[2] for argv, _ in calls[1:]] == ["ipv4", "ipv6"]
    # The windowed app has no console: without CREATE_NO_WINDOW each netsh flashes one up.
    assert all(kw.get("creationflags") == 0x08000000 for _, kw in calls)
    assert all(kw.get("errors") == "replace" for _, kw in calls)


def test_windows_facts_are_read_again_after_a_while(windows_netsh, monkeypatch):
    # WSL or Docker Desktop starting reserves new ranges while the app runs
    calls, outputs = windows_netsh
    now = [1000.0]
    monkeypatch.setattr(pf.time, "monotonic", lambda: now[0])
    assert (50000, 50059) in pf.current_facts().excluded_ranges
    outputs["excludedportrange"] = NETSH_EXCLUDED.replace("50000       50059", "50100       50199")
    assert (50000, 50059) in pf.current_facts().excluded_ranges        # within the TTL: no netsh again
    now[0] += pf.FACTS_TTL_S
    assert (50100, 50199) in pf.current_facts().excluded_ranges


def test_windows_facts_read_a_translated_netsh(windows_netsh):
    _, outputs = windows_netsh
    outputs["dynamicport"] = NETSH_DYNAMIC_DE
    assert pf.current_facts().ephemeral_range == (10000, 11999)


def test_netsh_parsers_refuse_what_they_cannot_read():
    assert pf.parse_netsh_dynamic("") is None
    assert pf.parse_netsh_dynamic("Ok.\n") is None
    assert pf.parse_netsh_dynamic("a : 1\nb : 2\nc : 3\n") is None


def test_posix_facts_commands_get_no_windows_only_flags(monkeypatch):
    seen = []
    monkeypatch.setattr(commands.subprocess, "run",
                        lambda argv, **kw: seen.append(kw) or subprocess.CompletedProcess(argv, 0, "49152\n", ""))
    pf._run(["sysctl", "-n", "net.inet.ip.portrange.first"])   # creationflags raises ValueError on POSIX
    assert "creationflags" not in seen[0]


def test_command_output_in_another_code_page_does_not_raise():
    # netsh writes the OEM code page (0x81 is "ü" in cp850), text=True decodes with another one.
    script = "import sys; sys.stdout.buffer.write(b'Portausschl\\x81sse\\nStart Port : 7\\n')"
    out = pf._run([sys.executable, "-c", script])
    assert "Start Port : 7" in out


# -- macOS facts from sysctl --------------------------------------------------------------

def test_macos_facts(monkeypatch):
    answers = {"net.inet.ip.portrange.first": "49000\n", "net.inet.ip.portrange.last": "60000\n"}
    monkeypatch.setattr(pf, "current_os", lambda: "darwin")
    monkeypatch.setattr(commands.subprocess, "run",
                        lambda argv, **kw: subprocess.CompletedProcess(argv, 0, answers[argv[2]], ""))
    pf.current_facts.cache_clear()
    try:
        facts = pf.current_facts()
    finally:
        pf.current_facts.cache_clear()
    assert facts.ephemeral_range == (49000, 60000)
    assert facts.airplay_ports == (5000, 7000)
    # Mojave's change covers only wildcard binds: 127.0.0.1:80 is still refused without root.
    assert facts.unprivileged_start == 1024


@pytest.mark.parametrize("os_name,groups", [("linux", True), ("darwin", True), ("windows", False)])
def test_only_posix_gives_each_service_a_process_group_to_signal(os_name, groups):
    from portmanager_gui.core.platform.process_tree import has_process_groups
    assert has_process_groups(os_name) is groups
