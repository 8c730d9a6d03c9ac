"""What every subcommand needs: the app's paths, the registry, and one way to fail."""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from ..core import paths as core_paths
from ..core.registry.load import RegistryError, parse, read_text
from ..core.registry.model import Registry, UnknownName


class CliError(Exception):
    """One line for stderr and an exit code (2 bad input unless said otherwise)."""

    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.code = code


@dataclass
class Context:
    """What every command gets: the paths, the registry file, and where to print."""

    paths: core_paths.Paths
    registry_path: Path
    explicit_registry: bool = False
    out: TextIO = field(default_factory=lambda: sys.stdout)
    err: TextIO = field(default_factory=lambda: sys.stderr)
    loaded_text: str | None = None    # what load_registry read: a save is a compare-and-swap on it

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> "Context":
        paths = core_paths.resolve()
        if getattr(args, "registry", None):
            return cls(paths, Path(args.registry).expanduser(), explicit_registry=True)
        return cls(paths, paths.registry_file)

    def load_registry(self) -> Registry:
        """The registry, strictly loaded. The default file is written on first run only."""
        try:
            if not self.explicit_registry and not self.registry_path.exists():
                # the save path (round-trip YAML, atomic writes) is imported by a first run or a save
                from ..core.registry import save as yamlio

                yamlio.ensure_default(self.registry_path)
            text = read_text(self.registry_path)
            registry = parse(text, self.registry_path)
        except RegistryError as exc:
            raise CliError(str(exc)) from None
        except OSError as exc:   # the default registry could not be created
            raise CliError(f"{self.registry_path}: cannot be created ({exc}); check the folder's permissions") from None
        self.loaded_text = text
        return registry

    def save_registry(self, registry: Registry) -> Path:
        """Save atomically (then ``save_path.after_save``: every save updates the linked files).

        Based on the text ``load_registry`` read: a change made meanwhile by another command
        or the app is kept, and the same entry changed on both sides is refused (exit 1).
        """
        from ..core.registry import save as yamlio

        try:
            return yamlio.save(registry, self.registry_path, expected_text=self.loaded_text)
        except yamlio.SaveConflict as exc:
            raise CliError(str(exc), code=1) from None
        except RegistryError as exc:
            raise CliError(str(exc)) from None
        except OSError as exc:
            raise CliError(f"{self.registry_path}: cannot be written ({exc}); nothing was changed") from None

    def print(self, *parts: object) -> None:
        print(*parts, file=self.out)

    def print_json(self, value: object) -> None:
        """``value`` as JSON: indented for a person at a terminal, one line for a pipe.

        With ``indent`` CPython encodes in pure Python (a 1,000-service ``status --json``
        took 25-40 ms more); a script or ``jq`` reads the one line the C encoder writes.
        """
        import json

        isatty = getattr(self.out, "isatty", None)
        print(json.dumps(value, indent=2 if isatty is not None and isatty() else None), file=self.out)

    def warn(self, *parts: object) -> None:
        print(*parts, file=self.err)


def unknown(exc: UnknownName) -> CliError:
    return CliError(str(exc))
