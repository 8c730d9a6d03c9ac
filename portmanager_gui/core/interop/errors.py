"""The one exception of the interop package: a file that cannot be imported or updated."""
from __future__ import annotations

from pathlib import Path

from ..file_read import NotAFile, TooLarge, read_small


class InteropError(ValueError):
    """Bad or foreign input. ``str()`` is the line to show: ``file:line: what, and what to do``."""

    def __init__(self, file: Path | str | None, line: int | None, message: str):
        self.file = str(file) if file is not None else "<input>"
        self.line = line
        self.message = message
        where = f"{self.file}:{line}" if line else self.file
        super().__init__(f"{where}: {message}")


MAX_BYTES = 4 * 1024 * 1024   # the largest config/.env/compose/ports file read; real ones are kilobytes


def read_text(path: Path) -> str:
    """A file's text with its line endings untouched (a CRLF file stays CRLF when rewritten).

    A UTF-8 byte order mark is kept in the text (so a rewrite keeps it); parsers skip it.
    Files over ``MAX_BYTES`` are refused before they are read.
    """
    try:
        data = read_small(Path(path), MAX_BYTES)
    except FileNotFoundError:
        raise InteropError(path, None, "no such file; check the path") from None
    except NotAFile:
        raise InteropError(path, None, "is not a regular file (a folder, pipe or device); name the file itself") \
            from None
    except TooLarge as exc:
        raise InteropError(path, None, f"is {exc.size / 1024 / 1024:.1f} MB; Port Manager reads files of up to "
                           f"{MAX_BYTES // 1024 // 1024} MB. Is this the right file?") from None
    except OSError as exc:
        raise InteropError(path, None, f"cannot be read ({exc.strerror or exc}); check its permissions") from None
    try:
        return data.decode("utf-8")   # line endings as they are: a CRLF file stays CRLF when rewritten
    except UnicodeDecodeError:
        raise InteropError(path, None, "is not UTF-8 text; save it as UTF-8 and try again") from None
