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


@pytest.mark.parametrize("path", _files("core") + _files("demo") + [PKG / "cli"], ids=str)
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
