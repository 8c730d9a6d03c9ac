"""The registry the app shows and edits, kept in step with the file on disk.

``RegistryStore`` holds the current ``Registry`` value, the exact text it came from and
the model slots the planner gives it. A QFileSystemWatcher follows the file: editors and
our own save replace it atomically (a rename), after which the watcher has dropped the
path, so it watches the folder too and re-adds the file. A change made outside the app is
loaded at once -- unless the UI holds unsaved edits, in which case nothing is replaced and
``external_change_conflict`` lets the user choose; a file that no longer loads keeps the
last good registry and reports it through ``load_failed``. Problems travel as
``StoreProblem`` values (a ``RegistryError`` keeps its own ``file:line`` text); the UI words them.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal

from ..core.ports.selection import (
    ModelSlot,
    PoolFull,
    allocate_slots,
    model_slots,
    read_allocations,
)
from ..core.registry import save as yamlio
from ..core.registry.load import RegistryError, parse, read_text
from ..core.registry.model import Registry
from .background import Background

DEBOUNCE_MS = 100   # editors write in several steps; look once they are done


class StoreTrouble(Enum):
    CANNOT_CREATE = "cannot_create"     # the default registry could not be written (``detail``: the OS's reason)
    MISSING = "missing"                 # the registry file is gone
    INVALID = "invalid"                 # it does not read, parse or validate (``detail``: file:line: what to do)
    POOL_FULL = "pool_full"             # a model pool has more models than ports (``detail``: which and what to do)
    SAVE_REFUSED = "save_refused"       # a save was refused: the file changed on disk, or ... (``detail``)
    NOT_WRITTEN = "not_written"         # a save failed; nothing was changed (``detail``: the OS's reason)
    NOT_REMEMBERED = "not_remembered"   # the model-slot ports could not be written to ``path`` (allocations)


@dataclass(frozen=True)
class StoreProblem:
    """Why the registry file is not (all) in use, or a save did not land."""

    trouble: StoreTrouble
    path: Path
    detail: str = ""               # the exception's own text
    kept_last: bool = False        # the last registry that loaded is still in use


class RegistryStore(QObject):
    registry_changed = Signal(object)          # Registry
    load_failed = Signal(object)               # StoreProblem
    external_change_conflict = Signal(str)     # the file changed while the UI has unsaved edits
    saved = Signal(str)                        # path
    save_failed = Signal(object)               # StoreProblem

    def __init__(self, path: Path, *, allocations_file: Path | None = None, create_default: bool = True,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.path = Path(path)
        self.allocations_file = allocations_file
        self._create_default = create_default
        self.registry: Registry | None = None
        self.text: str | None = None
        self.slots: tuple[ModelSlot, ...] = ()
        self.problem: StoreProblem | None = None   # why the current file is not (all) in use
        self._allocations: dict[str, dict[str, int]] = {}
        self._dirty = False
        self._conflict_text: str | None = None
        self._watcher = QFileSystemWatcher(self)
        self._watcher.fileChanged.connect(self._schedule)
        self._watcher.directoryChanged.connect(self._schedule)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DEBOUNCE_MS)
        self._debounce.timeout.connect(self.check_disk)
        self._saver = Background(self, name="registry-save")   # saves run off the GUI thread, in order

    # -- loading --------------------------------------------------------------------
    def load(self) -> bool:
        """First load; writes the default registry when there is none yet (and allowed)."""
        if self._create_default:
            try:
                yamlio.ensure_default(self.path)
            except RegistryError as exc:   # e.g. a link to a registry that is gone
                self._fail(StoreTrouble.INVALID, str(exc))
                return False
            except OSError as exc:
                self._fail(StoreTrouble.CANNOT_CREATE, str(exc))
                return False
        self._watch()
        return self._read(force=True)

    def reload(self) -> bool:
        """Load the file as it is now, dropping the unsaved-edits guard (the user chose so)."""
        self._dirty = False
        return self._read(force=True)

    def allocations(self) -> dict[str, dict[str, int]]:
        """The remembered model-slot ports, as read when the registry was last accepted."""
        return self._allocations

    def set_dirty(self, dirty: bool) -> None:
        """The UI has (or no longer has) unsaved edits based on ``self.text``."""
        self._dirty = dirty
        if not dirty and self._conflict_text is not None:
            self._conflict_text = None
            self.check_disk()

    @property
    def dirty(self) -> bool:
        return self._dirty

    def check_disk(self) -> None:
        self._watch()
        self._read(force=False)

    def _schedule(self, *_: object) -> None:
        self._debounce.start()

    def _watch(self) -> None:
        folder = str(self.path.parent)
        if self.path.parent.is_dir() and folder not in self._watcher.directories():
            self._watcher.addPath(folder)
        if self.path.exists() and str(self.path) not in self._watcher.files():
            self._watcher.addPath(str(self.path))

    def _read(self, force: bool) -> bool:
        if not self.path.exists():
            if force or self.registry is not None:
                self._fail(StoreTrouble.MISSING)
            return False
        try:
            text = read_text(self.path)
        except RegistryError as exc:
            self._fail(StoreTrouble.INVALID, str(exc))
            return False
        if not force and text == self.text:
            return True
        if not force and self._dirty:
            if text != self._conflict_text:
                self._conflict_text = text
                self.external_change_conflict.emit(str(self.path))
            return False
        try:
            registry = parse(text, self.path)
        except RegistryError as exc:
            self.text = text if self.registry is None else self.text
            self._fail(StoreTrouble.INVALID, str(exc))
            return False
        self._accept(registry, text)
        return True

    def _accept(self, registry: Registry, text: str, problem: StoreProblem | None = None) -> None:
        # A read: the slots are computed, not written (the save job and a start remember them).
        try:
            slots = model_slots(registry, self.allocations_file)
            self.problem = problem
        except PoolFull as exc:
            slots, self.problem = (), StoreProblem(StoreTrouble.POOL_FULL, self.path, str(exc))
        self.registry, self.text, self.slots = registry, text, slots
        self._allocations = read_allocations(self.allocations_file)
        self._conflict_text = None
        self.registry_changed.emit(registry)
        if self.problem:
            self.load_failed.emit(self.problem)

    def _fail(self, trouble: StoreTrouble, detail: str = "") -> None:
        self.problem = StoreProblem(trouble, self.path, detail, kept_last=self.registry is not None)
        self.load_failed.emit(self.problem)

    # -- saving ---------------------------------------------------------------------
    def save(self, registry: Registry, *, overwrite: bool = False) -> None:
        """Write ``registry`` atomically, off the GUI thread; ``saved`` or ``save_failed`` follows.

        Refused if the file changed since it was loaded, unless ``overwrite`` (the user's
        explicit "keep my version" after a conflict). Saves run one at a time, in order.
        """
        expected = None if overwrite else self.text
        path, allocations = self.path, self.allocations_file
        self._saver.run(lambda: _save(registry, path, expected, allocations), self._on_save_done)

    def wait_saved(self, ms: int = 10000) -> bool:
        """Block until every requested save has been written (quit, tests)."""
        return self._saver.wait_idle(ms)

    def shutdown(self, ms: int = 10000) -> bool:
        """Let every requested save land, then end the save thread and stop watching the file."""
        self._debounce.stop()
        watched = self._watcher.files() + self._watcher.directories()
        if watched:                     # Qt warns about an empty list (a registry that never loaded)
            self._watcher.removePaths(watched)
        return self._saver.shutdown(ms)

    def _on_save_done(self, result: tuple) -> None:
        if self._saver.closed:      # shut down: the file is written, nobody is listening any more
            return
        saved, text, error, problem = result
        if error is not None:
            self.save_failed.emit(error)
            return
        self._dirty = False
        self._watch()
        self._accept(saved, text, problem)
        self.saved.emit(str(self.path))


def _save(registry: Registry, path: Path, expected: str | None, allocations: Path | None) -> tuple:
    """The save job (worker thread): write, read back, parse, remember the model slots of the
    saved registry; values only, never the store. (registry, text, error, problem)"""
    try:
        yamlio.save(registry, path, expected_text=expected)
        text = path.read_text(encoding="utf-8")
        saved = parse(text, path)
    except RegistryError as exc:
        return None, None, StoreProblem(StoreTrouble.SAVE_REFUSED, path, str(exc)), None
    except OSError as exc:
        return None, None, StoreProblem(StoreTrouble.NOT_WRITTEN, path, str(exc)), None
    problem = None
    if allocations is not None:
        try:
            allocate_slots(saved, allocations)
        except PoolFull:
            pass              # shown by the store when it accepts the registry
        except OSError as exc:   # the ports still show; they are just not remembered
            problem = StoreProblem(StoreTrouble.NOT_REMEMBERED, allocations, str(exc))
    return saved, text, None, problem
