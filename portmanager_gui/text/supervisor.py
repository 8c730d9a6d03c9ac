"""The supervisor's sentences: a start's warnings and error, a stop, each event.

The seed document's own lines come first, word for word (``selection.fallback_warning``,
``selection.all_taken_lines``: the planner's specified output, kept beside the planner);
what Port Manager adds -- who holds the port, what to do -- follows.
"""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ..core.ports.probe import Availability
from ..core.ports.selection import all_taken_lines, fallback_warning
from ..core.supervisor.types import (
    Adoption,
    CheckSaw,
    EventKind,
    LaunchProblem,
    LaunchTrouble,
    Skipped,
    StartFailure,
    StartOutcome,
    StopEnd,
    StopOutcome,
    SupervisorEvent,
)
from .rows import RESERVED_BY, fallback_sentence

UNSEEN = "a process Port Manager cannot see"
STARTING = "another Port Manager start, about to launch on it"


# -- who held a port ------------------------------------------------------------------------

def short(s: Skipped) -> str:
    """``nginx, pid 812`` -- for the CLI line."""
    if s.availability is Availability.RESERVED:
        return "reserved by the operating system"
    if s.holder is None:
        return STARTING if s.starting else UNSEEN
    return f"{s.holder.name or '?'}, pid {s.holder.pid}"


def describe(s: Skipped) -> str:
    """``nginx (pid 812)`` -- for events."""
    if s.availability is Availability.RESERVED:
        return RESERVED_BY
    if s.holder is None:
        return STARTING if s.starting else UNSEEN
    return s.holder.describe()


def _held(s: Skipped) -> str:
    """``812 is held by nginx, pid 812`` / ``is reserved by the operating system``."""
    return short(s) if s.availability is Availability.RESERVED else f"held by {short(s)}"


def fallback_line(preferred: int, port: int, skipped: Iterable[Skipped]) -> str:
    """``Port 3791 is in use, using fallback port 3003 (3791 is held by nginx, pid 812)``."""
    held = "; ".join(f"{s.port} is {_held(s)}" for s in skipped)
    return f"{fallback_warning(preferred, port)} ({held})" if held else fallback_warning(preferred, port)


def fallback_event(preferred: int, port: int, skipped: Iterable[Skipped], title: str) -> str:
    """``Port 3791 is in use by nginx (pid 812); Model Router started on fallback port 3003``."""
    first = next((s for s in skipped if s.port == preferred), None)
    return fallback_sentence(preferred, port, title, describe(first) if first is not None else "")


def all_taken(ports: Iterable[int], skipped: Iterable[Skipped], unit: str) -> str:
    """The document's error block, then who holds each port and what to do."""
    lines = all_taken_lines(list(ports))
    held = [f"  {s.port}: {_held(s)}" for s in skipped]
    if held:
        lines += [f"Who holds the ports of {unit}:", *held,
                  f"Free one (portmanager kill PORT) or add a fallback port to {unit} in the registry."]
    return "\n".join(lines)


def expose_warning(unit: str, host: str, port: int) -> str:
    return (f"{unit} listens on {host}:{port} for every machine on your network (expose: true); "
            "llama-server has no API key by default -- pass --api-key in its command, "
            "or remove `expose: true` to keep it on 127.0.0.1")


def no_command(unit: str) -> str:
    return (f"{unit} has no command in the registry, so Port Manager cannot start it; "
            f"add `command: [program, arg, \"{{port}}\"]` to its entry")


# -- a start ----------------------------------------------------------------------------------

def start_warnings(out: StartOutcome) -> tuple[str, ...]:
    """The lines said about a start that went well: adopted how, fallback port, exposed."""
    if out.adoption is Adoption.OURS:
        return (f"{out.unit} is already running on port {out.port} (pid {out.pid})",)
    if out.adoption is not None:
        return (adopted_text(out),)
    lines = []
    if out.ok and out.port is not None and out.preferred is not None and out.port != out.preferred:
        lines.append(fallback_line(out.preferred, out.port, out.fallback_from))
    if out.exposed_on and out.port is not None:
        lines.append(expose_warning(out.unit, out.exposed_on, out.port))
    return tuple(lines)


def adopted_text(out: StartOutcome) -> str:
    """A copy found answering on the unit's port (seen or not) instead of a second start."""
    note = f"{out.unit} already answers on port {out.port}"
    if out.adoption is Adoption.UNSEEN:
        return f"{note}, but Port Manager cannot see its process; it was not started a second time"
    return f"{note} (pid {out.pid}); adopted it instead of starting a second copy"


def launch_problem(unit: str, p: LaunchProblem) -> str:
    """Why the program could not be run (or kept running) and what to do."""
    if p.trouble is LaunchTrouble.NOT_FOUND:
        folders = ", ".join(p.searched) or "(no folders: PATH is empty)"
        return (f"Cannot start {unit}: command '{p.path}' was not found. Searched: {folders}. Install it, or "
                "write its full path as the first item of the command in the registry.")
    if p.trouble is LaunchTrouble.NO_CWD:
        return (f"{unit}: its working folder (cwd) {p.path} does not exist or is not a folder; "
                f"fix `cwd` in the registry")
    if p.trouble is LaunchTrouble.CANNOT_RUN:
        return (f"{unit}: cannot run {p.path!r} ({p.strerror}); check the command "
                f"in the registry (the program must be installed and on PATH)")
    what = ("was stopped again: Port Manager does not leave running a service it could lose track of"
            if p.stopped_again else "was not started")
    which = "The state record" if p.trouble is LaunchTrouble.STATE_NOT_WRITTEN else "Its log file"
    return (f"{unit} {what}. {which} {p.path} could not be written ({p.strerror}); free disk space "
            f"or fix the permissions of {Path(p.path).parent}, then start it again")


def check_text(out: StartOutcome) -> str:
    """What the start check last saw: ``its port never started listening``."""
    if out.check is CheckSaw.NO_ANSWER:
        return f"{out.health_url} did not answer ({out.health_error or out.health_status})"
    if out.check is CheckSaw.CANCELLED:
        return "the start was cancelled"
    return "its port never started listening"


def _tail_block(out: StartOutcome) -> str:
    if not out.log_tail:
        return ""
    return f"\nLast lines of {out.log_path}:\n" + "\n".join("  " + ln for ln in out.log_tail)


def start_error(out: StartOutcome) -> str:
    """Why a start gave no running unit and what to do (several lines: a block, a log tail)."""
    unit, f = out.unit, out.failure
    if f is StartFailure.NO_COMMAND:
        return no_command(unit)
    if f is StartFailure.ALL_TAKEN:
        return all_taken(out.tried, out.fallback_from, unit)
    if f is StartFailure.BLOCKED:
        return f"{unit} was not started because {', '.join(out.blocked_by)} could not start (see above)"
    if f is StartFailure.CANCELLED:
        if out.launch_port is None:
            return f"{unit} was not started: cancelled"
        return f"{unit} was stopped before it was running on port {out.launch_port}: the start was cancelled"
    if f is StartFailure.ENDED:
        return (f"{unit} already answers on port {out.launch_port} but its process (pid {out.pid}) ended "
                "meanwhile; start it again")
    if f is StartFailure.BUSY:
        return f"{unit} was not started: {out.lock_error}"
    if f is StartFailure.STATE and out.problem is not None:
        return launch_problem(unit, out.problem)
    if f is StartFailure.TIMEOUT:
        why = (f"{unit} was not running on port {out.launch_port} after {out.start_timeout:g} s "
               f"({check_text(out)}); it was stopped. Raise start_timeout if it needs longer")
    elif out.problem is not None:
        why = launch_problem(unit, out.problem)
    elif f is StartFailure.EXITED:
        why = f"{unit} exited with code {out.returncode} before it was running on port {out.launch_port}"
    else:
        why = f"{unit} was not started"
    return why + _tail_block(out)


# -- a stop -----------------------------------------------------------------------------------

def owner_text(owner: int | str | None) -> str:
    """``uid 65534`` (POSIX) / ``DOMAIN\\alice`` (Windows) / ``another user``."""
    return f"uid {owner}" if isinstance(owner, int) else (owner or "another user")


def stop_text(out: StopOutcome) -> str:
    """What a stop did: ``stopped web (pid 4242); port 8000 is free``."""
    unit = out.unit
    if out.end is StopEnd.NOT_RUNNING:
        return f"{unit} is not running"
    if out.end is StopEnd.HAD_ENDED:
        return f"{unit} was not running any more (pid {out.pid} had ended)"
    if out.end is StopEnd.REFUSED:
        who = owner_text(out.owner)
        if out.maybe:
            return (f"{unit}'s port {out.port} is held by pid {out.pid}, owned by {who}, started after {unit}; "
                    f"it may be {unit} running as another user, whose mark Port Manager may not read: "
                    f"it cannot be stopped from here. Stop it as that user or with admin rights. "
                    f"Port Manager keeps its record")
        return (f"{unit} (pid {out.pid}) is ours but cannot be stopped: owned by {who} now; "
                f"stop it as that user or with admin rights. Port Manager keeps its record")
    forced = " (it ignored the request to stop and was killed)" if out.forced else ""
    text = (f"stopped {unit} (pid {out.main_pid if out.main_pid is not None else out.pid}){forced}; "
            f"port {out.port} is " + ("free" if out.free else "still held"))
    if out.survivors:
        text += (f"; could not end pid {', '.join(map(str, out.survivors))} "
                 "(another user's process? try `portmanager kill` with admin rights)")
    return text


# -- events -----------------------------------------------------------------------------------

def event_text(event: SupervisorEvent) -> str:
    """The line said when the event happens (``portmanager up`` prints it, the app notifies it)."""
    unit, kind, start = event.unit, event.kind, event.start
    if kind is EventKind.STARTING:
        return f"starting {event.title or unit} on port {event.port}"
    if kind is EventKind.STARTED:
        if start is not None and start.adoption in (Adoption.UNSEEN, Adoption.FOREIGN):
            return adopted_text(start)
        title = (start.title if start is not None else "") or event.title or unit
        pid = f" (pid {start.pid})" if start is not None and start.pid is not None else ""
        return f"{title} started on port {event.port}{pid}"
    if kind is EventKind.FALLBACK and start is not None and start.preferred is not None and start.port is not None:
        return fallback_event(start.preferred, start.port, start.fallback_from, start.title or unit)
    if kind is EventKind.FAILED and start is not None:
        return start_error(start)
    if kind in (EventKind.FAILED, EventKind.STOPPED) and event.stop is not None:
        return stop_text(event.stop)
    if kind is EventKind.STOPPED:
        return f"{unit} was stopped" + (f" (exit code {event.returncode})" if event.returncode is not None else "")
    if kind is EventKind.CRASHED:
        how = f"exited with code {event.returncode}" if event.returncode is not None else "ended"
        tail = f"; last lines of {event.log_path}:\n" + "\n".join(event.log_tail) if event.log_tail else ""
        return f"{unit} {how}{tail}"
    if kind is EventKind.RESTARTING:
        if event.delay is None:
            return f"restarting {unit} now"
        return f"{unit} will be restarted in {event.delay:g} s (failure {event.failures})"
    if kind is EventKind.GAVE_UP:
        return (f"{unit} failed {event.failures} times within {event.window:g} s; not restarting it "
                f"again. Fix it (see its log: portmanager logs {unit}), then start it again")
    return f"{unit} {kind.value.replace('_', ' ')}"
