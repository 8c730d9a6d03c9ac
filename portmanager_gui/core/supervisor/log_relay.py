"""The log relay: a service's output (a pipe) into its log file, rotated as it grows.

``python -m portmanager_gui.core.supervisor.log_relay LOG --max-bytes N --backups K`` reads
its stdin -- the write end is the service's stdout and stderr -- and appends to ``LOG``,
checking the size on every write: before a write would pass ``N`` bytes the file becomes
``LOG.1`` (older ones shift up to ``LOG.K``) and a new one is started, so the logs stay
under ``N * (K + 1)`` however fast the service writes and however it was started
(``portmanager start`` leaves no supervisor behind; ``up`` and the app do not poll for it).

The relay runs in its own session, without the service's mark, so a stop never signals it:
it ends by itself at end of file, when the service and every descendant that holds the pipe
have exited -- after writing their last lines. It never follows a symlink: the log is opened
with O_NOFOLLOW (a planted link is removed, its target left alone) and rotation renames
names, which moves links rather than writing through them.

Hand-written rather than ``RotatingFileHandler``: that handler formats text records, opens
files through symlinks and would need a thread in a process that may exit right away; this
passes raw bytes through with one read and one write per chunk.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .logfiles import BACKUPS, MAX_BYTES, open_log_fd, rotate

CHUNK = 64 * 1024


def relay(source: int, path: Path, max_bytes: int = MAX_BYTES, backups: int = BACKUPS) -> None:
    """Copy ``source`` (a descriptor) to ``path`` until end of file, rotating before ``max_bytes``."""
    fd = open_log_fd(path)
    size = os.fstat(fd).st_size
    try:
        while True:
            data = os.read(source, CHUNK)
            if not data:
                return
            if size and size + len(data) > max_bytes:
                os.close(fd)
                rotate(path, backups)
                fd = open_log_fd(path)
                size = 0
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            size += len(data)
    finally:
        os.close(fd)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="log_relay", description="copy stdin into a rotated log file")
    ap.add_argument("log", type=Path)
    ap.add_argument("--max-bytes", type=int, default=MAX_BYTES)
    ap.add_argument("--backups", type=int, default=BACKUPS)
    args = ap.parse_args(argv)
    try:
        relay(sys.stdin.fileno(), args.log, max(args.max_bytes, 1), max(args.backups, 0))
    except OSError as exc:   # the disk is full, the folder went away: drain so the service never blocks
        print(f"log relay: cannot write {args.log} ({exc.strerror or exc}); discarding output", file=sys.stderr)
        while os.read(sys.stdin.fileno(), CHUNK):
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
