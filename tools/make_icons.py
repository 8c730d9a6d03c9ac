"""Render every icon file in resources/ from the one source, resources/icon.svg.

    python tools/make_icons.py            # rewrite the generated files (commit them)
    python tools/make_icons.py --check    # exit 1 when a committed PNG no longer matches the SVG

Writes, under resources/:
- icons/portmanager-<size>.png   the app icon (16 ... 1024), for Linux and the window
- icons/PortManager.ico          Windows (16 ... 256, each size rendered, not scaled)
- icons/PortManager.icns         macOS (16 ... 1024, with @2x variants)
- tray/tray-<state>-<size>.png   tray icons, one per state colour: ok green, fallback amber,
                                 conflict red, each with its mark (check, "!", cross)
- tray/tray-<state>Template.png and @2x   macOS menu-bar mask images: black on transparent,
                                 macOS tints them; the state is the mark cut out of the dot

The SVG is rendered with Qt's QSvgRenderer (PySide6-Essentials); the ICO and ICNS
containers are written by Pillow (the ``package`` extra). The files are committed, so the
app and the build need neither this script nor Pillow.
"""
from __future__ import annotations

import argparse
import copy
import os
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QByteArray, QRectF, Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

ROOT = Path(__file__).resolve().parents[1] / "resources"
SOURCE = ROOT / "icon.svg"
SVG_NS = "http://www.w3.org/2000/svg"
ET.register_namespace("", SVG_NS)

# The same colours as the running app's tray (ui/icons.py STATE_COLORS).
STATES = {"ok": "#2e9d4f", "fallback": "#e8a317", "conflict": "#d64541"}
APP_SIZES = (16, 24, 32, 48, 64, 128, 256, 512, 1024)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
ICNS_SIZES = (16, 32, 64, 128, 256, 512, 1024)
TRAY_SIZES = (16, 22, 24, 32, 44, 48, 64)
TEMPLATE_SIZES = {"": 18, "@2x": 36}   # Apple HIG: menu bar icons 18 pt high at most
ICO_NAME, ICNS_NAME = "PortManager.ico", "PortManager.icns"


def load(path: Path = SOURCE) -> ET.Element:
    return ET.parse(path).getroot()


def _by_id(root: ET.Element) -> dict[str, ET.Element]:
    return {el.get("id"): el for el in root.iter() if el.get("id")}


def _paint(el: ET.Element, colour: str) -> None:
    """Recolour an element and its children, keeping what is unfilled or unstroked so."""
    for node in el.iter():
        for attr in ("fill", "stroke"):
            if node.get(attr) not in (None, "none"):
                node.set(attr, colour)


def variant(root: ET.Element, show: set[str] | None = None, colours: dict[str, str] | None = None) -> bytes:
    """The SVG with only the ``show`` elements visible (None: as authored) and ``colours`` applied."""
    tree = copy.deepcopy(root)
    elements = _by_id(tree)
    if show is not None:
        for ident, el in elements.items():
            if ident in show:
                el.attrib.pop("display", None)
            else:
                el.set("display", "none")
    for ident, colour in (colours or {}).items():
        _paint(elements[ident], colour)
    return ET.tostring(tree, encoding="utf-8", xml_declaration=True)


def render(svg: bytes, size: int) -> QImage:
    renderer = QSvgRenderer(QByteArray(svg))
    if not renderer.isValid():
        raise ValueError("Qt could not read the SVG; check resources/icon.svg")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return image


def app_icon(root: ET.Element, size: int) -> QImage:
    return render(variant(root), size)


def tray_icon(root: ET.Element, state: str, size: int) -> QImage:
    shapes = {"body", "prongs", "state-ring", "state-dot", f"mark-{state}"}
    return render(variant(root, shapes, {"state-dot": STATES[state]}), size)


def template_icon(root: ET.Element, state: str, size: int) -> QImage:
    """Black badge; prongs, the ring round the dot and the state's mark cut out."""
    black = "#000000"

    def layer(*ids: str) -> QImage:
        return render(variant(root, set(ids), {i: black for i in ids}), size)

    image = layer("body")
    painter = QPainter(image)
    painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_DestinationOut)
    painter.drawImage(0, 0, layer("prongs", "state-ring"))
    painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceOver)
    painter.drawImage(0, 0, layer("state-dot"))
    painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_DestinationOut)
    painter.drawImage(0, 0, layer(f"mark-{state}"))
    painter.end()
    return image


def png_targets(root: ET.Element) -> dict[str, QImage]:
    """Every PNG this script writes: relative path under resources/ -> image."""
    out = {f"icons/portmanager-{s}.png": app_icon(root, s) for s in APP_SIZES}
    for state in STATES:
        out.update({f"tray/tray-{state}-{s}.png": tray_icon(root, state, s) for s in TRAY_SIZES})
        out.update({f"tray/tray-{state}Template{suffix}.png": template_icon(root, state, s)
                    for suffix, s in TEMPLATE_SIZES.items()})
    return out


def _to_pillow(image: QImage):
    from PIL import Image

    rgba = image.convertToFormat(QImage.Format.Format_RGBA8888)
    return Image.frombytes("RGBA", (rgba.width(), rgba.height()), bytes(rgba.constBits()))


def write_containers(root: ET.Element, out: Path) -> list[Path]:
    """The Windows .ico and macOS .icns, each size rendered from the SVG."""
    try:
        import PIL  # noqa: F401
    except ImportError:
        sys.exit("Writing .ico/.icns needs Pillow: pip install -e '.[package]'")
    ico = [_to_pillow(app_icon(root, s)) for s in ICO_SIZES]
    icns = [_to_pillow(app_icon(root, s)) for s in ICNS_SIZES]
    ico_path, icns_path = out / "icons" / ICO_NAME, out / "icons" / ICNS_NAME
    ico[-1].save(ico_path, format="ICO", sizes=[(s, s) for s in ICO_SIZES], append_images=ico[:-1])
    icns[-1].save(icns_path, format="ICNS", append_images=icns[:-1])
    return [ico_path, icns_path]


def image_difference(a: QImage, b: QImage) -> float:
    """Largest per-channel difference (0-255) between two same-size images; inf if sizes differ."""
    if a.size() != b.size():
        return float("inf")
    a = a.convertToFormat(QImage.Format.Format_RGBA8888)
    b = b.convertToFormat(QImage.Format.Format_RGBA8888)
    return float(max((abs(x - y) for x, y in zip(bytes(a.constBits()), bytes(b.constBits()), strict=True)), default=0))


def check(root: ET.Element, out: Path, tolerance: float = 24.0) -> list[str]:
    """Committed PNGs that are missing or differ from a fresh render (anti-aliasing may vary a little)."""
    stale = []
    for rel, image in png_targets(root).items():
        disk = QImage(str(out / rel))
        if disk.isNull() or image_difference(image, disk) > tolerance:
            stale.append(rel)
    stale += [f"icons/{n}" for n in (ICO_NAME, ICNS_NAME) if not (out / "icons" / n).is_file()]
    return stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=SOURCE, help="the SVG (default: resources/icon.svg)")
    parser.add_argument("--out", type=Path, default=ROOT, help="where to write (default: resources/)")
    parser.add_argument("--check", action="store_true", help="only check that the committed files are current")
    parser.add_argument("--no-containers", action="store_true", help="skip .ico/.icns (no Pillow needed)")
    args = parser.parse_args(argv)
    app = QGuiApplication.instance() or QGuiApplication([])  # noqa: F841 - QPainter wants one
    root = load(args.source)
    if args.check:
        stale = check(root, args.out)
        for rel in stale:
            print(f"{args.out / rel} is missing or out of date: run python tools/make_icons.py")
        return 1 if stale else 0
    written = []
    for rel, image in png_targets(root).items():
        path = args.out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if not image.save(str(path), "PNG"):
            raise OSError(f"could not write {path}")
        written.append(path)
    if not args.no_containers:
        written += write_containers(root, args.out)
    print(f"wrote {len(written)} files under {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
