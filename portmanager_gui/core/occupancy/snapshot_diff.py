"""Watching ports: the difference of two snapshots as typed events, ready for notifications.

A holder is the same holder while its identity (pid + create time) and protocol stay the
same; anything else it shows (addresses, command line after an exec, user) changing makes a
"changed" event. A restarted server is a new identity: "left" then "appeared". One of *our*
services (started by Port Manager) losing its port -- it died, or closed the socket -- is
its own event, because that is the one a user must hear about.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from .snapshot import Holder, PortInfo, PortStatus, Snapshot


class EventKind(str, Enum):
    HOLDER_APPEARED = "holder-appeared"
    HOLDER_CHANGED = "holder-changed"
    HOLDER_LEFT = "holder-left"
    STATUS_CHANGED = "status-changed"        # e.g. free -> hidden, with no holder we can name
    SERVICE_LOST_PORT = "service-lost-port"


@dataclass(frozen=True)
class OurService:
    """A process Port Manager started for a service, on the port it should hold."""

    name: str
    pid: int
    create_time: float | None = None        # None: match the pid alone

    def is_holder(self, holder: Holder) -> bool:
        return holder.pid == self.pid and (self.create_time is None or holder.create_time == self.create_time)


@dataclass(frozen=True)
class PortEvent:
    """A change on a port between two snapshots: who appeared, left or changed."""

    kind: EventKind
    port: int
    holder: Holder | None = None            # the new holder (appeared, changed), or the one left
    previous: Holder | None = None          # the holder as it was (changed), our lost holder
    status: PortStatus = PortStatus.FREE    # the port's status after the change
    previous_status: PortStatus = PortStatus.FREE
    service: str = ""                       # our service's name (service-lost-port)

    def summary(self) -> str:
        """One line for a notification."""
        who = self.holder.describe() if self.holder else ""
        if self.kind is EventKind.HOLDER_APPEARED:
            return f"Port {self.port}: {who} now holds it"
        if self.kind is EventKind.HOLDER_CHANGED:
            return f"Port {self.port}: {who} changed"
        if self.kind is EventKind.HOLDER_LEFT:
            return f"Port {self.port}: {who} let it go ({self.status.value} now)"
        if self.kind is EventKind.SERVICE_LOST_PORT:
            now = f"; {who} holds it now" if self.holder else f" ({self.status.value} now)"
            return f"{self.service} lost port {self.port}{now}; restart it or pick another port"
        return f"Port {self.port}: {self.previous_status.value} -> {self.status.value}"


Ours = Mapping[int, OurService]


def _key(holder: Holder) -> tuple:
    return (holder.pid, holder.create_time, holder.protocol)


def diff(old: Snapshot | None, new: Snapshot, ours: Ours | None = None) -> list[PortEvent]:
    """Events turning ``old`` into ``new`` (every holder "appeared" when ``old`` is None)."""
    events: list[PortEvent] = []
    old_ports = old.ports if old is not None else {}
    for port in sorted(set(old_ports) | set(new.ports)):
        before = old_ports.get(port) or PortInfo(port, PortStatus.FREE)
        after = new.info(port)
        events.extend(_port_events(before, after))
    for port, ours_here in sorted((ours or {}).items()):
        if old is None or port not in old_ports:
            continue
        was = next((h for h in old.holders(port) if ours_here.is_holder(h)), None)
        if was is not None and not any(ours_here.is_holder(h) for h in new.holders(port)):
            after = new.info(port)
            events.append(PortEvent(EventKind.SERVICE_LOST_PORT, port, next(iter(after.holders), None), was,
                                    after.status, old_ports[port].status, ours_here.name))
    return events


def _port_events(before: PortInfo, after: PortInfo) -> list[PortEvent]:
    old = {_key(h): h for h in before.holders}
    new = {_key(h): h for h in after.holders}
    st, prev = after.status, before.status
    out = [PortEvent(EventKind.HOLDER_LEFT, after.port, h, None, st, prev) for k, h in old.items() if k not in new]
    for key, holder in new.items():
        was = old.get(key)
        if was is None:
            out.append(PortEvent(EventKind.HOLDER_APPEARED, after.port, holder, None, st, prev))
        elif was != holder:
            out.append(PortEvent(EventKind.HOLDER_CHANGED, after.port, holder, was, st, prev))
    if not out and (st is not prev or before.note != after.note):
        out.append(PortEvent(EventKind.STATUS_CHANGED, after.port, None, None, st, prev))
    return out
