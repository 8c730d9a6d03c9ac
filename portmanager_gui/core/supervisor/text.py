"""The lines the supervisor says: fallback warnings naming the holder, the all-taken block.

The seed document's own lines come first, word for word (``planner.fallback_warning``,
``planner.all_taken_lines``); what Port Manager adds -- who holds the port -- follows.
"""
from __future__ import annotations

from collections.abc import Iterable

from ..ports.probe import Availability
from ..ports.selection import all_taken_lines, fallback_warning
from .state_damage import DamageKind, StateDamage
from .types import Skipped

UNSEEN = "a process Port Manager cannot see"
STARTING = "another Port Manager start, about to launch on it"


def short(s: Skipped) -> str:
    """``nginx, pid 812`` -- for the CLI line."""
    if s.availability is Availability.RESERVED:
        return "reserved by the operating system"
    if s.holder is None:
        return STARTING if s.starting else UNSEEN
    return f"{s.holder.name or '?'}, pid {s.holder.pid}"



def describe(s: Skipped) -> str:
    """``nginx (pid 812)`` -- for events."""
    if s.availability is Availability.RESERVED:
        return "the operating system (reserved port)"
    if s.holder is None:
        return STARTING if s.starting else UNSEEN
    return s.holder.describe()


def fallback_line(preferred: int, port: int, skipped: Iterable[Skipped]) -> str:
    """``Port 3791 is in use, using fallback port 3003 (3791 is held by nginx, pid 812)``."""
    held = "; ".join(
        f"{s.port} is {short(s)}" if s.availability is Availability.RESERVED else f"{s.port} is held by {short(s)}"
        for s in skipped)
    return f"{fallback_warning(preferred, port)} ({held})" if held else fallback_warning(preferred, port)


def fallback_event(preferred: int, port: int, skipped: Iterable[Skipped], title: str) -> str:
    """``Port 3791 is in use by nginx (pid 812); Model Router started on fallback port 3003``."""
    first = next((s for s in skipped if s.port == preferred), None)
    by = f" by {describe(first)}" if first is not None else ""
    return f"Port {preferred} is in use{by}; {title} started on fallback port {port}"


def all_taken(ports: Iterable[int], skipped: Iterable[Skipped], unit: str) -> str:
    """The document's error block, then who holds each port and what to do."""
    ports = list(ports)
    lines = all_taken_lines(ports)
    held = [f"  {s.port}: {short(s) if s.availability is Availability.RESERVED else 'held by ' + short(s)}"
            for s in skipped]
    if held:
        lines += [f"Who holds the ports of {unit}:", *held,
                  f"Free one (portmanager kill PORT) or add a fallback port to {unit} in the registry."]
    return "\n".join(lines)


def expose_warning(unit: str, host: str, port: int) -> str:
    return (f"{unit} listens on {host}:{port} for every machine on your network (expose: true); "
            "llama-server has no API key by default -- pass --api-key in its command, "
            "or remove `expose: true` to keep it on 127.0.0.1")


def no_command(unit: str) -> str:
    return (f"{unit} has no command in the registry, so Port Manager cannot start it; "
            f"add `command: [program, arg, \"{{port}}\"]` to its entry")


_DAMAGE = {
    DamageKind.UNREADABLE: "cannot be read",
    DamageKind.NOT_A_FILE: "is not a regular file (a folder, pipe or device)",
    DamageKind.TOO_LARGE: "is far too large to be Port Manager's",
    DamageKind.NOT_TEXT: "is not UTF-8 text",
    DamageKind.NOT_JSON: "is cut short or not JSON",
    DamageKind.NO_UNITS: "has no \"units\" table",
    DamageKind.BAD_ENTRIES: "has entries that cannot be read",
}


def state_damage_what(d: StateDamage) -> str:
    """``/home/me/.local/state/portmanager/services.json, line 1, column 42: is cut short or not
    JSON (Expecting value)`` -- which file, where, what; the CLI and the app add what to do."""
    where = f", line {d.line}" + (f", column {d.column}" if d.column else "") if d.line else ""
    detail = f" ({d.detail})" if d.detail and d.kind is not DamageKind.TOO_LARGE else ""
    if d.kind is DamageKind.TOO_LARGE:
        detail = f" ({d.detail} bytes)"
    if d.entries:
        detail = f" ({', '.join(d.entries)})"
    return f"{d.path}{where}: {_DAMAGE[d.kind]}{detail}"


def state_damage_found(d: StateDamage) -> str:
    """What was found running by the marks although the record lost it."""
    if not d.found:
        return "no service it started was found running by its mark"
    return "still running, found by their marks: " + ", ".join(f"{unit} (pid {pid})" for unit, pid in d.found)
