"""Reading foreign YAML safely with ruamel's round-trip loader, with line numbers for errors.

The round-trip constructor builds only plain maps, lists and scalars (an unknown tag such as
``!!python/object`` is kept as a tagged value, never instantiated), and it remembers where
each key sits so an error can name ``file:line``. Work is bounded: the node graph is
composed first and its size *with every alias expanded* is counted (memoised per node, so
counting is linear in the file); a file whose aliases would expand past ``MAX_EXPANDED``
values -- an alias bomb ("billion laughs") -- is refused before anything walks it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, SequenceNode

from .errors import InteropError

MAX_EXPANDED = 200_000   # values after alias expansion; a 10,000-line config has a few 10,000s


def expanded_size(root: Node | None, limit: int = MAX_EXPANDED) -> int:
    """How many nodes ``root`` stands for once aliases are expanded (stops counting past ``limit``)."""
    memo: dict[int, int] = {}

    def size(node: Node) -> int:
        key = id(node)
        if key in memo:
            return memo[key]
        memo[key] = 1  # a recursive alias counts once, never loops
        total = 1
        if isinstance(node, MappingNode):
            children = [c for pair in node.value for c in pair]
        elif isinstance(node, SequenceNode):
            children = list(node.value)
        else:
            children = []
        for child in children:
            total += size(child)
            if total > limit:
                break
        memo[key] = total
        return total

    return 0 if root is None else size(root)


def _check_bounded(text: str, file: Path | str) -> None:
    try:
        root = YAML(typ="rt").compose(text)
    except YAMLError:
        return  # load() below reports the syntax error with its line
    if expanded_size(root) > MAX_EXPANDED:
        raise InteropError(file, None, f"uses YAML aliases (*name) that expand to more than {MAX_EXPANDED:,} values "
                           "(an alias bomb); refused without reading further. Write the values out, or use fewer "
                           "nested aliases")


def load_yaml(text: str, file: Path | str) -> Any:
    text = text.lstrip("\ufeff")
    try:
        _check_bounded(text, file)
        return YAML(typ="rt").load(text)
    except RecursionError:
        raise InteropError(file, None, "nests too deeply to be read; it is not a config file Port Manager "
                           "can use") from None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise InteropError(file, mark.line + 1 if mark else None,
                           f"is not valid YAML ({exc.problem or exc.context}); fix it and try again") from None
    except YAMLError as exc:
        raise InteropError(file, None, f"is not valid YAML ({str(exc)[:200]}); fix it and try again") from None


def line_of(container: Any, key: Any) -> int | None:
    """1-based line of ``key`` (a mapping key or a list index) in a round-trip container."""
    try:
        if isinstance(key, int) and hasattr(container, "lc") and isinstance(container, list):
            return container.lc.item(key)[0] + 1
        return container.lc.key(key)[0] + 1
    except (AttributeError, KeyError, IndexError, TypeError):
        return None
