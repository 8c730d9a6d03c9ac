"""Why a process may not be killed and why a container did not stop, worded from the facts."""
from __future__ import annotations

import pytest

from portmanager_gui.core.interop.docker import StopResult, StopTrouble
from portmanager_gui.core.kill.refusal import Reason, Refusal
from portmanager_gui.core.occupancy.snapshot import Holder
from portmanager_gui.core.platform.occupancy import Forwarder
from portmanager_gui.text.kill import container_stop_failure, refusal_text

NGINX = Holder(812, "nginx", username="www")
BACKEND = Forwarder("Docker Desktop's backend", "stop the container (docker stop NAME)")

REFUSALS = [
    (Refusal(Holder(1, "init"), Reason.PROTECTED, 80), "port 80: init (pid 1) is a protected system process; "
                                                       "it is never killed"),
    (Refusal(Holder(4, "System"), Reason.PROTECTED, 445, note="It is Windows file sharing (SMB)"),
     "port 445: System (pid 4) is a protected system process. It is Windows file sharing (SMB)"),
    (Refusal(Holder(7001, "com.docker.backend"), Reason.FORWARDER, 8080, forwarder=BACKEND),
     "port 8080: com.docker.backend (pid 7001) is Docker Desktop's backend; never killed: stop the container "
     "(docker stop NAME)"),
    (Refusal(Holder(500, "python"), Reason.SELF, 3000),
     "port 3000: python (pid 500) is Port Manager itself; stop it from its window or Ctrl+C"),
    (Refusal(Holder(400, "bash"), Reason.SELF, 3000, ancestor=True),
     "port 3000: bash (pid 400) started Port Manager (an ancestor); killing it would end this session"),
    (Refusal(NGINX, Reason.OTHER_USER, 3791),
     "port 3791: nginx (pid 812) belongs to user www; Port Manager only stops your own processes"),
    (Refusal(Holder(601, None), Reason.UNKNOWN_OWNER, 3000),
     "port 3000: cannot identify the owner of ? (pid 601); run with sudo / as administrator to see it"),
    (Refusal(NGINX, Reason.UNKNOWN_OWNER, 3791, unchecked=True), "port 3791: cannot check the identity of nginx (pid 812)"),
    (Refusal(None, Reason.UNKNOWN_OWNER, 3791, note="held by a process Port Manager cannot see; run with sudo"),
     "port 3791: held by a process Port Manager cannot see; run with sudo"),
    (Refusal(NGINX, Reason.PID_REUSED, 3791, now_name="bash"),
     "port 3791: pid 812 now belongs to another process (bash); nothing was signalled"),
    (Refusal(NGINX, Reason.NOT_HOLDING, 3791), "port 3791: nginx (pid 812) no longer listens on it; nothing was signalled"),
    (Refusal(None, Reason.RESERVED, 5357, note="reserved by Windows (excluded port range)"),
     "port 5357: reserved by Windows (excluded port range); there is no process to stop"),
]


@pytest.mark.parametrize("refusal, expected", REFUSALS, ids=lambda v: getattr(getattr(v, "reason", None), "value", ""))
def test_refusal_texts(refusal, expected):
    assert refusal_text(refusal) == expected


def test_every_reason_is_worded():
    assert {r.reason for r, _ in REFUSALS} == set(Reason)


@pytest.mark.parametrize("result, expected", [
    (StopResult("web", False, StopTrouble.NO_PROGRAM, "podman"), "no `podman` command on PATH"),
    (StopResult("web", False, StopTrouble.TIMEOUT, "docker", timeout=30.0),
     "`docker stop web` did not finish within 30 s"),
    (StopResult("web", False, StopTrouble.REFUSED, "docker", returncode=1,
                engine_error="Error response from daemon: No such container: web"),
     "Error response from daemon: No such container: web"),
    (StopResult("web", False, StopTrouble.REFUSED, "docker", returncode=125), "exit 125"),
])
def test_container_stop_failures(result, expected):
    assert container_stop_failure(result) == expected
