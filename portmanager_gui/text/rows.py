"""The port table's and the tray's sentences, made from a row's facts (``core.port_rows.RowNote``).

Imported by the table model before the first paint: it needs nothing but ``core.port_rows``.
"""
from __future__ import annotations

from collections.abc import Sequence

from ..core.port_rows import Fallback, NoteKind, PortRow, RowState

RESERVED_BY = "the operating system (reserved port)"


def fallback_sentence(preferred: int, port: int, title: str, by: str) -> str:
    """``Port 3791 is in use by nginx (pid 812); Model Router started on fallback port 3003``
    (``by`` empty: who holds it is not known)."""
    return f"Port {preferred} is in use{f' by {by}' if by else ''}; {title} started on fallback port {port}"


def fallback_text(f: Fallback) -> str:
    """Why the unit runs on its fallback port, or that its preferred port is free again."""
    if f.free_again:
        return f"Port {f.preferred} is free again; {f.title} still runs on fallback port {f.port}"
    by = f.holder.describe() if f.holder is not None else RESERVED_BY if f.reserved else ""
    return fallback_sentence(f.preferred, f.port, f.title, by)


def _main(row: PortRow) -> str:
    """The sentence of the note's kind alone (empty: the kind says nothing)."""
    n, port = row.why, row.port
    if n.kind is NoteKind.FALLBACK and n.fallback is not None:
        return fallback_text(n.fallback)
    if n.kind is NoteKind.HELD_BY_OURS:
        return f"port {port} is held by {', '.join(n.units)}, started by Port Manager"
    if n.kind is NoteKind.ALSO_CLAIMED:
        return f"port {port} is also claimed by {', '.join(n.units)}"
    if n.kind is NoteKind.RESERVED:
        return n.os_note or f"the OS reserves port {port}; nothing can listen on it"
    if n.kind is NoteKind.FAILED:
        return n.failure
    if n.kind is NoteKind.ON_FALLBACK:
        return f"{row.unit} runs on fallback port {n.fallback_port}"
    return ""


def wrong_model_text(port: int, found: str, model: str) -> str:
    """A runtime-numbered slot held by the model server of another member."""
    return (f"port {port} is held by the model server of {found}, but the runtime's numbering gives it to "
            f"{model}: the config changed since the runtime loaded it, or the registry is out of date "
            "(import the config again)")


def row_note(row: PortRow) -> str:
    """The sentence for the row's tooltip and details pane: why it is in its state, then the live
    runtime's note; else a moved model slot; else the scan's own note on the port."""
    n = row.why
    note = _main(row)
    if n.live:
        note = f"{note}; {n.live}" if note else n.live
    elif not note and n.wrong_model is not None:
        note = wrong_model_text(row.port, *n.wrong_model)
    return note or n.os_note


def summary(rows: Sequence[PortRow]) -> str:
    """The tray tooltip: one line per kind of trouble, the first line the totals."""
    running = sorted({r.unit for r in rows if r.state in (RowState.OURS, RowState.FALLBACK)})
    lines = [f"Port Manager: {len(running)} running, "
             f"{sum(1 for r in rows if r.state is RowState.FOREIGN)} ports held by other programs"]
    for r in rows:
        note = row_note(r) if r.state in (RowState.FALLBACK, RowState.FAILED, RowState.CONFLICT) else ""
        if r.state is RowState.FALLBACK:
            lines.append(note or f"{r.unit} is on fallback port {r.port}")
        elif r.state is RowState.FAILED:
            lines.append(f"{r.unit} failed: {note}" if note else f"{r.unit} failed")
        elif r.state is RowState.CONFLICT:
            lines.append(f"conflict on {r.port} ({r.unit}): {note}")
    if len(lines) == 1:
        lines.append("All good")
    return "\n".join(dict.fromkeys(lines))
