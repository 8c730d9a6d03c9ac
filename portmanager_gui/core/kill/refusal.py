"""Why a holder may not be killed, as facts: the ``Reason`` and what a sentence needs.

Light to import (no psutil): the faces word a refusal (``portmanager_gui.text.kill``)
without loading the kill policy before it is used.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from ..occupancy.snapshot import Holder
from ..platform.occupancy import Forwarder


class Reason(str, Enum):
    PROTECTED = "protected"            # PID 0/1/4 and the like
    SELF = "self"                      # Port Manager itself or one of its ancestors
    OTHER_USER = "other-user"
    UNKNOWN_OWNER = "unknown-owner"    # no pid / create time / user to check against
    PID_REUSED = "pid-reused"          # the pid now belongs to another process
    NOT_HOLDING = "not-holding"        # it no longer listens on the port
    RESERVED = "reserved"              # the OS itself refuses the port: nothing to stop
    FORWARDER = "forwarder"            # a container runtime's port forwarder: stop the container instead


@dataclass(frozen=True)
class Refusal:
    """A holder the kill policy will not kill, and why (the facts ``text.kill`` words)."""

    holder: Holder | None
    reason: Reason
    port: int
    note: str = ""                     # PROTECTED: the OS's note on this holder; RESERVED / UNKNOWN_OWNER
                                       # without a holder: the scan's note on the port (``PortInfo.note``)
    forwarder: Forwarder | None = None   # FORWARDER: what it is, what to do instead
    ancestor: bool = False             # SELF: it started Port Manager (not Port Manager itself)
    unchecked: bool = False            # UNKNOWN_OWNER: its identity could not be re-checked at kill time
    now_name: str = ""                 # PID_REUSED: the name of the process that has the pid now
