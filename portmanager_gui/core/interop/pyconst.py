"""Reading a ``ports_config.py``-style module with ``ast`` -- it is never executed.

Any module shape is read: imports, functions, classes and ``if`` blocks are passed over.
Ports are taken from what can be known without running the file:

- ``NAME_PORT = 8203`` (also annotated) at the top level or in a class body;
- every whole-number attribute of a class whose name says ports (``class Ports: BACKEND = 8203``);
- dict literals of ports assigned to a name that says ports (``STABLE_PORTS = {"backend": 8203}``);
- service dicts with a ``"port"`` key anywhere, also a default a method returns
  (``{"backend": {"port": 5318, "host": "127.0.0.1"}}``); a dict of dicts without one
  (harbours with ``lat``/``lon``) holds no ports.

A ``*_PORT`` whose value is not a whole number (``SERIAL_PORT = '/dev/ttyACM0'``, a value
computed by ``os.getenv``) is skipped with a note; a number outside 1-65535 is an error naming
``file:line``. When a name is set twice the last value counts, as in Python. A UTF-8 BOM is
accepted. ``def get_*_url()`` helpers are listed so a writer does not add them twice.
"""
from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..registry.model import Registry
from .errors import InteropError, read_text
from .naming import is_port_key, safe_name, service_name
from .result import Finding, ImportResult, PortEntry, apply_entries

BOM = "\ufeff"


@dataclass(frozen=True)
class PyPort:
    """One port in the module: where its number sits, so a writer can replace just those characters."""

    key: str           # as shown: BACKEND_PORT, Ports.BACKEND, STABLE_PORTS['backend']
    value: int
    line: int          # 1-based
    col: int           # UTF-8 byte offsets of the number within the line (as ast reports them)
    end_col: int
    comment: str = ""
    name: str = ""     # the service the entry names when the key alone does not (dict keys, class attributes)


@dataclass(frozen=True)
class PyNote:
    """Something about a ``ports_config.py`` line that is not a plain port constant."""

    line: int
    message: str


@dataclass(frozen=True)
class PyModule:
    """The port constants, strings and helpers read from a ``ports_config.py``."""

    ports: tuple[PyPort, ...]
    strings: tuple[tuple[str, str], ...]
    helpers: tuple[str, ...]
    notes: tuple[PyNote, ...] = ()


def _comment(line_text: str) -> str:
    _, hash_, rest = line_text.partition("#")
    return rest.strip() if hash_ else ""


def _targets(node: ast.stmt) -> list[tuple[str, ast.expr]]:
    if isinstance(node, ast.Assign):
        return [(t.id, node.value) for t in node.targets if isinstance(t, ast.Name)]
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
        return [(node.target.id, node.value)]
    return []


def _says_ports(name: str) -> bool:
    return any(t in ("port", "ports") for t in name.lower().replace("-", "_").split("_")) or name.lower().endswith("ports")


class _Reader:
    def __init__(self, text: str, file: Path | str):
        self.file = file
        self.lines = text.splitlines()
        self.bom = 3 if text.startswith(BOM) else 0
        self.ports: dict[str, PyPort] = {}
        self.strings: list[tuple[str, str]] = []
        self.helpers: list[str] = []
        self.notes: list[PyNote] = []

    def number(self, key: str, value: ast.expr, name: str = "") -> None:
        line = value.lineno
        if not isinstance(value, ast.Constant) or isinstance(value.value, bool) or not isinstance(value.value, int):
            if isinstance(value, ast.Constant):
                self.notes.append(PyNote(line, f"{key} = {repr(value.value)[:40]} is not a port number; skipped"))
            else:
                self.notes.append(PyNote(line, f"{key} is computed when the program runs; skipped (Port Manager "
                                         "never runs the file)"))
            return
        if not 1 <= value.value <= 65535:
            raise InteropError(self.file, line, f"{key} = {value.value} is out of range; a port is 1-65535")
        if key in self.ports:
            self.notes.append(PyNote(line, f"{key} is set again (line {self.ports[key].line} before); the last "
                                     "value counts, as in Python"))
        shift = self.bom if line == 1 else 0
        text = self.lines[line - 1] if line <= len(self.lines) else ""
        self.ports.pop(key, None)
        self.ports[key] = PyPort(key, value.value, line, value.col_offset + shift, (value.end_col_offset or 0) + shift,
                                 _comment(text), name)

    def assignment(self, name: str, value: ast.expr, prefix: str = "", all_ints: bool = False) -> None:
        key = prefix + name
        if isinstance(value, ast.Dict) and _says_ports(name):
            flat = [(k, v) for k, v in zip(value.keys, value.values) if not isinstance(v, ast.Dict)]
            if value.values and not flat:    # a dict of dicts: nested() reads those with a "port" key
                if not any(isinstance(pk, ast.Constant) and pk.value == "port"
                           for v in value.values for pk in v.keys):
                    self.notes.append(PyNote(value.lineno, f"{key} holds no port numbers (its entries have no "
                                             "\"port\" key); skipped"))
                return
            for k, v in flat:
                if isinstance(k, ast.Constant) and isinstance(k.value, str) and safe_name(k.value):
                    hint = service_name(k.value) if is_port_key(k.value) else safe_name(k.value)
                    self.number(f"{key}[{k.value!r}]", v, hint or "")
            return
        if is_port_key(name) or (all_ints and isinstance(value, ast.Constant) and isinstance(value.value, int)
                                 and not isinstance(value.value, bool)):
            self.number(key, value, "" if is_port_key(name) else safe_name(name.lower()))
        elif not prefix and isinstance(value, ast.Constant) and isinstance(value.value, str):
            self.strings.append((name, value.value))
        elif name.lower().rsplit("_", 1)[-1] in ("port", "ports") and not isinstance(value, ast.Constant):
            self.notes.append(PyNote(value.lineno, f"{key} is computed when the program runs; skipped (Port "
                                     "Manager never runs the file)"))

    def body(self, nodes: list[ast.stmt], prefix: str = "", all_ints: bool = False) -> None:
        for node in nodes:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("get_") and node.name.endswith("_url"):
                self.helpers.append(node.name)
            elif isinstance(node, ast.ClassDef) and not prefix:
                self.body(node.body, f"{node.name}.", _says_ports(node.name))
            for name, value in _targets(node):
                self.assignment(name, value, prefix, all_ints)


    def nested(self, tree: ast.Module) -> None:
        """``{"backend": {"port": 5318, "host": ...}}`` anywhere in the module -- assigned, returned
        as a default by a function or method -- gives each outer key its port."""
        for node in ast.walk(tree):
            if not isinstance(node, ast.Dict):
                continue
            for k, v in zip(node.keys, node.values):
                if not (isinstance(k, ast.Constant) and isinstance(k.value, str) and isinstance(v, ast.Dict)):
                    continue
                port = next((pv for pk, pv in zip(v.keys, v.values)
                             if isinstance(pk, ast.Constant) and pk.value == "port"), None)
                if port is not None and safe_name(k.value):
                    self.number(f"{k.value}.port", port, safe_name(k.value))


def parse(text: str, file: Path | str = "ports_config.py") -> PyModule:
    """The ports of ``text``. Raises ``InteropError`` for invalid Python or an out-of-range port."""
    source = text[1:] if text.startswith(BOM) else text
    try:
        tree = ast.parse(source, filename=str(file))
    except SyntaxError as exc:
        raise InteropError(file, exc.lineno, f"is not valid Python ({exc.msg}); fix the file and try again") from None
    reader = _Reader(text, file)
    reader.body(tree.body)
    reader.nested(tree)
    ports = sorted(reader.ports.values(), key=lambda p: (p.line, p.col))
    return PyModule(tuple(ports), tuple(reader.strings), tuple(reader.helpers), tuple(reader.notes))


def port_service(p: PyPort, known: Iterable[str]) -> str | None:
    """The registry name a port entry stands for (an existing name matched without regard to case)."""
    known = tuple(known)
    if p.name:
        return next((k for k in known if k.lower() == p.name.lower()), p.name)
    return service_name(p.key.rsplit(".", 1)[-1], known)


def entries(module: PyModule, known: Iterable[str]) -> list[PortEntry]:
    known = tuple(known)
    out = []
    for p in module.ports:
        name = port_service(p, known)
        if name is not None:
            out.append(PortEntry(p.key, name, p.value, p.line, p.comment))
    return out


def import_file(path: Path, registry: Registry) -> ImportResult:
    module = parse(read_text(path), path)
    reg, findings = apply_entries(registry, entries(module, registry.services), path)
    notes = [Finding(str(path), n.line, n.message) for n in module.notes]
    for p in module.ports:
        if port_service(p, registry.services) is None:
            notes.append(Finding(str(path), p.line, f"{p.key} names no service; skipped",
                                 "rename it NAME_PORT, e.g. BACKEND_PORT"))
    return ImportResult(Path(path), "python", registry, reg, tuple(notes + findings))
