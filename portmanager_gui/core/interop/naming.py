"""Between constant names (``BACKEND_PORT``) and registry names (``backend``).

``LLM_PORT_ORIGINAL`` -> ``llm-original`` (the ``PORT`` word may sit anywhere; the last one
is dropped, so a service called ``port-manager`` survives a round trip as
``PORT_MANAGER_PORT``); ``AVATAR_MANAGER_API_PORT`` -> ``avatar-manager`` when the registry
already has ``avatar-manager``: trailing generic words (api, server, ...) are dropped
until an existing name matches, otherwise the full name is a new service.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from ..ports.lookup import env_name

# Words that describe *how* a service is reached rather than *which* service it is.
_GENERIC = frozenset({"api", "server", "service", "http", "web", "ui", "svc"})
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def is_port_key(key: str) -> bool:
    """True for ``BACKEND_PORT``, ``LLM_PORT_ORIGINAL``; false for ``PORTAL_URL`` or ``REPORT``."""
    return "port" in [t for t in key.lower().split("_") if t]


def service_name(key: str, known: Iterable[str] = ()) -> str | None:
    """The registry name a port constant stands for; None for a bare ``PORT``."""
    tokens = [t for t in key.lower().split("_") if t]
    if "port" not in tokens:
        return None
    del tokens[len(tokens) - 1 - tokens[::-1].index("port")]
    if not tokens:
        return None
    known_by_case = {k.lower(): k for k in known}  # serviceA is exported as SERVICEA_PORT
    full = "-".join(tokens)
    trimmed = list(tokens)
    while True:
        candidate = "-".join(trimmed)
        if candidate in known_by_case:
            return known_by_case[candidate]
        if len(trimmed) == 1 or trimmed[-1] not in _GENERIC:
            return full
        trimmed.pop()


def constant_name(name: str) -> str | None:
    """``llm-original`` -> ``LLM_ORIGINAL_PORT``; None when no identifier can be made."""
    const = env_name(name)
    return const if _IDENT.fullmatch(const) else None


def url_function(name: str) -> str:
    """``avatar-manager`` -> ``get_avatar_manager_url`` (the document's helper names)."""
    return "get_" + re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").lower() + "_url"


def safe_name(raw: str) -> str:
    """A registry-valid name for a model or container name (``qwen2.5:7b`` -> ``qwen2.5-7b``)."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", raw).strip("-._")
    return name if name and _NAME.fullmatch(name) else ""
