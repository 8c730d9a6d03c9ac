"""Reading a llama-swap / ClaraCore ``config.yaml``: its ports, groups and models.

What counts (from the ClaraCore port document and llama-swap's format): top-level
``startPort`` (models get ``startPort``, +1, +2 ...), ``models:`` entries whose ``cmd``
uses ``${PORT}`` (also through a ``macros:`` entry), ``groups:`` with ``members`` and
ClaraCore's per-group ``startPort``, and the proxy's own listen port from a ``listen``
key when there is one (ClaraCore takes ``--listen :5800`` on its command line; 5800 is
its default). Every other key (ttl, proxy, hooks, ...) is the proxy's business and ignored.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from .errors import InteropError, read_text
from .yamlsrc import line_of, load_yaml

CLARACORE_DEFAULT_LISTEN = 5800
CLARACORE_DEFAULT_START = 8100
LISTEN_KEYS = ("listen", "listenAddress", "listen_address")
_PORT_REF = "${PORT}"
_MACRO = re.compile(r"\$\{([A-Za-z0-9_-]+)\}")
_LISTEN = re.compile(r"(?:.*:)?(?P<port>[0-9]+)")


@dataclass(frozen=True)
class LsGroup:
    name: str
    members: tuple[str, ...]
    start_port: int | None
    line: int | None
    start_line: int | None = None


@dataclass(frozen=True)
class LsModel:
    name: str
    uses_port: bool      # cmd uses ${PORT}: the proxy assigns it a port
    line: int | None
    proxy: str = ""


@dataclass(frozen=True)
class LlamaSwapConfig:
    file: str
    start_port: int | None
    start_line: int | None
    listen_port: int | None
    listen_line: int | None
    models: tuple[LsModel, ...]
    groups: tuple[LsGroup, ...]

    @property
    def effective_listen(self) -> int:
        return self.listen_port or CLARACORE_DEFAULT_LISTEN


def _port(value: Any, file: Path | str, line: int | None, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        hint = "; write it without quotes" if isinstance(value, str) and value.isdigit() else ""
        raise InteropError(file, line, f"{key}: {value!r} is not a port{hint} (a number between 1 and 65535)")
    return value


def _listen(doc: CommentedMap, file: Path | str) -> tuple[int | None, int | None]:
    for key in LISTEN_KEYS:
        if key in doc:
            line = line_of(doc, key)
            m = _LISTEN.fullmatch(str(doc[key]).strip())
            if m is None:
                raise InteropError(file, line, f"{key}: {doc[key]!r} is not a listen address; write e.g. \":5800\"")
            return _port(int(m["port"]), file, line, key), line
    return None, None


def _expand_macros(cmd: str, macros: dict[str, str]) -> str:
    for _ in range(5):  # macros may use macros; a few rounds settle any sane config
        cmd2 = _MACRO.sub(lambda m: macros.get(m[1], m[0]), cmd)
        if cmd2 == cmd:
            break
        cmd = cmd2
    return cmd


def _models(doc: CommentedMap, file: Path | str) -> tuple[LsModel, ...]:
    models = doc.get("models")
    if models is None:
        return ()
    if not isinstance(models, CommentedMap):
        raise InteropError(file, line_of(doc, "models"), "models: must be a mapping of model names to settings")
    raw_macros = doc.get("macros") or {}
    macros = {str(k): str(v) for k, v in raw_macros.items()} if isinstance(raw_macros, dict) else {}
    out = []
    for name, entry in models.items():
        line = line_of(models, name)
        if not isinstance(entry, CommentedMap):
            raise InteropError(file, line, f"models.{name} must be a mapping with at least `cmd:`")
        cmd = entry.get("cmd")
        if not isinstance(cmd, str) or not cmd.strip():
            raise InteropError(file, line, f"models.{name} has no `cmd:` text; llama-swap needs the command "
                               "that starts the model server")
        proxy = entry.get("proxy")
        uses = _PORT_REF in _expand_macros(cmd, macros) or (isinstance(proxy, str) and _PORT_REF in proxy)
        out.append(LsModel(str(name), uses, line, proxy if isinstance(proxy, str) else ""))
    return tuple(out)


def _groups(doc: CommentedMap, file: Path | str, models: tuple[LsModel, ...]) -> tuple[LsGroup, ...]:
    groups = doc.get("groups")
    if groups is None:
        return ()
    if not isinstance(groups, CommentedMap):
        raise InteropError(file, line_of(doc, "groups"), "groups: must be a mapping of group names to settings")
    known = {m.name for m in models}
    owner: dict[str, str] = {}
    out = []
    for name, entry in groups.items():
        line = line_of(groups, name)
        if not isinstance(entry, CommentedMap):
            raise InteropError(file, line, f"groups.{name} must be a mapping with `members:`")
        members = entry.get("members", [])
        if not isinstance(members, CommentedSeq) and members != []:
            raise InteropError(file, line_of(entry, "members") or line,
                               f"groups.{name}.members must be a list of model names")
        for i, member in enumerate(members):
            mline = line_of(members, i) or line
            member = str(member)
            if known and member not in known:
                raise InteropError(file, mline, f"groups.{name} lists {member!r}, which is not under models:; "
                                   "add the model or remove the member")
            if member in owner:
                raise InteropError(file, mline, f"{member!r} is a member of both {owner[member]} and {name}; "
                                   "a model belongs to one group")
            owner[member] = str(name)
        start = None
        start_line = None
        if "startPort" in entry:
            start_line = line_of(entry, "startPort")
            start = _port(entry["startPort"], file, start_line, f"groups.{name}.startPort")
        out.append(LsGroup(str(name), tuple(str(m) for m in members), start, line, start_line))
    return tuple(out)


def parse(text: str, file: Path | str = "config.yaml") -> LlamaSwapConfig:
    """The ports of a llama-swap config. Raises ``InteropError`` for foreign or bad files."""
    doc = load_yaml(text, file)
    if not isinstance(doc, CommentedMap):
        raise InteropError(file, 1, "is not a llama-swap config: expected `models:`, `startPort:` or `groups:` "
                           "at the top level")
    if "services" in doc and not any(k in doc for k in ("models", "startPort", "groups")):
        raise InteropError(file, line_of(doc, "services"), "looks like a docker compose file or a Port Manager "
                           "registry, not a llama-swap config; import it as such (--as compose)")
    if not any(k in doc for k in ("models", "startPort", "groups")):
        raise InteropError(file, 1, "is not a llama-swap config: it has none of `models:`, `startPort:`, `groups:`")
    start_line = line_of(doc, "startPort") if "startPort" in doc else None
    start = _port(doc["startPort"], file, start_line, "startPort") if "startPort" in doc else None
    listen, listen_line = _listen(doc, file)
    models = _models(doc, file)
    return LlamaSwapConfig(str(file), start, start_line, listen, listen_line, models, _groups(doc, file, models))


def load(path: Path) -> LlamaSwapConfig:
    return parse(read_text(path), path)
