"""Imports and linked files, off the GUI thread: the desktop side of "modify once, apply everywhere".

``InteropWorker`` runs the core's interop functions on one single-thread pool -- so a link
added by an import and the sync after a save never race on ``links.json`` -- and answers
with signals carrying the core's values: ``ImportResult``, ``SyncReport``, ``Links`` and the
dry-run ``LinkOutcome`` of each link (``unchanged`` = in step). Bad input becomes the core's
``file:line: message`` text; a failure travels as a ``JobFailure`` value (the UI words it);
nothing is written when an import cannot be read.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from ..core.interop import links as links_mod
from ..core.interop.errors import InteropError
from ..core.interop.links import Link, Links, LinksError
from ..core.paths import Paths
from ..core.registry.model import Registry
from .background import Background, JobFailure, job_failure


def _detect():
    # Imported on first use, on the worker thread: the readers and writers of every format
    # cost memory and start time that an app which never imports should not pay.
    from ..core.interop import detect
    return detect


def _sync():
    from ..core.interop import sync
    return sync


def _describe(exc: Exception) -> JobFailure:
    """Bad input keeps the core's own file:line text; an OS error its path and reason."""
    return job_failure(exc, (InteropError, LinksError))


class InteropWorker(QObject):
    imported = Signal(object)          # ImportResult
    import_failed = Signal(object)     # JobFailure (nothing was written)
    synced = Signal(object)            # SyncReport of a real sync (after a save)
    links_loaded = Signal(object)      # Links
    links_listed = Signal(object)      # tuple[LinkOutcome, ...] of a dry run: in step / out of step / broken
    links_failed = Signal(object)      # JobFailure: links.json (or a file to link) could not be read or written

    def __init__(self, paths: Paths, *, import_file: Callable[..., Any] | None = None,
                 apply_links: Callable[..., Any] | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.paths = paths
        self._import_file = import_file
        self._apply_links = apply_links
        self._worker = Background(self, name="interop", describe=_describe)
        self._pending = 0

    @property
    def busy(self) -> bool:
        return self._pending > 0

    def wait_idle(self, ms: int = 10000) -> bool:
        """Block until the worker is idle (shutdown and tests only)."""
        return self._worker.wait_idle(ms)

    def shutdown(self, ms: int = 10000) -> bool:
        """Wait for the job in progress (a sync writing linked files), then end the worker thread."""
        return self._worker.shutdown(ms)

    # -- requests (each job holds values -- paths, registry, functions -- never ``self``) --------
    def import_file(self, path: str | Path, registry: Registry, kind: str | None = None) -> None:
        """Read ``path`` into a preview of ``registry`` after the import; writes nothing."""
        target = links_mod.normalize(path)
        import_file = self._import_file
        self._submit(lambda: (import_file or _detect().import_file)(target, registry, kind), self.imported.emit,
                     self.import_failed.emit)

    def sync(self, registry: Registry, add: Link | None = None) -> None:
        """Write every linked file from ``registry``; ``add`` is linked first (an import's checkbox)."""
        paths, apply_links = self.paths, self._apply_links

        def work() -> Any:
            sync = _sync()
            if add is not None:      # a failure here is ``links_failed``: nothing is synced
                links_mod.update(paths, lambda links: links.with_link(add))
            return (apply_links or sync.apply_links)(registry, paths)
        self._submit(work, self.synced.emit, self.links_failed.emit)

    def load_links(self) -> None:
        paths = self.paths
        self._submit(lambda: links_mod.load(paths), self.links_loaded.emit, self.links_failed.emit)

    def list_links(self, registry: Registry) -> None:
        """Each link's dry-run outcome against ``registry`` (nothing is written)."""
        paths = self.paths
        self._submit(lambda: _dry_run(paths, registry), self._listed, self.links_failed.emit)

    def remove_link(self, path: str | Path, registry: Registry) -> None:
        """Stop updating ``path`` (the file itself is kept), then list the links again."""
        paths = self.paths

        def work() -> tuple[Links, tuple[Any, ...]]:
            links_mod.update(paths, lambda links: links.without(Path(path)))
            return _dry_run(paths, registry)
        self._submit(work, self._listed, self.links_failed.emit)

    # -- plumbing -------------------------------------------------------------------
    def _listed(self, result: tuple[Links, tuple[Any, ...]]) -> None:
        links, outcomes = result
        self.links_loaded.emit(links)
        self.links_listed.emit(outcomes)

    def _submit(self, fn: Callable[[], Any], done: Callable[[Any], None], fail: Callable[[Any], None]) -> None:
        def finished(callback: Callable[[Any], None]) -> Callable[[Any], None]:
            def call(value: Any) -> None:
                self._pending -= 1
                callback(value)
            return call
        if self._worker.run(fn, finished(done), finished(fail)):
            self._pending += 1


def _dry_run(paths: Paths, registry: Registry) -> tuple[Links, tuple[Any, ...]]:
    """The links and each one's dry-run outcome against ``registry`` (worker thread)."""
    links: Links = links_mod.load(paths)
    return links, tuple(_sync().apply_link(link, registry, dry_run=True) for link in links.items)
