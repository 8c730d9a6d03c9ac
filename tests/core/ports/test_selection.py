"""Selection as the Model Router document describes it, and stable model-slot allocation."""
from __future__ import annotations

import json

import pytest

from portmanager_gui.core.ports.probe import Availability
from portmanager_gui.core.ports.selection import (
    PoolFull,
    all_taken_lines,
    allocate,
    allocate_slots,
    fallback_warning,
    model_slots,
    select_port,
)
from portmanager_gui.core.registry.model import Group, Registry, Service

FREE, IN_USE, RESERVED = Availability.FREE, Availability.IN_USE, Availability.RESERVED
ROUTER = Service("router", (3791, 3003), description="Model Router")


def _probe(states: dict[int, Availability]):
    asked: list[int] = []

    def probe(port: int) -> Availability:
        asked.append(port)
        return states.get(port, FREE)

    probe.asked = asked
    return probe


def test_scenario_1_preferred_port_free():
    probe = _probe({})
    sel = select_port(ROUTER, probe)
    assert (sel.port, sel.fallback) == (3791, False)
    assert probe.asked == [3791]  # stops at the first free port


def test_scenario_2_fallback_with_the_documents_warning():
    sel = select_port(ROUTER, _probe({3791: IN_USE}))
    assert (sel.port, sel.fallback, sel.preferred) == (3003, True, 3791)
    assert fallback_warning(sel.preferred, sel.port) == "Port 3791 is in use, using fallback port 3003"
    assert sel.skipped == ((3791, IN_USE),)


def test_scenario_3_all_taken_is_the_error_block_never_a_random_port():
    probe = _probe({3791: IN_USE, 3003: RESERVED})
    sel = select_port(ROUTER, probe)
    assert sel.port is None and not sel.fallback
    assert probe.asked == [3791, 3003]
    lines = all_taken_lines([3791, 3003])
    assert "ERROR: All preferred ports are in use!" in lines
    assert "Tried ports: 3791, 3003" in lines
    assert "Please free up one of these ports and try again." in lines
    assert lines[0] == lines[-1] == "=" * 60


def _group(members, start=8200, size=10):
    return Group("large-models", start_port=start, size=size, members=tuple(members))


def test_allocation_is_stable_when_models_come_and_go():
    first = allocate(_group(["a", "b", "c"]), {}, set())
    assert first == {"a": 8200, "b": 8201, "c": 8202}
    without_a = allocate(_group(["b", "c"]), first, set())
    assert without_a == {"b": 8201, "c": 8202}  # llama-swap would renumber these to 8200, 8201
    with_d = allocate(_group(["b", "c", "d", "a0"]), without_a, set())
    assert with_d == {"b": 8201, "c": 8202, "d": 8200, "a0": 8203}


def test_allocation_skips_claimed_and_held_ports_for_new_members_only():
    previous = {"a": 8201}
    got = allocate(_group(["a", "b", "c"]), previous, reserved={8200}, taken=lambda p: p == 8202)
    # a keeps 8201 (its holder is usually itself); b, c skip the claimed 8200 and the held 8202
    assert got == {"a": 8201, "b": 8203, "c": 8204}


def test_a_full_range_names_the_group_and_its_range():
    with pytest.raises(PoolFull) as info:
        allocate(_group(["a", "b", "c"], size=2), {}, set())
    assert "large-models" in str(info.value) and "8200-8201" in str(info.value)


def test_model_slots_remember_allocations_across_edits(tmp_path):
    alloc = tmp_path / "allocations.json"
    reg = Registry(services={"backend": Service("backend", (8203,))},
                   groups={"large-models": _group(["m1", "m2", "m3", "m4"])},
                   models=Group("models", 8100, members=("solo",)))
    slots = {s.unit: s.port for s in allocate_slots(reg, alloc)}
    assert slots == {"models/solo": 8100, "large-models/m1": 8200, "large-models/m2": 8201,
                     "large-models/m3": 8202, "large-models/m4": 8204}  # 8203 belongs to backend
    assert json.loads(alloc.read_text())["large-models"]["m4"] == 8204
    smaller = reg.with_group(_group(["m2", "m4"]))
    assert {s.unit: s.port for s in model_slots(smaller, alloc)} == {
        "models/solo": 8100, "large-models/m2": 8201, "large-models/m4": 8204}


def test_model_slots_is_a_read_and_allocate_slots_the_one_write(tmp_path):
    alloc = tmp_path / "allocations.json"
    reg = Registry(services={}, groups={"large-models": _group(["m1", "m2"])},
                   models=Group("models", 8100, members=("solo",)))
    assert [s.port for s in model_slots(reg, alloc)] == [8100, 8200, 8201]
    assert not alloc.exists()                                   # reading wrote nothing
    allocate_slots(reg, alloc)
    written = alloc.read_text()
    moved = reg.with_group(_group(["m2", "m3"]))
    assert [s.port for s in model_slots(moved, alloc)] == [8100, 8201, 8200]
    assert alloc.read_text() == written                         # still untouched by a read
    before = alloc.stat().st_mtime_ns
    allocate_slots(reg, alloc)                                  # nothing changed: no write either
    assert alloc.stat().st_mtime_ns == before


def test_model_slots_tolerate_a_corrupt_allocation_file(tmp_path):
    alloc = tmp_path / "allocations.json"
    alloc.write_text("{not json")
    reg = Registry(services={}, groups={}, models=Group("models", 8100, members=("a",)))
    assert [s.port for s in model_slots(reg, alloc)] == [8100]


def test_a_damaged_allocation_file_is_kept_aside_before_it_is_replaced(tmp_path):
    alloc = tmp_path / "allocations.json"
    alloc.write_bytes(b'{"models": {"a": 8105, "b": 81')                # cut short: a's port is still readable
    reg = Registry(services={}, groups={}, models=Group("models", 8100, members=("a",)))
    assert [s.port for s in allocate_slots(reg, alloc)] == [8100]
    assert (tmp_path / "allocations.json.damaged").read_bytes() == b'{"models": {"a": 8105, "b": 81'
    assert json.loads(alloc.read_text()) == {"models": {"a": 8100}}
