"""Processes behind ports: identity, description, protection rules and the safe kill.

The kill is two steps so a confirmation can sit between them (a CLI prompt, a GUI dialog):

1. ``plan_kill(port, scanner)`` -> ``KillPlan``: who listens on exactly that port, split into
   ``targets`` (may be stopped) and ``refused`` (a ``Refusal`` each: its ``Reason`` and the
   facts a sentence needs; ``portmanager_gui.text.kill`` words it).
2. ``kill(plan, timeout, force)`` -> ``KillResult``: re-scans the port, re-checks each
   target's identity (pid + exact start, ``kill.identity``) right before signalling, refuses a reused pid,
   takes along the target's child processes that hold the same port, sends SIGTERM
   (SIGKILL with ``force``; on Windows a program with a main window gets WM_CLOSE instead,
   as Microsoft advises), waits ``timeout`` seconds, kills what is left, and reports who
   still holds the port.

Never signalled: PID 0/1/4 (and each OS's own, see ``platform.occupancy``), container
runtimes' forwarders (Docker Desktop's backend, vpnkit, WSL's wslrelay, docker-proxy: the
container is what to stop), Port Manager itself and its ancestors, other users' processes,
owners we cannot identify.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import psutil

from ..occupancy.process_info import try_ as _try
from ..occupancy.snapshot import Holder, PortStatus
from ..platform import current_os, window_close
from ..platform import occupancy as pocc
from ..platform.process_tree import wait_ended
from . import identity
from .refusal import Reason, Refusal

if TYPE_CHECKING:
    from ..occupancy.scan import OccupancyScanner

KILL_GRACE = 2.0    # seconds to wait for the kernel to reap after SIGKILL


# -- protection rules ---------------------------------------------------------------------

@dataclass(frozen=True)
class Me:
    """Who is asking: our pid, our ancestors' pids, our user name."""

    pid: int
    ancestors: frozenset[int]
    username: str

    @classmethod
    def current(cls) -> "Me":
        proc = psutil.Process()
        ancestors = frozenset(p.pid for p in _try(proc.parents, []))
        return cls(proc.pid, ancestors, _try(proc.username, ""))


def refusal(holder: Holder, port: int, os_name: str | None = None, me: Me | None = None) -> Refusal | None:
    """Why ``holder`` must not be killed, or None when it may be."""
    os_name = os_name or current_os()
    me = me or Me.current()
    if holder.pid in pocc.protected_pids(os_name):
        return Refusal(holder, Reason.PROTECTED, port, note=pocc.holder_note(os_name, holder.pid, port))
    fw = pocc.forwarder(os_name, holder.name)
    if fw is not None:
        return Refusal(holder, Reason.FORWARDER, port, forwarder=fw)
    if holder.pid == me.pid:
        return Refusal(holder, Reason.SELF, port)
    if holder.pid in me.ancestors:
        return Refusal(holder, Reason.SELF, port, ancestor=True)
    if holder.create_time is None or not holder.username:
        return Refusal(holder, Reason.UNKNOWN_OWNER, port)
    if not pocc.same_user(os_name, holder.username, me.username):
        return Refusal(holder, Reason.OTHER_USER, port)
    return None


# -- step 1: the plan ----------------------------------------------------------------------

@dataclass(frozen=True)
class KillPlan:
    """Who would be killed for ``port`` and who is refused (for a confirmation dialog)."""

    port: int
    status: PortStatus
    targets: tuple[Holder, ...] = ()
    refused: tuple[Refusal, ...] = ()
    note: str = ""

    @property
    def free(self) -> bool:
        return self.status is PortStatus.FREE

    @property
    def can_kill(self) -> bool:
        """True when every holder may be killed, so killing them frees the port."""
        return bool(self.targets) and not self.refused

    def verdicts(self) -> tuple[tuple[Holder | None, Refusal | None], ...]:
        """Each holder with None (can kill) or its refusal, in one list for a dialog."""
        return tuple((h, None) for h in self.targets) + tuple((r.holder, r) for r in self.refused)


def _own_scanner() -> "OccupancyScanner":
    from ..occupancy.scan import OccupancyScanner
    return OccupancyScanner()


def plan_kill(port: int, scanner: "OccupancyScanner | None" = None, *,
              os_name: str | None = None, me: Me | None = None) -> KillPlan:
    """Step 1: the holders LISTENING on exactly ``port`` (TCP listen / UDP bound), judged."""
    scanner = scanner or _own_scanner()
    os_name = os_name or scanner.os_name
    me = me or Me.current()
    info = scanner.scan([port]).info(port)
    targets: list[Holder] = []
    refused: list[Refusal] = []
    for holder in info.holders:
        why = refusal(holder, port, os_name, me)
        if why is None:
            targets.append(holder)
        else:
            refused.append(why)
    if info.status is PortStatus.RESERVED:
        refused.append(Refusal(None, Reason.RESERVED, port, note=info.note))
    elif info.note:
        # Hidden owners: killing the visible ones (if any) would not free the port.
        refused.append(Refusal(None, Reason.UNKNOWN_OWNER, port, note=info.note))
    return KillPlan(port, info.status, tuple(targets), tuple(refused), info.note)


# -- step 2: the kill ----------------------------------------------------------------------

@dataclass(frozen=True)
class KillResult:
    """What a kill did: killed, refused, already gone."""

    port: int
    killed: tuple[Holder, ...] = ()
    refused: tuple[Refusal, ...] = ()
    gone: tuple[Holder, ...] = ()             # had exited before we signalled it
    still_holding: tuple[Holder, ...] = ()
    status: PortStatus = PortStatus.FREE
    note: str = ""
    forced: tuple[Holder, ...] = field(default=())   # needed SIGKILL after the timeout

    @property
    def port_free(self) -> bool:
        return self.status is PortStatus.FREE


def kill(plan_or_holders: KillPlan | Iterable[Holder], timeout: float = 5.0, force: bool = False, *,
         port: int | None = None, scanner: "OccupancyScanner | None" = None,
         os_name: str | None = None, me: Me | None = None,
         ask_close: Callable[[list[int]], set[int]] | None = None) -> KillResult:
    """Step 2: stop the planned holders safely (see the module docstring).

    ``ask_close(pids)`` asks windowed programs to close (Windows: WM_CLOSE to their main
    windows, ``platform.window_close``) and returns the pids it asked; those are not
    terminated at once but given ``timeout`` like a SIGTERM'd process."""
    refused: list[Refusal] = []
    if isinstance(plan_or_holders, KillPlan):
        port, wanted = plan_or_holders.port, plan_or_holders.targets
        refused.extend(plan_or_holders.refused)
    else:
        wanted = tuple(plan_or_holders)
        if port is None:
            raise ValueError("kill(holders) needs the port they hold: kill(holders, port=...)")
    scanner = scanner or _own_scanner()
    os_name = os_name or scanner.os_name
    me = me or Me.current()
    live = {h.pid: h for h in scanner.scan([port]).info(port).holders}

    gone: list[Holder] = []
    procs: dict[int, tuple[psutil.Process, Holder]] = {}
    for holder in wanted:
        why = refusal(holder, port, os_name, me)
        if why is None:
            why, proc = _verify(holder, port, live)
            if proc is None and why is None:
                gone.append(holder)
                continue
        if why is not None:
            refused.append(why)
            continue
        procs[holder.pid] = (proc, holder)
        for child, child_holder in _port_children(proc, live):
            if child.pid not in procs and refusal(child_holder, port, os_name, me) is None:
                procs[child.pid] = (child, child_holder)

    if ask_close is None:
        ask_close = lambda pids: window_close.request_close(pids, os_name)  # noqa: E731
    killed, forced = _signal_and_wait([p for p, _ in procs.values()], timeout, force, ask_close)
    after = scanner.scan([port]).info(port)
    by_pid = {pid: h for pid, (_, h) in procs.items()}
    return KillResult(port, tuple(by_pid[p] for p in killed), tuple(refused), tuple(gone),
                      after.holders, after.status, after.note, tuple(by_pid[p] for p in forced))


def _verify(holder: Holder, port: int, live: dict[int, Holder]) -> tuple[Refusal | None, psutil.Process | None]:
    """The identity re-check right before signalling."""
    match = identity.check(identity.Identity(holder.pid, holder.create_time, holder.start_ticks))
    if match is identity.Match.GONE:
        return None, None
    if match is identity.Match.UNREADABLE:
        return Refusal(holder, Reason.UNKNOWN_OWNER, port, unchecked=True), None
    try:
        proc = psutil.Process(holder.pid)
    except psutil.NoSuchProcess:
        return None, None
    if match is identity.Match.REUSED:
        return Refusal(holder, Reason.PID_REUSED, port, now_name=_try(proc.name, "?")), None
    now = live.get(holder.pid)
    if now is None or now.create_time != holder.create_time:
        return Refusal(holder, Reason.NOT_HOLDING, port), None
    return None, proc


def _port_children(proc: psutil.Process, live: dict[int, Holder]) -> list[tuple[psutil.Process, Holder]]:
    """Descendants of ``proc`` that hold the same port (a forked worker keeps the socket)."""
    out = []
    for child in _try(lambda: proc.children(recursive=True), []):
        holder = live.get(child.pid)
        if holder is not None and _try(child.create_time, None) == holder.create_time:
            out.append((child, holder))
    return out


def _signal_and_wait(procs: list[psutil.Process], timeout: float, force: bool,
                     ask_close: Callable[[list[int]], set[int]] = lambda _pids: set()) -> tuple[list[int], list[int]]:
    """Ask (WM_CLOSE to a windowed program on Windows, else SIGTERM; SIGKILL with ``force``),
    wait, SIGKILL the rest. Returns (ended, forced) pids."""
    signalled: list[psutil.Process] = []
    asked = set() if force else ask_close([p.pid for p in procs])
    for proc in procs:
        if proc.pid in asked:
            signalled.append(proc)      # its windows were asked to close: wait for it like a SIGTERM
            continue
        try:
            # psutil refuses (NoSuchProcess) if the pid was reused since ``proc`` was made.
            if force:
                proc.kill()
            else:
                proc.terminate()
            signalled.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    alive = wait_ended(signalled, timeout)
    forced = []
    for proc in alive:
        try:
            proc.kill()
            forced.append(proc.pid)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    still = {p.pid for p in wait_ended(alive, KILL_GRACE)}
    return [p.pid for p in signalled if p.pid not in still], forced


