"""Live truth for a llama-swap / ClaraCore stack: which model really runs on which port.

Two sources, both read-only and on loopback: llama-swap's own HTTP API (``GET /running``
lists each loaded model with its state and the ``proxy`` URL it is reached on), and the
command lines of port holders (a ``llama-server`` started with ``--port N`` and
``-m/--model`` / ``--alias``). ``compare`` sets them beside the registry's expectation (the
runtime-numbered pool) so a difference becomes a visible warning, not a silent one.

``model_server`` is the one place that recognises a model server from its argv; it is
small on purpose so it can later defer to the shared recognition table in ``core/occupancy``.
Nothing here runs on the GUI thread: callers use the background worker.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from urllib.parse import urlsplit

from ..registry.model import Group, Registry

# The service an import names after the runtime's proxy (its listen port).
PROXY_SERVICE = {"claracore": "claracore", "llama-swap": "llama-swap"}
API_TIMEOUT = 1.0      # seconds for one /running answer on loopback
_SERVERS = ("llama-server", "server", "llama_cpp.server")


def safe_name(raw: str) -> str:
    """``naming.safe_name``, imported when first needed: the app draws its window without it."""
    from .naming import safe_name as name
    return name(raw)


def proxy_service(runtime: str) -> str:
    return PROXY_SERVICE.get(runtime, runtime)


@dataclass(frozen=True)
class ModelServer:
    """A llama-server seen listening: its port and the model it serves."""

    port: int
    model: str = ""      # the -m/--model path as given
    alias: str = ""      # --alias / -a

    def names(self) -> set[str]:
        """What this server may be called in a llama-swap config: its alias, the model file's stem."""
        out = {self.alias} if self.alias else set()
        if self.model:
            out.add(PurePath(self.model.replace("\\", "/")).stem)
        return out | {safe_name(n) for n in out} - {""}


def _opt(argv: Sequence[str], names: tuple[str, ...]) -> str:
    for i, arg in enumerate(argv):
        for name in names:
            if arg == name and i + 1 < len(argv):
                return argv[i + 1]
            if arg.startswith(name + "="):
                return arg.split("=", 1)[1]
    return ""


def _base(arg: str) -> str:
    return arg.replace("\\", "/").rsplit("/", 1)[-1].lower()


def _program(argv: Sequence[str]) -> tuple[str, int]:
    """(the program's name, where its own arguments start): argv[0], or what an interpreter runs
    (``python -m llama_cpp.server``, ``python llama-server.py``)."""
    exe = _base(argv[0])
    if not exe.startswith(("python", "py.exe", "pypy")):
        return exe, 1
    i = 1
    while i < len(argv) and argv[i].startswith("-") and argv[i] != "-m":
        i += 1                              # interpreter flags such as -u, -O
    if i + 1 < len(argv) and argv[i] == "-m":
        return argv[i + 1].lower(), i + 2
    return (_base(argv[i]), i + 1) if i < len(argv) else (exe, 1)


def _is_server(program: str) -> bool:
    stem = program.removesuffix(".exe").removesuffix(".py")
    return stem in _SERVERS or stem.startswith("llama-server")


def model_server(argv: Sequence[str]) -> ModelServer | None:
    """A llama-server (or compatible) model server from its command line, else None."""
    if not argv or not any(a == "--port" or a.startswith("--port=") for a in argv):
        return None          # most listeners: no --port at all, so no need to name the program
    program, first = _program(argv)
    if not _is_server(program):
        return None
    argv = argv[first:]
    port = _opt(argv, ("--port",))
    if not port.isdigit():
        return None
    return ModelServer(int(port), _opt(argv, ("-m", "--model")), _opt(argv, ("-a", "--alias")))


@dataclass(frozen=True)
class RunningModel:
    """One entry of llama-swap's ``/running``: a model, its state and port."""

    model: str
    state: str
    port: int | None


def parse_running(text: str) -> tuple[RunningModel, ...]:
    """llama-swap's ``/running`` answer: ``{"running": [{"model", "state", "proxy", ...}]}``."""
    data = json.loads(text)
    out = []
    for item in data.get("running", []) if isinstance(data, dict) else []:
        if not isinstance(item, dict) or "model" not in item:
            continue
        try:
            port = urlsplit(str(item.get("proxy", ""))).port
        except ValueError:
            port = None
        out.append(RunningModel(str(item["model"]), str(item.get("state", "")), port))
    return tuple(out)


def fetch_running(port: int, host: str = "127.0.0.1", timeout: float = 2.0) -> tuple[RunningModel, ...] | None:
    """``GET http://host:port/running`` on loopback; None when nothing answers it as llama-swap does."""
    if host not in ("127.0.0.1", "::1", "localhost"):
        raise ValueError("the running-models API is only read on loopback")
    import urllib.error  # here: the app shows its window without the HTTP client's import cost
    import urllib.request

    url = f"http://{'[::1]' if host == '::1' else host}:{port}/running"
    try:
        # No proxy handler: an http_proxy in the environment must never carry a loopback read away.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(url, timeout=timeout) as resp:  # noqa: S310 - loopback http only
            return parse_running(resp.read(1_000_000).decode("utf-8", "replace"))
    except (urllib.error.URLError, OSError, ValueError):
        return None


@dataclass(frozen=True)
class ModelCheck:
    """A model's port in the registry against where it really runs."""

    model: str
    expected: int              # the port the registry (the runtime's numbering) says
    actual: int | None         # where it really runs, None when not running
    state: str = ""            # llama-swap's state ("ready", "starting"...), or "listening"
    source: str = ""           # "api" | "process"
    held_by: str = ""          # another model of the pool that serves on ``expected``
    pool: str = ""

    @property
    def moved(self) -> bool:
        """It runs, but on another port than the registry's."""
        return self.actual is not None and self.actual != self.expected

    @property
    def mismatch(self) -> bool:
        """It runs elsewhere, or its registered port serves another model: the registry is wrong."""
        return self.moved or bool(self.held_by)


Holders = Mapping[int, Sequence[str]] | Iterable[tuple[int, Sequence[str]]]


def _servers(holders: Holders | None) -> list[tuple[ModelServer, set[str]]]:
    """Recognised model servers, each at the port it really listens on, with its names."""
    pairs = holders.items() if isinstance(holders, Mapping) else (holders or ())
    out = []
    for port, argv in pairs:
        server = model_server(argv)
        if server is not None:
            server = ModelServer(port, server.model, server.alias)
            out.append((server, server.names()))
    return out


def compare(pool: Group, running: Iterable[RunningModel] | None = None,
            holders: Holders | None = None) -> tuple[ModelCheck, ...]:
    """Each member of a runtime-numbered pool: expected port beside the live one.

    ``running`` is llama-swap's ``/running`` answer (exact: the proxy knows which model it
    started where); ``holders`` (port, argv) stand in for the models it does not list, named
    by ``--alias`` or the model file's stem.
    """
    api: dict[str, RunningModel] = {}
    for r in running or ():
        # The registry holds the ID as Port Manager can name it ("qwen 7b" -> "qwen-7b").
        api[r.model] = r
        api.setdefault(safe_name(r.model), r)
    api_at = {r.port: safe_name(r.model) or r.model for r in api.values() if r.port is not None}
    servers = _servers(holders)
    members = set(pool.members)
    out = []
    for i, model in enumerate(pool.members):
        expected = pool.start_port + i
        other = api_at.get(expected, model)
        held_by = other if other != model else ""
        if not held_by:
            held_by = next((hit for s, names in servers if s.port == expected and model not in names
                            for hit in sorted(names & (members - {model}))), "")
        r = api.get(model)
        s = next((s for s, names in servers if model in names), None)
        if r is not None and r.port is not None:
            actual, source = r.port, "api"
        elif s is not None:       # ClaraCore's /running names the model and its state, not its port
            actual, source = s.port, "process"
        else:
            actual, source = None, "api" if r is not None else ""
        state = r.state if r is not None else ("listening" if s is not None else "")
        out.append(ModelCheck(model, expected, actual, state, source, held_by, pool.name))
    return tuple(out)


@dataclass(frozen=True)
class LiveReport:
    """What a running llama-swap / ClaraCore says about one runtime-numbered pool."""

    runtime: str                        # "llama-swap" | "claracore"
    pool: str
    api_port: int | None                # the proxy port whose ``/running`` answered, None when none did
    models: tuple[ModelCheck, ...]
    unknown: tuple[RunningModel, ...] = ()   # the proxy runs them, the registry's pool has no such member

    @property
    def mismatches(self) -> tuple[ModelCheck, ...]:
        return tuple(m for m in self.models if m.mismatch)


Fetch = Callable[[int], "tuple[RunningModel, ...] | None"]


def report(registry: Registry, holders: Holders | None = None,
           fetch: Fetch | None = None) -> tuple[LiveReport, ...]:
    """Live truth for every runtime-numbered pool of ``registry`` (blocking: run it off the GUI thread).

    The proxy's ``/running`` is asked on each of its service's ports in turn (loopback; a port
    nothing listens on refuses at once), so a proxy on its fallback port still answers.
    """
    fetch = fetch or (lambda port: fetch_running(port, timeout=API_TIMEOUT))
    pairs = list(holders.items() if isinstance(holders, Mapping) else (holders or ()))
    out = []
    for pool in registry.pools():
        if not pool.numbered_by:
            continue
        svc = registry.services.get(proxy_service(pool.numbered_by))
        api_port, running = None, None
        for port in svc.ports if svc is not None else ():
            running = fetch(port)
            if running is not None:
                api_port = port
                break
        members = set(pool.members)
        unknown = tuple(r for r in running or () if r.model not in members and safe_name(r.model) not in members)
        out.append(LiveReport(pool.numbered_by, pool.name, api_port, compare(pool, running, pairs), unknown))
    return tuple(out)


def serving_other(model: str, members: Sequence[str], argvs: Iterable[Sequence[str]]) -> tuple[str, int] | None:
    """At ``model``'s expected port: (the other pool member a recognised model server there serves, its port).

    Only another member of the same pool counts as evidence (a model file's name often differs
    from its ID), so an unrelated or unnamed server is never reported as the wrong model.
    """
    others = set(members) - {model}
    for argv in argvs:
        server = model_server(argv)
        if server is None or model in server.names():
            continue
        hit = sorted(server.names() & others)
        if hit:
            return hit[0], server.port
    return None
