"""OS facts that the lint rules need: ephemeral range, privileged ports, reserved ranges.

Sources:
- Linux: ``/proc/sys/net/ipv4/ip_local_port_range`` and ``ip_unprivileged_port_start``
  (kernel ip-sysctl documentation).
- macOS: ``sysctl net.inet.ip.portrange.first/last`` (default 49152-65535). Since macOS
  10.14 a port below 1024 needs no root only on the wildcard address (0.0.0.0, ::); a
  specific one -- 127.0.0.1, where services listen by default -- still needs root, so
  1024 is where unprivileged ports start. Control Center's AirPlay Receiver listens on
  5000 and 7000 from macOS 12.
- Windows: ``netsh int ipv4 show dynamicport tcp`` (default 49152-65535) and
  ``netsh int ipv4|ipv6 show excludedportrange protocol=tcp`` (ranges reserved by Hyper-V,
  WSL, Docker... -- per family: a port reserved for IPv6 only still refuses ``::1``). Windows
  has no privileged ports. The excluded ranges change while we run (WSL or Docker Desktop
  starting reserves new ones), so the facts are read again after ``FACTS_TTL_S``.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from . import LINUX, MACOS, WINDOWS, current_os
from .commands import run_command

IANA_EPHEMERAL = (49152, 65535)
FACTS_TTL_S = 60.0


@dataclass(frozen=True)
class PlatformFacts:
    """What this OS says about ports: ephemeral range, privileged ports, exclusions."""

    os_name: str
    ephemeral_range: tuple[int, int] = IANA_EPHEMERAL
    unprivileged_start: int = 0          # ports below this need root/admin; 0 means none
    excluded_ranges: tuple[tuple[int, int], ...] = ()
    airplay_ports: tuple[int, ...] = ()


def airplay_port(facts: PlatformFacts, port: int) -> bool:
    """macOS: AirPlay Receiver listens on ``port`` (5000 / 7000)."""
    return facts.os_name == MACOS and port in facts.airplay_ports


def excluded_range(facts: PlatformFacts, port: int) -> tuple[int, int] | None:
    """Windows: the excluded port range (Hyper-V, WSL, Docker) ``port`` falls in, or None."""
    if facts.os_name != WINDOWS:
        return None
    return next(((a, b) for a, b in facts.excluded_ranges if a <= port <= b), None)


def parse_linux_range(text: str) -> tuple[int, int] | None:
    nums = [int(n) for n in text.split()]
    return (nums[0], nums[1]) if len(nums) == 2 else None


def parse_netsh_dynamic(text: str) -> tuple[int, int] | None:
    """``Start Port : 49152`` / ``Number of Ports : 16384`` -> (49152, 65535).

    netsh translates its labels ("Startport", "Anzahl der Ports"...); without the English
    ones, the two ``label : number`` lines, start first, are read instead.
    """
    start = re.search(r"Start Port\s*:\s*(\d+)", text)
    count = re.search(r"Number of Ports\s*:\s*(\d+)", text)
    if start and count:
        first, number = int(start.group(1)), int(count.group(1))
    else:
        values = re.findall(r"^[^:\n]*\S[^:\n]*:\s*(\d+)\s*$", text, re.M)
        if len(values) != 2:
            return None
        first, number = int(values[0]), int(values[1])
    return (first, first + number - 1)


def parse_netsh_excluded(text: str) -> tuple[tuple[int, int], ...]:
    """Rows of ``Start Port  End Port`` from ``netsh int ipv4 show excludedportrange``."""
    return tuple((int(a), int(b)) for a, b in re.findall(r"^\s*(\d+)\s+(\d+)\b", text, re.M))


def _run(argv: list[str], os_name: str = LINUX) -> str:
    return run_command(argv, 5, os_name).stdout


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def read_facts(os_name: str) -> PlatformFacts:
    """Read the facts of this machine now."""
    if os_name == LINUX:
        eph = parse_linux_range(_read("/proc/sys/net/ipv4/ip_local_port_range")) or (32768, 60999)
        unpriv = _read("/proc/sys/net/ipv4/ip_unprivileged_port_start").strip()
        return PlatformFacts(LINUX, eph, int(unpriv) if unpriv.isdigit() else 1024)
    if os_name == MACOS:
        first = _run(["sysctl", "-n", "net.inet.ip.portrange.first"]).strip()
        last = _run(["sysctl", "-n", "net.inet.ip.portrange.last"]).strip()
        eph = (int(first), int(last)) if first.isdigit() and last.isdigit() else IANA_EPHEMERAL
        return PlatformFacts(MACOS, eph, 1024, (), (5000, 7000))
    dyn = parse_netsh_dynamic(_run(["netsh", "int", "ipv4", "show", "dynamicport", "tcp"], WINDOWS))
    excluded: set[tuple[int, int]] = set()
    for family in ("ipv4", "ipv6"):
        excluded.update(parse_netsh_excluded(
            _run(["netsh", "int", family, "show", "excludedportrange", "protocol=tcp"], WINDOWS)))
    return PlatformFacts(WINDOWS, dyn or IANA_EPHEMERAL, 0, tuple(sorted(excluded)))


@lru_cache(maxsize=1)
def _facts_in(period: int) -> PlatformFacts:
    return read_facts(current_os())


def current_facts() -> PlatformFacts:
    """The facts of this machine, read again once they are ``FACTS_TTL_S`` old."""
    return _facts_in(int(time.monotonic() // FACTS_TTL_S))


current_facts.cache_clear = _facts_in.cache_clear  # type: ignore[attr-defined]
