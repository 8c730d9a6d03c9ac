"""Desktop app responsiveness on the loaded machine of the occupancy benchmark.

Load (from ``benchmarks/occupancy.py``): 10 children x 500 listening loopback sockets and
2,000 established pairs. The registry: 50 of those held ports, 10 free ones, the demo
router (to start and stop) and a "victim" service whose holder gets killed.

Every figure is compared with a floor measured in the same run on the same display: a bare
PySide6 tray icon + window + 60-row table (``benchmarks/floor_app.py``). The display is a
real X server when Xvfb is installed (its own, on a free display number: ``xcb``) and Qt's
``offscreen`` platform always; the runs of the app and the floor take turns.

- start_s: ``python main.py --smoke`` from launch to the first painted snapshot (median of
  ``--runs``), per platform, beside the floor's launch-to-paint;
- start_1000_s: the same with a 1,000-port registry (goal: <= 1.5x the 60-port start);
- rss_mb / peak_rss_mb / idle_cpu_percent: the app running with its window open and a 1 s
  refresh, measured over ``--idle-seconds`` after it settled, beside the floor idling;
- rss_slope_mb_per_h: with ``--soak-minutes M``, the slope of the app's RSS sampled every
  10 s over M minutes (a shortened "one hour of 1 s refreshes": ~0 means not growing);
- max_stall_ms: the longest event-loop stall, seen by a 5 ms QTimer heartbeat, while the
  app (in this process) fills and refreshes the All ports tab (5,000+ rows, shown),
  refreshes, starts and stops the router, and kills a holder (all_ports_stall_ms: the worst
  of the All ports actions -- filling it, refreshing it with every process expanded, and
  500 listeners appearing and going while it is shown).

Goals (issue 16): start <= 2x the floor (aim 1.5x) on each platform; peak RSS <= floor +
25 MB; 1,000-port start <= 1.5x the 60-port one; idle CPU <= 1 %; stall <= 50 ms.
Usage: python benchmarks/gui.py [--idle-seconds 10] [--runs 5] [--soak-minutes 0]
[--only start,memory,stalls] (``--only start``: the cold starts alone, beside the floor).
The last line is one JSON object.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import psutil  # noqa: E402

from benchmarks.bytecode import compile_package  # noqa: E402
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
BIG = 1000
PARTS = ("start", "memory", "stalls")
FLOOR = ROOT / "benchmarks" / "floor_app.py"
DEMO = '["{python}", "-m", "portmanager_gui.demo", "router", "--host", "{host}", "--port", "{port}"]'


def registry_text(held: list[int], free: list[int], router: list[int], victim: int) -> str:
    lines = ["version: 1", "services:",
             "  router:", "    description: Model Router", f"    ports: [{', '.join(map(str, router))}]",
             f"    command: {DEMO}", "    health: /api/health",
             "  victim:", f"    ports: [{victim}]"]
    for i, port in enumerate(held + free):
        lines += [f"  svc{i}:", f"    ports: [{port}]"]
    return "\n".join(lines) + "\n"


@contextlib.contextmanager
def xvfb() -> Iterator[str | None]:
    """A private Xvfb on a free display number (``-displayfd``); None without Xvfb."""
    exe = shutil.which("Xvfb")
    if exe is None:
        yield None
        return
    read, write = os.pipe()
    proc = subprocess.Popen([exe, "-displayfd", str(write), "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
                            pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as f:
        number = f.readline().strip()
    try:
        yield f":{number}" if number else None
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def launch_to_paint(argv: list[str], env: dict[str, str]) -> float:
    """Seconds from launch to the "painted" line; the process then exits by itself."""
    t = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - t
    proc.wait(timeout=60)
    proc.stdout.close()
    if not line.startswith("painted"):
        raise RuntimeError(f"{argv[1]} did not paint (exit {proc.returncode})")
    return elapsed


def smoke(registry: Path) -> list[str]:
    return [sys.executable, str(ROOT / "main.py"), "--smoke", "--registry", str(registry)]


def cold_starts(cases: dict[str, tuple[list[str], dict[str, str]]], runs: int) -> dict[str, float]:
    """Median launch-to-paint of each case; the cases take turns, so load falls on all alike."""
    times: dict[str, list[float]] = {k: [] for k in cases}
    for _ in range(runs):
        for name, (argv, env) in cases.items():
            times[name].append(launch_to_paint(argv, env))
    return {k: statistics.median(v) for k, v in times.items()}


def _peak_mb(pid: int) -> float | None:
    """VmHWM: the most resident memory the process ever had (Linux)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def idle(argv: list[str], env: dict[str, str], seconds: float, soak_s: float = 0.0) -> dict[str, float]:
    """RSS, peak RSS (MB) and CPU (% of one core) of a process idling after it settled; with
    ``soak_s``, also the slope of its RSS (MB per hour) sampled every 10 s over that time."""
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        p = psutil.Process(proc.pid)
        psutil.wait_procs([p], timeout=4.0)     # let imports, first scans and the first paint finish
        if proc.poll() is not None:
            raise RuntimeError(f"{argv[1]} exited early (code {proc.returncode})")
        c0, t0 = sum(p.cpu_times()[:2]), time.monotonic()
        psutil.wait_procs([p], timeout=seconds)
        c1, t1 = sum(p.cpu_times()[:2]), time.monotonic()
        out = {"rss_mb": p.memory_info().rss / 2**20, "cpu_percent": 100.0 * (c1 - c0) / (t1 - t0)}
        if soak_s > 0:
            samples = []
            end = time.monotonic() + soak_s
            while time.monotonic() < end:
                samples.append((time.monotonic(), p.memory_info().rss / 2**20))
                psutil.wait_procs([p], timeout=10.0)
            xs, ys = [t for t, _ in samples], [m for _, m in samples]
            out["rss_slope_mb_per_h"] = statistics.linear_regression(xs, ys).slope * 3600 if len(xs) > 1 else 0.0
            out["soak_rss_first_last_mb"] = (ys[0], ys[-1])
        out["peak_rss_mb"] = _peak_mb(proc.pid) or out["rss_mb"]
        return out
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:   # a SIGTERM that came before the event loop ran
            proc.kill()
            proc.wait(timeout=30)


def stalls(registry: Path, victim_pid: int, victim_port: int) -> dict[str, float]:
    """Longest heartbeat gap (ms beyond the 5 ms tick) during each action, in this process."""
    from PySide6.QtCore import QElapsedTimer, QEventLoop, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from portmanager_gui import app as gui_app
    from portmanager_gui.core import paths as core_paths
    from portmanager_gui.ui.application import Application
    from portmanager_gui.ui.dialogs import AllTakenChoice
    from portmanager_gui.ui.presenter import Asks, Desktop

    qapp = QApplication.instance() or Application([])
    asks = Asks(confirm=lambda *_: True, kill=lambda *_: True, all_taken=lambda *_: AllTakenChoice.CANCEL,
                settings=lambda *_: None)
    parts = gui_app.build(qapp, gui_app.parse_args(["--registry", str(registry), "--no-tray"]),
                          core_paths.resolve().ensure(), asks=asks, desktop=Desktop(lambda u: None, lambda u: None))
    parts.scanner.set_interval(1000)
    parts.window.show()
    clock = QElapsedTimer()
    gaps = {"current": 0.0, "cpu": 0.0}
    beat = QTimer()
    beat.setTimerType(Qt.TimerType.PreciseTimer)
    beat.setInterval(5)
    last = [0]
    last_cpu = [0.0]

    def tick() -> None:
        # The GUI thread's own CPU time in the gap tells its work apart from waiting for a core
        # (or for the GIL) on a loaded machine.
        now, cpu = clock.nsecsElapsed(), time.thread_time()
        if last[0]:
            gaps["current"] = max(gaps["current"], (now - last[0]) / 1e6 - 5.0)
            gaps["cpu"] = max(gaps["cpu"], (cpu - last_cpu[0]) * 1000)
        last[0], last_cpu[0] = now, cpu

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
        gaps["current"] = gaps["cpu"] = 0.0
        last[0] = 0
        action()
        run_until(done, timeout)
        out[name] = round(gaps["current"], 1)
        cpu[name] = round(gaps["cpu"], 1)

    out: dict[str, float] = {}
    cpu: dict[str, float] = {}           # the GUI thread's CPU time in its longest gap, per action
    clock.start()
    beat.start()
    # The window's first paint (fonts, styles: the start-up's cost) apart from what follows.
    measure("first_paint", lambda: gui_app.start(parts), lambda: parts.presenter.snapshot is not None)
    # The All ports tab, opened, filling with and refreshing every listener of the machine.
    parts.all_scanner.set_interval(1000)
    all_scans = [0]
    parts.all_scanner.snapshot_changed.connect(lambda _r: all_scans.__setitem__(0, all_scans[0] + 1))
    model = parts.all_ports.model
    measure("all_ports", lambda: parts.window.tabs.setCurrentWidget(parts.all_ports),
            lambda: model.listener_count() >= HOLDERS * PER_HOLDER and all_scans[0] >= 4)
    out["all_ports_rows"] = model.listener_count()

    def expand() -> None:
        all_scans[0] = 0
        parts.all_ports.hide_system.setChecked(False)
        parts.all_ports.table.expandAll()
    # Every process expanded (5,000+ listener rows in the view), refreshed three times.
    measure("all_ports_expanded", expand, lambda: all_scans[0] >= 3)
    # Churn while expanded: a process with 500 listeners appears, then ends (started and ended
    # outside the measured time: the benchmark's own blocking waits are not the app's stalls).
    churn, _line = spawn(_HOLDER.format(n=PER_HOLDER))

    def shown() -> int:         # checked every 10 ms on the GUI thread: O(processes), not O(listeners)
        group = next((g for g in model.groups if g.pid == churn.pid), None)
        return len(group.listeners) if group else 0     # its only sockets are those PER_HOLDER listeners
    measure("all_ports_churn_in", lambda: None, lambda: shown() == PER_HOLDER)
    churn.stdin.close()
    churn.wait(timeout=30)
    churn.stdout.close()
    measure("all_ports_churn_out", lambda: None, lambda: shown() == 0)
    parts.window.tabs.setCurrentIndex(0)
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
    out["all_ports_gui_cpu_ms"] = max(v for k, v in cpu.items() if k.startswith("all_ports"))
    out["max_gui_cpu_ms"] = max(cpu.values())
    out.update({f"gui_cpu_{k}": v for k, v in cpu.items()})
    return out


def big_registry_text(ports: list[int]) -> str:
    """A registry of ``len(ports)`` one-port services (the 1,000-port first paint)."""
    lines = ["version: 1", "services:"]
    for i, port in enumerate(ports):
        lines += [f"  svc{i}:", f"    ports: [{port}]"]
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--idle-seconds", type=float, default=10.0)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--soak-minutes", type=float, default=0.0, help="also measure the RSS slope over this long")
    ap.add_argument("--only", default=",".join(PARTS), help=f"comma-separated parts to measure ({', '.join(PARTS)})")
    ap.add_argument("--stalls-only", action="store_true", help="the same as --only stalls")
    args = ap.parse_args()
    parts = {"stalls"} if args.stalls_only else set(args.only.split(","))
    if not parts <= set(PARTS):
        ap.error(f"--only: unknown part(s) {', '.join(sorted(parts - set(PARTS)))}; choose from {', '.join(PARTS)}")
    compile_package()           # time what an installed app runs, not Python's compiler
    home = tempfile.TemporaryDirectory(prefix="pm-gui-bench-")
    with loaded_machine(HELD) as (held, children), home, xvfb() as display:
        free = free_ports(FREE + 3, set(held))
        victim, victim_port = spawn(_HOLDER.format(n=1))
        children.append(victim)
        registry = Path(home.name) / "registry.yaml"
        registry.write_text(registry_text(held, free[:FREE], free[FREE:FREE + 2], int(victim_port)), encoding="utf-8")
        big = Path(home.name) / "big.yaml"
        big.write_text(big_registry_text(list(range(20000, 20000 + BIG))), encoding="utf-8")
        config = Path(home.name) / "config"
        config.mkdir(parents=True, exist_ok=True)
        (config / "settings.json").write_text(json.dumps({"refresh_s": 1.0}), encoding="utf-8")
        base = dict(os.environ, PORTMANAGER_HOME=home.name)
        base.pop("DISPLAY", None)
        envs = {"offscreen": dict(base, QT_QPA_PLATFORM="offscreen")}
        if display:
            envs["xcb"] = dict(base, QT_QPA_PLATFORM="xcb", DISPLAY=display)
        main_platform = "xcb" if display else "offscreen"
        print(f"load: {HOLDERS} x {PER_HOLDER} listeners + {PAIRS} established pairs; "
              f"registry: {HELD} held + {FREE} free + router + victim; display: "
              f"{'Xvfb ' + display + ' (xcb) and offscreen' if display else 'offscreen only (no Xvfb)'}; "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")

        out: dict[str, object] = {"display": main_platform}
        goals: list[str] = []
        if "start" in parts:
            cases = {}
            for plat, env in envs.items():
                cases[f"floor_{plat}"] = ([sys.executable, str(FLOOR)], env)
                cases[f"app_{plat}"] = (smoke(registry), env)
            cases[f"app_1000_{main_platform}"] = (smoke(big), envs[main_platform])
            med = cold_starts(cases, args.runs)
            print(f"cold start to first painted snapshot, median of {args.runs}:")
            for plat in envs:
                app_s, floor_s = med[f"app_{plat}"], med[f"floor_{plat}"]
                ratio = app_s / floor_s
                print(f"  {plat:9} app {app_s:.3f} s, floor {floor_s:.3f} s: {ratio:.2f}x (goal <= 2x, aim 1.5x)")
                out.update({f"start_s_{plat}": round(app_s, 3), f"floor_start_s_{plat}": round(floor_s, 3),
                            f"start_ratio_{plat}": round(ratio, 2)})
                goals.append(f"start {plat} {'met' if ratio <= 2 else 'MISSED'}")
            big_s = med[f"app_1000_{main_platform}"]
            big_ratio = big_s / med[f"app_{main_platform}"]
            print(f"  {main_platform:9} {BIG}-port registry {big_s:.3f} s: {big_ratio:.2f}x the 60-port start (goal <= 1.5x)")
            out.update({"start_1000_s": round(big_s, 3), "start_1000_ratio": round(big_ratio, 2)})
            goals.append(f"1000-port start {'met' if big_ratio <= 1.5 else 'MISSED'}")

        if "memory" in parts:
            env = envs[main_platform]
            app_idle = idle([sys.executable, str(ROOT / "main.py"), "--show", "--registry", str(registry)], env,
                            args.idle_seconds, args.soak_minutes * 60)
            floor_idle = idle([sys.executable, str(FLOOR), "--stay"], env, args.idle_seconds)
            extra = app_idle["peak_rss_mb"] - floor_idle["peak_rss_mb"]
            print(f"idle with window open (and tray), 1 s refresh, {args.idle_seconds:.0f} s on {main_platform}: "
                  f"RSS {app_idle['rss_mb']:.1f} MB (peak {app_idle['peak_rss_mb']:.1f}), CPU {app_idle['cpu_percent']:.2f} %; "
                  f"floor RSS {floor_idle['rss_mb']:.1f} MB (peak {floor_idle['peak_rss_mb']:.1f}): "
                  f"peak +{extra:.1f} MB (goal <= +25 MB)")
            out.update({"rss_mb": round(app_idle["rss_mb"], 1), "peak_rss_mb": round(app_idle["peak_rss_mb"], 1),
                        "floor_rss_mb": round(floor_idle["rss_mb"], 1), "floor_peak_rss_mb": round(floor_idle["peak_rss_mb"], 1),
                        "peak_over_floor_mb": round(extra, 1), "idle_cpu_percent": round(app_idle["cpu_percent"], 2)})
            goals.append(f"memory {'met' if extra <= 25 else 'MISSED'}")
            goals.append(f"idle CPU {'met' if app_idle['cpu_percent'] <= 1 else 'MISSED'}")
            if "rss_slope_mb_per_h" in app_idle:
                first, last = app_idle["soak_rss_first_last_mb"]
                print(f"soak {args.soak_minutes:g} min: RSS {first:.1f} -> {last:.1f} MB, "
                      f"slope {app_idle['rss_slope_mb_per_h']:+.2f} MB/h")
                out["rss_slope_mb_per_h"] = round(app_idle["rss_slope_mb_per_h"], 2)

        if "stalls" in parts:
            os.environ["PORTMANAGER_HOME"] = home.name
            per_action = stalls(registry, victim.pid, int(victim_port))
            all_rows = per_action.pop("all_ports_rows")
            all_cpu = per_action.pop("all_ports_gui_cpu_ms")
            max_cpu = per_action.pop("max_gui_cpu_ms")
            cpu_of = {k.removeprefix("gui_cpu_"): per_action.pop(k) for k in list(per_action) if k.startswith("gui_cpu_")}
            print(f"All ports tab: {all_rows:.0f} listener rows; the GUI thread's longest run of work: "
                  f"{all_cpu:.1f} ms CPU in the All ports actions, {max_cpu:.1f} ms in all")
            worst = max(per_action.values())
            print("longest event-loop stall (offscreen, in this process), and the GUI thread's CPU time in it: "
                  + ", ".join(f"{k} {v:.1f} ms ({cpu_of[k]:.1f})" for k, v in per_action.items()))
            goals.append(f"stall {'met' if worst <= 50 else 'MISSED'}")
            all_worst = max(v for k, v in per_action.items() if k.startswith("all_ports"))
            out.update({"max_stall_ms": round(worst, 1), "all_ports_stall_ms": round(all_worst, 1),
                        "all_ports_rows": int(all_rows), "all_ports_gui_cpu_ms": all_cpu, "max_gui_cpu_ms": max_cpu,
                        **{f"stall_{k}_ms": v for k, v in per_action.items()},
                        **{f"gui_cpu_{k}_ms": v for k, v in cpu_of.items()}})
        print("goals: " + ", ".join(goals))
        print(json.dumps(out))
        return 0


if __name__ == "__main__":
    sys.exit(main())
