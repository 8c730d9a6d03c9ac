"""The words of the kill confirmation and the all-taken dialog."""
from __future__ import annotations

from portmanager_gui.core.kill.policy import KillPlan, Reason, Refusal
from portmanager_gui.core.occupancy.snapshot import PortStatus
from portmanager_gui.ui.dialogs import all_taken_question, kill_question
from tests.ui.factories import holder


def test_kill_question_names_the_process():
    q = kill_question(KillPlan(3791, PortStatus.LISTENING, (holder(812, "nginx"),)), "router")
    assert q.can_kill and "Kill nginx (pid 812) on port 3791 (registered to router)?" in q.text
    assert "user alice" in q.details and "nginx -g 'daemon off;'" in q.details
    assert "nginx (pid 812, user alice)" in q.text       # one space, as everywhere else


def test_protected_process_says_why_not():
    sys_holder = holder(4, "System", "SYSTEM")
    plan = KillPlan(445, PortStatus.LISTENING, (), (Refusal(sys_holder, Reason.PROTECTED, 445),))
    q = kill_question(plan)
    assert not q.can_kill and "protected system process" in q.text and "cannot be killed" in q.details


def test_all_taken_lists_tried_ports_and_holders():
    q = all_taken_question("router", [3791, 3003], lambda p: (holder(812),) if p == 3791 else ())
    assert "Tried ports: 3791, 3003" in q.text
    assert q.tried[0] == (3791, "nginx (pid 812, user alice)") and "no process visible" in q.tried[1][1]


def test_the_kill_question_says_what_really_happens_on_each_os():
    plan = KillPlan(3791, PortStatus.LISTENING, (holder(812, "nginx"),))
    for os_name in ("linux", "darwin"):
        assert "It is asked to stop first and killed if it does not stop within 5 seconds" in \
            kill_question(plan, os_name=os_name).text
    text = kill_question(plan, os_name="windows").text       # no SIGTERM there: WM_CLOSE or nothing
    assert "asked to stop first" not in text
    assert "A program with a window is asked to close it first" in text and "ended at once" in text
