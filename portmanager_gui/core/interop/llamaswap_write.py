"""Writing ports back into a linked llama-swap / ClaraCore ``config.yaml``.

Only keys the runtime reads are written: the global ``startPort`` (from the registry's
runtime-numbered pool) and the proxy's ``listen`` address when the file has one (only its
port digits). Group ``startPort`` keys are never written -- neither loader reads them. A
missing ``startPort`` is inserted only when the wanted value differs from the runtime's
default, so linking never moves a running llama-swap's models from 5800+ to 8100+.

The edit is surgical: ruamel.yaml finds where each number sits, and only those characters
are replaced -- comments, blank lines, quoting, key order, indentation, a BOM and CRLF line
ends stay byte for byte. The result is parsed again before it is returned.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode

from ..registry.model import Registry
from .errors import InteropError
from .llamaswap import DEFAULT_START, LISTEN_KEYS, LlamaSwapConfig, parse
from .llamaswap_import import proxy_service
from .pyexport import Rendered

KEY = "startPort"
_DIGITS = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class _Edit:
    """One replacement in the config's text (character span, new text, what it changes)."""

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


def _start_edit(text: str, root: MappingNode, cfg: LlamaSwapConfig, value: int, file: Path | str) -> _Edit | None:
    found = _get(root, KEY)
    if found is None:
        if value == DEFAULT_START[cfg.runtime]:
            return None  # the runtime already uses this; adding the key would change nothing but the file
        if root.flow_style or not root.value:
            raise InteropError(file, root.start_mark.line + 1, f"cannot add {KEY} to a top level written in flow "
                               f"style {{...}}; add `{KEY}: {value}` there by hand")
        first_key = root.value[0][0]
        at = _line_start(text, first_key.start_mark.index)
        newline = "\r\n" if "\r\n" in text else "\n"
        return _Edit(at, at, f"{' ' * first_key.start_mark.column}{KEY}: {value}{newline}", f"{KEY} set to {value}")
    vnode = found[1]
    if cfg.start_port == value:
        return None
    if not cfg.start_literal or not isinstance(vnode, ScalarNode):
        raise InteropError(file, vnode.start_mark.line + 1, f"{KEY} is written through a macro; change that macro "
                           f"to {value} by hand (Port Manager writes plain numbers only)")
    return _Edit(vnode.start_mark.index, vnode.end_mark.index, str(value), f"{KEY} {vnode.value} -> {value}")


def _listen_edit(text: str, root: MappingNode, cfg: LlamaSwapConfig, value: int) -> _Edit | None:
    """The port digits of ``listen: 127.0.0.1:5800`` (quotes, host and all else kept)."""
    for key in LISTEN_KEYS:
        found = _get(root, key)
        if found is None or not isinstance(found[1], ScalarNode):
            continue
        if cfg.listen_port == value:
            return None
        vnode = found[1]
        span = text[vnode.start_mark.index:vnode.end_mark.index]
        digits = list(_DIGITS.finditer(span))
        if not digits:
            return None
        last = digits[-1]
        at = vnode.start_mark.index
        new = span[:last.start()] + str(value) + span[last.end():]
        return _Edit(at + last.start(), at + last.end(), str(value), f"{key} {span} -> {new}")
    return None


def write_back(text: str, registry: Registry, file: Path | str = "config.yaml") -> Rendered:
    """``text`` with ``startPort`` (and ``listen``, when present) set from ``registry``."""
    cfg = parse(text, file)  # refuse foreign or broken files before touching anything
    try:
        root = YAML(typ="rt").compose(text)
    except YAMLError as exc:  # pragma: no cover - parse() above already read it
        raise InteropError(file, None, f"is not valid YAML ({exc})") from None
    edits: list[_Edit] = []
    if registry.models.numbered_by:
        edit = _start_edit(text, root, cfg, registry.start_port, file)
        if edit:
            edits.append(edit)
    proxy = registry.services.get(proxy_service(cfg.runtime))
    if proxy is not None:
        edit = _listen_edit(text, root, cfg, proxy.preferred)
        if edit:
            edits.append(edit)
    out = text
    for e in sorted(edits, key=lambda e: e.start, reverse=True):
        out = out[:e.start] + e.text + out[e.end:]
    check = parse(out, file)
    if edits and registry.models.numbered_by and check.effective_start != registry.start_port:  # pragma: no cover
        raise InteropError(file, None, "could not update startPort safely; nothing was written")
    return Rendered(out, tuple(e.note for e in sorted(edits, key=lambda e: e.start)))
