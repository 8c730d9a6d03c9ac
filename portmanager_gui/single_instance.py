"""One Port Manager per user: a QLockFile decides, a local socket raises the first window.

The first instance holds ``<state_dir>/gui.lock`` and listens on a per-user local socket
name; a second launch fails to take the lock, connects, sends ``show`` and exits. A lock
left by a crashed instance is stale (its pid is gone) and QLockFile takes it over.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QCryptographicHash, QLockFile, QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

CONNECT_MS = 1000


def server_name(lock_path: Path) -> str:
    """A socket name unique per user and PORTMANAGER_HOME (short: macOS limits socket paths)."""
    # Qt's SHA-1, not hashlib's: hashlib loads OpenSSL's libcrypto (3.4 MB resident) for one name
    digest = QCryptographicHash.hash(str(Path(lock_path).resolve()).encode(), QCryptographicHash.Algorithm.Sha1)
    digest = bytes(digest.toHex()).decode("ascii")[:12]
    return f"portmanager-{digest}"


class SingleInstance(QObject):
    show_requested = Signal()

    def __init__(self, lock_path: Path, parent: QObject | None = None):
        super().__init__(parent)
        Path(lock_path).parent.mkdir(parents=True, exist_ok=True)
        self.name = server_name(lock_path)
        self._lock = QLockFile(str(lock_path))
        self._lock.setStaleLockTime(0)      # only a dead owner makes it stale, never its age
        self._server: QLocalServer | None = None

    def acquire(self) -> bool:
        """True when this is the first instance (and it now listens for the others)."""
        if not self._lock.tryLock(100):
            self._lock.removeStaleLockFile()
            if not self._lock.tryLock(100):
                return False
        QLocalServer.removeServer(self.name)   # a socket file left by a crash
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._on_connection)
        self._server.listen(self.name)
        return True

    def first_pid(self) -> int | None:
        """The pid of the instance holding the lock, from the lock file."""
        info = self._lock.getLockInfo()      # PySide6: (pid, hostname, appname); pid 0 if unknown
        pid = info[0] if isinstance(info, tuple) and info else 0
        return int(pid) if isinstance(pid, int) and pid > 0 else None

    def notify_first(self, allow_foreground: Callable[[int | None], object] | None = None) -> bool:
        """Ask the running instance to show its window. True when it answered.

        ``allow_foreground(pid)`` runs first: on Windows only the process that received the
        last input (this second launch) may bring a window to the front, and it passes that
        right on with AllowSetForegroundWindow -- else the first one's window only flashes
        in the taskbar.
        """
        if allow_foreground is not None:
            allow_foreground(self.first_pid())
        sock = QLocalSocket()
        sock.connectToServer(self.name)
        if not sock.waitForConnected(CONNECT_MS):
            return False
        sock.write(b"show\n")
        ok = sock.waitForBytesWritten(CONNECT_MS)
        sock.disconnectFromServer()
        return ok

    def _on_connection(self) -> None:
        while self._server is not None and self._server.hasPendingConnections():
            conn = self._server.nextPendingConnection()
            conn.readyRead.connect(lambda c=conn: self._read(c))
            conn.disconnected.connect(conn.deleteLater)

    def _read(self, conn: QLocalSocket) -> None:
        if bytes(conn.readAll().data()).strip().startswith(b"show"):
            self.show_requested.emit()

    def release(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        self._lock.unlock()
