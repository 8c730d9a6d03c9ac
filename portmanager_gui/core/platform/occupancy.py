"""OS decisions for occupancy and kill: which backend, which fallback, which pids are off limits.

Pure functions of ``os_name`` and injected facts, so every branch is tested on any machine.

- Linux: the netlink ``sock_diag`` fast path (what ``ss`` uses) sees every socket of the
  network namespace, with uid and inode; psutil is the portable fallback.
- macOS: ``psutil.net_connections()`` raises AccessDenied unless run as root (it walks
  every process). ``netstat -anv`` lists every socket with its owner's pid without root
  (one process per scan, TCP and UDP; see ``occupancy.netstat_macos``), so it is complete.
  Only where it cannot name owners (no pid column) do we fall back to asking each process
  we own (``Process.net_connections``). ``lsof`` sees no more than that without root and
  costs two processes per scan: it is only used when asked for. A port the bind probe
  finds taken with no visible owner is "held by a process you cannot see", never "free".
- Windows: the TCP table carries every pid without admin rights. PID 4 ("System") is the
  kernel: a port there belongs to the HTTP.sys driver on behalf of whatever registered a
  URL (IIS, WinRM, SSRS, a .NET HttpListener...). It cannot be killed; ``netsh http show
  urlacl`` / ``netsh http show servicestate`` name the registrant.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from . import LINUX, MACOS, WINDOWS

LINUX_FAST, PSUTIL, PER_PROCESS, LSOF, NETSTAT = "linux", "psutil", "per-process", "lsof", "netstat"
BACKENDS = (LINUX_FAST, PSUTIL, NETSTAT, PER_PROCESS, LSOF)
COMPLETE = (LINUX_FAST, PSUTIL, NETSTAT)

# Never signalled on any OS: 0 (swapper / kernel_task / System Idle), 1 (init, launchd),
# 4 (Windows "System"). Each OS adds its own.
ALWAYS_PROTECTED = frozenset({0, 1, 4})
_PROTECTED = {LINUX: frozenset({2}),          # kthreadd, parent of every kernel thread
              MACOS: frozenset(), WINDOWS: frozenset()}

WINDOWS_SYSTEM_PID = 4
HTTP_SYS_NOTE = ("PID 4 is Windows itself (\"System\"): the HTTP.sys kernel driver listens here for "
                 "a program that registered this URL; it cannot be killed. Find the program with "
                 "`netsh http show urlacl` and `netsh http show servicestate`, and stop that instead")


@dataclass(frozen=True)
class Step:
    """One backend in a fallback chain. ``complete``: its answer covers every process."""

    backend: str
    complete: bool


def backend_chain(os_name: str, requested: str = "auto", has_lsof: bool = True) -> tuple[Step, ...]:
    """The backends to try in order; the first *complete* one that answers ends the chain.

    Partial steps (per-process, lsof) add what they can see to each other's answers.
    ``has_lsof`` is kept for callers; lsof is no longer part of the automatic chain.
    """
    if requested != "auto":
        if requested not in BACKENDS:
            raise ValueError(f"unknown occupancy backend {requested!r}; use one of: auto, {', '.join(BACKENDS)}")
        return (Step(requested, requested in COMPLETE),)
    if os_name == LINUX:
        return (Step(LINUX_FAST, True), Step(PSUTIL, True))
    if os_name == MACOS:
        return (Step(PSUTIL, True), Step(NETSTAT, True), Step(PER_PROCESS, False))
    return (Step(PSUTIL, True),)


def protected_pids(os_name: str) -> frozenset[int]:
    return ALWAYS_PROTECTED | _PROTECTED.get(os_name, frozenset())


SMB_PORTS = (445, 139)
SMB_NOTE = ("PID 4 is Windows itself (\"System\"): port {port} is file and printer sharing (SMB), "
            "served by the kernel; it cannot be killed. Use another port, or turn off the Server "
            "service / file sharing if this machine does not share folders")


def holder_note(os_name: str, pid: int, port: int | None = None) -> str:
    """What to tell the user about a holder beyond its name (empty for ordinary processes)."""
    if os_name == WINDOWS and pid == WINDOWS_SYSTEM_PID:
        return SMB_NOTE.format(port=port) if port in SMB_PORTS else HTTP_SYS_NOTE
    return ""


def hidden_note(os_name: str, owner: str = "", elevated: bool = False) -> str:
    """Why a taken port shows no process, and what to do to see it.

    ``elevated`` (running as root / administrator): advice to use sudo would be no help; the
    holder is then in another network namespace (a container) or the kernel itself.
    """
    who = f" (owned by {owner})" if owner else ""
    if elevated:
        return (f"held by a process that even an administrator cannot see from here{who}; "
                "it may run in a container or another network namespace")
    how = "run as administrator" if os_name == WINDOWS else "run with sudo"
    return f"held by a process you cannot see{who}; {how} to see it"


def busy_note(os_name: str, saw_everything: bool, elevated: bool = False) -> str:
    """The bind probe says "in use" but no backend showed a listening socket.

    With a complete view (Linux netlink, psutil's full table) that is a socket that does not
    listen -- the local end of a connection, or bound without ``listen()``; with a partial
    view (macOS without root) it is most likely a process we may not see.
    """
    if saw_everything:
        return "in use by a socket that does not listen (a connection's local end, or bound only)"
    return hidden_note(os_name, elevated=elevated)


def reserved_note(os_name: str) -> str:
    if os_name == WINDOWS:
        return ("reserved by Windows (an excluded port range: see "
                "`netsh int ipv4 show excludedportrange protocol=tcp`)")
    return "the OS refuses to bind it (a privileged or reserved port)"


class FirstAsk(Enum):
    """How a kill asks a holder to stop before it ends it, after the grace period."""

    CLOSE_WINDOWS = "close_windows"     # WM_CLOSE to its top-level windows; one without a window ends at once
    TERMINATE = "terminate"             # SIGTERM


def kill_first_asks(os_name: str) -> FirstAsk:
    """Windows has no SIGTERM: a program's windows are asked to close (``window_close``)."""
    return FirstAsk.CLOSE_WINDOWS if os_name == WINDOWS else FirstAsk.TERMINATE


def same_user(os_name: str, holder_user: str, my_user: str) -> bool:
    """Whether a holder runs as us. Windows names (DOMAIN\\user) are case-insensitive."""
    if not holder_user or not my_user:
        return False
    if os_name == WINDOWS:
        return holder_user.casefold() == my_user.casefold()
    return holder_user == my_user


# -- system processes (the All ports view hides them by default) ------------------------------

_SYSTEM_ACCOUNTS = {
    LINUX: frozenset({"root", "daemon", "nobody", "systemd-resolve", "systemd-network", "systemd-timesync",
                      "avahi", "messagebus", "dnsmasq", "_chrony", "chrony", "ntp", "sshd", "lp", "cups"}),
    MACOS: frozenset({"root", "nobody", "daemon"}),
    WINDOWS: frozenset({"system", "local service", "network service", "nt authority\\system",
                        "nt authority\\local service", "nt authority\\network service"}),
}
_SYSTEM_DIRS = {
    LINUX: ("/sbin/", "/usr/sbin/", "/usr/lib/systemd/", "/lib/systemd/", "/usr/libexec/"),
    MACOS: ("/System/", "/usr/sbin/", "/usr/libexec/", "/sbin/"),
    WINDOWS: ("c:\\windows\\",),
}


def system_account(os_name: str, user: str) -> bool:
    """A user name the OS runs its own services as (root, SYSTEM, _mdnsresponder...)."""
    if not user:
        return False
    if os_name == WINDOWS:
        return user.casefold() in _SYSTEM_ACCOUNTS[WINDOWS]
    # macOS daemons run as "_name" accounts.
    return user in _SYSTEM_ACCOUNTS.get(os_name, frozenset()) or (os_name == MACOS and user.startswith("_"))


def system_path(os_name: str, exe: str) -> bool:
    """An executable installed with the OS itself."""
    if not exe:
        return False
    path = exe.casefold() if os_name == WINDOWS else exe
    return path.startswith(_SYSTEM_DIRS.get(os_name, ()))


# -- container runtimes' forwarders: never signalled, the container is what to stop -----------

@dataclass(frozen=True)
class Forwarder:
    """A container runtime's port forwarder: what it is and what to do instead of killing it."""

    what: str          # what the process is, in words
    instead: str       # what to do instead of killing it


_FORWARDERS = {
    "com.docker.backend": Forwarder("Docker Desktop's backend, which forwards the ports of your containers",
                                    "stop the container that publishes this port (docker stop NAME, or the "
                                    "Containers view of Docker Desktop); killing the backend breaks Docker Desktop"),
    "com.docker.vpnkit": Forwarder("Docker Desktop's network forwarder (vpnkit)",
                                   "stop the container that publishes this port (docker stop NAME); killing "
                                   "vpnkit cuts every container off the network"),
    "vpnkit": Forwarder("Docker Desktop's network forwarder (vpnkit)",
                        "stop the container that publishes this port (docker stop NAME); killing vpnkit "
                        "cuts every container off the network"),
    "vpnkit-bridge": Forwarder("Docker Desktop's network forwarder (vpnkit-bridge)",
                               "stop the container that publishes this port (docker stop NAME)"),
    "wslrelay": Forwarder("WSL's relay, which forwards this port from a program running inside WSL",
                          "stop that program inside WSL (find it there with `ss -ltnp`), or run "
                          "`wsl --shutdown` to end every WSL program"),
    "docker-proxy": Forwarder("Docker's port forwarder for a container",
                              "stop the container that publishes this port (docker stop NAME)"),
    "rootlessport": Forwarder("rootless Podman's port forwarder for a container",
                              "stop the container that publishes this port (podman stop NAME)"),
    "rootlessport-child": Forwarder("rootless Podman's port forwarder for a container",
                                    "stop the container that publishes this port (podman stop NAME)"),
    "conmon": Forwarder("Podman's container monitor, which holds this port for its container",
                        "stop the container that publishes this port (podman stop NAME); killing conmon "
                        "leaves the container unmanaged"),
    "gvproxy": Forwarder("the Podman machine's network forwarder (gvproxy)",
                         "stop the container that publishes this port (podman stop NAME); killing gvproxy "
                         "cuts every container of the Podman machine off the network"),
    "rootlesskit": Forwarder("rootless Docker's port forwarder (rootlesskit)",
                             "stop the container that publishes this port (docker stop NAME); killing "
                             "rootlesskit stops rootless Docker"),
}


def forwarder(os_name: str, process_name: str) -> Forwarder | None:
    """The container runtime's forwarder ``process_name`` is on ``os_name``, or None.

    Docker Desktop's processes exist on macOS and Windows (and Docker Desktop for Linux);
    ``wslrelay`` only on Windows; ``docker-proxy``/``rootlessport`` wherever the engine runs.
    """
    name = process_name.lower()
    name = name[:-4] if name.endswith(".exe") else name
    if name == "wslrelay" and os_name != WINDOWS:
        return None
    return _FORWARDERS.get(name)
