"""Where Port Manager keeps its files.

Everything the app writes lives under three folders taken from platformdirs, or
under one folder named by ``PORTMANAGER_HOME`` (tests and portable installs).
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "PortManager"
HOME_ENV = "PORTMANAGER_HOME"


@dataclass(frozen=True)
class Paths:
    """Where Port Manager keeps its files: settings and registry, state and logs."""

    config_dir: Path
    state_dir: Path
    log_dir: Path

    @property
    def registry_file(self) -> Path:
        return self.config_dir / "registry.yaml"

    @property
    def settings_file(self) -> Path:
        return self.config_dir / "settings.json"

    @property
    def allocations_file(self) -> Path:
        return self.state_dir / "allocations.json"

    @property
    def services_state_file(self) -> Path:
        return self.state_dir / "services.json"

    def ensure(self) -> "Paths":
        from .platform.files import make_dirs  # here: `portmanager url` never calls it

        for d in (self.config_dir, self.state_dir, self.log_dir):
            make_dirs(d)
        return self


def resolve(env: Mapping[str, str] | None = None) -> Paths:
    """The app's folders: ``$PORTMANAGER_HOME/{config,state,logs}`` or platformdirs'."""
    env = os.environ if env is None else env
    home = env.get(HOME_ENV)
    if home:
        root = Path(home).expanduser().resolve()
        return Paths(root / "config", root / "state", root / "logs")
    import platformdirs  # only here: a run under PORTMANAGER_HOME starts without it

    return Paths(
        Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
        Path(platformdirs.user_state_dir(APP_NAME, appauthor=False)),
        Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)),
    )
