"""The port table's and the tray's sentences, made from a row's facts: every note kind, word for word."""
from __future__ import annotations

import pytest

from portmanager_gui.core.occupancy.snapshot import Holder
from portmanager_gui.core.port_rows import (
    Fallback,
    NoteKind,
    PortRow,
    Role,
    RowNote,
    RowState,
)
from portmanager_gui.core.ports.probe import Availability
from portmanager_gui.core.supervisor.types import Skipped
from portmanager_gui.text.rows import fallback_text, row_note, summary
from portmanager_gui.text.supervisor import fallback_event

NGINX = Holder(812, "nginx")


def _row(why: RowNote, state: RowState = RowState.CONFLICT, unit: str = "router", port: int = 3791) -> PortRow:
    return PortRow(unit, "", port, Role.PREFERRED, state, "", why=why)


NOTES = [
    (RowNote(), ""),
    (RowNote(NoteKind.FALLBACK, fallback=Fallback(3791, 3003, "Model Router", NGINX)),
     "Port 3791 is in use by nginx (pid 812); Model Router started on fallback port 3003"),
    (RowNote(NoteKind.FALLBACK, fallback=Fallback(3791, 3003, "Model Router", None, reserved=True)),
     "Port 3791 is in use by the operating system (reserved port); Model Router started on fallback port 3003"),
    (RowNote(NoteKind.FALLBACK, fallback=Fallback(3791, 3003, "router")),
     "Port 3791 is in use; router started on fallback port 3003"),
    (RowNote(NoteKind.FALLBACK, fallback=Fallback(3791, 3003, "Model Router", NGINX, free_again=True)),
     "Port 3791 is free again; Model Router still runs on fallback port 3003"),
    (RowNote(NoteKind.HELD_BY_OURS, units=("backend", "web")),
     "port 3791 is held by backend, web, started by Port Manager"),
    (RowNote(NoteKind.ALSO_CLAIMED, units=("web",)), "port 3791 is also claimed by web"),
    (RowNote(NoteKind.RESERVED), "the OS reserves port 3791; nothing can listen on it"),
    (RowNote(NoteKind.RESERVED, os_note="in an excluded port range (netsh int ipv4 show excludedportrange)"),
     "in an excluded port range (netsh int ipv4 show excludedportrange)"),
    (RowNote(NoteKind.FAILED, failure="router exited with code 3 before it was running on port 3791"),
     "router exited with code 3 before it was running on port 3791"),
    (RowNote(NoteKind.ON_FALLBACK, fallback_port=3003), "router runs on fallback port 3003"),
    # beside the kind: the live runtime's note, else a moved model slot, else the scan's own note
    (RowNote(NoteKind.ON_FALLBACK, fallback_port=3003, live="llama-swap: ready", os_note="ignored"),
     "router runs on fallback port 3003; llama-swap: ready"),
    (RowNote(live="llama-swap: alpha ready on port 3791"), "llama-swap: alpha ready on port 3791"),
    (RowNote(wrong_model=("beta", "alpha")),
     "port 3791 is held by the model server of beta, but the runtime's numbering gives it to alpha: the config "
     "changed since the runtime loaded it, or the registry is out of date (import the config again)"),
    (RowNote(NoteKind.FAILED, wrong_model=("beta", "alpha"), os_note="x"),
     "port 3791 is held by the model server of beta, but the runtime's numbering gives it to alpha: the config "
     "changed since the runtime loaded it, or the registry is out of date (import the config again)"),
    (RowNote(os_note="Port Manager cannot see who holds it; run it with sudo to see"),
     "Port Manager cannot see who holds it; run it with sudo to see"),
    (RowNote(NoteKind.ALSO_CLAIMED, units=("web",), os_note="does not listen"), "port 3791 is also claimed by web"),
]


@pytest.mark.parametrize("why, expected", NOTES)
def test_row_notes(why, expected):
    assert row_note(_row(why)) == expected


def test_every_note_kind_is_worded():
    assert {why.kind for why, _ in NOTES} == set(NoteKind)


@pytest.mark.parametrize("skipped, told", [
    ((Skipped(3791, NGINX),), Fallback(3791, 3003, "Model Router", NGINX)),
    ((Skipped(3791, None, Availability.RESERVED),), Fallback(3791, 3003, "Model Router", None, reserved=True)),
    ((), Fallback(3791, 3003, "Model Router")),
])
def test_the_event_and_the_row_say_a_fallback_in_the_same_words(skipped, told):
    assert fallback_event(3791, 3003, skipped, "Model Router") == fallback_text(told)


def test_the_summary_has_the_totals_then_one_line_per_trouble():
    rows = (
        _row(RowNote(), RowState.OURS, "web", 8000),
        _row(RowNote(), RowState.FOREIGN, "db", 5432),
        _row(RowNote(NoteKind.FALLBACK, fallback=Fallback(3791, 3003, "Model Router", NGINX)), RowState.FALLBACK,
             port=3003),
        _row(RowNote(), RowState.FALLBACK, "api", 9001),
        _row(RowNote(NoteKind.FAILED, failure="no"), RowState.FAILED, "worker", 7000),
        _row(RowNote(), RowState.FAILED, "cron", 7001),
        _row(RowNote(NoteKind.RESERVED), RowState.CONFLICT, "redis", 6379),
        _row(RowNote(NoteKind.RESERVED), RowState.CONFLICT, "redis", 6379),     # said once
    )
    assert summary(rows).splitlines() == [
        "Port Manager: 3 running, 1 ports held by other programs",
        "Port 3791 is in use by nginx (pid 812); Model Router started on fallback port 3003",
        "api is on fallback port 9001",
        "worker failed: no",
        "cron failed",
        "conflict on 6379 (redis): the OS reserves port 6379; nothing can listen on it",
    ]
    assert summary(rows[:2]).splitlines() == ["Port Manager: 1 running, 1 ports held by other programs", "All good"]
