"""The interop worker: core interop calls off the GUI thread, answered with signals."""
from __future__ import annotations

import shutil
import threading
from pathlib import Path

from portmanager_gui.core.interop import links as links_mod
from portmanager_gui.core.interop import sync
from portmanager_gui.core.interop.links import Link
from portmanager_gui.core.interop.sync import Status
from portmanager_gui.core.paths import resolve
from portmanager_gui.core.registry.load import parse
from portmanager_gui.services.background import Fault, JobFailure
from portmanager_gui.services.interop_worker import InteropWorker

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "interop"
REGISTRY = parse("version: 1\nservices:\n  backend:\n    ports: [9000]\n", Path("registry.yaml"))


def test_import_runs_off_the_gui_thread(qtbot, owned):
    from portmanager_gui.core.interop import detect
    threads = []

    def spy(path, registry, kind=None):
        threads.append(threading.get_ident())
        return detect.import_file(path, registry, kind)

    worker = owned(InteropWorker(resolve().ensure(), import_file=spy))
    with qtbot.waitSignal(worker.imported, timeout=10000) as sig:
        worker.import_file(FIXTURES / "project" / "ports_config.py", REGISTRY)
    assert sig.args[0].registry.services["backend"].preferred == 8203
    assert threads and threads[0] != threading.get_ident()
    assert not worker.busy


def test_missing_file_is_a_message_not_an_exception(qtbot, tmp_path, owned):
    worker = owned(InteropWorker(resolve().ensure()))
    with qtbot.waitSignal(worker.import_failed, timeout=10000) as sig:
        worker.import_file(tmp_path / "nope.py", REGISTRY)
    assert sig.args[0] == JobFailure(Fault.BAD_INPUT, f"{tmp_path / 'nope.py'}: no such file; check the path")


def test_sync_links_first_then_writes_and_lists(qtbot, tmp_path, owned):
    paths = resolve().ensure()
    target = tmp_path / "ports_config.py"
    shutil.copyfile(FIXTURES / "project" / "ports_config.py", target)
    worker = owned(InteropWorker(paths))
    with qtbot.waitSignal(worker.synced, timeout=10000) as sig:
        worker.sync(REGISTRY, add=Link("python", target))
    report = sig.args[0]
    assert report.ok and [o.link.path for o in report.written] == [target]
    assert "BACKEND_PORT = 9000" in target.read_text(encoding="utf-8")
    assert links_mod.load(paths).items == (Link("python", target),)

    with qtbot.waitSignal(worker.links_listed, timeout=10000) as listed:
        worker.list_links(REGISTRY)
    assert [o.status for o in listed.args[0]] == [Status.UNCHANGED]
    with qtbot.waitSignal(worker.links_listed, timeout=10000) as listed:
        worker.remove_link(str(target), REGISTRY)
    assert listed.args[0] == () and links_mod.load(paths).items == ()


def test_broken_links_file_is_reported(qtbot, owned):
    paths = resolve().ensure()
    links_mod.links_file(paths).write_text("{not json", encoding="utf-8")
    worker = owned(InteropWorker(paths, apply_links=sync.apply_links))
    with qtbot.waitSignal(worker.synced, timeout=10000) as sig:
        worker.sync(REGISTRY)
    assert "links.json:1: not valid JSON" in sig.args[0].error
    with qtbot.waitSignal(worker.links_failed, timeout=10000) as failed:
        worker.list_links(REGISTRY)
    assert failed.args[0].fault is Fault.BAD_INPUT and "links.json:1: not valid JSON" in failed.args[0].detail
