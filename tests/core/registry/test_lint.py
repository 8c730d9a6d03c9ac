"""Lint warnings, each with its fix, with the OS facts injected."""
from __future__ import annotations

from portmanager_gui.core.platform import LINUX, MACOS, WINDOWS
from portmanager_gui.core.platform.facts import (
    PlatformFacts,
    parse_linux_range,
    parse_netsh_dynamic,
    parse_netsh_excluded,
)
from portmanager_gui.core.registry.defaults import DEFAULT_REGISTRY_YAML
from portmanager_gui.core.registry.lint import lint
from portmanager_gui.core.registry.load import parse
from portmanager_gui.core.registry.model import Group, Registry, Service

LINUX_FACTS = PlatformFacts(LINUX, (32768, 60999), 1024)


def _reg(services=(), groups=(), models=None):
    return Registry(services={s.name: s for s in services}, groups={g.name: g for g in groups},
                    models=models or Group("models", 8100))


def _codes(warnings):
    return sorted(w.code for w in warnings)


def test_claracore_migration_case_is_flagged_with_8100():
    reg = _reg([Service("claracore", (5800,))], models=Group("models", 5800, members=("m",)))
    [w] = lint(reg, LINUX_FACTS)
    assert w.code == "range-contains-service" and w.key == "start_port"
    assert "5800" in w.message and "claracore" in w.message
    assert "set start_port to 8100" in w.fix


def test_duplicate_ports_and_overlapping_ranges():
    reg = _reg([Service("a", (3000,)), Service("b", (3001, 3000))],
               [Group("g1", 9000, 100), Group("g2", 9050, 100)])
    warnings = lint(reg, LINUX_FACTS)
    assert _codes(warnings) == ["duplicate-port", "overlapping-ranges"]
    dup = next(w for w in warnings if w.code == "duplicate-port")
    assert dup.key == "services.b.ports[1]" and "a" in dup.message


def test_os_specific_rules():
    reg = _reg([Service("web", (80,)), Service("airplay", (5000,)), Service("eph", (50000,))])
    assert _codes(lint(reg, LINUX_FACTS)) == ["ephemeral-port", "privileged-port"]
    mac = PlatformFacts(MACOS, (49152, 65535), 0, (), (5000, 7000))
    assert _codes(lint(reg, mac)) == ["airplay-port", "ephemeral-port"]
    win = PlatformFacts(WINDOWS, (49152, 65535), 0, ((4990, 5089),))
    warnings = lint(reg, win)
    assert _codes(warnings) == ["ephemeral-port", "excluded-port"]
    assert "netsh int ipv4 show excludedportrange" in next(w for w in warnings if w.code == "excluded-port").message


def test_the_default_registry_shows_the_real_backend_collision():
    # The seed documents put backend on 8203, inside the large-models range 8200+.
    warnings = lint(parse(DEFAULT_REGISTRY_YAML, "r.yaml"), LINUX_FACTS)
    assert [(w.code, w.key) for w in warnings] == [("range-contains-service", "groups.large-models")]
    assert "lower its size to 3" in warnings[0].fix


def test_os_fact_parsers():
    assert parse_linux_range("32768\t60999\n") == (32768, 60999)
    dyn = "Protocol tcp Dynamic Port Range\n---------------------------------\nStart Port      : 49152\nNumber of Ports : 16384\n"
    assert parse_netsh_dynamic(dyn) == (49152, 65535)
    excl = ("Protocol tcp Port Exclusion Ranges\n\nStart Port    End Port\n----------    --------\n"
            "      5357        5357\n     50000       50059     *\n\n* - Administered port exclusions.\n")
    assert parse_netsh_excluded(excl) == ((5357, 5357), (50000, 50059))
