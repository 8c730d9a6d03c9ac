"""The row operations turning one two-level view (processes, their listeners) into another.

A view model replays them (begin/end remove and insert rows, ``dataChanged``) instead of
resetting, so a refresh costs the GUI thread in proportion to what changed. Items keep
their place when they can: the longest run of items in the same order in both views stays,
the others are removed and inserted again (a move); removals come last-first, insertions
first-first, so each operation's positions are right when it is applied.
"""
from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any


class OpKind(str, Enum):
    REMOVE = "remove"
    INSERT = "insert"
    CHANGE = "change"


@dataclass(frozen=True, slots=True)
class Op:
    """Rows ``first..first+count-1`` under ``parent`` (-1: the top level; else the parent's
    row once the top-level operations before it are applied). ``items``: the rows inserted
    or their new values (processes at the top level, listeners below)."""

    kind: OpKind
    parent: int
    first: int
    count: int
    items: tuple = ()


def _runs(kind: OpKind, parent: int, positions: list[int], items: Sequence | None = None) -> list[Op]:
    """Consecutive positions folded into one operation each."""
    ops: list[Op] = []
    start = 0
    for i in range(1, len(positions) + 1):
        if i == len(positions) or positions[i] != positions[i - 1] + 1:
            run = positions[start:i]
            ops.append(Op(kind, parent, run[0], len(run), tuple(items[p] for p in run) if items is not None else ()))
            start = i
    return ops


def _kept_in_order(old_positions: list[int]) -> set[int]:
    """Indexes into ``old_positions`` of a longest increasing run (patience sorting)."""
    tails: list[int] = []          # old position ending the best run of each length
    tail_at: list[int] = []        # index of that element
    before: list[int] = [-1] * len(old_positions)
    for i, pos in enumerate(old_positions):
        k = bisect.bisect_left(tails, pos)
        if k == len(tails):
            tails.append(pos)
            tail_at.append(i)
        else:
            tails[k], tail_at[k] = pos, i
        before[i] = tail_at[k - 1] if k else -1
    kept: set[int] = set()
    i = tail_at[-1] if tail_at else -1
    while i >= 0:
        kept.add(i)
        i = before[i]
    return kept


def diff_level(old: Sequence, new: Sequence, key: Callable[[Any], Any], parent: int
               ) -> tuple[list[Op], list[tuple[int, int]]]:
    """Removals, then insertions turning ``old`` into ``new`` at one level; and the (old, new)
    positions of the items that stay."""
    old_at = {key(x): i for i, x in enumerate(old)}
    common = [(j, old_at[k]) for j, x in enumerate(new) if (k := key(x)) in old_at]
    olds = [i for _j, i in common]
    if all(a < b for a, b in zip(olds, olds[1:])):
        stay = common                                  # nothing moved: the usual refresh
    else:
        kept = _kept_in_order(olds)
        stay = [common[n] for n in sorted(kept)]
    staying_old = {i for _j, i in stay}
    staying_new = {j for j, _i in stay}
    removed = [i for i in range(len(old)) if i not in staying_old]
    added = [j for j in range(len(new)) if j not in staying_new]
    ops = list(reversed(_runs(OpKind.REMOVE, parent, removed)))
    ops += _runs(OpKind.INSERT, parent, added, new)
    return ops, [(i, j) for j, i in stay]


def diff(old: Sequence, new: Sequence, child_key: Callable[[Any], Any]) -> tuple[Op, ...]:
    """Operations turning the view ``old`` into ``new``: top-level removals and insertions,
    then, per process staying, its listeners' removals, insertions and changes, then the
    processes whose own row changed. Items have ``key``, ``listeners`` and ``header()``;
    ``child_key`` is a listener's key."""
    ops, stay = diff_level(old, new, lambda g: g.key, -1)
    changed: list[int] = []
    for i, j in stay:
        a, b = old[i], new[j]
        if a is b:
            continue
        if a.listeners != b.listeners:
            child_ops, child_stay = diff_level(a.listeners, b.listeners, child_key, j)
            ops += child_ops
            moved = [cj for ci, cj in child_stay if a.listeners[ci] != b.listeners[cj]]
            ops += _runs(OpKind.CHANGE, j, moved, b.listeners)
        if a.header() != b.header():
            changed.append(j)
    ops += _runs(OpKind.CHANGE, -1, changed, new)
    return tuple(ops)
