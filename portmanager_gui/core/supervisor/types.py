"""The values the supervisor hands back: start/stop outcomes and events for the desktop app.

Kinds are enums, so the CLI and the UI decide by kind and make their own sentences; the
``error`` / ``message`` texts are the core's detail (the all-taken block, a log tail), never
something to parse again.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from ..occupancy.snapshot import Holder
from ..ports.probe import Availability


class EventKind(str, Enum):
    STARTING = "starting"
    STARTED = "started"
    FALLBACK = "fallback"          # started, but not on its preferred port
    FAILED = "failed"
    STOPPED = "stopped"
    CRASHED = "crashed"
    RESTARTING = "restarting"
    GAVE_UP = "gave_up"            # the restart policy stopped trying


EVENT_KINDS = tuple(k.value for k in EventKind)


class StartFailure(str, Enum):
    """Why a start did not give a running unit."""

    NO_COMMAND = "no command"          # the registry entry has no command to run
    ALL_TAKEN = "all ports taken"      # every candidate port is held (``tried`` lists them)
    BLOCKED = "blocked"                # another unit of the same start could not get a port
    CANCELLED = "cancelled"
    ENDED = "ended"                    # the copy to adopt ended meanwhile
    EXITED = "exited"                  # the process ended before it was running
    TIMEOUT = "timeout"                # not listening / healthy within start_timeout
    BUSY = "busy"                      # another start of the same unit held its lock too long
    STATE = "state record"             # the state record (or the log) could not be written: nothing left running


@dataclass(frozen=True)
class Skipped:
    """A candidate port passed over, and why (who held it, or reserved by the OS)."""

    port: int
    holder: Holder | None = None
    availability: Availability = Availability.IN_USE
    starting: bool = False            # claimed by another start (``port_claims``), not yet held


@dataclass(frozen=True)
class StartOutcome:
    """What one unit's start gave: running (where, after which fallbacks) or why not."""

    unit: str                      # service name, or "pool/model" for a model server
    ok: bool
    port: int | None               # port actually used
    preferred: int | None
    fallback_from: tuple[Skipped, ...] = ()   # the candidate ports passed over before ``port``
    adopted: bool = False
    pid: int | None = None
    error: str = ""                # user text when not ok (the all-taken block, a crash's log tail)
    warnings: tuple[str, ...] = () # user lines: fallback warning(s), the expose warning
    tried: tuple[int, ...] = ()
    failure: StartFailure | None = None   # set exactly when not ok
    title: str = ""                # "Model Router": the unit's name for people (the unit when empty)


class StopFailure(str, Enum):
    """Why a stop left a unit running."""

    OTHER_OWNER = "other owner"        # ours, but owned by a user we may not signal now: record kept


@dataclass(frozen=True)
class StopOutcome:
    """What one unit's stop gave."""

    unit: str
    ok: bool
    pid: int | None
    port: int | None
    message: str = ""
    failure: StopFailure | None = None
    owner: int | str | None = None     # OTHER_OWNER: the uid (POSIX) or user name (Windows) it runs as now


@dataclass(frozen=True)
class SupervisorEvent:
    """Something that happened to a unit while it was started, watched or stopped."""

    kind: EventKind                # a plain string of EVENT_KINDS is turned into its EventKind
    unit: str
    port: int | None
    message: str

    def __post_init__(self) -> None:
        # EventKind(...) raises ValueError for an unknown kind
        object.__setattr__(self, "kind", EventKind(self.kind))
