"""What can be wrong with the state record (services.json), as typed values, and reading it
without ever hanging (a FIFO), reading without bound (a huge file) or failing on bad bytes.

``records.StateStore.read`` returns a ``StateDamage`` with its records; the CLI and the app
word it (``portmanager_gui.text.state``, ``cli.state_text``, ``ui.text``).
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from ..file_read import NotAFile, TooLarge, read_small

MAX_STATE_BYTES = 16 * 1024 * 1024    # far above thousands of records; a bigger file is not ours


class DamageKind(Enum):
    UNREADABLE = "unreadable"      # the OS refused to read it (permissions, I/O error)
    NOT_A_FILE = "not_a_file"      # a folder, pipe or device
    TOO_LARGE = "too_large"
    NOT_TEXT = "not_text"          # not UTF-8
    NOT_JSON = "not_json"          # cut short or not JSON at all
    NO_UNITS = "no_units"          # JSON without the "units" table
    BAD_ENTRIES = "bad_entries"    # some entries cannot be read (``entries``)


@dataclass(frozen=True)
class StateDamage:
    """What is wrong with the state record, and what was found running despite it."""

    path: Path
    kind: DamageKind
    detail: str = ""                       # the OS's or the JSON decoder's own words
    line: int | None = None
    column: int | None = None
    entries: tuple[str, ...] = ()          # BAD_ENTRIES: the units whose entries cannot be read
    found: tuple[tuple[str, int], ...] = ()   # (unit, pid) the record lost, found running by their marks

    @property
    def copy(self) -> Path:
        """Where the damaged file is kept when the next start or stop replaces it."""
        return damaged_copy_of(self.path)


def damaged_copy_of(path: Path) -> Path:
    return path.with_name(path.name + ".damaged")


class Damaged(Exception):
    def __init__(self, damage: StateDamage):
        super().__init__(damage.kind.value)
        self.damage = damage


def read_state_text(path: Path, lenient: bool = False) -> str:
    """The state file's text; ``Damaged`` when it is not a readable regular UTF-8 file of sane
    size (``file_read``: a FIFO never hangs a scan). ``lenient``: bad bytes replaced."""
    try:
        data = read_small(path, MAX_STATE_BYTES)
    except FileNotFoundError:
        raise
    except NotAFile:
        raise Damaged(StateDamage(path, DamageKind.NOT_A_FILE)) from None
    except TooLarge as exc:
        raise Damaged(StateDamage(path, DamageKind.TOO_LARGE, str(exc.size))) from None
    except OSError as exc:
        raise Damaged(StateDamage(path, DamageKind.UNREADABLE, exc.strerror or str(exc))) from None
    try:
        return data.decode("utf-8", errors="replace" if lenient else "strict")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise Damaged(StateDamage(path, DamageKind.NOT_TEXT, f"byte {exc.start}", line)) from None


__all__ = ["MAX_STATE_BYTES", "DamageKind", "StateDamage", "Damaged", "damaged_copy_of", "read_state_text"]
