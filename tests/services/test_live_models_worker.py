"""LiveModels: the llama-swap/ClaraCore live check runs on its own worker, never piles up, and
costs nothing for a registry without a runtime-numbered pool."""
from __future__ import annotations

import threading
from dataclasses import dataclass

from portmanager_gui.core.registry.model import Group, Registry
from portmanager_gui.services.live_models import LiveModels


@dataclass(frozen=True)
class _Holder:
    cmdline: tuple[str, ...]


@dataclass(frozen=True)
class _Listener:
    port: int
    holder: _Holder | None


def _registry(numbered: str = "llama-swap") -> Registry:
    return Registry({}, {}, Group("models", 5800, members=("a",), numbered_by=numbered))


def test_checks_run_off_the_gui_thread_and_coalesce(qtbot, owned):
    calls, gate = [], threading.Event()

    def report(registry, holders):
        calls.append((threading.current_thread(), holders))
        gate.wait(10)
        return (f"report {len(calls)}",)

    live = owned(LiveModels(report))
    got = []
    live.reported.connect(got.append)
    rows = (_Listener(5800, _Holder(("llama-server", "--port", "5800"))), _Listener(22, None))
    live.check(_registry(), rows)
    qtbot.waitUntil(lambda: len(calls) == 1, timeout=5000)
    live.check(_registry(), ())          # while the first runs: only the newest request waits
    live.check(_registry(), rows[:1])
    gate.set()
    qtbot.waitUntil(lambda: len(got) == 2, timeout=10000)
    assert calls[0][0] is not threading.main_thread()
    assert [h for _t, h in calls] == [[(5800, ("llama-server", "--port", "5800"))]] * 2
    assert got == [("report 1",), ("report 2",)]


def test_no_runtime_pool_no_job_and_one_empty_report(qtbot, owned):
    calls = []
    live = owned(LiveModels(lambda reg, holders: calls.append(reg) or ("r",)))
    got = []
    live.reported.connect(got.append)
    live.check(_registry(numbered=""), ())
    live.check(None, ())
    assert calls == [] and got == []
    with qtbot.waitSignal(live.reported, timeout=5000):
        live.check(_registry(), ())
    live.check(_registry(numbered=""), ())      # the pool is gone: the notes must be cleared once
    live.check(_registry(numbered=""), ())
    assert got == [("r",), ()] and len(calls) == 1
