"""Which outside files follow the registry: ``links.json`` in the config folder.

A link is a kind and an absolute path. ``claracore`` links are llama-swap/ClaraCore
configs whose ``startPort`` values are written back; ``python``, ``js``, ``env`` and ``json``
links are outputs regenerated on every registry save. The registry schema is not touched:
links are where the user's files are, not ports, and one registry may feed several checkouts.

File format (version 1)::

    {"version": 1, "links": [{"kind": "claracore", "path": "/home/me/claracore/config.yaml"}]}
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..atomic_write import write_atomic
from ..file_read import NotAFile, TooLarge, read_small
from ..paths import Paths
from ..platform.file_lock import locked

KINDS = ("claracore", "python", "js", "env", "json")
LINKS_VERSION = 1

# Import kinds that can stay linked (written back on every save), and their link kind.
# A docker-compose file is import-only.
LINK_KIND_OF_IMPORT = {"claracore": "claracore", "python": "python", "env": "env"}


class LinksError(ValueError):
    """``links.json`` cannot be used; ``str()`` names the file and line."""


@dataclass(frozen=True)
class Link:
    """A foreign file kept in step with the registry (``links.json``): its kind and path."""

    kind: str
    path: Path

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "path": str(self.path)}


@dataclass(frozen=True)
class Links:
    """Every linked file, as ``links.json`` lists them."""

    items: tuple[Link, ...] = ()

    def with_link(self, link: Link) -> "Links":
        """Add ``link``; a path already linked takes the new kind (one file, one role)."""
        return Links(tuple(x for x in self.items if x.path != link.path) + (link,))

    def without(self, path: Path) -> "Links":
        return Links(tuple(x for x in self.items if x.path != path))

    def find(self, path: Path) -> Link | None:
        return next((x for x in self.items if x.path == path), None)

    def of_kind(self, kind: str) -> tuple[Link, ...]:
        return tuple(x for x in self.items if x.kind == kind)


MAX_LINKS_BYTES = 4 * 1024 * 1024


def links_file(paths: Paths) -> Path:
    return paths.config_dir / "links.json"


def normalize(path: Path | str) -> Path:
    """Absolute, with ``~`` expanded: a link must work from any working directory."""
    return Path(path).expanduser().resolve()


def load(paths: Paths) -> Links:
    file = links_file(paths)
    try:
        text = read_small(file, MAX_LINKS_BYTES).decode("utf-8")
    except FileNotFoundError:
        return Links()
    except (NotAFile, TooLarge) as exc:
        raise LinksError(f"{file}: {exc.strerror}; move it away and link your files again") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise LinksError(f"{file}: cannot be read ({exc}); check its permissions") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LinksError(f"{file}:{exc.lineno}: not valid JSON ({exc.msg}); fix it or delete the file "
                         "and link your files again") from None
    if not isinstance(data, dict) or not isinstance(data.get("links"), list):
        raise LinksError(f"{file}: expected {{\"version\": 1, \"links\": [...]}}; fix it or delete the file")
    if data.get("version", LINKS_VERSION) != LINKS_VERSION:
        raise LinksError(f"{file}: version {data.get('version')!r} is not supported by this Port Manager")
    items = []
    for i, entry in enumerate(data["links"]):
        if not (isinstance(entry, dict) and entry.get("kind") in KINDS and isinstance(entry.get("path"), str)):
            raise LinksError(f"{file}: links[{i}] needs a kind ({', '.join(KINDS)}) and a path; fix or remove it")
        items.append(Link(entry["kind"], normalize(entry["path"])))
    return Links(tuple(items))


def save(paths: Paths, links: Links) -> Path:
    """Write ``links`` as the whole file (``update`` is the way to change one link)."""
    file = links_file(paths)
    data = {"version": LINKS_VERSION, "links": [x.to_json() for x in links.items]}
    write_atomic(file, json.dumps(data, indent=2) + "\n")
    return file


def update(paths: Paths, change: Callable[[Links], Links]) -> tuple[Links, Links]:
    """Read, ``change`` and write links.json under one lock, so two commands (or a command and
    the app) linking different files at once both land. Returns (before, after)."""
    with locked(paths.state_dir / "locks" / "links.lock"):
        before = load(paths)
        after = change(before)
        if after != before:
            save(paths, after)
        return before, after
