"""Port Manager's ``QApplication``: a platform quit goes to the quit flow, not to the windows.

Qt turns macOS's Quit, the end of a session and ``QApplication.quit()`` into a ``QEvent.Quit``
sent to the application object, which then closes every window (and a window that hides into
the tray refuses, cancelling the quit). ``event()`` hands that event to ``quit_handler``
instead. An override of the application's own ``event()`` sees only the events sent to the
application; an event filter installed on the application would be called for every event of
every object, each wrapped for Python -- thousands before the first paint on a real display
(~80 ms of CPU on xcb, issue 16).
"""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication


class Application(QApplication):
    def __init__(self, argv: list[str]):
        super().__init__(argv)
        # Called with no arguments on a Quit event; True: handled (the windows are not closed).
        self.quit_handler: Callable[[], bool] | None = None

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Quit and self.quit_handler is not None and self.quit_handler():
            return True
        return super().event(event)
