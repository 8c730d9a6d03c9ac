"""A kill of a port holder (``portmanager kill PORT``, the app's kill) that is one of our own
services is an explicit stop: its state record says so before the signal, so a supervisor
watching it (``portmanager up``, the app) never restarts it -- "Port N is free now" stays true.
"""
from __future__ import annotations

from typing import Any

from ..kill import policy
from ..paths import Paths
from .records import store_for


def kill(plan: policy.KillPlan, paths: Paths, **kwargs: Any) -> policy.KillResult:
    """``policy.kill(plan, **kwargs)``, with the units of the targets marked as stopping first."""
    with store_for(paths).stopping_for([h.pid for h in plan.targets]):
        return policy.kill(plan, **kwargs)


__all__ = ["kill"]
