"""Strict loading of ``registry.yaml`` into a ``Registry`` value.

Validation walks ruamel.yaml's *node* tree rather than constructed Python objects: a node
keeps the scalar exactly as written (so ``08100``, ``0700``, ``1:30``, ``yes`` and ``"3791"``
can be told apart from a port), its line, and every duplicate key. Nothing is ever
constructed from a tag, so loading is safe. Every error names ``file:line`` and the key
path (``services.router.ports[1]``) and says what to do.
"""
from __future__ import annotations

import ipaddress
import os
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.reader import ReaderError

from ..platform import unusable_file_name
from .compose import TooDeep, compose
from .model import (
    DEFAULT_GROUP_SIZE,
    DEFAULT_START_PORT,
    RESTART_POLICIES,
    RUNTIME_NUMBERING,
    UNGROUPED,
    Group,
    Registry,
    Service,
)

INT_TAG = "tag:yaml.org,2002:int"
FLOAT_TAG = "tag:yaml.org,2002:float"
BOOL_TAG = "tag:yaml.org,2002:bool"
STR_TAG = "tag:yaml.org,2002:str"
NULL_TAG = "tag:yaml.org,2002:null"
PLAIN_SCALAR_TAGS = {INT_TAG, FLOAT_TAG, BOOL_TAG, STR_TAG, NULL_TAG}
_PORT_RE = re.compile(r"[1-9][0-9]{0,4}")
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME_RE = re.compile(rf"{_LABEL}(?:\.{_LABEL})*\.?")
# A registry is a few kilobytes; these limits keep a wrong file (a log, a dump, a hostile
# nesting) from taking seconds and hundreds of megabytes -- or the stack -- to refuse.
MAX_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 32


class RegistryError(ValueError):
    """A registry file that cannot be used. ``str()`` is the one line to show the user."""

    def __init__(self, file: Path | str | None, line: int | None, key: str, message: str):
        self.file = str(file) if file is not None else "<registry>"
        self.line = line
        self.key = key
        self.message = message
        where = f"{self.file}:{line}" if line else self.file
        super().__init__(f"{where}: {key + ': ' if key else ''}{message}")


class _Walker:
    def __init__(self, file: Path | str | None):
        self.file = file

    def fail(self, node: Node | None, key: str, message: str) -> RegistryError:
        line = node.start_mark.line + 1 if node is not None else None
        return RegistryError(self.file, line, key, message)

    def plain(self, node: Node, key: str) -> Node:
        """``node`` if it is written out where it stands (no anchor that others could alias)."""
        if getattr(node, "anchor", None):
            raise self.fail(node, key, f"YAML anchors and aliases (&{node.anchor} / *{node.anchor}) are not "
                            "supported: an edit of one entry would silently change or miss the other; "
                            "write the value out in each place")
        return node

    def mapping(self, node: Node, key: str, allowed: dict[str, Any] | None = None) -> dict[str, tuple[Node, Node]]:
        """Key -> (key node, value node), rejecting duplicates and (if given) unknown keys."""
        self.plain(node, key)
        if not isinstance(node, MappingNode) or node.tag != "tag:yaml.org,2002:map":
            raise self.fail(node, key, "expected a mapping of `key: value` lines")
        out: dict[str, tuple[Node, Node]] = {}
        for knode, vnode in node.value:
            if isinstance(knode, ScalarNode) and knode.value == "<<":
                raise self.fail(knode, key, "merge keys (<<) are not supported; write the entries out")
            if not isinstance(knode, ScalarNode) or knode.tag not in (STR_TAG, INT_TAG):
                raise self.fail(knode, key, "keys must be plain names")
            name = knode.value
            sub = f"{key}.{name}" if key else name
            if name in out:
                first = out[name][0].start_mark.line + 1
                raise self.fail(knode, sub, f"duplicate key (first defined on line {first}); keep one")
            if allowed is not None and name not in allowed:
                raise self.fail(knode, sub, f"unknown key; expected one of: {', '.join(allowed)}")
            out[name] = (knode, vnode)
        return out

    def scalar(self, node: Node, key: str) -> ScalarNode:
        self.plain(node, key)
        if not isinstance(node, ScalarNode):
            raise self.fail(node, key, "expected a single value")
        if node.tag not in PLAIN_SCALAR_TAGS:
            raise self.fail(node, key, f"tag {node.tag} is not allowed; remove it")
        return node

    def text(self, node: Node, key: str) -> str:
        n = self.scalar(node, key)
        if n.tag == NULL_TAG and n.style is None:
            raise self.fail(node, key, "expected text, found nothing")
        return n.value

    def optional_text(self, node: Node, key: str) -> str | None:
        n = self.scalar(node, key)
        return None if n.tag == NULL_TAG and n.style is None else n.value

    def port(self, node: Node, key: str) -> int:
        n = self.scalar(node, key)
        raw = n.value
        if n.style is not None:
            hint = f"; write {raw} without quotes" if _PORT_RE.fullmatch(raw) else ""
            raise self.fail(node, key, f"a port must be a number, not the text {raw!r}{hint}")
        if n.tag == BOOL_TAG:
            raise self.fail(node, key, f"{raw!r} is a boolean, not a port (1-65535)")
        if n.tag != INT_TAG or not _PORT_RE.fullmatch(raw):
            if raw.startswith("0") and raw[1:].isdigit():
                hint = f"leading zeros are ambiguous (octal in YAML 1.1); write {int(raw, 10)}"
            elif ":" in raw:
                hint = "YAML 1.1 reads this as a base-60 number; write the port as a plain number"
            else:
                hint = "write a plain decimal number between 1 and 65535"
            raise self.fail(node, key, f"{raw!r} is not a port: {hint}")
        value = int(raw)
        if not 1 <= value <= 65535:
            raise self.fail(node, key, f"{value} is out of range; a port is 1-65535")
        return value

    def positive_int(self, node: Node, key: str, limit: int = 65535) -> int:
        n = self.scalar(node, key)
        if n.style is not None or n.tag != INT_TAG or not _PORT_RE.fullmatch(n.value):
            raise self.fail(node, key, f"{n.value!r} is not a whole number between 1 and {limit}")
        value = int(n.value)
        if value > limit:
            raise self.fail(node, key, f"{value} is too large (at most {limit})")
        return value

    def seconds(self, node: Node, key: str) -> float:
        n = self.scalar(node, key)
        try:
            if n.style is not None or n.tag not in (INT_TAG, FLOAT_TAG):
                raise ValueError
            value = float(n.value)
        except ValueError:
            raise self.fail(node, key, f"{n.value!r} is not a number of seconds") from None
        if not value > 0:
            raise self.fail(node, key, "must be more than 0 seconds")
        return value

    def boolean(self, node: Node, key: str) -> bool:
        n = self.scalar(node, key)
        if n.tag != BOOL_TAG or n.style is not None:
            raise self.fail(node, key, f"{n.value!r} is not true or false")
        return n.value.lower() == "true"

    def numbering(self, node: Node, key: str) -> str:
        value = self.text(node, key)
        if value not in RUNTIME_NUMBERING:
            raise self.fail(node, key, f"{value!r} is not a runtime that numbers ports; use one of "
                            f"{', '.join(RUNTIME_NUMBERING)} or remove the key")
        return value

    def sequence(self, node: Node, key: str) -> list[Node]:
        self.plain(node, key)
        if not isinstance(node, SequenceNode):
            raise self.fail(node, key, "expected a list, e.g. [a, b]")
        return list(node.value)

    def ports(self, node: Node, key: str) -> tuple[int, ...]:
        items = self.sequence(node, key)
        if not items:
            raise self.fail(node, key, "needs at least one port (the preferred one)")
        seen: dict[int, int] = {}
        for i, item in enumerate(items):
            port = self.port(item, f"{key}[{i}]")
            if port in seen:
                raise self.fail(item, f"{key}[{i}]", f"{port} is already listed at {key}[{seen[port]}]; remove one")
            seen[port] = i
        return tuple(seen)

    def argv(self, node: Node, key: str) -> tuple[str, ...]:
        if isinstance(node, ScalarNode):
            raise self.fail(node, key, "a command is a list of arguments (argv), e.g. "
                            '[python, app.py, --port, "{port}"]; Port Manager never runs a shell')
        items = self.sequence(node, key)
        if not items:
            raise self.fail(node, key, "an empty command; remove the key or name a program")
        return tuple(self.text(item, f"{key}[{i}]") for i, item in enumerate(items))

    def names(self, node: Node, key: str) -> tuple[str, ...]:
        out: list[str] = []
        seen: dict[str, str] = {}
        for i, item in enumerate(self.sequence(node, key)):
            name = self.name(item, f"{key}[{i}]")
            if name in out:
                raise self.fail(item, f"{key}[{i}]", f"{name!r} is listed twice; remove one")
            self.distinct(seen, name, item, f"{key}[{i}]")
            out.append(name)
        return tuple(out)

    def distinct(self, seen: dict[str, str], name: str, node: Node, key: str) -> None:
        if (other := seen.setdefault(name.casefold(), name)) != name:   # each name is a log and a lock file
            raise self.fail(node, key, f"{name!r} differs from {other!r} only in upper/lower case; on macOS "
                            "and Windows both would write one log file: rename one")

    def name(self, node: Node, key: str) -> str:
        value = self.text(node, key)
        if not _NAME_RE.fullmatch(value):
            raise self.fail(node, key, f"{value!r} is not a valid name (letters, digits, . _ -)")
        why = unusable_file_name(value)
        if why:
            raise self.fail(node, key, f"{value!r} cannot be used as a name: {why}; choose another name")
        return value

    def host(self, node: Node, key: str) -> str:
        """A host name or an IP address -- it goes into URLs and bind addresses, nothing else."""
        value = self.text(node, key)
        try:
            ipaddress.ip_address(value)
            return value
        except ValueError:
            pass
        if len(value) > 253 or not _HOSTNAME_RE.fullmatch(value):
            raise self.fail(node, key, f"{value!r} is not a host name or IP address "
                            "(e.g. 127.0.0.1, ::1, localhost)")
        return value

    def text_map(self, node: Node, key: str) -> dict[str, str]:
        return {k: self.text(v, f"{key}.{k}") for k, (_, v) in self.mapping(node, key).items()}

    def restart(self, node: Node, key: str) -> str:
        value = self.text(node, key)
        if value not in RESTART_POLICIES:
            raise self.fail(node, key, f"{value!r} is not a restart policy; use one of {', '.join(RESTART_POLICIES)}")
        return value


Field = Callable[[_Walker, Node, str], Any]
SERVICE_FIELDS: dict[str, Field] = {
    "description": _Walker.text, "ports": _Walker.ports, "host": _Walker.host,
    "command": _Walker.argv, "cwd": _Walker.optional_text, "env": _Walker.text_map,
    "url": _Walker.text, "endpoints": _Walker.text_map, "health": _Walker.optional_text,
    "banner": _Walker.text, "expose": _Walker.boolean, "restart": _Walker.restart,
    "start_timeout": _Walker.seconds, "stop_timeout": _Walker.seconds,
}
GROUP_FIELDS: dict[str, Field] = {
    "description": _Walker.text, "start_port": _Walker.port, "size": _Walker.positive_int,
    "members": _Walker.names, "command": _Walker.argv, "host": _Walker.host,
    "health": _Walker.optional_text, "url": _Walker.text, "expose": _Walker.boolean,
    "restart": _Walker.restart, "start_timeout": _Walker.seconds, "stop_timeout": _Walker.seconds,
    "numbered_by": _Walker.numbering,
}
MODELS_FIELDS = {k: v for k, v in GROUP_FIELDS.items() if k != "start_port"}
TOP_KEYS = {"version": None, "start_port": None, "services": None, "models": None, "groups": None}


def _fields(w: _Walker, node: Node, key: str, spec: dict[str, Field]) -> dict[str, Any]:
    return {name: spec[name](w, vnode, f"{key}.{name}") for name, (_, vnode) in w.mapping(node, key, spec).items()}


def _check_range(w: _Walker, node: Node, key: str, start: int, size: int) -> None:
    if start + size - 1 > 65535:
        raise w.fail(node, key, f"the range {start}-{start + size - 1} goes past 65535; lower the size")


def _compose(text: str, file: Path | str | None) -> Node | None:
    try:
        return compose(text, max_depth=MAX_DEPTH)
    except TooDeep as exc:
        raise RegistryError(file, exc.line, "", f"nested more than {MAX_DEPTH} levels deep; "
                            "a registry needs at most 4") from None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise RegistryError(file, line, "", f"not valid YAML: {exc.problem or exc.context}") from None
    except ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1 if isinstance(exc.position, int) else None
        char = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "?")
        raise RegistryError(file, line, "", f"the character U+{char:04X} is not allowed in YAML "
                            "(a control character); remove it") from None
    except YAMLError as exc:
        raise RegistryError(file, None, "", f"not valid YAML: {exc}") from None
    except RecursionError:
        raise RegistryError(file, None, "", "nested too deep to read") from None


def parse(text: str, file: Path | str | None = None) -> Registry:
    """Parse registry text strictly. Raises ``RegistryError`` naming file:line and key."""
    w = _Walker(file)
    root = _compose(text, file)
    if root is None:
        raise RegistryError(file, 1, "", "the file is empty; delete it to get the default registry back")
    top = w.mapping(root, "", TOP_KEYS)

    if "version" in top:
        vnode = top["version"][1]
        if w.positive_int(vnode, "version") != 1:
            raise w.fail(vnode, "version", "this Port Manager reads version 1 registries")

    start_port = w.port(top["start_port"][1], "start_port") if "start_port" in top else DEFAULT_START_PORT

    services: dict[str, Service] = {}
    if "services" in top:
        seen: dict[str, str] = {}
        for name, (knode, vnode) in w.mapping(top["services"][1], "services").items():
            key = f"services.{name}"
            w.name(knode, key)
            w.distinct(seen, name, knode, key)
            fields = _fields(w, vnode, key, SERVICE_FIELDS)
            if "ports" not in fields:
                raise w.fail(vnode, f"{key}.ports", "missing; list the preferred port first, e.g. ports: [3791, 3003]")
            services[name] = Service(name=name, **fields)

    models_fields = _fields(w, top["models"][1], "models", MODELS_FIELDS) if "models" in top else {}
    models = Group(name=UNGROUPED, start_port=start_port, **models_fields)
    _check_range(w, top["start_port"][1] if "start_port" in top else root, "start_port", models.start_port, models.size)

    groups: dict[str, Group] = {}
    if "groups" in top:
        seen = {}
        for name, (knode, vnode) in w.mapping(top["groups"][1], "groups").items():
            key = f"groups.{name}"
            w.name(knode, key)
            w.distinct(seen, name, knode, key)
            if name == UNGROUPED:
                raise w.fail(knode, key, f"{UNGROUPED!r} is the ungrouped pool; use the top-level `models:` key")
            fields = _fields(w, vnode, key, GROUP_FIELDS)
            if "start_port" not in fields:
                raise w.fail(vnode, f"{key}.start_port", "missing; give the first port of the group's range")
            group = Group(name=name, **fields)
            _check_range(w, vnode, key, group.start_port, group.size)
            groups[name] = group

    clash = set(services) & set(groups)
    if clash:
        name = sorted(clash)[0]
        raise RegistryError(file, None, f"groups.{name}", "a service has the same name; rename one of them")
    return Registry(services=services, groups=groups, models=models, path=Path(file) if file else None)


def read_text(path: Path) -> str:
    """The text of the registry file at ``path``; every way it cannot be had is a ``RegistryError``.

    Opened without blocking (a FIFO does not hang us) and checked to be a regular file of at
    most ``MAX_BYTES`` before a byte is read; bytes that are not UTF-8 name line and offset.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise RegistryError(path, None, "", "no such file; check the path or run without --registry") from None
    except IsADirectoryError:
        raise RegistryError(path, None, "", "not a regular file (a folder); name the registry file itself") from None
    except OSError as exc:
        raise RegistryError(path, None, "", f"cannot be read ({exc.strerror or exc}); check its permissions") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise RegistryError(path, None, "", "not a regular file (a folder, pipe or device); "
                            "point Port Manager at a registry.yaml file")
    with os.fdopen(fd, "rb") as fh:
        if info.st_size > MAX_BYTES:
            raise RegistryError(path, None, "", f"too large ({info.st_size} bytes; a registry is at most "
                                f"{MAX_BYTES} bytes); is this the right file?")
        try:
            data = fh.read(MAX_BYTES + 1)
        except OSError as exc:
            raise RegistryError(path, None, "", f"cannot be read ({exc.strerror or exc})") from None
    if len(data) > MAX_BYTES:
        raise RegistryError(path, None, "", f"too large (over {MAX_BYTES} bytes); is this the right file?")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise RegistryError(path, line, "", f"not UTF-8 text (byte {exc.start}: 0x{data[exc.start]:02x}); "
                            "save the file as UTF-8") from None


def load(path: Path) -> Registry:
    """Read and parse a registry file. Raises ``RegistryError`` (also for unreadable files)."""
    return parse(read_text(path), path)


__all__ = ["RegistryError", "parse", "load", "read_text", "DEFAULT_GROUP_SIZE"]
