"""The one worker abstraction: results on the GUI thread, an awaited shutdown, no hang at collection."""
from __future__ import annotations

import subprocess
import sys
import threading

from portmanager_gui.services.background import Background

# A QObject that owns a worker and sits in a reference cycle, so only Python's collector frees
# it -- and the collector runs on whichever thread happens to allocate, here the worker's own.
# A QThreadPool destroyed there waited for itself forever (the suite's hang).
_COLLECTED_ON_ITS_OWN_WORKER = r"""
import gc, os, threading
from PySide6.QtCore import QCoreApplication, QObject
from portmanager_gui.services.background import Background

app = QCoreApplication([])
gc.disable()                       # collect exactly where the job says, not before


class Owner(QObject):
    def __init__(self):
        super().__init__()
        self.worker = Background(self)
        self.me = self             # a cycle


release, collected = threading.Event(), threading.Event()


def job():
    release.wait(30)
    gc.collect()                   # frees the owner, its worker and their Qt objects: on this thread
    collected.set()
    return 1


owner = Owner()
owner.worker.run(job, lambda value: None)
del owner
release.set()
print("collected" if collected.wait(30) else "hung", flush=True)
os._exit(0)
"""


def test_an_owner_collected_on_its_own_worker_thread_does_not_hang():
    proc = subprocess.run([sys.executable, "-c", _COLLECTED_ON_ITS_OWN_WORKER], capture_output=True,
                          text=True, timeout=90)
    assert proc.stdout.strip() == "collected", proc.stdout + proc.stderr


def test_results_and_failures_arrive_on_the_owners_thread_in_order(qtbot, owned):
    worker = owned(Background(name="order"))
    seen = []

    def fail():
        raise ValueError("bad port 70000")

    worker.run(lambda: threading.current_thread(), lambda t: seen.append(("done", t, threading.current_thread())))
    worker.run(fail, seen.append, lambda message: seen.append(("fail", message, threading.current_thread())))
    qtbot.waitUntil(lambda: len(seen) == 2, timeout=10000)
    (kind, ran_on, told_on), failure = seen
    assert kind == "done" and ran_on is not threading.main_thread() and told_on is threading.main_thread()
    assert failure == ("fail", "bad port 70000", threading.main_thread())
    assert not worker.busy


def test_shutdown_waits_for_the_running_job_ends_the_thread_and_refuses_more(qtbot):
    worker = Background(name="closing")
    gate, ran = threading.Event(), []

    def slow():
        gate.wait(10)
        ran.append(threading.current_thread())

    assert worker.run(slow, lambda _v: None)
    threading.Timer(0.2, gate.set).start()     # the job ends while shutdown waits for it
    assert worker.shutdown(10000)
    assert ran and not ran[0].is_alive()       # the job ran to its end and its thread is gone
    assert worker.closed and not worker.run(lambda: 1, lambda _v: None)
    assert worker.shutdown()                   # twice is harmless
