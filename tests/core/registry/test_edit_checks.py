"""Edit checks: what the Services and Groups editors show on every keystroke, as pure functions."""
from __future__ import annotations

import pytest

from portmanager_gui.core.occupancy.snapshot import (
    Holder,
    PortInfo,
    PortStatus,
    Snapshot,
)
from portmanager_gui.core.platform import WINDOWS
from portmanager_gui.core.platform.facts import PlatformFacts
from portmanager_gui.core.ports.selection import ModelSlot
from portmanager_gui.core.registry.edit_checks import (
    check_port_list,
    parse_port,
    preview_group,
)
from portmanager_gui.core.registry.model import Group, Registry, Service

NGINX = Holder(812, "nginx", create_time=1.0)


def _registry() -> Registry:
    services = {"router": Service("router", (3791, 3003)), "backend": Service("backend", (8203,))}
    groups = {"large-models": Group("large-models", 8200, 10, ("model1", "model2"))}
    return Registry(services, groups, Group("models", 8100, 10, ("my-model",)))


def _held(port: int, *holders: Holder, status: PortStatus = PortStatus.LISTENING) -> Snapshot:
    return Snapshot(1.0, {port: PortInfo(port, status, holders)})


@pytest.mark.parametrize("text,port", [("3791", 3791), (" 80 ", 80), ("65535", 65535), ("65536", None),
                                       ("0", None), ("080", None), ("12a", None), ("", None), ("-1", None)])
def test_parse_port_accepts_whole_numbers_from_1_to_65535(text, port):
    assert parse_port(text) == port


def test_a_clean_list_is_ok_and_keeps_its_order():
    check = check_port_list(_registry(), "router", ["3791", "3004"])
    assert check.ok and check.ports == (3791, 3004) and check.messages() == []


def test_every_entry_error_names_the_entry_and_what_to_do():
    slots = (ModelSlot("models", "my-model", 8100),)
    check = check_port_list(_registry(), "router", ["3791", "x", "3791", "8203", "8100"], slots=slots)
    assert not check.ok
    assert [e.errors for e in check.entries] == [
        (), ("not a port: type a whole number from 1 to 65535",), ("duplicate of entry 1",),
        ("port 8203 is used by service backend",), ("port 8100 is the slot of model server models/my-model",)]
    assert "x: not a port: type a whole number from 1 to 65535" in check.messages()


def test_an_empty_list_is_an_error():
    check = check_port_list(_registry(), "router", [])
    assert not check.ok and check.errors == ("a service needs at least one port",)


def test_warnings_do_not_block_saving():
    check = check_port_list(_registry(), "router", ["80", "8205"], snapshot=_held(80, NGINX))
    assert check.ok
    assert check.entries[0].warnings == ("below 1024: may need admin rights to bind",
                                         "held right now by nginx (pid 812)")
    assert check.entries[1].warnings == ("inside the range 8200-8209 of group large-models",)


def test_a_port_held_by_the_service_itself_is_no_warning_and_a_hidden_holder_is_named_so():
    own = check_port_list(_registry(), "router", ["3791"], snapshot=_held(3791, NGINX), own_pids=frozenset({812}))
    assert own.entries[0].warnings == ()
    hidden = check_port_list(_registry(), "router", ["3791"], snapshot=_held(3791, status=PortStatus.HIDDEN))
    assert hidden.entries[0].warnings == ("held right now by a process that cannot be seen",)


def test_group_preview_assigns_sticky_ports_around_reserved_ones():
    reg = _registry()
    preview = preview_group(reg, "large-models", 8200, 10, ["model1", "model2", "model3"],
                            previous={"large-models": {"model2": 8200}}, original_name="large-models")
    assert preview.ok and preview.errors == ()
    assert preview.assignment == (("model1", 8201), ("model2", 8200), ("model3", 8202))
    assert preview.group == Group("large-models", 8200, 10, ("model1", "model2", "model3"))


def test_group_preview_errors_say_what_is_wrong():
    reg = _registry()
    bad = preview_group(reg, "", 70000, 0, ["ok", "bad name", "ok"])
    assert not bad.ok and bad.group is None
    assert bad.errors == ("the group needs a name of letters, digits, '.', '_' or '-'",
                          "start port 70000 is not a port (1-65535)", "size 0 makes the range end past 65535",
                          "member 'bad name' is not a valid model name", "member listed twice: ok")
    taken = preview_group(reg, "router", 9000, 5, [])
    assert taken.errors == ("the name 'router' is already used in the registry",)
    new_with_same_name = preview_group(reg, "large-models", 8200, 10, ["model1"])
    assert new_with_same_name.errors == ("the name 'large-models' is already used in the registry",)
    renamed = preview_group(reg, "big", 8200, 10, ["model1"], original_name="large-models")
    assert renamed.ok and renamed.assignment == (("model1", 8200),)


def test_group_preview_reports_a_full_range_held_ports_and_lint_findings():
    reg = _registry()
    full = preview_group(reg, "tiny", 9000, 1, ["a", "b"])
    assert not full.ok and full.group is not None and len(full.errors) == 1 and "tiny" in full.errors[0]
    facts = PlatformFacts(WINDOWS, (49152, 65535), 0, ((9000, 9010),))
    held = preview_group(reg, "tiny", 9000, 5, ["a"], snapshot=_held(9000, NGINX), facts=facts)
    assert held.ok                                      # conflicts warn, they do not block
    assert "a -> 9000: held right now by nginx (pid 812)" in held.conflicts
    assert any("excluded port range 9000-9010" in c for c in held.conflicts)
