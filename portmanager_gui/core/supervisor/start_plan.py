"""Planning a start before anything is launched: is the unit already running (ours)? Is a
copy answering its health path that we can adopt? Which port does it get, and who holds
the ports it skipped? A plan with ``failure`` set means: start nothing.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ..ports.probe import Availability
from ..ports.selection import select_port
from ..registry.model import Registry, Service
from .health import check as health_check
from .health import health_url
from .port_claims import PortClaims
from .records import ManagedRecord, StateStore
from .start_check import Scanner
from .types import Skipped, StartFailure
from .unit_spec import UnitSpec


@dataclass
class Plan:
    """One unit's start plan: its port (or why none), the ports passed over, what to adopt."""

    spec: UnitSpec
    port: int | None = None
    skipped: list[Skipped] = field(default_factory=list)
    tried: tuple[int, ...] = ()
    failure: StartFailure | None = None       # NO_COMMAND or ALL_TAKEN: start nothing
    existing: ManagedRecord | None = None     # ours, still running
    adopt_pid: int | None = None              # someone else's copy answering the health path
    adopt_port: int | None = None


class StartPlanner:
    def __init__(self, registry: Registry, store: StateStore, scanner: Scanner,
                 probe: Callable[[int], Availability], clear_leftover: Callable[[ManagedRecord], None]):
        self._registry = registry
        self._store = store
        self._scanner = scanner
        self._probe = probe
        self._clear_leftover = clear_leftover

    def plan(self, spec: UnitSpec, claimed: set[int], claims: PortClaims | None = None) -> Plan:
        """``claimed``: ports already promised to other units of the same start; ``claims``:
        this start's claims across processes (a port another start claimed counts as taken)."""
        if not spec.command:
            return Plan(spec, failure=StartFailure.NO_COMMAND)
        rec = self._store.get(spec.unit)
        if rec is not None and rec.alive:
            claimed.add(rec.port)
            return Plan(spec, port=rec.port, existing=rec)
        if rec is not None:
            self._clear_leftover(rec)
        adopt = self.find_adoptable(spec)
        if adopt is not None:
            claimed.add(adopt[0])
            return Plan(spec, adopt_port=adopt[0], adopt_pid=adopt[1], port=adopt[0])
        return self.select(spec, spec.candidates, claimed, claims=claims)

    def select(self, spec: UnitSpec, ports: Iterable[int], claimed: set[int],
               skipped: list[Skipped] | None = None, tried: tuple[int, ...] = (),
               claims: PortClaims | None = None) -> Plan:
        """The first free port of ``ports`` (the planner's rule), or ALL_TAKEN.
        The port chosen stays claimed in ``claims`` until the caller releases it."""
        starting: set[int] = set()

        def probe_(port: int) -> Availability:
            if port in claimed:
                return Availability.IN_USE
            if claims is not None and not claims.claim(port):
                starting.add(port)
                return Availability.IN_USE
            state = self._probe(port)
            if state is not Availability.FREE and claims is not None:
                claims.release(port)
            return state

        sel = select_port(Service(name=spec.unit, ports=spec.candidates), probe_, ports)
        skipped = list(skipped or []) + self.describe_skipped(sel.skipped, starting)
        tried = tried + tuple(p for p, _ in sel.tried)
        if sel.port is None:
            return Plan(spec, skipped=skipped, tried=tried, failure=StartFailure.ALL_TAKEN)
        claimed.add(sel.port)
        return Plan(spec, port=sel.port, skipped=skipped, tried=tried)

    def describe_skipped(self, skipped: Iterable[tuple[int, Availability]],
                         starting: set[int] = frozenset()) -> list[Skipped]:  # type: ignore[assignment]
        skipped = list(skipped)
        snap = self._scanner.scan([p for p, _ in skipped]) if skipped else None
        out = []
        for port, availability in skipped:
            holders = snap.info(port).holders if snap else ()
            holder = holders[0] if holders else None
            out.append(Skipped(port, holder, availability, starting=holder is None and port in starting))
        return out

    def find_adoptable(self, spec: UnitSpec) -> tuple[int, int | None] | None:
        """A port of ``spec`` held by something answering its health path as this service."""
        if not spec.health:
            return None
        # A model server is adopted only on its own slot: every model server answers /health.
        ports = spec.candidates if spec.unit in self._registry.services else spec.candidates[:1]
        snap = self._scanner.scan(ports)
        for port in ports:
            info = snap.info(port)
            if info.taken and health_check(health_url(spec.host, port, spec.health), timeout=2.0).ok:
                return port, (info.holders[0].pid if info.holders else None)
        return None
