"""File-system differences between the OSes.

Windows: an editor, antivirus or indexer that has a file open makes a rename over it fail
with PermissionError -- winerror 5 (access denied), 32 (sharing violation) or 33 (lock
violation) -- for a moment; retrying succeeds. Elsewhere a PermissionError is real.
"""
from __future__ import annotations

from . import WINDOWS

WINDOWS_TRANSIENT_REPLACE = (5, 32, 33)


def transient_replace_error(exc: OSError, os_name: str) -> bool:
    """Whether a failed rename is worth retrying on ``os_name`` (see the module docstring)."""
    return (os_name == WINDOWS and isinstance(exc, PermissionError)
            and getattr(exc, "winerror", None) in WINDOWS_TRANSIENT_REPLACE)
