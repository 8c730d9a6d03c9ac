"""``import_file(path, registry)``: tell what kind of file it is and import it.

The kind comes from the name (``*.py``, ``.env``/``*.env``, ``*compose*.yml``) and, for
other YAML, from its top-level keys; ``kind=`` overrides the guess.
"""
from __future__ import annotations

from pathlib import Path

from ruamel.yaml.comments import CommentedMap

from ..registry.model import Registry
from . import compose, dotenv, llamaswap, llamaswap_import, pyconst
from .errors import InteropError, read_text
from .result import ImportResult
from .yamlsrc import load_yaml

KINDS = ("claracore", "python", "env", "compose")
LABELS = {"claracore": "llama-swap / ClaraCore config", "python": "Python port constants",
          "env": ".env file", "compose": "docker compose file"}


def guess_kind(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(".py"):
        return "python"
    if name == ".env" or name.startswith(".env.") or name.endswith(".env"):
        return "env"
    if name.endswith((".yml", ".yaml")):
        if "compose" in name:
            return "compose"
        doc = load_yaml(read_text(path), path)
        services = doc.get("services") if isinstance(doc, CommentedMap) else None
        entries = list(services.values()) if isinstance(services, CommentedMap) else []
        if any(isinstance(s, CommentedMap) and ("image" in s or "build" in s) for s in entries):
            return "compose"
        if isinstance(doc, CommentedMap) and ("start_port" in doc or (entries and all(
                isinstance(s, CommentedMap) and isinstance(s.get("ports"), list)
                and all(isinstance(p, int) for p in s["ports"]) for s in entries))):
            raise InteropError(path, 1, "is a Port Manager registry, not a file to import; use "
                               "--registry FILE to work with it")
        return "claracore"
    raise InteropError(path, None, "cannot tell what kind of file this is; name the kind with "
                       f"--as {{{','.join(KINDS)}}}")


def import_file(path: Path, registry: Registry, kind: str | None = None) -> ImportResult:
    """The registry after importing ``path``, with its preview. Nothing is written here."""
    path = Path(path)
    kind = kind or guess_kind(path)
    if kind == "python":
        return pyconst.import_file(path, registry)
    if kind == "env":
        return dotenv.import_file(path, registry)
    if kind == "compose":
        return compose.import_file(path, registry)
    if kind == "claracore":
        return llamaswap_import.import_config(llamaswap.load(path), registry)
    raise ValueError(f"unknown import kind {kind!r}; use one of {', '.join(KINDS)}")
