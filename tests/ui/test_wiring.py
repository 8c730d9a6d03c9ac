"""``app.py`` (through ``wiring``) is the one place that connects the app, and what it connects
is delivered on the GUI thread even when a worker thread emits it; the app's Qt objects are
deleted on the GUI thread, never by the collector on a worker."""
from __future__ import annotations

import gc
import re
import threading
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QObject, QThread, Signal

from portmanager_gui import wiring
from portmanager_gui.services.background import Fault, JobFailure
from portmanager_gui.services.controller import Operation, RequestFailure
from tests.helpers import free_ports
from tests.ui.desk import Answers, build, close, router_registry

UI = Path(__file__).resolve().parents[2] / "portmanager_gui" / "ui"


class _Source(QObject):
    fired = Signal(str)


class _Sink(QObject):
    def __init__(self):
        super().__init__()
        self.threads: list[threading.Thread] = []

    def take(self, _value: str) -> None:
        self.threads.append(threading.current_thread())


def _emit_on_a_worker(signal, *args) -> None:
    worker = threading.Thread(target=lambda: signal.emit(*args))
    worker.start()
    worker.join(10)


def test_connect_refuses_a_lambda_and_a_plain_function_and_takes_methods_and_signals(qapp):
    source, sink = _Source(), _Sink()
    for slot in (lambda value: None, print):
        with pytest.raises(TypeError, match="not a lambda"):
            wiring.connect([(source.fired, slot)])
    other = _Source()
    links = wiring.connect([(source.fired, sink.take), (source.fired, other.fired)])
    assert len(links) == 2


def test_a_lambda_runs_on_the_senders_thread_a_method_on_the_receivers(qtbot):
    """Why ``connect`` refuses lambdas: a sender living on a worker thread runs its lambdas there."""
    thread = QThread()
    thread.start()
    try:
        source, sink = _Source(), _Sink()
        source.moveToThread(thread)
        on_lambda: list[threading.Thread] = []
        source.fired.connect(lambda _v: on_lambda.append(threading.current_thread()))
        wiring.connect([(source.fired, sink.take)])
        _emit_on_a_worker(source.fired, "x")
        qtbot.waitUntil(lambda: bool(sink.threads) and bool(on_lambda), timeout=5000)
        assert sink.threads == [threading.main_thread()]
        assert on_lambda[0] is not threading.main_thread()
    finally:
        thread.quit()
        thread.wait(5000)


@pytest.fixture
def parts(qtbot, qapp, tmp_path):
    parts = build(qapp, router_registry(tmp_path / "registry.yaml", free_ports(2)), Answers())
    parts.store.load()
    yield parts
    close(parts)


def test_every_link_the_app_makes_has_a_receiver_on_the_gui_thread(parts):
    assert len(parts.links) >= 60         # the window, the services, the tray, import, All ports, live notes
    gui = QThread.currentThread()
    for signal, slot in parts.links:
        owner = wiring.receiver(slot)
        assert owner is not None or slot.__class__.__name__ == "SignalInstance", (signal, slot)
        if owner is not None:
            assert owner.thread() is gui, (signal, slot)


def test_service_signals_emitted_on_a_worker_reach_the_window_on_the_gui_thread(parts, qtbot, monkeypatch):
    seen: list[tuple[str, threading.Thread]] = []
    for method in ("show_status", "show_banner"):
        monkeypatch.setattr(parts.window, method,
                            lambda text, *_a, **_k: seen.append((text, threading.current_thread())))
    _emit_on_a_worker(parts.store.saved, "/tmp/registry.yaml")
    _emit_on_a_worker(parts.scanner.scan_failed, JobFailure(Fault.OS, "no netlink"))
    _emit_on_a_worker(parts.controller.failed, RequestFailure(Operation.START, "router", "boom"))
    wanted = ("Saved /tmp/registry.yaml", "Scanning ports failed: ", "Could not start router: boom")

    def arrived() -> None:
        assert all(any(text.startswith(w) for text, _t in seen) for w in wanted), seen
    qtbot.waitUntil(arrived, timeout=30000)
    assert {t for _text, t in seen} == {threading.main_thread()}, seen


def test_the_apps_qt_objects_are_deleted_on_the_gui_thread_not_by_the_collector(qtbot, qapp, tmp_path):
    parts = build(qapp, router_registry(tmp_path / "registry.yaml", free_ports(2)), Answers())
    parts.store.load()
    assert parts.rest_built               # the whole graph: facts, linked files, All ports, live notes
    objects = [parts.window, parts.store, parts.scanner, parts.controller, parts.presenter, parts.tray,
               parts.interop, parts.all_scanner, parts.all_presenter, parts.live, parts.quit]
    close(parts)
    assert not any(shiboken6.isValid(o) for o in objects if o is not None)
    parts = objects = None                           # the last references: now garbage
    collector = threading.Thread(target=gc.collect)   # Qt would warn (QSocketNotifier) or abort here
    collector.start()
    collector.join(30)


@pytest.mark.parametrize("name", ["presenter.py", "interop_presenter.py", "all_ports_presenter.py"])
def test_presenters_connect_nothing_of_the_world(name):
    """Only a dialog a presenter makes itself is connected there (``links_dialog``)."""
    source = (UI / name).read_text(encoding="utf-8")
    connects = [line.strip() for line in source.splitlines() if ".connect(" in line]
    assert all(re.match(r"self\.links_dialog\.", line) for line in connects), connects
    assert "statusBar()" not in source and ".banner." not in source and "restart_banner" not in source
