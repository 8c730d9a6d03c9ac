"""Test setup shared by every test: Qt offscreen, and a private PORTMANAGER_HOME per test."""
from __future__ import annotations

import os

# Before anything imports Qt: no display in CI.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

from tests.helpers import release_reserved_ports  # noqa: E402


@pytest.fixture(autouse=True)
def reserved_ports():
    """Ports ``free_ports`` chose stay reserved (against other test runs) until the test ends."""
    yield
    release_reserved_ports()


@pytest.fixture(autouse=True)
def pm_home(tmp_path, monkeypatch):
    """Everything the app writes (registry, state, logs) goes to a fresh folder per test."""
    home = tmp_path / "pmhome"
    monkeypatch.setenv("PORTMANAGER_HOME", str(home))
    monkeypatch.delenv("PORTMANAGER_REGISTRY", raising=False)
    return home


# Shared child-process fixtures (tests/helpers.py): `listener` starts loopback holders/clients.
from tests.helpers import listener  # noqa: E402,F401

# -- Qt (tests/ui, tests/services): Qt warnings fail the test -----------------------------
# pytest-qt captures qDebug/qWarning/qCritical for each test (qt_log_capture is on by default);
# this fixture fails the test when a warning or worse was logged, except for the messages below.
QT_WARNINGS_IGNORED = (
    # The offscreen platform plugin cannot do these window-manager requests; harmless there.
    "This plugin does not support",
)


@pytest.fixture(scope="session")
def qapp_cls():
    """pytest-qt's ``qapp`` is the app's own QApplication (it hands a platform quit to the quit flow)."""
    from portmanager_gui.ui.application import Application
    return Application


@pytest.fixture(autouse=True)
def qt_warnings_fail(request):
    """Turn Qt warnings into test failures for Qt tests (``qtlog`` records them)."""
    if not any(part in ("ui", "services") for part in request.node.path.parts[-3:-1]):
        yield
        return
    request.getfixturevalue("qapp")      # widgets and pixmaps need the QApplication first
    qtlog = request.getfixturevalue("qtlog")
    yield
    from pytestqt.qt_compat import qt_api
    bad = [r.message for r in qtlog.records
           if r.type in (qt_api.QtCore.QtMsgType.QtWarningMsg, qt_api.QtCore.QtMsgType.QtCriticalMsg,
                         qt_api.QtCore.QtMsgType.QtFatalMsg)
           and not any(r.message.startswith(i) for i in QT_WARNINGS_IGNORED)]
    assert not bad, f"Qt warnings during the test: {bad}"


@pytest.fixture
def owned():
    """``owned(service)`` returns ``service`` and shuts it down (ends its worker threads) after
    the test, in reverse order, as the app's composition root does at quit."""
    made = []

    def own(service):
        made.append(service)
        return service
    yield own
    for service in reversed(made):
        assert service.shutdown(), f"{type(service).__name__} did not shut down in time"


@pytest.fixture(autouse=True)
def workers_disposed(request):
    """A Qt test ends every worker thread it started (``shutdown()``): none may outlive it.

    Workers left to Python's collector are how the suite used to hang (a pool destroyed from
    its own thread waited for itself), so disposal is checked, not hoped for."""
    import threading
    before = set(threading.enumerate())
    yield
    if not any(part in ("ui", "services") for part in request.node.path.parts[-3:-1]):
        return
    left = [t.name for t in threading.enumerate() if t not in before and t.name.startswith("pm-") and t.is_alive()]
    assert not left, f"worker threads outlived the test (call shutdown() on their owner): {left}"


def pytest_report_header(config):
    """One line saying whether the real-display tests (tests/desktop) run."""
    from tests.desktop.harness import missing_tools
    missing = missing_tools()
    if missing:
        return f"desktop tests (real display): SKIPPED - install {' '.join(missing)} (apt-get) to run them"
    return "desktop tests (real display): run on a private Xvfb with trayer"

# Supervisor fixtures (tests/supervisor_helpers.py): `make_supervisor` builds Supervisors that are
# stopped afterwards; `no_leftovers` fails a test that leaves one of its processes alive.
from tests.supervisor_helpers import make_supervisor, no_leftovers  # noqa: E402,F401
