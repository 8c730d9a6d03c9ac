"""The CLI's words for a damaged state record (``records.StateDamage``)."""
from __future__ import annotations

from ..core.supervisor.state_damage import StateDamage
from ..text.state import state_damage_found, state_damage_what


def state_damage_text(damage: StateDamage) -> str:
    """Which file, what is wrong, what was still found by the marks, and what to do."""
    return (f"the record of the services Port Manager started, {state_damage_what(damage)}; "
            f"{state_damage_found(damage)}. Services it started may also run unrecorded: check "
            f"`portmanager status --all` for their ports")
