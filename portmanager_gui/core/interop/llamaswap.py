"""Reading a llama-swap / ClaraCore ``config.yaml``: the runtime, its ports and its models.

Ports are numbered exactly as each runtime's own loader does (llama-swap
``internal/config/macros.go`` ``resolveConfigMacros``; ClaraCore ``proxy/config.go``
``LoadConfigFromReader``): start at the global ``startPort`` (llama-swap's default 5800,
ClaraCore's 8100), walk the model IDs in sorted order (Go ``sort.Strings``: byte order,
which is code-point order), and give the next port only to a model whose command asks for
one. Before the test, ``#`` comment lines are stripped from ``cmd``/``cmdStop``, an absent
``proxy`` becomes ``http://localhost:${PORT}`` and macros are expanded (llama-swap: the
global ``macros:``, then the model's own ``macros:`` and ``MODEL_ID``; ClaraCore: the global
ones only). llama-swap counts ``cmd`` only; ClaraCore also ``proxy`` and ``cmdStop``. Both
refuse a model whose ``proxy`` uses ``${PORT}`` while its ``cmd`` does not.

Groups never have ports of their own in either loader: ClaraCore's documented
``groups.X.startPort`` is not a field of its ``GroupConfig`` (ignored), and llama-swap moved
groups under ``routing.router.settings`` (top-level ``groups``/``matrix`` is the legacy form).
They are read for information only, as tolerantly as the runtimes read them (an empty
``members:`` or a member naming no model is accepted). The proxy's own port comes from a
``listen`` key when the file has one; both runtimes take it from ``--listen`` otherwise.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from .errors import InteropError, read_text
from .yamlsrc import line_of, load_yaml

LLAMA_SWAP = "llama-swap"
CLARACORE = "claracore"
RUNTIMES = (LLAMA_SWAP, CLARACORE)
DEFAULT_START = {LLAMA_SWAP: 5800, CLARACORE: 8100}
DEFAULT_LISTEN = {LLAMA_SWAP: 8080, CLARACORE: 5800}
CLARACORE_DEFAULT_LISTEN = DEFAULT_LISTEN[CLARACORE]
CLARACORE_DEFAULT_START = DEFAULT_START[CLARACORE]
DEFAULT_PROXY = "http://localhost:${PORT}"
LISTEN_KEYS = ("listen", "listenAddress", "listen_address")
_PORT_REF = "${PORT}"
_MACRO = re.compile(r"\$\{([A-Za-z0-9_.-]+)\}")
_LISTEN = re.compile(r"(?:.*:)?(?P<port>[0-9]+)")
# Keys only llama-swap reads (added after ClaraCore forked from it).
_LLAMA_SWAP_ONLY = ("routing", "matrix", "peers", "apiKeys", "globalTTL", "performance", "store", "upstream",
                    "logTimeFormat", "logToStdout", "sendLoadingState", "includeAliasesInList", "unloadTimeout")
_CLARA_WORDS = re.compile(r"clara\s*core", re.IGNORECASE)


@dataclass(frozen=True)
class LsGroup:
    """A llama-swap/ClaraCore group: its members and where it is written."""

    name: str
    members: tuple[str, ...]
    line: int | None
    ignored_start: Any = None       # ClaraCore's documented groups.X.startPort, which no loader reads
    start_line: int | None = None
    undefined: tuple[str, ...] = ()  # members naming no model (both runtimes load them)


@dataclass(frozen=True)
class LsModel:
    """A llama-swap/ClaraCore model and the port the runtime gives it."""

    name: str
    port: int | None     # the port the runtime gives it, None when it asks for none
    line: int | None
    proxy: str = ""
    refused: str = ""    # why the runtime would refuse this model ("" when it loads)

    @property
    def uses_port(self) -> bool:
        return self.port is not None


@dataclass(frozen=True)
class LlamaSwapConfig:
    """A llama-swap/ClaraCore config as the runtime reads it: start port, models, groups."""

    file: str
    start_port: int | None          # as written in the file (None: the runtime's default applies)
    start_line: int | None
    listen_port: int | None
    listen_line: int | None
    models: tuple[LsModel, ...]     # in the runtime's (sorted) order
    groups: tuple[LsGroup, ...]
    runtime: str = LLAMA_SWAP
    runtime_reason: str = ""
    start_literal: bool = True      # startPort written as a number (not through a macro)

    @property
    def effective_start(self) -> int:
        return self.start_port if self.start_port is not None else DEFAULT_START[self.runtime]

    @property
    def effective_listen(self) -> int:
        return self.listen_port or DEFAULT_LISTEN[self.runtime]

    def port_of(self, model: str) -> int | None:
        return next((m.port for m in self.models if m.name == model), None)


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


def strip_comments(cmd: str) -> str:
    """The runtimes' ``StripComments``: drop lines whose first non-blank character is ``#``."""
    return "\n".join(line for line in cmd.split("\n") if not line.strip().startswith("#"))


def expand(text: str, macros: dict[str, str]) -> str:
    """``${name}`` replaced from ``macros`` until nothing changes (macros may use macros)."""
    for _ in range(len(macros) + 1):
        out = _MACRO.sub(lambda m: macros.get(m[1], m[0]), text)
        if out == text:
            break
        text = out
    return text


def _macro_map(raw: Any) -> dict[str, str]:
    if not isinstance(raw, dict):
        return {}
    return {str(k): ("true" if v is True else "false" if v is False else str(v))
            for k, v in raw.items() if k not in ("PORT", "PID", "MODEL_ID")}


def detect_runtime(doc: CommentedMap, text: str, file: Path | str) -> tuple[str, str]:
    """Which runtime the file is written for, and the evidence (shown to the user)."""
    only = [k for k in _LLAMA_SWAP_ONLY if k in doc]
    if only:
        return LLAMA_SWAP, f"it uses `{only[0]}:`, which only llama-swap reads"
    models = doc.get("models")
    if isinstance(models, dict) and any(isinstance(m, dict) and "macros" in m for m in models.values()):
        return LLAMA_SWAP, "a model has its own `macros:`, which only llama-swap reads"
    groups = doc.get("groups")
    if isinstance(groups, dict) and any(isinstance(g, dict) and "startPort" in g for g in groups.values()):
        return CLARACORE, "a group has ClaraCore's documented `startPort:`"
    comments = "\n".join(line for line in text.splitlines() if line.lstrip().startswith("#"))
    if _CLARA_WORDS.search(comments) or _CLARA_WORDS.search(str(file)):
        return CLARACORE, "its comments or path name ClaraCore"
    if "binaries/llama-server" in text:
        return CLARACORE, "it starts ClaraCore's bundled binaries/llama-server"
    return LLAMA_SWAP, "no ClaraCore marks; llama-swap's rules apply"


def _start(doc: CommentedMap, macros: dict[str, str], file: Path | str) -> tuple[int | None, int | None, bool]:
    if "startPort" not in doc:
        return None, None, True
    line = line_of(doc, "startPort")
    value = doc["startPort"]
    if isinstance(value, str) and "${" in value:  # llama-swap expands global macros in startPort
        expanded = expand(value, macros).strip()
        if expanded.isdigit():
            return _port(int(expanded), file, line, "startPort"), line, False
    return _port(value, file, line, "startPort"), line, True


def _model_port(runtime: str, name: str, entry: CommentedMap, macros: dict[str, str]) -> tuple[bool, str]:
    """(the runtime gives the model a port, why the runtime refuses it or "")."""
    scope = dict(macros)
    if runtime == LLAMA_SWAP:
        scope.update(_macro_map(entry.get("macros")))
        scope["MODEL_ID"] = name
    cmd = expand(strip_comments(str(entry.get("cmd") or "")), scope)
    stop = expand(strip_comments(str(entry.get("cmdStop") or "")), scope)
    proxy = entry.get("proxy")
    proxy = expand(str(proxy), scope) if proxy is not None else DEFAULT_PROXY
    in_cmd, in_proxy = _PORT_REF in cmd, _PORT_REF in proxy
    if in_proxy and not in_cmd:
        why = ("its proxy uses ${PORT} but its cmd does not" if entry.get("proxy") is not None else
               "its cmd does not use ${PORT} and it has no `proxy:` (the default proxy is http://localhost:${PORT})")
        return False, why
    if runtime == CLARACORE:
        return in_cmd or in_proxy or _PORT_REF in stop, ""
    return in_cmd, ""


def _models(doc: CommentedMap, runtime: str, start: int, file: Path | str) -> tuple[LsModel, ...]:
    models = doc.get("models")
    if models is None:
        return ()
    if not isinstance(models, CommentedMap):
        raise InteropError(file, line_of(doc, "models"), "models: must be a mapping of model names to settings")
    macros = _macro_map(doc.get("macros"))
    out = []
    port = start
    for name in sorted(models, key=str):
        entry = models[name]
        line = line_of(models, name)
        if entry is None:
            entry = CommentedMap()
        if not isinstance(entry, CommentedMap):
            raise InteropError(file, line, f"models.{name} must be a mapping with at least `cmd:`")
        gets, refused = _model_port(runtime, str(name), entry, macros)
        proxy = entry.get("proxy")
        out.append(LsModel(str(name), port if gets else None, line, proxy if isinstance(proxy, str) else "", refused))
        if gets:
            port += 1
    return tuple(out)


def _group_map(doc: CommentedMap, file: Path | str) -> tuple[Any, Any]:
    """(the groups mapping in effect, the mapping holding it) -- legacy top level or routing.router.settings."""
    routing = doc.get("routing")
    router = routing.get("router") if isinstance(routing, CommentedMap) else None
    settings = router.get("settings") if isinstance(router, CommentedMap) else None
    if isinstance(settings, CommentedMap) and "groups" in settings:
        return settings.get("groups"), settings
    return doc.get("groups"), doc


def _groups(doc: CommentedMap, file: Path | str, models: tuple[LsModel, ...]) -> tuple[LsGroup, ...]:
    groups, holder = _group_map(doc, file)
    if groups is None:
        return ()
    if not isinstance(groups, CommentedMap):
        raise InteropError(file, line_of(holder, "groups"), "groups: must be a mapping of group names to settings")
    known = {m.name for m in models}
    owner: dict[str, str] = {}
    out = []
    for name, entry in groups.items():
        line = line_of(groups, name)
        if entry is None:
            entry = CommentedMap()
        if not isinstance(entry, CommentedMap):
            raise InteropError(file, line, f"groups.{name} must be a mapping with `members:`")
        members = entry.get("members") or []
        if not isinstance(members, (CommentedSeq, list)):
            raise InteropError(file, line_of(entry, "members") or line,
                               f"groups.{name}.members must be a list of model names")
        names: list[str] = []
        for i, member in enumerate(members):
            mline = (line_of(members, i) if isinstance(members, CommentedSeq) else None) or line
            member = str(member)
            if member in owner:  # both runtimes refuse this, so must we
                where = "twice in " + str(name) if owner[member] == str(name) else f"in both {owner[member]} and {name}"
                raise InteropError(file, mline, f"{member!r} is listed {where}; a model belongs to one group "
                                   "(llama-swap and ClaraCore refuse this config too)")
            owner[member] = str(name)
            names.append(member)
        ignored = entry.get("startPort")
        out.append(LsGroup(str(name), tuple(names), line, ignored,
                           line_of(entry, "startPort") if "startPort" in entry else None,
                           tuple(m for m in names if m not in known)))
    return tuple(out)


def parse(text: str, file: Path | str = "config.yaml", runtime: str | None = None) -> LlamaSwapConfig:
    """The ports of a llama-swap config. Raises ``InteropError`` for foreign or bad files."""
    doc = load_yaml(text, file)
    if not isinstance(doc, CommentedMap):
        raise InteropError(file, 1, "is not a llama-swap config: expected `models:`, `startPort:` or `groups:` "
                           "at the top level")
    if "services" in doc and not any(k in doc for k in ("models", "startPort", "groups")):
        raise InteropError(file, line_of(doc, "services"), "looks like a docker compose file or a Port Manager "
                           "registry, not a llama-swap config; import it as such (--as compose)")
    if not any(k in doc for k in ("models", "startPort", "groups", "routing")):
        raise InteropError(file, 1, "is not a llama-swap config: it has none of `models:`, `startPort:`, `groups:`")
    if runtime is None:
        runtime, reason = detect_runtime(doc, text, file)
    else:
        reason = "chosen by the user"
    start, start_line, literal = _start(doc, _macro_map(doc.get("macros")), file)
    listen, listen_line = _listen(doc, file)
    models = _models(doc, runtime, start if start is not None else DEFAULT_START[runtime], file)
    return LlamaSwapConfig(str(file), start, start_line, listen, listen_line, models, _groups(doc, file, models),
                           runtime, reason, literal)


def load(path: Path, runtime: str | None = None) -> LlamaSwapConfig:
    return parse(read_text(path), path, runtime)
