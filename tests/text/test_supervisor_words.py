"""The supervisor's sentences, made from typed values: every failure, stop end and event kind."""
from __future__ import annotations

import pytest

from portmanager_gui.core.occupancy.snapshot import Holder
from portmanager_gui.core.ports.probe import Availability
from portmanager_gui.core.supervisor.types import (
    Adoption,
    CheckSaw,
    EventKind,
    LaunchProblem,
    LaunchTrouble,
    Skipped,
    StartFailure,
    StartOutcome,
    StopEnd,
    StopFailure,
    StopOutcome,
    SupervisorEvent,
)
from portmanager_gui.text.supervisor import (
    all_taken,
    event_text,
    fallback_event,
    fallback_line,
    launch_problem,
    start_error,
    start_warnings,
    stop_text,
)

NGINX = Holder(812, "nginx")
LOG = "/logs/web.log"


def _failed(failure: StartFailure, **fields) -> StartOutcome:
    return StartOutcome("web", False, None, 8000, failure=failure, **fields)


START_ERRORS = [
    (_failed(StartFailure.NO_COMMAND),
     'web has no command in the registry, so Port Manager cannot start it; add `command: [program, arg, "{port}"]` '
     "to its entry"),
    (_failed(StartFailure.BLOCKED, blocked_by=("router", "db")),
     "web was not started because router, db could not start (see above)"),
    (_failed(StartFailure.CANCELLED), "web was not started: cancelled"),
    (_failed(StartFailure.CANCELLED, launch_port=8001),
     "web was stopped before it was running on port 8001: the start was cancelled"),
    (_failed(StartFailure.ENDED, pid=77, launch_port=8000),
     "web already answers on port 8000 but its process (pid 77) ended meanwhile; start it again"),
    (_failed(StartFailure.BUSY, lock_error="the start lock of web is held for more than 30 s; wait"),
     "web was not started: the start lock of web is held for more than 30 s; wait"),
    (_failed(StartFailure.EXITED, returncode=3, launch_port=8000),
     "web exited with code 3 before it was running on port 8000"),
    (_failed(StartFailure.EXITED, returncode=3, launch_port=8000, log_path=LOG, log_tail=("boom", "exiting with 3")),
     f"web exited with code 3 before it was running on port 8000\nLast lines of {LOG}:\n  boom\n  exiting with 3"),
    (_failed(StartFailure.TIMEOUT, launch_port=8000, start_timeout=1.5, check=CheckSaw.NOT_LISTENING),
     "web was not running on port 8000 after 1.5 s (its port never started listening); it was stopped. "
     "Raise start_timeout if it needs longer"),
    (_failed(StartFailure.TIMEOUT, launch_port=8000, start_timeout=30.0, check=CheckSaw.NO_ANSWER,
             health_url="http://127.0.0.1:8000/health", health_status=503, health_error="HTTP 503"),
     "web was not running on port 8000 after 30 s (http://127.0.0.1:8000/health did not answer (HTTP 503)); "
     "it was stopped. Raise start_timeout if it needs longer"),
    (_failed(StartFailure.TIMEOUT, launch_port=8000, start_timeout=30.0, check=CheckSaw.NO_ANSWER,
             health_url="http://127.0.0.1:8000/health", health_status=None, health_error="Connection refused"),
     "web was not running on port 8000 after 30 s (http://127.0.0.1:8000/health did not answer (Connection "
     "refused)); it was stopped. Raise start_timeout if it needs longer"),
    (_failed(StartFailure.TIMEOUT, launch_port=8000, start_timeout=30.0, check=CheckSaw.CANCELLED),
     "web was not running on port 8000 after 30 s (the start was cancelled); it was stopped. "
     "Raise start_timeout if it needs longer"),
    (_failed(StartFailure.STATE, problem=LaunchProblem(LaunchTrouble.STATE_NOT_WRITTEN, "/state/services.json",
                                                        "No space left on device", stopped_again=True)),
     "web was stopped again: Port Manager does not leave running a service it could lose track of. The state "
     "record /state/services.json could not be written (No space left on device); free disk space or fix the "
     "permissions of /state, then start it again"),
    (_failed(StartFailure.STATE, problem=LaunchProblem(LaunchTrouble.LOG_NOT_WRITTEN, LOG, "Is a directory")),
     f"web was not started. Its log file {LOG} could not be written (Is a directory); free disk space or fix "
     "the permissions of /logs, then start it again"),
    (_failed(StartFailure.EXITED, problem=LaunchProblem(LaunchTrouble.NO_CWD, "/srv/nowhere"), log_path=LOG,
             log_tail=("=== header",)),
     "web: its working folder (cwd) /srv/nowhere does not exist or is not a folder; fix `cwd` in the registry"
     f"\nLast lines of {LOG}:\n  === header"),
]


@pytest.mark.parametrize("out, expected", START_ERRORS, ids=lambda v: getattr(v, "failure", None) or "")
def test_start_errors(out, expected):
    assert start_error(out) == expected


def test_every_start_failure_has_its_own_words():
    worded = {out.failure for out, _ in START_ERRORS} | {StartFailure.ALL_TAKEN}
    assert worded == set(StartFailure)


def test_the_all_taken_error_keeps_the_documents_block_first_then_names_the_holders():
    out = _failed(StartFailure.ALL_TAKEN, tried=(3791, 3003),
                  fallback_from=(Skipped(3791, Holder(1, "a")), Skipped(3003, None, Availability.RESERVED)))
    lines = start_error(out).split("\n")
    assert lines[:7] == ["=" * 60, "ERROR: All preferred ports are in use!", "=" * 60, "",
                         "Tried ports: 3791, 3003", "Please free up one of these ports and try again.", "=" * 60]
    assert lines[7:] == ["Who holds the ports of web:", "  3791: held by a, pid 1",
                         "  3003: reserved by the operating system",
                         "Free one (portmanager kill PORT) or add a fallback port to web in the registry."]
    assert all_taken([3791, 3003], [], "web") == "\n".join(lines[:7])   # nobody seen: the document's block only


@pytest.mark.parametrize("trouble, path, strerror, searched, expected", [
    (LaunchTrouble.NOT_FOUND, "llama-server", "", ("/usr/bin", "/usr/local/bin"),
     "Cannot start web: command 'llama-server' was not found. Searched: /usr/bin, /usr/local/bin. Install it, or "
     "write its full path as the first item of the command in the registry."),
    (LaunchTrouble.NOT_FOUND, "llama-server", "", (),
     "Cannot start web: command 'llama-server' was not found. Searched: (no folders: PATH is empty). Install it, "
     "or write its full path as the first item of the command in the registry."),
    (LaunchTrouble.CANNOT_RUN, "/opt/srv", "Permission denied", (),
     "web: cannot run '/opt/srv' (Permission denied); check the command in the registry (the program must be "
     "installed and on PATH)"),
])
def test_launch_problems(trouble, path, strerror, searched, expected):
    assert launch_problem("web", LaunchProblem(trouble, path, strerror, searched)) == expected


def test_every_launch_trouble_is_worded():
    for trouble in LaunchTrouble:
        said = launch_problem("web", LaunchProblem(trouble, "/x/y", "why"))
        assert said.startswith(("web", "Cannot start web")) and "/x/y" in said


@pytest.mark.parametrize("out, expected", [
    (StartOutcome("web", True, 8000, 8000, pid=5), ()),
    (StartOutcome("web", True, 8001, 8000, (Skipped(8000, NGINX),), pid=5),
     ("Port 8000 is in use, using fallback port 8001 (8000 is held by nginx, pid 812)",)),
    (StartOutcome("web", True, 8000, 8000, pid=5, exposed_on="0.0.0.0"),
     ("web listens on 0.0.0.0:8000 for every machine on your network (expose: true); llama-server has no API key "
      "by default -- pass --api-key in its command, or remove `expose: true` to keep it on 127.0.0.1",)),
    (StartOutcome("web", True, 8000, 8000, adopted=True, pid=5, adoption=Adoption.OURS),
     ("web is already running on port 8000 (pid 5)",)),
    (StartOutcome("web", True, 8000, 8000, adopted=True, adoption=Adoption.UNSEEN),
     ("web already answers on port 8000, but Port Manager cannot see its process; it was not started a second "
      "time",)),
    (StartOutcome("web", True, 8000, 8000, adopted=True, pid=9, adoption=Adoption.FOREIGN),
     ("web already answers on port 8000 (pid 9); adopted it instead of starting a second copy",)),
])
def test_start_warnings(out, expected):
    assert start_warnings(out) == expected


def test_fallback_texts_name_the_holder():
    skipped = [Skipped(3791, NGINX)]
    assert fallback_line(3791, 3003, skipped) == \
        "Port 3791 is in use, using fallback port 3003 (3791 is held by nginx, pid 812)"
    assert fallback_event(3791, 3003, skipped, "Model Router") == \
        "Port 3791 is in use by nginx (pid 812); Model Router started on fallback port 3003"
    reserved = [Skipped(3791, None, Availability.RESERVED), Skipped(3003, None), Skipped(3004, None, starting=True)]
    assert fallback_line(3791, 8080, reserved) == (
        "Port 3791 is in use, using fallback port 8080 (3791 is reserved by the operating system; 3003 is held by a "
        "process Port Manager cannot see; 3004 is held by another Port Manager start, about to launch on it)")
    assert fallback_line(3791, 3003, []) == "Port 3791 is in use, using fallback port 3003"


STOPS = [
    (StopOutcome("web", True, None, None, StopEnd.NOT_RUNNING), "web is not running"),
    (StopOutcome("web", True, 41, 8000, StopEnd.HAD_ENDED), "web was not running any more (pid 41 had ended)"),
    (StopOutcome("web", True, 41, 8000, StopEnd.STOPPED, main_pid=42),
     "stopped web (pid 42); port 8000 is free"),
    (StopOutcome("web", False, 41, 8000, StopEnd.STOPPED, main_pid=42, forced=True, free=False, survivors=(50, 51)),
     "stopped web (pid 42) (it ignored the request to stop and was killed); port 8000 is still held; could not "
     "end pid 50, 51 (another user's process? try `portmanager kill` with admin rights)"),
    (StopOutcome("web", False, 41, 8000, StopEnd.REFUSED, StopFailure.OTHER_OWNER, owner=65534),
     "web (pid 41) is ours but cannot be stopped: owned by uid 65534 now; stop it as that user or with admin "
     "rights. Port Manager keeps its record"),
    (StopOutcome("web", False, 41, 8000, StopEnd.REFUSED, StopFailure.OTHER_OWNER, owner="PC\\ann"),
     "web (pid 41) is ours but cannot be stopped: owned by PC\\ann now; stop it as that user or with admin "
     "rights. Port Manager keeps its record"),
    (StopOutcome("web", False, 43, 8000, StopEnd.REFUSED, StopFailure.OTHER_OWNER, owner=None, maybe=True),
     "web's port 8000 is held by pid 43, owned by another user, started after web; it may be web running as "
     "another user, whose mark Port Manager may not read: it cannot be stopped from here. Stop it as that user "
     "or with admin rights. Port Manager keeps its record"),
]


@pytest.mark.parametrize("out, expected", STOPS, ids=lambda v: getattr(getattr(v, "end", None), "value", ""))
def test_stop_texts(out, expected):
    assert stop_text(out) == expected


def test_every_stop_end_is_worded():
    assert {out.end for out, _ in STOPS} == set(StopEnd)


_FALLBACK = StartOutcome("web", True, 8001, 8000, (Skipped(8000, NGINX),), pid=5, title="Web")
_REFUSED = STOPS[4][0]

EVENTS = [
    (SupervisorEvent(EventKind.STARTING, "web", 8000, title="Web"), "starting Web on port 8000"),
    (SupervisorEvent(EventKind.STARTED, "web", 8001, start=_FALLBACK), "Web started on port 8001 (pid 5)"),
    (SupervisorEvent(EventKind.STARTED, "web", 8000, start=StartOutcome(
        "web", True, 8000, 8000, adopted=True, pid=9, adoption=Adoption.FOREIGN)),
     "web already answers on port 8000 (pid 9); adopted it instead of starting a second copy"),
    (SupervisorEvent(EventKind.FALLBACK, "web", 8001, start=_FALLBACK),
     "Port 8000 is in use by nginx (pid 812); Web started on fallback port 8001"),
    (SupervisorEvent(EventKind.FAILED, "web", 8000, start=START_ERRORS[6][0]), START_ERRORS[6][1]),
    (SupervisorEvent(EventKind.FAILED, "web", 8000, stop=_REFUSED), STOPS[4][1]),
    (SupervisorEvent(EventKind.STOPPED, "web", 8000, stop=STOPS[2][0]), "stopped web (pid 42); port 8000 is free"),
    (SupervisorEvent(EventKind.STOPPED, "web", 8000, returncode=0), "web was stopped (exit code 0)"),
    (SupervisorEvent(EventKind.STOPPED, "web", None), "web was stopped"),
    (SupervisorEvent(EventKind.CRASHED, "web", 8000, returncode=-9, log_path=LOG, log_tail=("a", "b")),
     f"web exited with code -9; last lines of {LOG}:\na\nb"),
    (SupervisorEvent(EventKind.CRASHED, "web", 8000), "web ended"),
    (SupervisorEvent(EventKind.RESTARTING, "web", None), "restarting web now"),
    (SupervisorEvent(EventKind.RESTARTING, "web", None, delay=2.0, failures=2), "web will be restarted in 2 s (failure 2)"),
    (SupervisorEvent(EventKind.GAVE_UP, "web", None, failures=5, window=60.0),
     "web failed 5 times within 60 s; not restarting it again. Fix it (see its log: portmanager logs web), then "
     "start it again"),
]


@pytest.mark.parametrize("event, expected", EVENTS, ids=lambda v: getattr(getattr(v, "kind", None), "value", ""))
def test_event_texts(event, expected):
    assert event_text(event) == expected


def test_every_event_kind_is_worded():
    assert {e.kind for e, _ in EVENTS} == set(EventKind)
