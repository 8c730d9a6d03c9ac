"""Reading foreign YAML safely with ruamel's round-trip loader, with line numbers for errors.

The round-trip constructor builds only plain maps, lists and scalars (an unknown tag such as
``!!python/object`` is kept as a tagged value, never instantiated), and it remembers where
each key sits so an error can name ``file:line``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from .errors import InteropError


def load_yaml(text: str, file: Path | str) -> Any:
    try:
        return YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise InteropError(file, mark.line + 1 if mark else None,
                           f"is not valid YAML ({exc.problem or exc.context}); fix it and try again") from None
    except YAMLError as exc:
        raise InteropError(file, None, f"is not valid YAML ({exc}); fix it and try again") from None


def line_of(container: Any, key: Any) -> int | None:
    """1-based line of ``key`` (a mapping key or a list index) in a round-trip container."""
    try:
        if isinstance(key, int) and hasattr(container, "lc") and isinstance(container, list):
            return container.lc.item(key)[0] + 1
        return container.lc.key(key)[0] + 1
    except (AttributeError, KeyError, IndexError, TypeError):
        return None
