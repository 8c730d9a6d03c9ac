"""Reading a ``ports_config.py``-style module with ``ast`` -- it is never executed.

Accepted: the module docstring, comments, ``NAME_PORT = 8203`` (also annotated), other
constants whose value is a plain literal (``HOST = "localhost"``, ``TIMEOUT = 30``) and
``def get_*_url(...)`` helpers (they are the generated kind, read no further). Anything
else -- imports, calls, ``os.getenv``, ``if`` blocks -- is refused naming ``file:line``,
because a value computed at run time cannot be imported honestly.
"""
from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..registry.model import Registry
from .errors import InteropError, read_text
from .naming import is_port_key, service_name
from .result import Finding, ImportResult, PortEntry, apply_entries

_CONST = re.compile(r"[A-Z_][A-Z0-9_]*")


@dataclass(frozen=True)
class PyPort:
    """``NAME = N``: where the number sits, so a writer can replace just those characters."""

    key: str
    value: int
    line: int          # 1-based
    col: int           # UTF-8 byte offsets of the number within the line (as ast reports them)
    end_col: int
    comment: str = ""


@dataclass(frozen=True)
class PyModule:
    ports: tuple[PyPort, ...]
    strings: tuple[tuple[str, str], ...]
    helpers: tuple[str, ...]


def _target(node: ast.stmt) -> tuple[str, ast.expr | None] | None:
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        return node.targets[0].id, node.value
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.simple:
        return node.target.id, node.value
    return None


def _describe(node: ast.AST) -> str:
    kind = type(node).__name__
    names = {"Import": "an import", "ImportFrom": "an import", "If": "an `if` block", "Expr": "an expression",
             "FunctionDef": "a function", "ClassDef": "a class", "For": "a loop", "While": "a loop",
             "Try": "a `try` block", "With": "a `with` block", "Call": "a function call"}
    return names.get(kind, f"a {kind} statement")


def _comment(line_text: str) -> str:
    _, hash_, rest = line_text.partition("#")
    return rest.strip() if hash_ else ""


def parse(text: str, file: Path | str = "ports_config.py") -> PyModule:
    """The constants of ``text``. Raises ``InteropError`` at the first line that is not one."""
    try:
        tree = ast.parse(text, filename=str(file))
    except SyntaxError as exc:
        raise InteropError(file, exc.lineno, f"is not valid Python ({exc.msg}); fix the file and try again") from None
    lines = text.splitlines()
    ports: list[PyPort] = []
    strings: list[tuple[str, str]] = []
    helpers: list[str] = []
    seen: dict[str, int] = {}
    for i, node in enumerate(tree.body):
        if i == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) \
                and isinstance(node.value.value, str):
            continue  # the module docstring
        if isinstance(node, ast.FunctionDef) and node.name.startswith("get_") and node.name.endswith("_url"):
            helpers.append(node.name)
            continue
        target = _target(node)
        if target is None:
            raise InteropError(file, node.lineno, f"{_describe(node)} is not a port constant; Port Manager reads only "
                               "`NAME_PORT = 8203` lines and `def get_*_url()` helpers and never runs the file. "
                               "Move other code to another module")
        key, value = target
        if key in seen:
            raise InteropError(file, node.lineno, f"{key} is already set on line {seen[key]}; keep one")
        seen[key] = node.lineno
        if not isinstance(value, ast.Constant) or value.value is None:
            what = _describe(value) if value is not None else "no value"
            raise InteropError(file, node.lineno, f"{key} is set to {what}; only plain values can be read "
                               f"(write e.g. `{key} = 8203`)")
        literal = value.value
        if is_port_key(key) and _CONST.fullmatch(key):
            if isinstance(literal, bool) or not isinstance(literal, int):
                raise InteropError(file, node.lineno, f"{key} = {literal!r} is not a port; write a number "
                                   "between 1 and 65535 without quotes")
            if not 1 <= literal <= 65535:
                raise InteropError(file, node.lineno, f"{key} = {literal} is out of range; a port is 1-65535")
            line_text = lines[node.lineno - 1] if node.lineno <= len(lines) else ""
            ports.append(PyPort(key, literal, node.lineno, value.col_offset, value.end_col_offset or 0,
                                _comment(line_text)))
        elif isinstance(literal, str):
            strings.append((key, literal))
    return PyModule(tuple(ports), tuple(strings), tuple(helpers))


def entries(module: PyModule, known: Iterable[str]) -> list[PortEntry]:
    known = tuple(known)
    out = []
    for p in module.ports:
        name = service_name(p.key, known)
        if name is not None:
            out.append(PortEntry(p.key, name, p.value, p.line, p.comment))
    return out


def import_file(path: Path, registry: Registry) -> ImportResult:
    module = parse(read_text(path), path)
    reg, findings = apply_entries(registry, entries(module, registry.services), path)
    for p in module.ports:
        if service_name(p.key, registry.services) is None:
            findings.append(Finding(str(path), p.line, f"{p.key} names no service; skipped",
                                    "rename it NAME_PORT, e.g. BACKEND_PORT"))
    return ImportResult(Path(path), "python", registry, reg, tuple(findings))
