"""Every listener of the machine grouped by process, and what changed between two scans.

The All ports view is a tree: one ``ProcessGroup`` per process (name, pid, user, command
line, label, its ports and addresses, containers, registry services), its listeners below
it. A scan of a loaded machine has thousands of listeners and a refresh usually changes a
few, so the view is never rebuilt: ``ListenerFeed`` (run on the scanner's worker thread)
hands the GUI a ``GroupsUpdate`` -- the new groups plus the few row operations (``Op``)
that turn the previous groups into them, computed here, off the GUI thread. Each update
names the version it applies to; a view holding another version resets instead.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

from ..registry.model import Registry
from .listeners import HeldBy, Listener, listeners
from .recognition import Kind
from .snapshot import Holder, Snapshot

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


def group_listeners(rows: Iterable[Listener]) -> tuple[ProcessGroup, ...]:
    """One group per process, sorted by key (a stable order the diff relies on)."""
    by_key: dict[tuple[int, float], list[Listener]] = {}
    for r in rows:
        key = (r.holder.pid, r.holder.create_time or 0.0) if r.holder else UNSEEN_KEY
        by_key.setdefault(key, []).append(r)
    return tuple(_group(k, v) for k, v in sorted(by_key.items()))


class OpKind(str, Enum):
    REMOVE = "remove"
    INSERT = "insert"
    CHANGE = "change"


@dataclass(frozen=True, slots=True)
class Op:
    """Rows ``first..first+count-1`` under ``parent`` (-1: the top level; else the process's
    row once the top-level operations before it are applied). ``items``: the rows inserted
    or their new values (groups at the top level, listeners below)."""

    kind: OpKind
    parent: int
    first: int
    count: int
    items: tuple = ()


def _runs(kind: OpKind, parent: int, positions: list[int], items: Sequence | None = None) -> list[Op]:
    """Consecutive positions folded into one operation each."""
    ops: list[Op] = []
    start = 0
    for i in range(1, len(positions) + 1):
        if i == len(positions) or positions[i] != positions[i - 1] + 1:
            run = positions[start:i]
            ops.append(Op(kind, parent, run[0], len(run), tuple(items[p] for p in run) if items is not None else ()))
            start = i
    return ops


def _diff_level(old: Sequence, new: Sequence, key: Callable, parent: int) -> tuple[list[Op], list[tuple[int, int]]]:
    """Removals (last first), then insertions (first first) turning ``old`` into ``new``;
    and the (old, new) positions of the items both have."""
    old_keys = {key(x): i for i, x in enumerate(old)}
    new_keys = {key(x): i for i, x in enumerate(new)}
    removed = [i for i, x in enumerate(old) if key(x) not in new_keys]
    added = [i for i, x in enumerate(new) if key(x) not in old_keys]
    ops = list(reversed(_runs(OpKind.REMOVE, parent, removed)))
    ops += _runs(OpKind.INSERT, parent, added, new)
    both = [(old_keys[key(x)], j) for j, x in enumerate(new) if key(x) in old_keys]
    return ops, both


def diff(old: Sequence[ProcessGroup], new: Sequence[ProcessGroup]) -> tuple[Op, ...]:
    """The row operations turning ``old`` into ``new`` (both sorted by key): top-level removals
    and insertions, then, per process in both, its listeners' removals, insertions and
    changes, and a change of its own row when that differs."""
    ops, both = _diff_level(old, new, lambda g: g.key, -1)
    changed_groups: list[int] = []
    for i, j in both:
        a, b = old[i], new[j]
        if a is b:
            continue
        if a.listeners != b.listeners:
            child_ops, child_both = _diff_level(a.listeners, b.listeners, child_key, j)
            ops += child_ops
            changes = [cj for ci, cj in child_both if a.listeners[ci] != b.listeners[cj]]
            ops += _runs(OpKind.CHANGE, j, changes, b.listeners)
        if a.header() != b.header():
            changed_groups.append(j)
    ops += _runs(OpKind.CHANGE, -1, changed_groups, new)
    return tuple(ops)


@dataclass(frozen=True)
class GroupsUpdate:
    """The groups after a scan; ``ops`` turn the groups of version ``base`` into them."""

    groups: tuple[ProcessGroup, ...]
    listeners: tuple[Listener, ...]
    ops: tuple[Op, ...]
    base: int
    version: int


class ListenerFeed:
    """The All ports scan on the worker thread: ``feed(ports) -> GroupsUpdate`` (the ports
    argument of a scanner's job is ignored: it is every port of the machine).

    ``scan_all`` gives the machine-wide snapshot, ``name_containers`` asks the container
    runtime when a forwarder holds a port (``containers_last``: its answer), ``registry`` the current
    registry value. Unchanged inputs give the previous update's groups with no operations.
    """

    def __init__(self, scan_all: Callable[[], Snapshot], name_containers: Callable[[Snapshot], Snapshot],
                 containers_last: Callable[[], object], registry: Callable[[], Registry | None],
                 os_name: str, me_user: str):
        self._scan_all = scan_all
        self._name = name_containers
        self._containers_last = containers_last
        self._registry = registry
        self._os, self._me = os_name, me_user
        self._inputs: tuple | None = None
        self._listeners: tuple[Listener, ...] = ()
        self._groups: tuple[ProcessGroup, ...] = ()
        self.version = 0
        self.scans = 0            # how many machine-wide scans ran (tests count them)

    def __call__(self, _ports: object = None) -> GroupsUpdate:
        self.scans += 1
        snap = self._scan_all()
        self._name(snap)      # asks the runtime when a forwarder holds a port (``last``); names go
                              # in the Container column, the process keeps its own name
        reg = self._registry()
        last = self._containers_last()
        # scan_all hands back the very same PortInfo values when nothing changed: same rows.
        infos = tuple(snap.ports.values())
        before = self._inputs
        if before is not None and before[1] is reg and before[2] is last and len(before[0]) == len(infos) \
                and all(a is b for a, b in zip(before[0], infos)):
            return GroupsUpdate(self._groups, self._listeners, (), self.version, self.version)
        self._inputs = (infos, reg, last)
        known = last.container_for if getattr(last, "available", False) else None
        rows = listeners(snap, self._os, registry_ports(reg), known, self._me)
        groups = group_listeners(rows)
        ops = diff(self._groups, groups)
        base = self.version
        self.version += 1
        self._listeners, self._groups = rows, groups
        return GroupsUpdate(groups, rows, ops, base, self.version)


def registry_ports(reg: Registry | None) -> Mapping[int, str]:
    """Port -> the registry service it belongs to."""
    return {p: s.name for s in reg.services.values() for p in s.ports} if reg is not None else {}
