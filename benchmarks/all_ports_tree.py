"""The All ports tab's GUI-thread work on 5,000 expanded listener rows (a benchmark, not a test).

The real tab and model (``ui.all_ports_tab``) on Qt's offscreen platform, fed by the real
``ListenerFeed`` with hand-made holders (10 processes x 500 listeners), every process expanded.
Reports the GUI thread's CPU time (``time.thread_time``: what the GUI thread itself spent, not
waiting for a core on a loaded machine), the least of ``--runs``, of:

- layout: the view laying out every expanded row again (what follows each row insert/remove);
- paint:  one paint of the visible rows;
- churn_in / churn_out: applying an update where a process with 500 listeners appears / ends,
  and the event loop turns that follow it (layout and paint);
- expand_all: "expand all" on the filled tab, and its paint.

The budget (issue 14): an update never stalls the event loop > 50 ms (aim <= 35 ms).
Usage: python benchmarks/all_ports_tree.py [--runs 8]. The last line is one JSON object.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication  # noqa: E402

from portmanager_gui.core.occupancy.listener_groups import ListenerFeed  # noqa: E402
from portmanager_gui.core.occupancy.snapshot import (  # noqa: E402
    Holder,
    PortInfo,
    PortStatus,
    Snapshot,
)
from portmanager_gui.ui.all_ports_tab import AllPortsTab  # noqa: E402

PROCESSES, PER_PROCESS = 10, 500


def held(pid: int, first_port: int, n: int) -> dict[int, PortInfo]:
    h = Holder(pid, "python3", "/usr/bin/python3", ("python3", "-m", "server"), "alice", 1000.0 + pid,
               ("127.0.0.1",))
    return {p: PortInfo(p, PortStatus.LISTENING, (h,)) for p in range(first_port, first_port + n)}


def cpu_ms(work) -> float:
    t = time.thread_time()
    work()
    return 1000 * (time.thread_time() - t)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=8)
    args = ap.parse_args()
    app = QApplication.instance() or QApplication([])
    base: dict[int, PortInfo] = {}
    for k in range(PROCESSES):
        base.update(held(100 + k, 10000 + k * PER_PROCESS, PER_PROCESS))
    churn = held(999, 30000, PER_PROCESS)
    state = {"snap": Snapshot(0.0, dict(base))}
    feed = ListenerFeed(lambda: state["snap"], lambda s: s, lambda: None, lambda: None, "linux", "alice")
    tab = AllPortsTab()
    tab.resize(1100, 700)
    tab.show()

    def settle() -> None:
        app.processEvents()
        app.processEvents()

    settle()
    first = feed()
    fill = cpu_ms(lambda: (tab.apply(first), settle()))
    expand = cpu_ms(lambda: (tab.table.expandAll(), settle()))
    runs: dict[str, list[float]] = {"layout": [], "paint": [], "churn_in": [], "churn_out": []}
    for _ in range(args.runs):
        runs["layout"].append(cpu_ms(tab.table.doItemsLayout))
        runs["paint"].append(cpu_ms(tab.table.viewport().repaint))
        for ports, name in (({**base, **churn}, "churn_in"), (dict(base), "churn_out")):
            state["snap"] = Snapshot(0.0, ports)
            update = feed()                     # the worker's part, not timed here
            runs[name].append(cpu_ms(lambda u=update: (tab.apply(u), settle())))
    out = {"rows": tab.model.listener_count(), "fill_ms": round(fill, 1), "expand_all_ms": round(expand, 1),
           **{f"{k}_ms": round(min(v), 1) for k, v in runs.items()}}
    print(f"All ports tab, {out['rows']} listener rows expanded, GUI-thread CPU (least of {args.runs}): "
          f"fill {out['fill_ms']} ms, expand all {out['expand_all_ms']} ms, layout {out['layout_ms']} ms, "
          f"paint {out['paint_ms']} ms, 500 appearing {out['churn_in_ms']} ms, 500 going {out['churn_out_ms']} ms "
          f"(budget: 50 ms, aim 35)")
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
