"""The desktop app's sentences, made from typed values (the CLI has its own in ``cli/``);
the supervisor's and the kill policy's words, shared with the CLI, come from ``portmanager_gui.text``.

Nothing here reads text back: decisions are made on the kinds (``StartFailure``,
``EventKind``, ``Operation``, ``StoreTrouble``, ``Fault``) before a sentence is made.
"""
from __future__ import annotations

import functools
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from ..core.occupancy.snapshot import Holder
from ..core.platform.display import DisplayProblem, DisplayTrouble
from ..core.supervisor.state_damage import StateDamage
from ..services.background import Fault, JobFailure
from ..services.controller import Operation, RequestFailure
from ..services.registry_store import StoreProblem, StoreTrouble
from ..text.state import state_damage_found, state_damage_what

if TYPE_CHECKING:   # a start's and an event's words are made after the first paint: imported there (issue 16)
    from ..core.supervisor.types import StartFailure, StartOutcome, SupervisorEvent

UNSEEN = "a process that cannot be seen"


@functools.cache
def _failure_notes() -> dict[StartFailure, str]:
    """Each failure's row note, made when a start first fails (not needed to paint, issue 16)."""
    from ..core.supervisor.types import StartFailure

    return {
        StartFailure.NO_COMMAND: "no command in the registry",
        StartFailure.ALL_TAKEN: "All preferred ports are in use!",
        StartFailure.BLOCKED: "not started: another unit of the same start could not start",
        StartFailure.CANCELLED: "the start was cancelled",
        StartFailure.ENDED: "the copy to adopt ended",
        StartFailure.EXITED: "failed to start",
        StartFailure.TIMEOUT: "not running within its start_timeout",
        StartFailure.BUSY: "another start of it was still running",
    }

_REQUESTS = {
    Operation.START: "start {target}",
    Operation.RESTART: "restart {target}",
    Operation.STOP: "stop {target}",
    Operation.STOP_ALL: "stop everything Port Manager started",
    Operation.STOP_OWNED: "stop what Port Manager started",
    Operation.PLAN_KILL: "look up the holders of port {target}",
    Operation.KILL: "kill the holder of port {target}",
    Operation.STOP_CONTAINER: "stop container {target}",
}


def first_sentence(message: str) -> str:
    """The first line that says something ("=====" rulers and an "ERROR:" tag skipped)."""
    for line in message.splitlines():
        text = line.strip().removeprefix("ERROR:").strip()
        if any(c.isalnum() for c in text):
            return text
    return ""


def holders_text(holders: Iterable[Holder], none: str = UNSEEN) -> str:
    """``nginx (pid 812), caddy (pid 900)``."""
    return ", ".join(h.describe() for h in holders) or none


def start_failure_note(out: StartOutcome) -> str:
    """The failed row's note: the all-taken headline, else the detail's first line."""
    # a start's words: not needed to paint (issue 16)
    from ..core.supervisor.types import StartFailure
    from ..text.supervisor import start_error

    if out.failure is StartFailure.ALL_TAKEN:
        return _failure_notes()[StartFailure.ALL_TAKEN]
    return first_sentence(start_error(out)) or _failure_notes().get(out.failure, "failed to start")


def start_failure_title(out: StartOutcome) -> str:
    return f"{out.unit} failed to start"


def start_failure_text(out: StartOutcome) -> str:
    # a start's words: not needed to paint (issue 16)
    from ..text.supervisor import start_error

    return start_error(out) or f"{out.unit}: {start_failure_note(out)}"


FALLBACK_TITLE = "Fallback port in use"


def event_title(event: SupervisorEvent) -> str:
    """``router crashed`` / ``router gave up``."""
    return f"{event.unit} {event.kind.value.replace('_', ' ')}"


def event_note(event: SupervisorEvent) -> str:
    """A row's note for a crash or a restart given up."""
    # an event's words: not needed to paint (issue 16)
    from ..text.supervisor import event_text

    return first_sentence(event_text(event)) or event.kind.value.replace("_", " ")


def request_failed(failure: RequestFailure) -> str:
    """``Could not start router: <the error>``."""
    what = _REQUESTS[failure.operation].format(target=failure.target)
    return f"Could not {what}: {failure.detail}"


def killed_text(port: int, result) -> str:
    """The status-bar line after a kill that freed the port."""
    return f"Port {port} is free: stopped {holders_text(result.killed, 'nothing')}"


def still_held_text(port: int, result) -> str:
    """The banner after a kill that left the port held, with the refusals' reasons."""
    # a kill's words: not needed to paint the first snapshot (issue 16)
    from ..text.kill import refusal_text

    why = "; ".join(refusal_text(r) for r in result.refused)
    return f"Port {port} is still held by {holders_text(result.still_holding)}. {why}".strip()


STATE_DAMAGE_TITLE = "Port Manager's service record is damaged"


def state_damage_text(damage: StateDamage) -> str:
    """The window's and the notification's words for a damaged state record (services.json)."""
    found = state_damage_found(damage)
    return (f"The record of the services Port Manager started, {state_damage_what(damage)}. "
            f"{found[0].upper()}{found[1:]}. Services it started may also run unrecorded: look for them in "
            f"the All ports tab (or `portmanager status --all`) and stop them there. "
            f"The next start or stop replaces the file and keeps the damaged one as {damage.copy}.")


def store_problem(problem: StoreProblem) -> str:
    """Why the registry file is not (all) in use, or a save did not land, and what to do."""
    trouble, path, detail = problem.trouble, problem.path, problem.detail
    if trouble is StoreTrouble.CANNOT_CREATE:
        return f"{path}: cannot be created ({detail}); check the folder's permissions"
    if trouble is StoreTrouble.MISSING:
        return (f"{path}: the registry file is missing; save from Port Manager "
                f"or restore it (a copy is kept as {path.name}.bak)")
    if trouble is StoreTrouble.NOT_WRITTEN:
        return f"{path}: cannot be written ({detail}); nothing was changed"
    if trouble is StoreTrouble.NOT_REMEMBERED:
        return f"{path}: cannot be written ({detail}); model-server ports may move at the next start"
    if trouble is StoreTrouble.INVALID and problem.kept_last:
        return f"{detail} (still using the last registry that loaded)"
    return detail                  # the core's own file:line text says what to do


def job_failure(failure: JobFailure) -> str:
    """A failed background job: the core's own text, or the file and the OS's reason."""
    if failure.fault is Fault.OS:
        return f"{failure.path or 'a file'}: {failure.detail}; check the path and its permissions"
    return failure.detail


def scan_failed(failure: JobFailure) -> str:
    return f"Scanning ports failed: {job_failure(failure)}"


def import_failed(failure: JobFailure) -> str:
    return f"Import failed: {job_failure(failure)} (nothing was written)"


def display_problem_text(problem: DisplayProblem) -> str:
    """One sentence: what is missing and what to do."""
    if problem.trouble is DisplayTrouble.NO_DISPLAY:
        return ("Port Manager cannot open its window: there is no display here (DISPLAY and WAYLAND_DISPLAY "
                "are not set); run it in a desktop session, or use the `portmanager` command instead "
                "(for example `portmanager status`).")
    return (f"Port Manager cannot open its window: Qt's X11 platform needs {', '.join(problem.libraries)}, "
            f"which {'is' if len(problem.libraries) == 1 else 'are'} not installed; install "
            f"{'it' if len(problem.libraries) == 1 else 'them'} with `sudo apt-get install "
            f"{' '.join(problem.packages)}` (Debian/Ubuntu) and start Port Manager again.")


def already_running_text(lock: Path) -> str:
    return (f"Port Manager is already running (lock {lock}) but did not answer; "
            "quit it from its tray icon, or end it, and start again.")
