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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from urllib.parse import urlsplit

from ..registry.model import Group

_SERVERS = ("llama-server", "llama-server.exe", "server", "llama_cpp.server")


@dataclass(frozen=True)
class ModelServer:
    port: int
    model: str = ""      # the -m/--model path as given
    alias: str = ""      # --alias / -a

    def names(self) -> set[str]:
        """What this server may be called in a llama-swap config: its alias, the model file's stem."""
        out = {self.alias} if self.alias else set()
        if self.model:
            out.add(PurePath(self.model.replace("\\", "/")).stem)
        return out


def _opt(argv: Sequence[str], names: tuple[str, ...]) -> str:
    for i, arg in enumerate(argv):
        for name in names:
            if arg == name and i + 1 < len(argv):
                return argv[i + 1]
            if arg.startswith(name + "="):
                return arg.split("=", 1)[1]
    return ""


def model_server(argv: Sequence[str]) -> ModelServer | None:
    """A llama-server (or compatible) model server from its command line, else None."""
    if not argv:
        return None
    exe = PurePath(argv[0].replace("\\", "/")).name.lower()
    if exe not in _SERVERS and not exe.startswith("llama-server"):
        return None
    port = _opt(argv, ("--port",))
    if not port.isdigit():
        return None
    return ModelServer(int(port), _opt(argv, ("-m", "--model")), _opt(argv, ("-a", "--alias")))


@dataclass(frozen=True)
class RunningModel:
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
    # here: the desktop app's rows use this module, and urllib pulls in http, email and ssl
    import urllib.error
    import urllib.request

    url = f"http://{'[::1]' if host == '::1' else host}:{port}/running"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 - loopback http only
            return parse_running(resp.read(1_000_000).decode("utf-8", "replace"))
    except (urllib.error.URLError, OSError, ValueError):
        return None


@dataclass(frozen=True)
class ModelCheck:
    model: str
    expected: int              # the port the registry (the runtime's numbering) says
    actual: int | None         # where it really runs, None when not running
    state: str = ""            # llama-swap's state ("ready", "starting"...), or "listening"
    source: str = ""           # "api" | "process"

    @property
    def mismatch(self) -> bool:
        return self.actual is not None and self.actual != self.expected


def compare(pool: Group, running: Iterable[RunningModel] | None = None,
            holders: Mapping[int, Sequence[str]] | None = None) -> tuple[ModelCheck, ...]:
    """Each member of a runtime-numbered pool: expected port beside the live one."""
    api = {r.model: r for r in running or ()}
    servers = [s for s in (model_server(argv) for argv in (holders or {}).values()) if s is not None]
    out = []
    for i, model in enumerate(pool.members):
        expected = pool.start_port + i
        r = api.get(model)
        if r is not None:
            out.append(ModelCheck(model, expected, r.port, r.state, "api"))
            continue
        s = next((s for s in servers if model in s.names()), None)
        out.append(ModelCheck(model, expected, s.port if s else None, "listening" if s else "", "process" if s else ""))
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
