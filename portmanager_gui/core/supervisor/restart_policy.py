"""When to restart a service that stopped by itself: no | on-failure | always.

Each restart waits longer (``base * factor**n``, capped at ``max_delay``); after
``max_failures`` failures within ``window`` seconds the unit gives up until someone starts
it again. Time comes from an injected clock, so tests need not wait.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Decision:
    """The restart policy's answer to one exit."""

    restart: bool
    delay: float = 0.0
    gave_up: bool = False
    failures: int = 0          # failures counted inside the window, this one included


@dataclass
class RestartPolicy:
    """Backoff bookkeeping for one unit."""

    policy: str = "no"
    clock: Callable[[], float] = field(default=lambda: 0.0)
    base_delay: float = 1.0
    factor: float = 2.0
    max_delay: float = 30.0
    max_failures: int = 5
    window: float = 60.0
    _failures: list[float] = field(default_factory=list)

    def on_exit(self, returncode: int | None) -> Decision:
        """Decide what to do about a unit that exited with ``returncode`` (None: unknown)."""
        failed = returncode != 0
        if self.policy == "no" or (self.policy == "on-failure" and not failed):
            return Decision(False)
        now = self.clock()
        self._failures = [t for t in self._failures if now - t < self.window] + [now]
        n = len(self._failures)
        if n >= self.max_failures:
            return Decision(False, gave_up=True, failures=n)
        delay = min(self.max_delay, self.base_delay * self.factor ** (n - 1))
        return Decision(True, delay, failures=n)

    def reset(self) -> None:
        """A start by hand forgets earlier failures."""
        self._failures.clear()
