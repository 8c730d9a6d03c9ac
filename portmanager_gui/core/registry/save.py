"""Saving the registry: atomic, with a backup, keeping the user's comments and key order.

Why ruamel.yaml: PyYAML drops every comment on a load/dump round trip and reorders
nothing but forgets flow style; ruamel.yaml's round-trip mode keeps comments, key order
and ``[a, b]`` flow lists, so a registry the user annotated by hand stays theirs after
Port Manager edits one port. The new ``Registry`` value is merged into the document the
user wrote (changed values replaced in place, removed keys deleted, new keys appended);
values equal to the defaults are not written out.

Every save is a compare-and-swap under a lock (``rebase``): the edit is re-applied to the
file as it is now and refused only when someone changed the same entry meanwhile. Writes
follow symlinks to the real file, keep its mode and owner, refuse a read-only file, write
the backup atomically too, and clear temp files that a killed writer left behind.
"""
from __future__ import annotations

import io
import os
from dataclasses import fields
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from ..atomic_write import ReadOnlyFile, write_atomic
from ..platform.file_lock import LockTimeout, locked_folder
from ..platform.files import make_dirs
from .defaults import DEFAULT_REGISTRY_YAML
from .load import RegistryError, load, parse, read_text
from .model import DEFAULT_START_PORT, UNGROUPED, Group, Registry, Service
from .rebase import SaveConflict, rebase


def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 4096
    y.indent(mapping=2, sequence=4, offset=2)
    return y


class _Entries(dict):
    """A mapping to write, knowing which of its values are just the defaults."""

    def __init__(self, *args: Any, defaults: set[str] | None = None):
        super().__init__(*args)
        self.defaults = defaults or set()


def _plain(obj: Service | Group, default: Service | Group) -> _Entries:
    """Every field as a plain YAML-ready value; default-valued ones marked as such."""
    out = _Entries()
    for f in sorted(fields(obj), key=lambda f: f.name != "description"):  # description reads best first
        if f.name == "name" or (f.name == "start_port" and obj.name == UNGROUPED and isinstance(obj, Group)):
            continue
        value = _yamlable(getattr(obj, f.name))
        if f.name in ("start_timeout", "stop_timeout") and float(value).is_integer():
            value = int(value)
        if f.name not in ("ports", "start_port") and value == _yamlable(getattr(default, f.name)):
            out.defaults.add(f.name)
        out[f.name] = value
    return out


def _yamlable(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    if hasattr(value, "items"):
        return dict(value)
    return value


def to_plain(reg: Registry) -> _Entries:
    """The registry as nested dicts and lists, in the registry's own order."""
    out = _Entries(defaults={"version"} | ({"start_port"} if reg.start_port == DEFAULT_START_PORT else set()))
    out["version"] = reg.version
    out["start_port"] = reg.start_port
    out["services"] = {n: _plain(s, Service(name=n, ports=(1,))) for n, s in reg.services.items()}
    out["models"] = _plain(reg.models, Group(name=UNGROUPED, start_port=reg.start_port))
    out["groups"] = {n: _plain(g, Group(name=n, start_port=1)) for n, g in reg.groups.items()}
    if not reg.groups:
        out.defaults.add("groups")
    if set(out["models"].defaults) >= set(out["models"]):
        out.defaults.add("models")
    return out


def _merge(node: Any, new: Any) -> Any:
    """Make the round-trip ``node`` equal to ``new`` while keeping comments and styles."""
    if isinstance(node, CommentedMap) and isinstance(new, dict):
        for key in [k for k in node if k not in new]:
            del node[key]
        skip = getattr(new, "defaults", set())
        for key, value in new.items():
            if key in node:
                node[key] = _merge(node[key], value)
            elif key not in skip:
                node[key] = _fresh(value, flow_lists=True)
        return node
    if isinstance(node, CommentedSeq) and isinstance(new, list):
        # Item by item, in the same CommentedSeq: its flow style and the comments on
        # the items that stay (block lists keep one per item) are kept.
        for i, value in enumerate(new[:len(node)]):
            if node[i] != value or type(node[i]) is not type(value):
                node[i] = _merge(node[i], value)
        del node[len(new):]
        node.extend(new[len(node):])
        return node
    if node == new and type(node) is type(new):
        return node
    return _fresh(new, flow_lists=True)


def _fresh(value: Any, flow_lists: bool) -> Any:
    if isinstance(value, dict):
        m = CommentedMap()
        skip = getattr(value, "defaults", set())
        for k, v in value.items():
            if k not in skip:
                m[k] = _fresh(v, flow_lists)
        if all(not isinstance(v, (dict, list)) for v in value.values()) and len(value) <= 4 and value:
            m.fa.set_flow_style()
        return m
    if isinstance(value, list):
        s = CommentedSeq(value)
        if flow_lists:
            s.fa.set_flow_style()
        return s
    return value


def render(reg: Registry, original_text: str | None) -> str:
    """YAML text for ``reg``: ``original_text`` with the changes merged in, or fresh text."""
    y = _yaml()
    plain = to_plain(reg)
    if original_text:
        doc = y.load(original_text)
        if not isinstance(doc, CommentedMap):
            doc = CommentedMap()
    else:
        doc = CommentedMap()
    _merge(doc, plain)
    buf = io.StringIO()
    y.dump(doc, buf)
    return buf.getvalue()


def save(reg: Registry, path: Path | None = None, expected_text: str | None = None) -> Path:
    """Save ``reg`` atomically, merged into the file's current text, under a lock.

    Refuses (``RegistryError``) when the file on disk does not load: a registry that fails to
    load is never overwritten. ``expected_text``, when given, is the text the edit was based
    on; if the file changed since, the edit is re-applied to the file as it is now, and
    refused (``SaveConflict``) where the same entry changed on both sides.
    """
    target = Path(path or reg.path or "")
    if not str(target):
        raise ValueError("no path to save the registry to")
    real = Path(os.path.realpath(target))
    make_dirs(real.parent)
    try:
        with locked_folder(real.parent):
            return _save_locked(reg, target, real, expected_text)
    except LockTimeout as exc:
        raise RegistryError(target, None, "", f"not saved: {exc}") from None
    except ReadOnlyFile as exc:
        raise RegistryError(target, None, "", exc.reason) from None


def _save_locked(reg: Registry, target: Path, real: Path, expected_text: str | None) -> Path:
    original = read_text(real) if os.path.lexists(real) else None
    if original is not None:
        try:
            current = parse(original, target)
        except RegistryError as exc:
            raise RegistryError(exc.file, exc.line, exc.key, exc.message +
                                " (the file was not overwritten; fix it first)") from None
        if expected_text is not None and original != expected_text:
            try:
                base = parse(expected_text, target)
            except RegistryError:
                raise SaveConflict(target, "") from None
            reg = rebase(base, reg, current, target)
    try:
        text = render(reg, original)
    except YAMLError as exc:  # pragma: no cover - parse() above already accepted it
        raise RegistryError(target, None, "", f"cannot be rewritten: {exc}") from None
    parse(text, target)  # never write what we could not read back
    write_atomic(real, text)
    return target


def ensure_default(path: Path) -> bool:
    """Write the default registry if ``path`` does not exist. True when it was written.

    A symlink whose target is gone is an error, not a place for a fresh default: the user's
    real registry is missing (an unmounted drive, a dotfiles checkout elsewhere).
    """
    path = Path(path)
    if path.exists():
        return False
    if path.is_symlink():
        raise RegistryError(path, None, "", f"is a symbolic link to {os.readlink(path)}, which does not exist; "
                            "restore that file (or remove the link to get a default registry)")
    write_atomic(path, DEFAULT_REGISTRY_YAML, backup=False)
    return True


def load_or_create(path: Path) -> Registry:
    ensure_default(path)
    return load(path)
