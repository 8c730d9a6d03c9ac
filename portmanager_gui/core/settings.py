"""The desktop app's settings: a frozen value, stored as JSON next to the registry.

Kept in ``paths.settings_file`` (the registry's folder), never inside the registry: the
registry describes the stack and is shared with the CLI and services; these are one
user's preferences for the window and tray. A damaged or hand-edited file never stops
the app: unknown keys are dropped and out-of-range values are clamped to the nearest
allowed one.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

from .atomic_write import write_atomic
from .file_read import read_small

REFRESH_MIN_S = 0.5
REFRESH_MAX_S = 30.0


@dataclass(frozen=True)
class Settings:
    """The user's preferences (``settings.json``): refresh, notifications, quit, autostart."""

    refresh_s: float = 2.0                  # how often the ports are scanned
    notifications: bool = True              # fallback / failure / crash notifications
    watched_port_notifications: bool = False  # every holder change on a registry port (noisy)
    stop_on_quit: bool = True               # Quit stops what Port Manager started
    start_at_login: bool = False            # wired by the packaging (autostart entry)

    def __post_init__(self) -> None:
        if not REFRESH_MIN_S <= self.refresh_s <= REFRESH_MAX_S:
            raise ValueError(f"refresh interval {self.refresh_s} s is outside "
                             f"{REFRESH_MIN_S}-{REFRESH_MAX_S} s")

    @property
    def refresh_ms(self) -> int:
        return int(round(self.refresh_s * 1000))


def clamp_refresh(value: float) -> float:
    return min(REFRESH_MAX_S, max(REFRESH_MIN_S, float(value)))


def from_dict(data: object) -> Settings:
    """Settings from parsed JSON; anything unusable falls back to the default for that key."""
    if not isinstance(data, dict):
        return Settings()
    defaults = Settings()
    values = {}
    for f in fields(Settings):
        raw = data.get(f.name)
        default = getattr(defaults, f.name)
        if isinstance(default, bool):
            values[f.name] = raw if isinstance(raw, bool) else default
        elif isinstance(raw, (int, float)) and not isinstance(raw, bool):
            values[f.name] = clamp_refresh(raw)
        else:
            values[f.name] = default
    return replace(defaults, **values)


MAX_BYTES = 1024 * 1024   # a settings file is a few hundred bytes


def load(path: Path) -> Settings:
    """The settings in ``path``; the defaults when it is missing, damaged or not a file at all
    (read without blocking: a FIFO in its place never hangs the app's start)."""
    try:
        text = read_small(Path(path), MAX_BYTES).decode("utf-8")
    except (OSError, ValueError):
        return Settings()
    try:
        return from_dict(json.loads(text))
    except (ValueError, RecursionError):
        return Settings()


def save(settings: Settings, path: Path) -> Path:
    """Write ``settings``; a file that does not read as JSON is kept as ``.damaged`` first."""
    try:
        old = read_small(Path(path), MAX_BYTES)
        json.loads(old.decode("utf-8"))
    except (ValueError, RecursionError):
        write_atomic(Path(f"{path}.damaged"), old.decode("utf-8", "replace"), backup=False)
    except OSError:
        pass   # missing, or not a file at all: nothing of the user's to keep
    write_atomic(Path(path), json.dumps(asdict(settings), indent=2) + "\n", backup=False)
    return Path(path)
