"""Compare-and-swap for registry saves: an edit based on an older text is re-applied to the
file as it is now, entry by entry, and refused only where both changed the same entry.

An entry is one service, one group, or the ungrouped model pool (with ``start_port``). So
twenty ``portmanager ports sN ...`` commands run at once, each on its own service, all
land; two edits of the same service never silently overwrite each other.
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TypeVar

from .load import RegistryError
from .model import Registry

T = TypeVar("T")


class SaveConflict(RegistryError):
    """The same entry was changed on disk since the edit was made; nothing was written."""

    def __init__(self, file: Path | str | None, key: str):
        super().__init__(file, None, key, "was changed on disk by someone else since Port Manager read it; "
                                          "nothing was written: reload it and make your edit again")


def _entries(file: Path | str | None, kind: str, base: Mapping[str, T], mine: Mapping[str, T],
             theirs: Mapping[str, T]) -> dict[str, T]:
    """Theirs, with my changes applied; their order first, my additions after."""
    out: dict[str, T] = {}
    for name in [*theirs, *(n for n in mine if n not in theirs)]:
        b, m, t = base.get(name), mine.get(name), theirs.get(name)
        if m != b and t != b and m != t:
            raise SaveConflict(file, f"{kind}.{name}")
        value = m if m != b else t
        if value is not None:
            out[name] = value
    return out


def rebase(base: Registry, mine: Registry, theirs: Registry, file: Path | str | None = None) -> Registry:
    """``mine`` (an edit of ``base``) re-applied on ``theirs`` (the file now). Raises ``SaveConflict``."""
    pool = _entries(file, "models", {"": base.models}, {"": mine.models}, {"": theirs.models})[""]
    return Registry(services=_entries(file, "services", base.services, mine.services, theirs.services),
                    groups=_entries(file, "groups", base.groups, mine.groups, theirs.groups),
                    models=pool, path=theirs.path, version=theirs.version)
