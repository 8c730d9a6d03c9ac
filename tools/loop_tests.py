"""Run one test folder (or file) N times in a row and stop at the first failure or hang.

    .venv/bin/python tools/loop_tests.py tests/services 30
    .venv/bin/python tools/loop_tests.py tests/core/supervisor/test_supervisor.py 20 --limit 300

Each run is a fresh ``python -m pytest -q`` process. A run that takes longer than ``--limit``
seconds counts as a hang: it gets SIGABRT, on which pytest's faulthandler prints every thread's
stack (so the hang can be read), then its process group is ended, and the loop stops with exit code 2. A failed run stops
it with exit code 1; the output of the failing run is printed. The last line is one JSON object
with the counts.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_once(target: str, limit: float, extra: list[str]) -> tuple[str, str, float]:
    """One pytest run: ("passed" | "failed" | "hung", its output, seconds)."""
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"),
               PYTHONUNBUFFERED="1")     # a killed run's output is not lost in a buffer
    # faulthandler dumps every thread's stack a little before the limit: the record of a hang
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
           "-o", f"faulthandler_timeout={max(1, int(limit) - 5)}", target, *extra]
    began = time.monotonic()
    popen_kw = {"start_new_session": True} if os.name == "posix" else \
        {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, **popen_kw)
    try:
        out, _ = proc.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        if os.name == "posix":
            # pytest's faulthandler prints every thread's stack on SIGABRT: where it hung
            os.kill(proc.pid, signal.SIGABRT)
            try:
                out, _ = proc.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                out, _ = proc.communicate()
        else:
            proc.kill()
            out, _ = proc.communicate()
        return "hung", out, time.monotonic() - began
    return ("passed" if proc.returncode == 0 else "failed"), out, time.monotonic() - began


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("target", help="a test folder or file, e.g. tests/services")
    ap.add_argument("count", type=int, nargs="?", default=30, help="how many runs in a row (default 30)")
    ap.add_argument("--limit", type=float, default=600.0,
                    help="seconds one run may take before it counts as a hang (default 600)")
    ap.add_argument("--keep-going", action="store_true", help="do not stop at the first failure or hang")
    ap.add_argument("pytest_args", nargs="*", help="passed on to pytest (after --)")
    args = ap.parse_args(argv)
    counts = {"passed": 0, "failed": 0, "hung": 0}
    seconds: list[float] = []
    for n in range(1, args.count + 1):
        outcome, out, took = run_once(args.target, args.limit, args.pytest_args)
        counts[outcome] += 1
        seconds.append(took)
        last = out.strip().splitlines()[-1] if out.strip() else ""
        print(f"run {n}/{args.count}: {outcome} in {took:.1f} s  {last}", flush=True)
        if outcome != "passed":
            print(out, flush=True)
            if not args.keep_going:
                break
    print(json.dumps({"target": args.target, "runs": sum(counts.values()), **counts,
                      "slowest_s": round(max(seconds), 1), "total_s": round(sum(seconds), 1)}))
    return 2 if counts["hung"] else (1 if counts["failed"] else 0)


if __name__ == "__main__":
    sys.exit(main())
