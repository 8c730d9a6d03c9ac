"""Carrying a saved registry to every linked file: ``apply_links(registry, paths)``.

Called after each registry save (CLI ``ports``/``group``/``import``, the desktop app's save).
Each link is handled on its own: a broken or foreign linked file is reported and left
untouched, the others are still written. A file whose text would not change is not
rewritten at all -- ClaraCore reloads (and restarts its models) when its config is touched.
The previous version of each rewritten file is kept in ``state_dir/backups``.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from ..atomic_write import write_atomic
from ..paths import Paths
from ..registry.model import Registry
from . import exporters
from . import links as links_mod
from .errors import InteropError, read_text
from .links import Link, Links, LinksError
from .llamaswap_write import write_back
from .pyexport import Rendered


class Status(str, Enum):
    WRITTEN = "written"
    UNCHANGED = "unchanged"
    FAILED = "failed"


@dataclass(frozen=True)
class LinkOutcome:
    """What syncing one linked file did: written, unchanged or failed, and the changes."""

    link: Link
    status: Status
    changes: tuple[str, ...] = ()   # "startPort 8100 -> 8200", "BACKEND_PORT 8203 -> 9000"
    error: str = ""                 # why nothing was written, naming file:line


@dataclass(frozen=True)
class SyncReport:
    """What syncing every linked file did."""

    outcomes: tuple[LinkOutcome, ...] = ()
    error: str = ""                 # links.json itself could not be read

    @property
    def ok(self) -> bool:
        return not self.error and all(o.status is not Status.FAILED for o in self.outcomes)

    @property
    def written(self) -> tuple[LinkOutcome, ...]:
        return tuple(o for o in self.outcomes if o.status is Status.WRITTEN)

    @property
    def failed(self) -> tuple[LinkOutcome, ...]:
        return tuple(o for o in self.outcomes if o.status is Status.FAILED)


def render_link(link: Link, registry: Registry) -> Rendered:
    """The new text of a linked file. Raises ``InteropError`` when it must not be written."""
    path = link.path
    if link.kind == "claracore":
        return write_back(read_text(path), registry, path)
    if not path.parent.is_dir():
        raise InteropError(path, None, f"its folder {path.parent} no longer exists; "
                           f"remove the link (portmanager link remove {path}) or create the folder")
    existing = read_text(path) if path.exists() else None
    return exporters.output(link.kind, registry, existing, str(path))


def backup_path(backup_dir: Path, path: Path) -> Path:
    """Where the previous version of a linked file is kept: Port Manager's state folder, not
    the user's project (a ``config.yaml.bak`` there would show up in their ``git status``)."""
    digest = hashlib.sha1(str(path).encode("utf-8")).hexdigest()[:10]
    return backup_dir / f"{path.name}.{digest}.bak"


def apply_link(link: Link, registry: Registry, dry_run: bool = False,
               backup_dir: Path | None = None) -> LinkOutcome:
    try:
        rendered = render_link(link, registry)
        current = read_text(link.path) if link.path.exists() else None
        if rendered.text == current:
            return LinkOutcome(link, Status.UNCHANGED)
        if not dry_run:
            if current is not None and backup_dir is not None:
                write_atomic(backup_path(backup_dir, link.path), current, backup=False)
            write_atomic(link.path, rendered.text, backup=False)
        return LinkOutcome(link, Status.WRITTEN, rendered.changes or ("created",))
    except InteropError as exc:
        return LinkOutcome(link, Status.FAILED, error=f"{exc} (not changed)")
    except OSError as exc:
        return LinkOutcome(link, Status.FAILED, error=f"{link.path}: cannot be written ({exc.strerror or exc}); "
                           "check its permissions (not changed)")


def apply_links(registry: Registry, paths: Paths, links: Links | None = None,
                dry_run: bool = False) -> SyncReport:
    """Write every linked output and write back every linked ClaraCore config."""
    if links is None:
        try:
            links = links_mod.load(paths)
        except LinksError as exc:
            return SyncReport(error=str(exc))
    backups = paths.state_dir / "backups"
    return SyncReport(tuple(apply_link(link, registry, dry_run, backups) for link in links.items))
