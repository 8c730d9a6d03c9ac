"""Smoke-test a built bundle: it starts, takes one snapshot, paints its window and exits 0.

    python packaging/smoke_test.py [EXECUTABLE]

EXECUTABLE defaults to this OS's bundle in dist/. Runs headless (QT_QPA_PLATFORM=offscreen,
no tray host needed) with a throw-away PORTMANAGER_HOME, so nothing of the user's is read
or written. Also checks that the bundle carries its resources and can run its own modules
(``-m portmanager_gui ...``: the ``{python}`` the default registry's demo servers use).
Prints figures; the last line is one JSON object.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TIMEOUT_S = 180


def default_executable() -> Path:
    if sys.platform.startswith("win"):
        return REPO / "dist" / "PortManager" / "PortManager.exe"
    if sys.platform == "darwin":
        return REPO / "dist" / "PortManager.app" / "Contents" / "MacOS" / "PortManager"
    return REPO / "dist" / "PortManager" / "PortManager"


def bundle_resources(exe: Path) -> Path:
    if exe.parent.name == "MacOS":                  # PortManager.app/Contents/MacOS/PortManager
        return exe.parent.parent / "Resources" / "resources"
    return exe.parent / "_internal" / "resources"


def run(argv: list[str], home: Path) -> tuple[subprocess.CompletedProcess, float]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PORTMANAGER_HOME=str(home))
    env.pop("PORTMANAGER_REGISTRY", None)
    start = time.perf_counter()
    try:
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=TIMEOUT_S,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        sys.exit(f"FAIL: {' '.join(argv)} did not finish within {TIMEOUT_S} s")
    return done, time.perf_counter() - start


def expect(done: subprocess.CompletedProcess, what: str) -> None:
    if done.returncode != 0:
        sys.exit(f"FAIL: {what} exited {done.returncode}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}")
    print(f"ok: {what}")


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def main(argv: list[str]) -> int:
    exe = Path(argv[1]) if len(argv) > 1 else default_executable()
    if not exe.is_file():
        sys.exit(f"FAIL: no bundle at {exe}; build it first (make package)")
    icon = bundle_resources(exe) / "icons" / "portmanager-256.png"
    if not icon.is_file():
        sys.exit(f"FAIL: the bundle has no {icon}")
    print(f"ok: resources in the bundle ({icon.parent.parent})")
    with tempfile.TemporaryDirectory(prefix="pm-smoke-") as tmp:
        home = Path(tmp)
        smoke, smoke_s = run([str(exe), "--smoke"], home)
        expect(smoke, f"{exe.name} --smoke ({smoke_s:.1f} s)")
        cli, _ = run([str(exe), "-m", "portmanager_gui", "env"], home)
        expect(cli, f"{exe.name} -m portmanager_gui env")
        if "_PORT=" not in cli.stdout:
            sys.exit(f"FAIL: 'portmanager env' printed no NAME_PORT lines:\n{cli.stdout}")
        demo, _ = run([str(exe), "-m", "portmanager_gui.demo", "--help"], home)
        expect(demo, f"{exe.name} -m portmanager_gui.demo --help")
    root = exe.parents[2] if exe.parent.name == "MacOS" else exe.parent
    figures = {"smoke_s": round(smoke_s, 2), "bundle_mb": round(folder_size(root) / 2**20, 1)}
    print(f"bundle {root}: {figures['bundle_mb']} MB; --smoke took {figures['smoke_s']} s")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
