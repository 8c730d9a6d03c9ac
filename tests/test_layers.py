"""The layer rule, enforced by imports: core has no Qt, services only QtCore, ui no I/O."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "portmanager_gui"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


def _files(sub: str) -> list[Path]:
    return sorted((PKG / sub).rglob("*.py"))


@pytest.mark.parametrize("path", _files("core") + _files("demo") + _files("text") + [PKG / "cli"], ids=str)
def test_core_never_imports_qt(path):
    files = [path] if path.is_file() else sorted(path.rglob("*.py"))
    for f in files:
        assert not any(n.startswith("PySide6") for n in _imports(f)), f


@pytest.mark.parametrize("path", _files("services"), ids=str)
def test_services_import_only_qtcore(path):
    qt = {n for n in _imports(path) if n.startswith("PySide6")}
    assert qt <= {"PySide6", "PySide6.QtCore"} | {n for n in qt if n.startswith("PySide6.QtCore.")}, path


@pytest.mark.parametrize("path", _files("ui"), ids=str)
def test_views_never_touch_processes_or_sockets(path):
    banned = {"psutil", "subprocess", "socket", "shutil"}
    assert not {n.split(".")[0] for n in _imports(path)} & banned, path


# -- no import circles, lazy (function-level) imports included ------------------------------

def _module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _package_imports(path: Path, modules: set[str], source: str | None = None) -> set[str]:
    """The package's modules that ``path`` imports anywhere (relative imports resolved);
    ``source``: the text to read instead of the file's."""
    me = _module_name(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    found: set[str] = set()
    source = path.read_text(encoding="utf-8") if source is None else source
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            candidates = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            candidates = [target] + [f"{target}.{a.name}" for a in node.names]
        else:
            continue
        found.update(c for c in candidates if c in modules and c != me)
    return found


def test_no_import_circles():
    files = sorted(PKG.rglob("*.py"))
    modules = {_module_name(f) for f in files}
    graph = {_module_name(f): _package_imports(f, modules) for f in files}
    # A package's __init__ is imported by each of its modules implicitly; edges into an
    # __init__ that imports nothing back are harmless, so only real edges are followed.
    state: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                circles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for mod in sorted(graph):
        if mod not in state:
            visit(mod)
    assert not circles, "import circles:\n" + "\n".join(" -> ".join(c) for c in circles)


def test_core_top_floor_is_small():
    top = sorted(p.name for p in (PKG / "core").glob("*.py"))
    assert len(top) <= 10, top


# -- sentences are made at the edge: the core hands over facts -----------------------------

WORDING = "portmanager_gui.text"


def _wording_imports(path: Path, source: str | None = None) -> set[str]:
    modules = {_module_name(f) for f in PKG.rglob("*.py")}
    return {m for m in _package_imports(path, modules, source) if m == WORDING or m.startswith(WORDING + ".")}


@pytest.mark.parametrize("path", _files("core"), ids=str)
def test_core_never_imports_the_wording_package(path):
    found = _wording_imports(path)
    assert not found, f"{path} imports {sorted(found)}: core returns facts; the CLI and the UI word them"


@pytest.mark.parametrize("source", ["from ...text import supervisor", "from ...text.supervisor import stop_text",
                                    "import portmanager_gui.text.kill",
                                    "def f():\n    from portmanager_gui.text import supervisor"])
def test_the_wording_check_sees_every_form_of_import(source):
    """The check above fails on the defect it guards, relative and lazy imports included."""
    assert _wording_imports(PKG / "core" / "supervisor" / "stopper.py", source)
