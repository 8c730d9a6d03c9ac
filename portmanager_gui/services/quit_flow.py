"""One way out of the app for every way of asking: tray Quit, closing the window where there is
no tray, SIGTERM / SIGINT, the session manager's logout and macOS's Quit.

Qt turns a platform quit (macOS Quit, Windows/X11 end of session) and ``QApplication.quit()``
into a ``QEvent.Quit`` sent to the application, which then closes every window first -- and a
window that hides into the tray refuses, which cancels the quit. The application
(``ui.application``) hands that event to ``intercept_quit``, which runs the same flow as the
tray's Quit: abandon a start in progress, stop what this app launched (never what it only
adopted), then leave the event loop with ``exit`` (which sends no close events) -- within ``wait_ms`` whatever the services do. Windows' end of session skips
the event (see ``session_ending``).

Logout on Linux/X11: the PySide6 wheels' xcb plugin is built without XSMP (libQt6XcbQpa links
no libSM; no SmcOpenConnection in any Qt library), so Qt never hears an X session manager. A session
whose end sends SIGTERM (systemd stopping the session scope) runs this same flow; one that
only takes the X server away ends the app in Qt ("The X11 connection broke": exit(1)).
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from enum import Enum

from PySide6.QtCore import QObject, QTimer, Signal

from .controller import Operation, RequestFailure

QUIT_WAIT_MS = 15000     # the most a quit waits for the services to stop


class QuitState(str, Enum):
    RUNNING = "running"
    STOPPING = "stopping"
    DONE = "done"


class QuitFlow(QObject):
    quitting = Signal()          # the flow has begun: hide the window, say "stopping..."

    def __init__(self, controller, exit_app: Callable[[int], None], stop_on_quit: Callable[[], bool],
                 cancel: threading.Event | None = None, wait_ms: int = QUIT_WAIT_MS,
                 parent: QObject | None = None):
        super().__init__(parent)
        self._controller = controller
        self._exit = exit_app
        self._stop_on_quit = stop_on_quit
        self._cancel = cancel
        self.state = QuitState.RUNNING
        self.stopped: list = []            # what the quit stopped (StopOutcome values)
        self.left_running: list[str] = []  # adopted units the quit left alone
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(wait_ms)
        self._timer.timeout.connect(self._finish)
        controller.owned_stopped.connect(self._on_stopped)
        controller.failed.connect(self._on_failed)

    def request(self) -> None:
        """Quit (any number of calls, from anywhere on the GUI thread: one quit)."""
        if self.state is not QuitState.RUNNING:
            return
        self.state = QuitState.STOPPING
        if self._cancel is not None:
            self._cancel.set()             # a start being verified is abandoned (and its child stopped)
        self.quitting.emit()
        if not self._stop_on_quit():
            self._finish()
            return
        self._timer.start()
        self._controller.stop_owned()

    def session_ending(self) -> None:
        """Connected to ``aboutToQuit``. Windows' end of session (WM_ENDSESSION) emits it
        directly, then ``quit()``, and ends the process as soon as the message returns: no
        event loop turn is left for the flow. So when nobody asked through the flow yet, the
        stop runs here and this call waits for it (bounded by ``wait_ms``). After an ordinary
        quit the flow is done already and this does nothing."""
        if self.state is QuitState.RUNNING:
            self.request()
        if self.state is QuitState.STOPPING:
            self._controller.wait_idle(self._timer.interval())

    def _on_stopped(self, stopped, left) -> None:
        if self.state is QuitState.STOPPING:
            self.stopped, self.left_running = list(stopped), list(left)
            self._finish()

    def _on_failed(self, failure: RequestFailure) -> None:
        if failure.operation is Operation.STOP_OWNED and self.state is QuitState.STOPPING:
            self._finish()

    def _finish(self) -> None:
        if self.state is QuitState.DONE:
            return
        self.state = QuitState.DONE
        self._timer.stop()
        self._exit(0)

    def intercept_quit(self) -> bool:
        """The application got a platform quit: run this flow instead of closing the windows.
        False once the flow is done (the event then takes its course)."""
        if self.state is QuitState.DONE:
            return False
        self.request()
        return True
