"""resource_path: the source tree's resources/, or the bundle's copy under sys._MEIPASS."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from portmanager_gui.core import resources
from portmanager_gui.core.resources import (
    ResourceMissing,
    resource_path,
    resources_root,
)

REPO = Path(__file__).resolve().parents[2]


def test_source_tree_resources_are_the_checkouts():
    assert resources_root() == REPO / "resources"
    assert resource_path("icon.svg") == REPO / "resources" / "icon.svg"


def test_generated_icon_is_found_in_the_source_tree():
    assert resource_path("icons", "portmanager-256.png").stat().st_size > 0


def test_inside_a_bundle_the_meipass_copy_is_used(tmp_path, monkeypatch):
    (tmp_path / "resources" / "icons").mkdir(parents=True)
    (tmp_path / "resources" / "icons" / "x.png").write_bytes(b"png")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resources.is_frozen()
    assert resource_path("icons", "x.png") == tmp_path / "resources" / "icons" / "x.png"
    # a file only in the source tree is not silently taken from there
    with pytest.raises(ResourceMissing) as err:
        resource_path("icon.svg")
    assert str(tmp_path / "resources" / "icon.svg") in str(err.value)


def test_not_frozen_ignores_a_stray_meipass(tmp_path, monkeypatch):
    monkeypatch.delattr(sys, "frozen", raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resources.bundle_dir() is None
    assert resources_root() == REPO / "resources"


def test_missing_resource_names_the_file_and_what_to_do(tmp_path):
    with pytest.raises(ResourceMissing) as err:
        resource_path("icons", "nope.png", root=tmp_path)
    assert isinstance(err.value, FileNotFoundError)
    assert str(tmp_path / "icons" / "nope.png") in str(err.value)
    assert "make_icons.py" in str(err.value)
    assert resource_path("nope.png", root=tmp_path, must_exist=False) == tmp_path / "nope.png"


def test_a_name_is_required():
    with pytest.raises(ValueError):
        resource_path()


def test_nothing_else_looks_at_meipass_or_frozen():
    pkg = REPO / "portmanager_gui"
    offenders = [p for p in pkg.rglob("*.py")
                 if p.name != "resources.py" and ("_MEIPASS" in p.read_text(encoding="utf-8")
                                                 or "sys.frozen" in p.read_text(encoding="utf-8")
                                                 or '"frozen"' in p.read_text(encoding="utf-8"))]
    assert offenders == []
