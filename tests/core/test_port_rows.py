"""Rows of the port table and the tray state: pure rules, no Qt."""
from __future__ import annotations

from portmanager_gui.core.occupancy.snapshot import PortInfo, PortStatus, Snapshot
from portmanager_gui.core.port_rows import (
    Fallback,
    Managed,
    NoteKind,
    Overall,
    Role,
    RowState,
    back_to_preferred,
    build_rows,
    changed_keys,
    fallback_now,
    fallback_of,
    overall,
)
from portmanager_gui.core.ports.probe import Availability
from portmanager_gui.core.supervisor.types import Skipped, StartFailure, StartOutcome
from portmanager_gui.text.rows import fallback_text, row_note, summary
from tests.ui.factories import holder, registry, slots, snapshot


def _by_key(rows):
    return {r.key: r for r in rows}


def test_states():
    reg = registry()
    snap = Snapshot(2000.0, {**snapshot({3791: holder(812), 8203: holder(5, "uvicorn", create=1900.0)}).ports,
                             6379: PortInfo(6379, PortStatus.RESERVED, note="excluded range")})
    rows = _by_key(build_rows(reg, slots(), snap, [Managed("router", 4242, 3003)], failures={"large-models/model1": "boom"},
                              fallbacks={"router": Fallback(3791, 3003, "Model Router", holder(812))}, now=2000.0))
    assert rows[("router", 3791)].state is RowState.FOREIGN and rows[("router", 3791)].role is Role.PREFERRED
    assert rows[("router", 3003)].state is RowState.FALLBACK and row_note(rows[("router", 3003)]) == \
        "Port 3791 is in use by nginx (pid 812); Model Router started on fallback port 3003"
    assert rows[("backend", 8203)].state is RowState.FOREIGN and rows[("backend", 8203)].uptime(2000.0) == 100.0
    assert rows[("redis", 6379)].state is RowState.CONFLICT and rows[("redis", 6379)].why.kind is NoteKind.RESERVED
    assert rows[("redis", 6379)].why.os_note == "excluded range" and row_note(rows[("redis", 6379)]) == "excluded range"
    assert rows[("router", 3003)].why.fallback == Fallback(3791, 3003, "Model Router", holder(812))
    assert rows[("large-models/model1", 8210)].why.failure == "boom"
    assert rows[("large-models/model1", 8210)].state is RowState.FAILED
    assert rows[("models/my-model", 8100)].state is RowState.FREE and rows[("models/my-model", 8100)].role is Role.MODEL


def test_ours_and_held_by_another_of_ours():
    reg = registry()
    snap = snapshot({3791: holder(4242), 8203: holder(4242)})
    rows = _by_key(build_rows(reg, slots(), snap, [Managed("router", 4242, 3791)]))
    assert rows[("router", 3791)].state is RowState.OURS
    assert rows[("backend", 8203)].state is RowState.CONFLICT and "router" in row_note(rows[("backend", 8203)])
    assert rows[("backend", 8203)].why.kind is NoteKind.HELD_BY_OURS and rows[("backend", 8203)].why.units == ("router",)


def test_overall_and_summary():
    reg = registry()
    ok = build_rows(reg, slots(), snapshot())
    assert overall(ok) is Overall.OK and summary(ok).endswith("All good")
    fb = build_rows(reg, slots(), snapshot({3791: holder(1)}), [Managed("router", 2, 3003)],
                    fallbacks={"router": Fallback(3791, 3003, "Model Router", holder(1))})
    assert overall(fb) is Overall.FALLBACK and "Model Router started on fallback port 3003" in summary(fb)
    bad = build_rows(reg, slots(), snapshot(), failures={"router": "no"})
    assert overall(bad) is Overall.PROBLEM and "router failed: no" in summary(bad)


def test_changed_keys_follow_the_holder_identity():
    reg = registry()
    a = build_rows(reg, slots(), snapshot({8203: holder(5)}))
    b = build_rows(reg, slots(), snapshot({8203: holder(6)}))
    assert changed_keys(a, b) == {("backend", 8203)}
    assert changed_keys(a, a) == set()


def test_a_fallback_note_follows_the_latest_snapshot():
    reg = registry()
    told = {"router": Fallback(3791, 3003, "Model Router", holder(812))}
    running = [Managed("router", 4242, 3003)]
    held = _by_key(build_rows(reg, slots(), snapshot({3791: holder(812), 3003: holder(4242)}), running,
                              fallbacks=told))
    assert row_note(held[("router", 3003)]) == \
        "Port 3791 is in use by nginx (pid 812); Model Router started on fallback port 3003"
    assert back_to_preferred(tuple(held.values()), "router") is None

    other = _by_key(build_rows(reg, slots(), snapshot({3791: holder(900, "caddy"), 3003: holder(4242)}), running,
                               fallbacks=told))
    assert row_note(other[("router", 3003)]) == \
        "Port 3791 is in use by caddy (pid 900); Model Router started on fallback port 3003"

    freed = build_rows(reg, slots(), snapshot({3003: holder(4242)}), running, fallbacks=told)
    row = _by_key(freed)[("router", 3003)]
    assert row.state is RowState.FALLBACK and "812" not in row_note(row) and row.why.fallback.free_again
    assert row_note(row) == "Port 3791 is free again; Model Router still runs on fallback port 3003"
    assert "812" not in summary(freed)
    assert back_to_preferred(freed, "router") == 3791
    assert back_to_preferred(freed, "backend") is None

    # Not started by this app (adopted, an earlier run): the unit's name, the holder seen now.
    unknown = _by_key(build_rows(reg, slots(), snapshot({3791: holder(812), 3003: holder(4242)}), running))
    assert row_note(unknown[("router", 3003)]) == "Port 3791 is in use by nginx (pid 812); router started on fallback port 3003"


def test_the_fallback_of_a_start_outcome_is_typed():
    nginx = holder(812)
    out = StartOutcome("router", True, 3003, 3791, (Skipped(3791, nginx),), pid=4242, title="Model Router")
    assert fallback_of(out) == Fallback(3791, 3003, "Model Router", nginx)
    reserved = StartOutcome("router", True, 3003, 3791, (Skipped(3791, None, Availability.RESERVED),))
    assert fallback_of(reserved) == Fallback(3791, 3003, "router", None, reserved=True)
    assert fallback_text(fallback_now(fallback_of(reserved), snapshot())) == \
        "Port 3791 is in use by the operating system (reserved port); router started on fallback port 3003"
    assert fallback_of(StartOutcome("router", True, 3791, 3791)) is None
    assert fallback_of(StartOutcome("router", False, None, 3791, failure=StartFailure.TIMEOUT)) is None


def test_rows_held_by_our_processes_are_marked_ours():
    reg = registry()
    rows = _by_key(build_rows(reg, slots(), snapshot({3791: holder(4242), 8203: holder(4242), 6379: holder(7)}),
                              [Managed("router", 4242, 3791)]))
    assert rows[("router", 3791)].ours and rows[("backend", 8203)].ours
    assert not rows[("redis", 6379)].ours and not rows[("router", 3003)].ours


def test_a_runtime_numbered_slot_held_by_another_members_server_says_so():
    from dataclasses import replace

    from portmanager_gui.core.occupancy.snapshot import Holder
    from portmanager_gui.core.ports.selection import model_slots

    reg = registry()
    reg = reg.with_group(replace(reg.models, members=("alpha", "beta"), numbered_by="llama-swap", start_port=5800))
    slots_ = tuple(s for s in model_slots(reg) if s.pool == "models")
    # llama-swap loaded an older config: beta's server sits where the registry now expects alpha
    server = Holder(77, "llama-server", "/opt/llama-server", ("/opt/llama-server", "--port", "5800",
                                                               "--alias", "beta"), "alice", 1000.0, ("127.0.0.1",))
    rows = {r.unit: r for r in build_rows(reg, slots_, snapshot({5800: server}))}
    assert rows["models/alpha"].why.wrong_model == ("beta", "alpha")
    assert "held by the model server of beta" in row_note(rows["models/alpha"])
    assert "gives it to alpha" in row_note(rows["models/alpha"])
    # the right server there is no news
    right = replace(server, cmdline=("/opt/llama-server", "--port", "5800", "-m", "/m/alpha.gguf"))
    rows = {r.unit: r for r in build_rows(reg, slots_, snapshot({5800: right}))}
    assert "model server of" not in row_note(rows["models/alpha"]) and rows["models/alpha"].why.wrong_model is None
