"""The values the supervisor hands back: start/stop outcomes and events for the desktop app."""
from __future__ import annotations

from dataclasses import dataclass

EVENT_KINDS = ("starting", "started", "fallback", "failed", "stopped", "crashed", "restarting", "gave_up")


@dataclass(frozen=True)
class StartOutcome:
    unit: str                      # service name, or "pool/model" for a model server
    ok: bool
    port: int | None               # port actually used
    preferred: int | None
    fallback_from: tuple[tuple[int, str], ...] = ()   # (skipped port, holder e.g. "nginx (pid 812)")
    adopted: bool = False
    pid: int | None = None
    error: str = ""                # user text when not ok (the all-taken block, a crash's log tail)
    warnings: tuple[str, ...] = () # user lines: fallback warning(s), the expose warning
    tried: tuple[int, ...] = ()


@dataclass(frozen=True)
class StopOutcome:
    unit: str
    ok: bool
    pid: int | None
    port: int | None
    message: str = ""


@dataclass(frozen=True)
class SupervisorEvent:
    kind: str                      # one of EVENT_KINDS
    unit: str
    port: int | None
    message: str

    def __post_init__(self) -> None:
        if self.kind not in EVENT_KINDS:
            raise ValueError(f"unknown supervisor event kind {self.kind!r}")
