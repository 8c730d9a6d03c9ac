"""Every listener of the machine grouped by process, and what changed between two scans.

The All ports view is a tree: one ``ProcessGroup`` per process (name, pid, user, command
line, label, its ports and addresses, containers, registry services), its listeners below
it. A scan of a loaded machine has thousands of listeners and a refresh usually changes a
few, so the view is never rebuilt: ``ListenerFeed`` (run on the scanner's worker thread)
hands the GUI a ``GroupsUpdate`` -- the new groups plus the few row operations (``Op``)
that turn the previous view into the new one, computed here, off the GUI thread -- sorted
and filtered here too (``ViewSpec``): the GUI thread never compares or tests 5,000 rows.
Each update names the version it applies to; a view holding another version resets.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from enum import Enum

from ..ports.selection import ModelSlot
from ..registry.model import Registry
from .listeners import HeldBy, Listener, listeners, registry_ports
from .recognition import Kind
from .snapshot import Holder, Snapshot
from .tree_diff import Op, diff

UNSEEN_KEY = (-1, 0.0)           # the group of listeners whose owner cannot be seen
PORTS_SHOWN = 6                  # ports listed on a process's row before "+N more"


@dataclass(frozen=True, slots=True)
class ProcessGroup(HeldBy):
    """One process and its listeners (sorted by port, then protocol)."""

    key: tuple[int, float]         # (pid, start time); UNSEEN_KEY for owners we cannot see
    holder: Holder | None
    label: str
    kind: Kind | None
    system: bool
    listeners: tuple[Listener, ...]
    ports_text: str                # "3000, 3001 +4 more"
    protocols: str                 # "tcp, udp"
    addresses: str                 # every local address of its listeners
    containers: str
    services: str
    search: str                    # lower-case text the search box matches

    def header(self) -> tuple:
        """What its own row shows (its listeners are rows of their own)."""
        return (self.holder, self.label, self.system, self.ports_text, self.protocols, self.addresses,
                self.containers, self.services)


def child_key(listener: Listener) -> tuple[int, str]:
    return (listener.port, listener.protocol.value)


def listener_search(listener: Listener) -> str:
    return " ".join((str(listener.port), listener.protocol.value, *listener.addresses, listener.container,
                     listener.service, listener.note)).lower()


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


def _group(key: tuple[int, float], rows: list[Listener]) -> ProcessGroup:
    rows.sort(key=child_key)
    first = rows[0]
    ports = list(dict.fromkeys(r.port for r in rows))
    more = len(ports) - PORTS_SHOWN
    ports_text = ", ".join(map(str, ports[:PORTS_SHOWN])) + (f" +{more} more" if more > 0 else "")
    holder = first.holder
    addresses = ", ".join(sorted({a for r in rows for a in r.addresses}))
    containers = ", ".join(_unique(r.container for r in rows))
    services = ", ".join(_unique(r.service for r in rows))
    cmd = " ".join(holder.cmdline) if holder else ""
    # Its ports are searched on its listeners' rows: a port found shows that port alone.
    search = " ".join((first.name, first.label, str(first.pid or ""), first.user, cmd)).lower()
    return ProcessGroup(key, holder, first.label, first.kind, first.system, tuple(rows), ports_text,
                        ", ".join(_unique(r.protocol.value for r in rows)), addresses, containers, services,
                        search)


def group_listeners(rows: Iterable[Listener], before: Sequence[ProcessGroup] = ()) -> tuple[ProcessGroup, ...]:
    """One group per process, sorted by key; a group of ``before`` with the very same
    listeners is kept as it was (the same object)."""
    by_key: dict[tuple[int, float], list[Listener]] = {}
    for r in rows:
        key = (r.holder.pid, r.holder.create_time or 0.0) if r.holder else UNSEEN_KEY
        by_key.setdefault(key, []).append(r)
    old = {g.key: g for g in before}
    out = []
    for key, members in sorted(by_key.items()):
        members.sort(key=child_key)
        kept = old.get(key)
        out.append(kept if kept is not None and kept.listeners == tuple(members) else _group(key, members))
    return tuple(out)


class Column(str, Enum):
    """What the view sorts by (the All ports table's columns)."""

    PROCESS = "process"
    WHAT = "what"
    PID = "pid"
    USER = "user"
    PORT = "port"
    PROTO = "proto"
    ADDRESSES = "addresses"
    CONTAINER = "container"
    SERVICE = "service"
    UPTIME = "uptime"
    COMMAND = "command"


@dataclass(frozen=True)
class ViewSpec:
    """What the view shows: sorted by ``column``, filtered by ``search`` (lower case) and
    by ``show_system``."""

    column: Column = Column.PROCESS
    descending: bool = False
    search: str = ""
    show_system: bool = False


def _group_sort(column: Column) -> Callable[[ProcessGroup], tuple]:
    texts: dict[Column, Callable[[ProcessGroup], object]] = {
        Column.PROCESS: lambda g: (g.name.lower(), g.pid or -1),
        Column.WHAT: lambda g: (g.what.lower(), g.pid or -1),
        Column.PID: lambda g: g.pid or -1,
        Column.USER: lambda g: g.user.lower(),
        Column.PORT: lambda g: g.listeners[0].port if g.listeners else 0,
        Column.PROTO: lambda g: g.protocols,
        Column.ADDRESSES: lambda g: g.addresses,
        Column.CONTAINER: lambda g: g.containers.lower(),
        Column.SERVICE: lambda g: g.services.lower(),
        Column.UPTIME: lambda g: -(g.holder.create_time or 0.0) if g.holder else 0.0,
        Column.COMMAND: lambda g: " ".join(g.holder.cmdline).lower() if g.holder else "",
    }
    first = texts[column]
    return lambda g: (first(g), g.key)


def _listener_sort(column: Column) -> Callable[[Listener], tuple]:
    if column is Column.PROTO:
        return lambda r: (r.protocol.value, r.port)
    if column is Column.ADDRESSES:
        return lambda r: (r.addresses, r.port, r.protocol.value)
    if column is Column.CONTAINER:
        return lambda r: (r.container.lower(), r.port, r.protocol.value)
    if column is Column.SERVICE:
        return lambda r: (r.service.lower(), r.port, r.protocol.value)
    return child_key


def view(groups: Sequence[ProcessGroup], spec: ViewSpec) -> tuple[ProcessGroup, ...]:
    """The groups as the view shows them: system processes hidden unless asked for; a search
    keeps a process matching it with all its listeners, and of the others only the listeners
    matching it (and their process); sorted by the spec's column at both levels."""
    out: list[ProcessGroup] = []
    by_listener = _listener_sort(spec.column)
    for g in groups:
        if g.system and not spec.show_system:
            continue
        rows = g.listeners
        if spec.search and spec.search not in g.search:
            rows = tuple(r for r in rows if spec.search in listener_search(r))
            if not rows:
                continue
        if by_listener is not child_key or spec.descending:
            rows = tuple(sorted(rows, key=by_listener, reverse=spec.descending))
        out.append(g if rows == g.listeners else replace(g, listeners=rows))
    out.sort(key=_group_sort(spec.column), reverse=spec.descending)
    return tuple(out)


def changed_keys(old: Sequence[ProcessGroup], new: Sequence[ProcessGroup]) -> frozenset[tuple]:
    """What a refresh changed on the machine (for a brief highlight): ("g", process key) for a
    new process or one whose own row changed, ("c", process key, listener key) for a new or
    changed listener. Nothing on the first scan."""
    if not old:
        return frozenset()
    before = {g.key: g for g in old}
    out: set[tuple] = set()
    for g in new:
        a = before.get(g.key)
        if a is g:
            continue
        if a is None or a.header() != g.header():
            out.add(("g", g.key))
        if a is not None and a.listeners == g.listeners:
            continue
        was = {child_key(r): r for r in a.listeners} if a is not None else {}
        out.update(("c", g.key, child_key(r)) for r in g.listeners if was.get(child_key(r)) != r)
    return frozenset(out)


@dataclass(frozen=True)
class GroupsUpdate:
    """The view after a scan; ``ops`` turn the view of version ``base`` into ``groups``."""

    groups: tuple[ProcessGroup, ...]          # as shown (``view``)
    listeners: tuple[Listener, ...]           # every listener of the machine
    ops: tuple[Op, ...]
    base: int
    version: int
    highlight: frozenset[tuple] = frozenset()  # ``changed_keys``


class ListenerFeed:
    """The All ports scan on the worker thread: ``feed(ports) -> GroupsUpdate`` (the ports
    argument of a scanner's job is ignored: it is every port of the machine).

    ``scan_all`` gives the machine-wide snapshot, ``name_containers`` asks the container
    runtime when a forwarder holds a port (``containers_last``: its answer), ``registry`` the current
    registry value and ``slots`` its model slots (``model_slots``: a model server's port belongs to
    ``pool/model``). Unchanged inputs give the previous update's groups with no operations.
    """

    def __init__(self, scan_all: Callable[[], Snapshot], name_containers: Callable[[Snapshot], Snapshot],
                 containers_last: Callable[[], object], registry: Callable[[], Registry | None],
                 os_name: str, me_user: str, slots: Callable[[], Sequence[ModelSlot]] = tuple):
        self._scan_all = scan_all
        self._name = name_containers
        self._containers_last = containers_last
        self._registry = registry
        self._slots = slots
        self._os, self._me = os_name, me_user
        self._inputs: tuple | None = None
        self._listeners: tuple[Listener, ...] = ()
        self._all: tuple[ProcessGroup, ...] = ()      # every group of the machine
        self._groups: tuple[ProcessGroup, ...] = ()   # the view of them
        self._rows: dict = {}                          # port -> (PortInfo, its rows): see listeners()
        self._spec = ViewSpec()
        self.spec = ViewSpec()    # set from the GUI thread, read once per scan (a frozen value)
        self.version = 0
        self.scans = 0            # how many machine-wide scans ran (tests count them)

    def __call__(self, _ports: object = None) -> GroupsUpdate:
        self.scans += 1
        spec = self.spec
        snap = self._scan_all()
        self._name(snap)      # asks the runtime when a forwarder holds a port (``last``); names go
                              # in the Container column, the process keeps its own name
        reg, slots = self._registry(), self._slots()
        last = self._containers_last()
        # scan_all hands back the very same PortInfo values when nothing changed: same rows.
        infos = tuple(snap.ports.values())
        before = self._inputs
        same = before is not None and before[1] is reg and before[2] is last and before[3] is slots \
            and len(before[0]) == len(infos) and all(a is b for a, b in zip(before[0], infos))
        if same and spec == self._spec:
            return GroupsUpdate(self._groups, self._listeners, (), self.version, self.version)
        highlight: frozenset[tuple] = frozenset()
        if not same:
            if before is None or before[1] is not reg or before[2] is not last or before[3] is not slots:
                self._rows.clear()         # other services, slots or containers: every row again
            self._inputs = (infos, reg, last, slots)
            known = last.container_for if getattr(last, "available", False) else None
            # Rows of unchanged ports are kept (the same objects): a refresh where a few ports
            # changed makes a few new rows, not 5,000 (less work, and less for the collector).
            self._listeners = listeners(snap, self._os, registry_ports(reg, slots), known, self._me, self._rows,
                                        ordered=False)
            groups = group_listeners(self._listeners, self._all)
            highlight = changed_keys(self._all, groups)
            self._all = groups
        shown = view(self._all, spec)
        ops = diff(self._groups, shown, child_key)
        base = self.version
        self.version += 1
        self._groups, self._spec = shown, spec
        return GroupsUpdate(shown, self._listeners, ops, base, self.version, highlight)

