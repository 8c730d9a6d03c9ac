"""Which state-record file is damaged and how, and what was found running by the marks."""
from __future__ import annotations

from ..core.supervisor.state_damage import DamageKind, StateDamage

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
