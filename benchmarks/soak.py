"""Does the desktop app's memory stay flat? A shortened soak (a benchmark, not a test).

Issue 16 asks that the idle RSS after an hour of 1 s refreshes is not growing. This runs
the app (``main.py --show``: window open, tray icon, 1 s refresh) on the loaded machine of
the occupancy benchmark and a 60-port registry (50 held ports), on a private Xvfb (``xcb``)
when Xvfb is installed, else offscreen. After ``--settle-seconds`` it samples the app's RSS
every 10 s for ``--minutes`` and fits a line: the slope in MB per hour should be about 0
(a leak of one object per refresh would show as a steady climb).

Usage: python benchmarks/soak.py [--minutes 10] [--settle-seconds 60]
The last line is one JSON object.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bytecode import compile_package  # noqa: E402
from benchmarks.gui import FREE, HELD, idle, registry_text, xvfb  # noqa: E402
from benchmarks.occupancy import free_ports, loaded_machine  # noqa: E402

SLOPE_GOAL_MB_PER_H = 1.0     # "about 0": under 1 MB per hour (a day of refreshes: < 24 MB)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--settle-seconds", type=float, default=60.0,
                    help="let imports, caches and the allocator settle before sampling")
    args = ap.parse_args()
    compile_package()
    with loaded_machine(HELD) as (held, _children), tempfile.TemporaryDirectory(prefix="pm-soak-") as home, \
            xvfb() as display:
        free = free_ports(FREE + 3, set(held))
        registry = Path(home) / "registry.yaml"
        registry.write_text(registry_text(held, free[:FREE], free[FREE:FREE + 2], free[FREE + 2]), encoding="utf-8")
        config = Path(home) / "config"
        config.mkdir(parents=True, exist_ok=True)
        (config / "settings.json").write_text(json.dumps({"refresh_s": 1.0}), encoding="utf-8")
        env = dict(os.environ, PORTMANAGER_HOME=home)
        env.pop("DISPLAY", None)
        env.update({"QT_QPA_PLATFORM": "xcb", "DISPLAY": display} if display else {"QT_QPA_PLATFORM": "offscreen"})
        platform = env["QT_QPA_PLATFORM"]
        print(f"soak: {args.minutes:g} min of 1 s refreshes, window open, on {platform}"
              f"{' (Xvfb ' + display + ')' if display else ''}; settle {args.settle_seconds:g} s; "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
        out = idle([sys.executable, str(ROOT / "main.py"), "--show", "--registry", str(registry)], env,
                   args.settle_seconds, args.minutes * 60)
    first, last = out["soak_rss_first_last_mb"]
    slope = out["rss_slope_mb_per_h"]
    met = abs(slope) <= SLOPE_GOAL_MB_PER_H
    print(f"RSS {first:.1f} -> {last:.1f} MB (peak {out['peak_rss_mb']:.1f}); slope {slope:+.2f} MB/h "
          f"(goal |slope| <= {SLOPE_GOAL_MB_PER_H} MB/h: {'met' if met else 'MISSED'}); "
          f"CPU while settling {out['cpu_percent']:.2f} % of a core")
    print(json.dumps({"display": platform, "minutes": args.minutes, "rss_first_mb": round(first, 1),
                      "rss_last_mb": round(last, 1), "peak_rss_mb": round(out["peak_rss_mb"], 1),
                      "rss_slope_mb_per_h": round(slope, 2), "slope_goal_met": met,
                      "settle_cpu_percent": round(out["cpu_percent"], 2)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
