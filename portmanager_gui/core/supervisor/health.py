"""Asking a service's health path whether it answers.

Plain ``urllib`` with an opener that ignores ``http_proxy``/``HTTP_PROXY``: a health check
of 127.0.0.1 sent through a corporate proxy would ask the wrong machine.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def _opener() -> Any:
    # Imported on first use: urllib pulls in ssl and email (megabytes the idle tray app
    # would carry without ever starting a service).
    import urllib.request

    return urllib.request.build_opener(urllib.request.ProxyHandler({}))


def probe_host(bind_host: str) -> str:
    """Where to reach a server bound to ``bind_host`` from this machine."""
    if bind_host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if bind_host == "::":
        return "::1"
    return bind_host


def health_url(bind_host: str, port: int, path: str) -> str:
    host = probe_host(bind_host)
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}{path if path.startswith('/') else '/' + path}"


@dataclass(frozen=True)
class HealthAnswer:
    """What a health URL answered."""

    ok: bool
    status: int | None = None
    body: str = ""
    error: str = ""


def check(url: str, timeout: float = 2.0) -> HealthAnswer:
    """GET ``url``: ok when it answers 2xx (llama-server answers 503 while loading a model)."""
    import urllib.error

    try:
        with _opener().open(url, timeout=timeout) as resp:
            body = resp.read(4096).decode("utf-8", "replace")
            return HealthAnswer(200 <= resp.status < 300, resp.status, body)
    except urllib.error.HTTPError as exc:
        exc.close()
        return HealthAnswer(False, exc.code, error=f"HTTP {exc.code}")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return HealthAnswer(False, error=str(getattr(exc, "reason", exc)))
