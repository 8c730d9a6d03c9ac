"""The import preview and the units to restart after an edit."""
from __future__ import annotations

from portmanager_gui.core.interop.changes import Change, ChangeKind, changed_units, diff
from portmanager_gui.core.registry.model import Group, Service


def test_diff_lists_additions_and_changes(registry):
    new = (registry.with_service_ports("backend", (9000,))
           .with_service(Service("webrtc", (8620,)))
           .with_group_range("small-models", 8500, 50)
           .with_group(Group("gpu", 9100, members=("big",))))
    assert diff(registry, new) == (
        Change(ChangeKind.PORTS, "backend", (8203,), (9000,)),
        Change(ChangeKind.ADD_SERVICE, "webrtc", (), (8620,)),
        Change(ChangeKind.RANGE, "small-models", (8300, 100), (8500, 50)),
        Change(ChangeKind.ADD_GROUP, "gpu", (), (9100, 100)),
        Change(ChangeKind.MEMBERS, "gpu", (), ("big",)),
    )
    texts = [c.describe() for c in diff(registry, new)]
    assert texts[0] == "change ports of backend from 8203 to 9000"
    assert texts[2] == "move group small-models from 8300-8399 to 8500-8549"


def test_no_changes(registry):
    assert diff(registry, registry) == ()


def test_changed_units_follow_the_running_order(registry):
    new = registry.with_service_ports("backend", (9000,)).with_group_range("large-models", 8400)
    running = ["redis", "large-models/model1", "backend", "small-models/embedding1", "backend"]
    assert changed_units(registry, new, running) == ["large-models/model1", "backend"]


def test_only_a_new_fallback_needs_no_restart_but_a_dropped_port_does(registry):
    more = registry.with_service_ports("router", (3791, 3003, 8080))
    assert changed_units(registry, more, ["router"]) == []
    fewer = registry.with_service_ports("router", (3791,))
    assert changed_units(registry, fewer, ["router"]) == ["router"]


def test_consumers_restart_when_any_port_moved(registry):
    new = registry.with_service_ports("backend", (9000,))
    assert changed_units(registry, new, ["frontend", "redis"], consumers=["frontend"]) == ["frontend"]
    assert changed_units(registry, registry, ["frontend"], consumers=["frontend"]) == []


def test_units_of_removed_services_or_members_are_not_listed(registry):
    new = registry.without_service("backend").with_group_range("large-models", 8400)
    new = new.with_group(Group("large-models", 8400, members=("model2",)))
    assert changed_units(registry, new, ["backend", "large-models/model1", "large-models/model2"]) == \
        ["large-models/model2"]
