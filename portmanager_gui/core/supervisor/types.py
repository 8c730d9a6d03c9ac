"""The values the supervisor hands back: start/stop outcomes and events for the desktop app.

Facts, never sentences: kinds are enums and every number, path, port and log line a sentence
needs is a typed field, so the CLI and the UI decide by kind and make their own words with
``portmanager_gui.text`` (which core never imports).
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


class Adoption(str, Enum):
    """How a start found its unit already running instead of launching it."""

    OURS = "ours"                  # Port Manager's own record: it runs already
    UNSEEN = "unseen"              # a copy answers its health path; its process cannot be seen
    FOREIGN = "foreign"            # a copy answers its health path; its process was adopted


class CheckSaw(str, Enum):
    """What the start check last saw when it gave up waiting."""

    NOT_LISTENING = "not listening"    # the port never started listening
    NO_ANSWER = "no answer"            # listening, but the health URL did not answer 2xx
    CANCELLED = "cancelled"


class LaunchTrouble(str, Enum):
    """Why a launch could not run the service's program (or keep it running)."""

    NOT_FOUND = "not found"            # the program is in none of the folders searched
    CANNOT_RUN = "cannot run"          # the OS refused to run it
    NO_CWD = "no cwd"                  # its working folder does not exist
    LOG_NOT_WRITTEN = "log"            # Port Manager's log file for it could not be written
    STATE_NOT_WRITTEN = "state"        # the state record could not be written


@dataclass(frozen=True)
class LaunchProblem:
    """Why a unit could not be launched: which file or program, its path, the OS's reason."""

    trouble: LaunchTrouble
    path: str = ""                     # the program, the cwd, the log file or the state record
    strerror: str = ""                 # the OS's own reason
    searched: tuple[str, ...] = ()     # NOT_FOUND: the folders searched
    stopped_again: bool = False        # STATE_NOT_WRITTEN after the spawn: it ran and was stopped


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
    tried: tuple[int, ...] = ()
    failure: StartFailure | None = None   # set exactly when not ok
    title: str = ""                # "Model Router": the unit's name for people (the unit when empty)
    adoption: Adoption | None = None      # set with ``adopted``
    exposed_on: str = ""           # the host it listens on for the whole network (``expose: true``)
    # -- why it failed (by ``failure``) --
    launch_port: int | None = None        # the port it was launched on (or found answering on)
    returncode: int | None = None         # EXITED: its exit code
    start_timeout: float | None = None    # TIMEOUT: how long it was given
    check: CheckSaw | None = None         # TIMEOUT: what the start check last saw
    health_url: str = ""                  # NO_ANSWER: the URL asked
    health_status: int | None = None      # NO_ANSWER: its HTTP status, if any
    health_error: str = ""                # NO_ANSWER: the HTTP client's own reason
    problem: LaunchProblem | None = None  # EXITED / STATE: the program could not be run or tracked
    log_path: str = ""                    # EXITED / TIMEOUT: its log and its last lines
    log_tail: tuple[str, ...] = ()
    blocked_by: tuple[str, ...] = ()      # BLOCKED: the units of the same start that could not start
    lock_error: str = ""                  # BUSY: the lock's own explanation (file_lock.LockTimeout)


class StopEnd(str, Enum):
    """What a stop found and did."""

    NOT_RUNNING = "not running"        # no record: nothing to stop
    HAD_ENDED = "had ended"            # recorded, but its process had ended already
    STOPPED = "stopped"                # signalled (``forced``, ``free``, ``survivors`` say how it went)
    REFUSED = "refused"                # nothing signalled: ``failure`` says why


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
    end: StopEnd = StopEnd.STOPPED
    failure: StopFailure | None = None
    owner: int | str | None = None     # OTHER_OWNER: the uid (POSIX) or user name (Windows) it runs as now
    main_pid: int | None = None        # STOPPED: the service's own process (a daemon's, not its launcher's)
    forced: bool = False               # STOPPED: it ignored the request to stop and was killed
    free: bool = True                  # STOPPED: its port was released
    survivors: tuple[int, ...] = ()    # STOPPED: pids that could not be ended
    maybe: bool = False                # OTHER_OWNER: an unreadable holder of its port, maybe it


@dataclass(frozen=True)
class SupervisorEvent:
    """Something that happened to a unit while it was started, watched or stopped."""

    kind: EventKind                # a plain string of EVENT_KINDS is turned into its EventKind
    unit: str
    port: int | None
    title: str = ""                    # STARTING: the unit's name for people
    start: StartOutcome | None = None  # STARTED / FALLBACK / FAILED of a start: its outcome
    stop: StopOutcome | None = None    # STOPPED / FAILED of a stop: its outcome
    returncode: int | None = None      # STOPPED / CRASHED: its exit code (None: not our child)
    log_path: str = ""                 # CRASHED: its log and its last lines
    log_tail: tuple[str, ...] = ()
    delay: float | None = None         # RESTARTING: seconds until it (None: now)
    failures: int = 0                  # RESTARTING / GAVE_UP: failures counted
    window: float | None = None        # GAVE_UP: within how many seconds

    def __post_init__(self) -> None:
        # EventKind(...) raises ValueError for an unknown kind
        object.__setattr__(self, "kind", EventKind(self.kind))
