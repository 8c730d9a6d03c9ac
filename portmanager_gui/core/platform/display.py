"""Can the desktop app open a window here? Asked before Qt is, because Qt answers "no" by
aborting the process (exit 134, "Reinstalling the application may fix this problem").

Two things stop it on Linux: no display at all (over SSH, in a service, in CI) and, on a
display, the system libraries Qt's X11 platform plugin (xcb) loads but does not bring --
``libxcb-cursor0`` is the usual one missing on a fresh Debian/Ubuntu desktop. macOS and
Windows always have their platform. The decision is ``display_problem`` (pure: the
environment and a library loader are passed in); ``read_display_problem`` gathers the facts.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from . import LINUX, current_os

# What Qt 6's xcb plugin (libqxcb.so -> libQt6XcbQpa.so.6) links to outside Qt, with the
# Debian/Ubuntu package that has it (``ldd`` of the plugin; the same names on both).
XCB_LIBRARIES: dict[str, str] = {
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libfontconfig.so.1": "libfontconfig1",
    "libdbus-1.so.3": "libdbus-1-3",
}
# Platforms that need no display server (tests, screenshots, VNC): nothing to check.
HEADLESS_PLATFORMS = ("offscreen", "minimal", "vnc", "linuxfb", "eglfs", "vkkhrdisplay")


class DisplayTrouble(str, Enum):
    NO_DISPLAY = "no display"
    MISSING_LIBRARIES = "missing libraries"


@dataclass(frozen=True)
class DisplayProblem:
    """Why Qt could not open the display, and the libraries and packages that would fix it."""

    trouble: DisplayTrouble
    libraries: tuple[str, ...] = ()        # sonames that do not load
    packages: tuple[str, ...] = ()         # the Debian/Ubuntu packages that have them


def display_problem(os_name: str, env: Mapping[str, str], can_load: Callable[[str], bool],
                    platform_arg: str | None = None) -> DisplayProblem | None:
    """None when Qt can open its platform here; else what is wrong.

    ``platform_arg``: a ``-platform`` given on the command line (it wins over the environment).
    """
    if os_name != LINUX:
        return None
    platform = (platform_arg or env.get("QT_QPA_PLATFORM", "")).strip().lower()
    first = platform.split(";")[0].split(":")[0]
    if first in HEADLESS_PLATFORMS:
        return None
    has_x, has_wayland = bool(env.get("DISPLAY")), bool(env.get("WAYLAND_DISPLAY"))
    if first == "wayland":
        return None if has_wayland else DisplayProblem(DisplayTrouble.NO_DISPLAY)
    if not has_x and not has_wayland:
        return DisplayProblem(DisplayTrouble.NO_DISPLAY)
    if not has_x and first != "xcb":
        return None          # a Wayland session without X: Qt uses its wayland plugin
    missing = tuple(lib for lib in XCB_LIBRARIES if not can_load(lib))
    if not missing:
        return None
    return DisplayProblem(DisplayTrouble.MISSING_LIBRARIES, missing, tuple(dict.fromkeys(XCB_LIBRARIES[m]
                                                                                          for m in missing)))


def loader(extra_dirs: Sequence[Path] = ()) -> Callable[[str], bool]:
    """``can_load(soname)``: the dynamic linker finds it (or it is in one of ``extra_dirs``,
    e.g. a bundle's own library folder). ``ctypes`` is imported only when a check needs it
    (an X display), not for offscreen or Wayland."""
    import ctypes

    def can_load(name: str) -> bool:
        for candidate in [name, *(str(d / name) for d in extra_dirs if (d / name).exists())]:
            try:
                ctypes.CDLL(candidate)
                return True
            except OSError:
                continue
        return False
    return can_load


def read_display_problem(argv: Sequence[str], extra_dirs: Sequence[Path] = ()) -> DisplayProblem | None:
    platform_arg = None
    for i, arg in enumerate(argv):
        if arg in ("-platform", "--platform") and i + 1 < len(argv):
            platform_arg = argv[i + 1]
    return display_problem(current_os(), os.environ, loader(extra_dirs), platform_arg)
