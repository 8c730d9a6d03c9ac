"""Where the app's resource files are: the source tree's ``resources/`` or the bundle's copy.

This is the only module that knows about PyInstaller. A frozen app has ``sys.frozen`` set
and finds its data files under ``sys._MEIPASS``: in a one-folder build that is the
``_internal`` folder beside the executable; in a macOS ``.app`` it is ``Contents/Frameworks``,
whose entries link to the data in ``Contents/Resources``. The spec copies ``resources/``
there under the same name, so one relative path works in both places.
"""
from __future__ import annotations

import sys
from pathlib import Path

RESOURCES_DIR = "resources"
SOURCE_ROOT = Path(__file__).resolve().parents[2]   # the checkout: main.py, resources/, packaging/


class ResourceMissing(FileNotFoundError):
    """A resource file is not where the source tree or the bundle should have it."""

    def __init__(self, path: Path):
        self.path = path
        super().__init__(f"Port Manager's resource file {path} is missing. "
                         "Reinstall Port Manager, or in a checkout run "
                         "'python tools/make_icons.py' to regenerate the icons.")


def is_frozen() -> bool:
    """True inside a PyInstaller bundle (PortManager.exe / PortManager.app / dist/PortManager)."""
    return bool(getattr(sys, "frozen", False))


def bundle_dir() -> Path | None:
    """The bundle's data folder, or None when running from source."""
    meipass = getattr(sys, "_MEIPASS", None)
    return Path(meipass) if is_frozen() and meipass else None


def resources_root(bundle: Path | None = None, source_root: Path = SOURCE_ROOT) -> Path:
    """``<bundle>/resources`` when frozen, else ``<checkout>/resources``."""
    base = bundle if bundle is not None else bundle_dir()
    return (base if base is not None else source_root) / RESOURCES_DIR


def resource_path(*parts: str, must_exist: bool = True, root: Path | None = None) -> Path:
    """The path of ``resources/<parts...>``; raises ResourceMissing when it is not there."""
    if not parts:
        raise ValueError("resource_path() needs a file name, e.g. resource_path('icons', 'portmanager-256.png')")
    path = (root if root is not None else resources_root()).joinpath(*parts)
    if must_exist and not path.exists():
        raise ResourceMissing(path)
    return path
