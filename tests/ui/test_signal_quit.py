"""SIGTERM / Ctrl+C ask the same quit as the tray, through the event loop."""
from __future__ import annotations

import signal

from PySide6.QtCore import QTimer

from portmanager_gui import app as gui_app


def test_a_signal_before_the_loop_runs_is_answered_once_it_runs(qapp, qtbot):
    """A SIGTERM while the window is still being built must not be lost: the quit it asks
    for runs inside the event loop (an ``exit()`` before ``exec()`` does nothing)."""
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    saved_fd = signal.set_wakeup_fd(-1)
    asked = []
    notifier = gui_app._install_signal_handlers(qapp, lambda: asked.append(qapp.thread().loopLevel()))
    try:
        signal.raise_signal(signal.SIGTERM)     # Python runs the handler right here, before any loop
        assert asked == []
        exit_code = []
        QTimer.singleShot(5000, lambda: qapp.exit(9))        # a bound if the quit never comes

        def stop_when_asked():
            if asked:
                qapp.exit(0)
            else:
                QTimer.singleShot(10, stop_when_asked)
        QTimer.singleShot(0, stop_when_asked)
        exit_code.append(qapp.exec())
        assert asked and asked[0] >= 1 and exit_code == [0]
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)
        signal.set_wakeup_fd(saved_fd)
        if notifier is not None:
            notifier.setEnabled(False)
            for sock in notifier._socks:
                sock.close()
            notifier.deleteLater()
