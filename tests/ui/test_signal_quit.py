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
    # A bound if the quit never comes; stopped at the end, or it would end the event loop of
    # whichever later test runs one 5 s from now (every queued signal there is then lost).
    bound = QTimer(singleShot=True, interval=5000)
    bound.timeout.connect(lambda: qapp.exit(9))
    notifier = gui_app._install_signal_handlers(qapp, lambda: asked.append(qapp.thread().loopLevel()))
    try:
        signal.raise_signal(signal.SIGTERM)     # Python runs the handler right here, before any loop
        assert asked == []
        exit_code = []
        bound.start()

        def stop_when_asked():
            if asked:
                qapp.exit(0)
            else:
                QTimer.singleShot(10, stop_when_asked)
        QTimer.singleShot(0, stop_when_asked)
        exit_code.append(qapp.exec())
        assert asked and asked[0] >= 1 and exit_code == [0]
    finally:
        bound.stop()
        for sig, handler in saved.items():
            signal.signal(sig, handler)
        signal.set_wakeup_fd(saved_fd)
        if notifier is not None:
            notifier.setEnabled(False)
            for sock in notifier._socks:
                sock.close()
            notifier.deleteLater()
