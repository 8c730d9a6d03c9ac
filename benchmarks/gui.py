"""Desktop app responsiveness on the loaded machine of the occupancy benchmark.

Load (from ``benchmarks/occupancy.py``): 10 children x 500 listening loopback sockets and
2,000 established pairs. The registry: 50 of those held ports, 10 free ones, the demo
router (to start and stop) and a "victim" service whose holder gets killed.

- start_s: ``python main.py --smoke`` from launch to the first painted snapshot (median of 3);
- rss_mb / idle_cpu_percent: the app running with its window open and a 1 s refresh,
  measured over ``--idle-seconds`` after it settled;
- max_stall_ms: the longest event-loop stall, seen by a 5 ms QTimer heartbeat, while the
  app (in this process) fills and refreshes the All ports tab (5,000+ rows, shown),
  refreshes, starts and stops the router, and kills a holder (all_ports_stall_ms: the first).

Targets: start <= 0.8 s, RSS <= 90 MB, idle CPU <= 1 % of one core, stall <= 50 ms.
Usage: python benchmarks/gui.py [--idle-seconds 10]. The last line is one JSON object.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import psutil  # noqa: E402

from benchmarks.occupancy import (  # noqa: E402
    _HOLDER,
    HOLDERS,
    PAIRS,
    PER_HOLDER,
    free_ports,
    loaded_machine,
    spawn,
)

HELD, FREE = 50, 10
DEMO = '["{python}", "-m", "portmanager_gui.demo", "router", "--host", "{host}", "--port", "{port}"]'


def registry_text(held: list[int], free: list[int], router: list[int], victim: int) -> str:
    lines = ["version: 1", "services:",
             "  router:", "    description: Model Router", f"    ports: [{', '.join(map(str, router))}]",
             f"    command: {DEMO}", "    health: /api/health",
             "  victim:", f"    ports: [{victim}]"]
    for i, port in enumerate(held + free):
        lines += [f"  svc{i}:", f"    ports: [{port}]"]
    return "\n".join(lines) + "\n"


def cold_start(env: dict[str, str], registry: Path, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "--smoke", "--registry", str(registry)],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = proc.stdout.readline()
        times.append(time.perf_counter() - t)
        proc.wait(timeout=30)
        proc.stdout.close()
        if not line.startswith("painted"):
            raise RuntimeError(f"--smoke did not paint (exit {proc.returncode})")
    return statistics.median(times)


def idle(env: dict[str, str], registry: Path, seconds: float) -> tuple[float, float]:
    """(RSS MB, CPU % of one core) of the app idling with its window open, 1 s refresh."""
    proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "--show", "--no-tray", "--registry",
                             str(registry)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        p = psutil.Process(proc.pid)
        psutil.wait_procs([p], timeout=4.0)     # let imports, first scans and the first paint finish
        if proc.poll() is not None:
            raise RuntimeError(f"the app exited early (code {proc.returncode})")
        c0, t0 = sum(p.cpu_times()[:2]), time.monotonic()
        psutil.wait_procs([p], timeout=seconds)
        c1, t1 = sum(p.cpu_times()[:2]), time.monotonic()
        return p.memory_info().rss / 2**20, 100.0 * (c1 - c0) / (t1 - t0)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def stalls(registry: Path, victim_pid: int, victim_port: int) -> dict[str, float]:
    """Longest heartbeat gap (ms beyond the 5 ms tick) during each action, in this process."""
    from PySide6.QtCore import QElapsedTimer, QEventLoop, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from portmanager_gui import app as gui_app
    from portmanager_gui.core import paths as core_paths
    from portmanager_gui.ui.dialogs import AllTakenChoice
    from portmanager_gui.ui.presenter import Asks, Desktop

    qapp = QApplication.instance() or QApplication([])
    asks = Asks(confirm=lambda *_: True, kill=lambda *_: True, all_taken=lambda *_: AllTakenChoice.CANCEL,
                settings=lambda *_: None)
    parts = gui_app.build(qapp, gui_app.parse_args(["--registry", str(registry), "--no-tray"]),
                          core_paths.resolve().ensure(), asks=asks, desktop=Desktop(lambda u: None, lambda u: None))
    parts.scanner.set_interval(1000)
    parts.window.show()
    clock = QElapsedTimer()
    gaps = {"current": 0.0}
    beat = QTimer()
    beat.setTimerType(Qt.TimerType.PreciseTimer)
    beat.setInterval(5)
    last = [0]

    def tick() -> None:
        now = clock.nsecsElapsed()
        if last[0]:
            gaps["current"] = max(gaps["current"], (now - last[0]) / 1e6 - 5.0)
        last[0] = now

    beat.timeout.connect(tick)

    def run_until(cond, timeout: float) -> None:
        """Run the event loop (as app.exec would) until ``cond()`` holds."""
        loop = QEventLoop()
        check = QTimer()
        check.setInterval(10)
        check.timeout.connect(lambda: loop.quit() if cond() else None)
        QTimer.singleShot(int(timeout * 1000), loop.quit)
        check.start()
        loop.exec()
        check.stop()
        if not cond():
            raise RuntimeError("timed out waiting for the app")

    def measure(name: str, action, done, timeout: float = 60.0) -> None:
        gaps["current"] = 0.0
        last[0] = 0
        action()
        run_until(done, timeout)
        out[name] = round(gaps["current"], 1)

    out: dict[str, float] = {}
    clock.start()
    beat.start()
    # The All ports tab, shown, filling with and refreshing every listener of the machine.
    parts.window.tabs.setCurrentWidget(parts.all_ports)
    parts.all_scanner.set_interval(1000)
    all_scans = [0]
    parts.all_scanner.snapshot_changed.connect(lambda _r: all_scans.__setitem__(0, all_scans[0] + 1))
    measure("all_ports", lambda: gui_app.start(parts),
            lambda: parts.all_ports.model.rowCount() >= HOLDERS * PER_HOLDER and all_scans[0] >= 4)
    out["all_ports_rows"] = parts.all_ports.model.rowCount()
    parts.all_ports.hide_system.setChecked(False)
    parts.window.tabs.setCurrentIndex(0)
    run_until(lambda: parts.presenter.snapshot is not None, 30)
    scans = [0]
    parts.scanner.snapshot_changed.connect(lambda _s: scans.__setitem__(0, scans[0] + 1))
    measure("refresh", lambda: None, lambda: scans[0] >= 5)
    started, stopped, killed = [], [], []
    parts.controller.started.connect(lambda n, o: started.append(o))
    parts.controller.stopped.connect(lambda n, o: stopped.append(o))
    parts.controller.killed.connect(lambda p, r: killed.append(r))
    measure("start", lambda: parts.presenter.start("router"), lambda: bool(started))
    measure("stop", lambda: parts.controller.stop("router"), lambda: bool(stopped))
    measure("kill", lambda: parts.controller.plan_kill(victim_port), lambda: bool(killed))
    if not (started[0] and started[0][0].ok and killed[0].port_free):
        print(f"WARNING: start ok={started[0][0].ok if started[0] else None}, kill freed={killed[0].port_free}")
    beat.stop()
    parts.controller.supervisor().stop_all()
    gui_app.shutdown(parts)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--idle-seconds", type=float, default=10.0)
    args = ap.parse_args()
    home = tempfile.TemporaryDirectory(prefix="pm-gui-bench-")
    with loaded_machine(HELD) as (held, children), home:
        free = free_ports(FREE + 3, set(held))
        victim, victim_port = spawn(_HOLDER.format(n=1))
        children.append(victim)
        registry = Path(home.name) / "registry.yaml"
        registry.write_text(registry_text(held, free[:FREE], free[FREE:FREE + 2], int(victim_port)), encoding="utf-8")
        env = dict(os.environ, PORTMANAGER_HOME=home.name, QT_QPA_PLATFORM="offscreen")
        config = Path(home.name) / "config"
        config.mkdir(parents=True, exist_ok=True)
        (config / "settings.json").write_text(json.dumps({"refresh_s": 1.0}), encoding="utf-8")
        print(f"load: {HOLDERS} x {PER_HOLDER} listeners + {PAIRS} established pairs; "
              f"registry: {HELD} held + {FREE} free + router + victim")

        start_s = cold_start(env, registry)
        print(f"cold start to first painted snapshot (median of 3): {start_s:.3f} s")
        rss, cpu = idle(env, registry, args.idle_seconds)
        print(f"idle with window open, 1 s refresh, {args.idle_seconds:.0f} s: RSS {rss:.1f} MB, CPU {cpu:.2f} %")
        os.environ["PORTMANAGER_HOME"] = home.name
        per_action = stalls(registry, victim.pid, int(victim_port))
        all_rows = per_action.pop("all_ports_rows")
        print(f"All ports tab: {all_rows:.0f} rows")
        worst = max(per_action.values())
        print("longest event-loop stall: " + ", ".join(f"{k} {v:.1f} ms" for k, v in per_action.items()))
        print(f"targets: start <= 0.8 s ({'met' if start_s <= 0.8 else 'MISSED'}), "
              f"RSS <= 90 MB ({'met' if rss <= 90 else 'MISSED'}), idle CPU <= 1 % ({'met' if cpu <= 1 else 'MISSED'}), "
              f"stall <= 50 ms ({'met' if worst <= 50 else 'MISSED'})")
        print(json.dumps({"start_s": round(start_s, 3), "rss_mb": round(rss, 1),
                          "idle_cpu_percent": round(cpu, 2), "max_stall_ms": round(worst, 1),
                          "all_ports_stall_ms": per_action["all_ports"], "all_ports_rows": int(all_rows)}))
        return 0


if __name__ == "__main__":
    sys.exit(main())
