"""Writing ``startPort`` values back into a linked llama-swap / ClaraCore ``config.yaml``.

The edit is surgical: ruamel.yaml finds where each ``startPort`` number sits, and only
those characters are replaced -- comments, blank lines, quoting, key order and the
user's indentation stay byte for byte (a full YAML dump would re-flow block scalars such as
multi-line ``cmd:``). A missing ``startPort`` is inserted as one line above the first key
of its mapping. The result is parsed again before it is returned.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode

from ..registry.model import Registry
from .errors import InteropError
from .llamaswap import parse
from .pyexport import Rendered

KEY = "startPort"


@dataclass(frozen=True)
class _Edit:
    start: int          # character offsets into the text
    end: int
    text: str
    note: str


def _get(node: MappingNode, key: str) -> tuple[ScalarNode, Node] | None:
    for k, v in node.value:
        if isinstance(k, ScalarNode) and k.value == key:
            return k, v
    return None


def _line_start(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


def _set(text: str, mapping: MappingNode, value: int, label: str, file: Path | str) -> _Edit | None:
    found = _get(mapping, KEY)
    if found is not None:
        _, vnode = found
        if isinstance(vnode, ScalarNode) and vnode.value == str(value) and vnode.style is None:
            return None
        old = vnode.value if isinstance(vnode, ScalarNode) else "?"
        return _Edit(vnode.start_mark.index, vnode.end_mark.index, str(value), f"{label} {old} -> {value}")
    if mapping.flow_style or not mapping.value:
        raise InteropError(file, mapping.start_mark.line + 1, f"cannot add {KEY} to {label.rsplit('.', 1)[0] or 'the top level'} "
                           f"written in flow style {{...}}; add `{KEY}: {value}` there by hand")
    first_key = mapping.value[0][0]
    at = _line_start(text, first_key.start_mark.index)
    indent = " " * first_key.start_mark.column
    newline = "\r\n" if "\r\n" in text else "\n"
    return _Edit(at, at, f"{indent}{KEY}: {value}{newline}", f"{label} set to {value}")


def write_back(text: str, registry: Registry, file: Path | str = "config.yaml") -> Rendered:
    """``text`` with ``startPort`` and each shared group's ``startPort`` set from ``registry``."""
    parse(text, file)  # refuse foreign or broken files before touching anything
    try:
        root = YAML(typ="rt").compose(text)
    except YAMLError as exc:  # pragma: no cover - parse() above already read it
        raise InteropError(file, None, f"is not valid YAML ({exc})") from None
    edits: list[_Edit] = []
    top = _set(text, root, registry.start_port, KEY, file)
    if top:
        edits.append(top)
    groups = _get(root, "groups")
    if groups is not None and isinstance(groups[1], MappingNode):
        for knode, gnode in groups[1].value:
            group = registry.groups.get(knode.value)
            if group is None or not isinstance(gnode, MappingNode):
                continue
            edit = _set(text, gnode, group.start_port, f"groups.{knode.value}.{KEY}", file)
            if edit:
                edits.append(edit)
    out = text
    for e in sorted(edits, key=lambda e: e.start, reverse=True):
        out = out[:e.start] + e.text + out[e.end:]
    check = parse(out, file)
    if check.start_port != registry.start_port:  # pragma: no cover - a bug, never write it
        raise InteropError(file, None, "could not update startPort safely; nothing was written")
    return Rendered(out, tuple(e.note for e in sorted(edits, key=lambda e: e.start)))
