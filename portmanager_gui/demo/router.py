"""A model router in the mould of the Model Router's ``app.py``: a page, ``/api/health`` and
``/api/models`` listing the registry's model servers and whether each one answers.

The registry is read on every request (``PORTMANAGER_REGISTRY`` when set -- the supervisor
sets it to the registry it started us from -- else the user's), and each model server's
port is the one it really runs on (the state record), so a fallback is followed.
"""
from __future__ import annotations

import html
import os
from pathlib import Path
from typing import Any

from ..core import paths
from ..core.ports import lookup
from ..core.ports.selection import model_slots
from ..core.registry.defaults import DEFAULT_REGISTRY_YAML
from ..core.registry.load import RegistryError, load, parse
from ..core.registry.model import Registry, display_host
from ..core.supervisor import records as state
from ..core.supervisor.health import check, health_url
from .http_base import JsonHandler, Server, serve

RULE = "=" * 60


def _registry(explicit: str | None) -> tuple[Registry, paths.Paths]:
    p = paths.resolve()
    source = explicit or os.environ.get("PORTMANAGER_REGISTRY")
    if source:
        return load(Path(source)), p
    if p.registry_file.exists():
        return load(p.registry_file), p
    return parse(DEFAULT_REGISTRY_YAML, "<default registry>"), p


def list_models(explicit: str | None = None) -> list[dict[str, Any]]:
    """One entry per model server of the registry, with ``answering`` from its health path."""
    reg, p = _registry(explicit)
    out = []
    for slot in model_slots(reg, p.allocations_file):
        group = reg.pool(slot.pool)
        assert group is not None
        resolved = lookup.resolve(reg, slot.unit, p.allocations_file, lambda u: state.running_port(p, u))
        answering = bool(group.health) and check(health_url(group.host, resolved.port, group.health or "/"),
                                                 timeout=0.5).ok
        out.append({"id": slot.model, "unit": slot.unit, "group": slot.pool, "port": resolved.port,
                    "url": resolved.url, "managed": resolved.running, "answering": answering})
    return out


def make_handler(explicit: str | None) -> type[JsonHandler]:
    class RouterHandler(JsonHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            path = self.path.split("?", 1)[0].rstrip("/") or "/"
            if path in ("/api/health", "/api"):
                self.send_json({"status": "ok", "service": "router"})
            elif path == "/api/models":
                try:
                    self.send_json({"object": "list", "data": list_models(explicit)})
                except RegistryError as exc:
                    self.send_json({"error": {"code": 500, "message": str(exc)}}, 500)
            elif path == "/":
                self.send_html(self.page())
            else:
                self.not_found()

        def page(self) -> str:
            try:
                rows = "".join(
                    f"<tr><td>{html.escape(m['unit'])}</td><td><a href='{html.escape(m['url'])}'>"
                    f"{m['port']}</a></td><td>{'answering' if m['answering'] else 'not answering'}</td></tr>"
                    for m in list_models(explicit))
            except RegistryError as exc:
                rows = f"<tr><td colspan=3>{html.escape(str(exc))}</td></tr>"
            return ("<!doctype html><meta charset=utf-8><title>Model Router</title>"
                    "<h1>Model Router (Port Manager demo)</h1>"
                    "<p>API: <a href='/api/health'>/api/health</a>, <a href='/api/models'>/api/models</a></p>"
                    "<table border=1 cellpadding=4><tr><th>Model server</th><th>Port</th><th>Status</th></tr>"
                    f"{rows}</table>")

    return RouterHandler


def run(host: str, port: int, registry: str | None = None) -> int:
    server = Server(host, port, make_handler(registry))
    bound = server.server_address[1]
    shown = f"http://{display_host(host)}:{bound}"
    print(f"\n{RULE}\nMODEL ROUTER API SERVER\n{RULE}\n\nServer running on port {bound}\n\n"
          f"Endpoints:\n  - Web Interface: {shown}\n  - API Base: {shown}/api\n", flush=True)
    return serve(server, f"demo router listening on {host}:{bound}")
