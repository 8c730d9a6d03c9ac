"""The generated icons: present, the right sizes and containers, and current with icon.svg."""
from __future__ import annotations

import importlib.util
import shutil
import struct
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
RES = REPO / "resources"


@pytest.fixture(scope="module")
def make_icons():
    spec = importlib.util.spec_from_file_location("make_icons", REPO / "tools" / "make_icons.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def qt_app(qapp):
    """pytest-qt's QApplication: a QGuiApplication made here would break later widget tests."""
    return qapp


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">II", data[16:24])


def test_every_png_exists_at_its_size(make_icons):
    for size in make_icons.APP_SIZES:
        assert _png_size(RES / "icons" / f"portmanager-{size}.png") == (size, size)
    for state in ("ok", "fallback", "conflict"):
        for size in make_icons.TRAY_SIZES:
            assert _png_size(RES / "tray" / f"tray-{state}-{size}.png") == (size, size)
        assert _png_size(RES / "tray" / f"tray-{state}Template.png") == (18, 18)
        assert _png_size(RES / "tray" / f"tray-{state}Template@2x.png") == (36, 36)


def test_ico_holds_each_windows_size():
    data = (RES / "icons" / "PortManager.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", data[:6])
    assert (reserved, kind) == (0, 1)              # 1: icon
    sizes = set()
    for i in range(count):
        w, h = data[6 + 16 * i], data[7 + 16 * i]
        sizes.add((w or 256, h or 256))            # 0 means 256
    assert {(s, s) for s in (16, 32, 48, 256)} <= sizes


def test_icns_is_a_container_with_retina_sizes():
    data = (RES / "icons" / "PortManager.icns").read_bytes()
    magic, length = struct.unpack(">4sI", data[:8])
    assert magic == b"icns" and length == len(data)
    types, offset = set(), 8
    while offset < length:
        kind, size = struct.unpack(">4sI", data[offset:offset + 8])
        types.add(kind)
        offset += size
    assert offset == length
    assert {b"ic07", b"ic08", b"ic09", b"ic10", b"ic11", b"ic12"} <= types   # 128 ... 1024, 16@2x, 32@2x


def test_tray_dot_has_each_state_colour_and_templates_are_black_masks(make_icons, qt_app):
    from PySide6.QtGui import QColor, QImage

    for state, colour in make_icons.STATES.items():
        tray = QImage(str(RES / "tray" / f"tray-{state}-64.png"))
        # a point inside the dot but off its mark (the left edge of the dot)
        assert tray.pixelColor(33, 44).name() == QColor(colour).name(), state
        mask = QImage(str(RES / "tray" / f"tray-{state}Template@2x.png"))
        side = mask.width()                               # 36: Apple's 18 pt menu-bar height, @2x
        colours = {mask.pixelColor(x, y).rgb() & 0xFFFFFF
                   for x in range(side) for y in range(side) if mask.pixelColor(x, y).alpha() > 0}
        assert colours == {0}, state                      # only black (alpha carries the shape)
        at = lambda v: round(v * side / 44)               # noqa: E731 - points of the 44 px drawing
        assert mask.pixelColor(at(14), at(14)).alpha() < 128   # a prong is cut out
        assert mask.pixelColor(at(6), at(30)).alpha() == 255   # the body is solid


def test_committed_files_match_the_svg(make_icons, qt_app):
    assert make_icons.check(make_icons.load(), RES) == []


def test_check_notices_a_stale_file(make_icons, qt_app, tmp_path):
    shutil.copytree(RES, tmp_path / "res")
    stale = tmp_path / "res" / "tray" / "tray-fallback-32.png"
    shutil.copy(RES / "tray" / "tray-ok-32.png", stale)   # green where amber belongs
    (tmp_path / "res" / "icons" / "PortManager.ico").unlink()
    assert make_icons.check(make_icons.load(), tmp_path / "res") == [
        "tray/tray-fallback-32.png", "icons/PortManager.ico"]


def test_regenerating_writes_the_same_pngs(make_icons, qt_app, tmp_path):
    assert make_icons.main(["--out", str(tmp_path), "--no-containers"]) == 0
    assert _png_size(tmp_path / "icons" / "portmanager-1024.png") == (1024, 1024)
    # every PNG is current; only the containers, skipped here, are reported
    assert make_icons.check(make_icons.load(), tmp_path) == ["icons/PortManager.ico", "icons/PortManager.icns"]
