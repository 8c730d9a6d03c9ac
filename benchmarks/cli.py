"""Start-up of the ``portmanager`` command (a benchmark, not a test).

Each figure is the median wall time of ``--runs`` runs of a command as a new process, the
commands taking turns so that the machine's load falls on all of them alike:

- python:       ``python -c pass``, the interpreter alone (what no command can beat);
- version:      ``portmanager --version``, the command's own start-up;
- url, env:     commands that need no scan, on a 1,000-service registry and on the default one;
- status_json:  ``portmanager status --json`` on the 1,000-service registry (load + scan + JSON),
                and on a one-service registry (``status_json_small``: the command's own start-up,
                its imports and one scan, with next to nothing to load, probe or print).

Goals (issue 16): status_json <= the command's own start-up + 0.15 s, read both ways: against
``--version`` (the ``portmanager`` start-up) and against ``status_json_small``; a command that
needs no scan <= 0.15 s.
Usage: python benchmarks/cli.py [--runs 9] [--services 1000]. The last line is one JSON object.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bytecode import compile_package  # noqa: E402

SCAN_EXTRA_S, NO_SCAN_S = 0.15, 0.15


def big_registry(services: int) -> str:
    """``services`` services with a preferred and a fallback port and a command each."""
    lines = ["version: 1", "services:"]
    for i in range(services):
        lines += [f"  svc{i}:", f"    description: service number {i}",
                  f"    ports: [{20000 + i}, {40000 + i}]",
                  '    command: ["{python}", app.py, --port, "{port}"]', "    health: /api/health"]
    return "\n".join(lines) + "\n"


def run_once(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run. CPU time (user + system, from the kernel's
    accounting of the child) hardly depends on how busy the machine is; wall time does."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, check=False)
    elapsed = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(argv[1:])} failed ({proc.returncode}): {proc.stderr.strip()}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--services", type=int, default=1000)
    args = ap.parse_args()
    compile_package()           # time what an installed command runs, not Python's compiler
    with tempfile.TemporaryDirectory(prefix="pm-cli-bench-") as home:
        big = Path(home) / "big.yaml"
        big.write_text(big_registry(args.services), encoding="utf-8")
        small = Path(home) / "small.yaml"
        small.write_text(big_registry(1), encoding="utf-8")
        env = dict(os.environ, PORTMANAGER_HOME=home)
        pm = [sys.executable, "-m", "portmanager_gui"]
        subprocess.run([*pm, "url", "router"], env=env, capture_output=True, check=True)  # writes the default registry
        cases = {
            "python": [sys.executable, "-c", "pass"],
            "version": [*pm, "--version"],
            "url": [*pm, "url", "router"],
            "env": [*pm, "env"],
            "url_big": [*pm, "--registry", str(big), "url", "svc7"],
            "env_big": [*pm, "--registry", str(big), "env"],
            "status_json_small": [*pm, "--registry", str(small), "status", "--json"],
            "status_json_big": [*pm, "--registry", str(big), "status", "--json"],
        }
        wall: dict[str, list[float]] = {k: [] for k in cases}
        cpu: dict[str, list[float]] = {k: [] for k in cases}
        for _ in range(args.runs):
            for name, argv in cases.items():
                w, c = run_once(argv, env)
                wall[name].append(w)
                cpu[name].append(c)
    med = {k: round(statistics.median(v), 3) for k, v in wall.items()}
    med_cpu = {k: round(statistics.median(v), 3) for k, v in cpu.items()}
    print(f"median of {args.runs} runs each, commands taking turns; registry 'big': {args.services} services; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"  {'':16} {'wall':>7}  {'CPU':>7}")
    for name, argv in cases.items():
        print(f"  {name:16} {med[name]:.3f} s {med_cpu[name]:.3f} s   "
              f"({' '.join(a for a in argv[1:] if not a.startswith('/'))})")
    out = {"runs": args.runs, "services": args.services}
    for label, fig in (("wall", med), ("cpu", med_cpu)):
        scan_extra = round(fig["status_json_big"] - fig["version"], 3)
        own_extra = round(fig["status_json_big"] - fig["status_json_small"], 3)
        no_scan = max(fig["url"], fig["env"])
        print(f"{label}: status --json on {args.services} services = --version + {scan_extra:.3f} s "
              f"(goal <= +{SCAN_EXTRA_S} s: {'met' if scan_extra <= SCAN_EXTRA_S else 'MISSED'}), "
              f"= status --json on 1 service + {own_extra:.3f} s "
              f"({'met' if own_extra <= SCAN_EXTRA_S else 'MISSED'}); "
              f"no-scan commands (url, env) {no_scan:.3f} s "
              f"(goal <= {NO_SCAN_S} s: {'met' if no_scan <= NO_SCAN_S else 'MISSED'}; "
              f"{no_scan / fig['python']:.2f}x python -c pass)")
        out.update({f"{k}_{label}_s": v for k, v in fig.items()})
        out[f"status_json_over_startup_{label}_s"] = scan_extra
        out[f"status_json_over_own_startup_{label}_s"] = own_extra
        out[f"no_scan_max_{label}_s"] = no_scan
        out[f"no_scan_over_python_{label}_ratio"] = round(no_scan / fig["python"], 2)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
