"""Listeners grouped by process, and the row operations between two scans."""
from __future__ import annotations

import random

from portmanager_gui.core.occupancy.listener_groups import (
    Column,
    ListenerFeed,
    ViewSpec,
    child_key,
    group_listeners,
    view,
)
from portmanager_gui.core.occupancy.listeners import listeners
from portmanager_gui.core.occupancy.snapshot import (
    Holder,
    PortInfo,
    PortStatus,
    Protocol,
    Snapshot,
)
from portmanager_gui.core.occupancy.tree_diff import OpKind
from portmanager_gui.core.occupancy.tree_diff import diff as tree_diff
from portmanager_gui.core.registry.model import Registry, Service


def _holder(pid: int, name: str = "node", create: float = 100.0, proto: Protocol = Protocol.TCP) -> Holder:
    return Holder(pid, name, f"/usr/bin/{name}", (name, "server.js"), "alice", create, ("127.0.0.1",), proto)


def _snap(held: dict[int, tuple[Holder, ...]]) -> Snapshot:
    return Snapshot(0.0, {p: PortInfo(p, PortStatus.LISTENING, hs) if hs else PortInfo(p, PortStatus.HIDDEN)
                          for p, hs in held.items()})


def _groups(held):
    return group_listeners(listeners(_snap(held), "linux", me_user="alice"))


def diff(old, new):
    return tree_diff(old, new, child_key)


def replay(old, update_ops):
    """Apply the operations the way the view model does, on plain lists."""
    top = [[g, list(g.listeners)] for g in old]
    for op in update_ops:
        rows = top if op.parent < 0 else top[op.parent][1]
        if op.kind is OpKind.REMOVE:
            del rows[op.first:op.first + op.count]
        elif op.kind is OpKind.INSERT:
            rows[op.first:op.first] = [[g, list(g.listeners)] for g in op.items] if op.parent < 0 else op.items
        else:
            for i, item in enumerate(op.items):
                if op.parent < 0:
                    rows[op.first + i][0] = item
                else:
                    rows[op.first + i] = item
    return [(g.key, tuple(children)) for g, children in top]


def test_one_group_per_process_with_its_ports():
    node, ollama = _holder(10), _holder(11, "ollama")
    groups = _groups({3000: (node,), 3001: (node,), 11434: (ollama,), 5353: (), 4000: (node,)})
    by_pid = {g.pid: g for g in groups}
    assert [r.port for r in by_pid[10].listeners] == [3000, 3001, 4000]
    assert by_pid[10].ports_text == "3000, 3001, 4000" and by_pid[11].label == "Ollama"
    assert by_pid[None].holder is None and [r.port for r in by_pid[None].listeners] == [5353]
    assert "server.js" in by_pid[10].search and "3001" not in by_pid[10].search


def test_many_ports_are_summarised_on_the_process_row():
    node = _holder(10)
    group = _groups({p: (node,) for p in range(3000, 3010)})[0]
    assert group.ports_text == "3000, 3001, 3002, 3003, 3004, 3005 +4 more"


def test_a_refresh_that_changes_little_is_a_few_operations():
    procs = [_holder(100 + i, create=float(i)) for i in range(10)]
    before = {20000 + i: (procs[i % 10],) for i in range(5000)}
    after = dict(before)
    del after[20007]                                      # one closed
    after[29999] = (procs[3],)                            # one opened
    after[20010] = (_holder(100, create=0.0, proto=Protocol.UDP),)   # one changed (same process)
    old, new = _groups(before), _groups(after)
    ops = diff(old, new)
    assert sum(op.count for op in ops) <= 7       # 4 listener rows, 3 process rows: not 5,000
    assert replay(old, ops) == [(g.key, g.listeners) for g in new]


def test_random_changes_replay_to_the_new_groups():
    rnd = random.Random(14)
    for _ in range(200):
        procs = [_holder(100 + i, create=float(rnd.randint(0, 2))) for i in range(6)]

        def state():
            return {rnd.randint(1000, 1040): tuple(rnd.sample(procs, rnd.randint(0, 2)))
                    for _ in range(rnd.randint(0, 25))}
        old, new = _groups(state()), _groups(state())
        assert replay(old, diff(old, new)) == [(g.key, g.listeners) for g in new]


def test_views_sorted_and_filtered_replay_too():
    rnd = random.Random(41)
    specs = [ViewSpec(c, d, s, sys) for c in Column for d in (False, True) for s in ("", "10", "node")
             for sys in (False, True)]
    for _ in range(300):
        procs = [_holder(100 + i, rnd.choice(["node", "ollama", "sshd"]), create=float(rnd.randint(0, 3)))
                 for i in range(6)]
        state = {rnd.randint(1000, 1040): tuple(rnd.sample(procs, rnd.randint(0, 2))) for _ in range(rnd.randint(0, 25))}
        groups = _groups(state)
        old, new = view(groups, rnd.choice(specs)), view(groups, rnd.choice(specs))
        assert replay(old, diff(old, new)) == [(g.key, g.listeners) for g in new]


def test_view_sorts_both_levels_and_searches_listeners():
    node, redis = _holder(10, create=5.0), _holder(11, "redis-server", create=9.0)
    groups = _groups({3000: (node,), 3001: (node,), 6379: (redis,), 9000: (redis,)})
    assert [g.pid for g in view(groups, ViewSpec(Column.UPTIME))] == [11, 10]          # newest first
    by_port = view(groups, ViewSpec(Column.PORT, descending=True))
    assert [g.pid for g in by_port] == [11, 10] and [r.port for r in by_port[0].listeners] == [9000, 6379]
    found = view(groups, ViewSpec(search="3001"))
    assert [(g.pid, [r.port for r in g.listeners]) for g in found] == [(10, [3001])]
    assert [len(g.listeners) for g in view(groups, ViewSpec(search="redis"))] == [2]  # the process matched


def test_feed_gives_no_operations_when_nothing_changed_and_follows_the_registry():
    node = _holder(10)
    snap = _snap({3000: (node,), 3001: (node,)})
    reg = [Registry({}, {}, None)]

    class Last:
        available = False
    feed = ListenerFeed(lambda: snap, lambda s: s, lambda: Last, lambda: reg[0], "linux", "alice")
    first = feed()
    assert first.base == 0 and first.version == 1 and feed.scans == 1
    again = feed()
    assert again.ops == () and again.version == again.base == 1 and again.groups is first.groups
    reg[0] = Registry({"web": Service("web", (3001,))}, {}, None)
    named = feed()
    assert named.base == 1 and named.version == 2
    assert [r.service for r in named.listeners] == ["", "web"]
    assert [op.kind for op in named.ops] == [OpKind.CHANGE, OpKind.CHANGE]   # the listener, then its process
