"""Smoke-test a built bundle: it starts, takes one snapshot, paints its window and exits 0;
its command line starts the demo router and stops it again, leaving the port free and no
process of the router's tree behind.

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
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TIMEOUT_S = 180


def default_executable() -> Path:
    if sys.platform.startswith("win"):
        return REPO / "dist" / "PortManager" / "Port Manager.exe"
    if sys.platform == "darwin":
        return REPO / "dist" / "PortManager.app" / "Contents" / "MacOS" / "PortManager"
    return REPO / "dist" / "PortManager" / "PortManager"


def cli_argv(exe: Path) -> list[str]:
    """The ``portmanager`` command of a bundle: the console ``portmanager.exe`` beside the
    windowed exe on Windows, elsewhere the app's own executable with ``-m portmanager_gui``."""
    console = exe.with_name("portmanager.exe")
    if exe.suffix.lower() == ".exe" and console.is_file():
        return [str(console)]
    return [str(exe), "-m", "portmanager_gui"]


def parse_started(text: str) -> tuple[int, int] | None:
    """(port, pid) from ``portmanager start``'s ``NAME: running on port N, pid P`` line."""
    match = re.search(r"running on port (\d+), pid (\d+)", text)
    return (int(match.group(1)), int(match.group(2))) if match else None


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        if sys.platform.startswith("win"):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_EXCLUSIVEADDRUSE, 1)  # type: ignore[attr-defined]
        else:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def start_and_stop_router(cli: list[str], home: Path) -> None:
    """``portmanager start router`` / ``stop router`` through the bundle: port free, tree gone."""
    import psutil

    started, _ = run([*cli, "start", "router"], home)
    expect(started, "portmanager start router")
    found = parse_started(started.stdout)
    if found is None:
        sys.exit(f"FAIL: 'portmanager start router' did not say where it runs:\n{started.stdout}")
    port, pid = found
    try:
        tree = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    except psutil.Error:
        sys.exit(f"FAIL: the router (pid {pid}) was not running after its start was reported")
    stopped, _ = run([*cli, "stop", "router"], home)
    expect(stopped, "portmanager stop router")
    _, alive = psutil.wait_procs(tree, timeout=10)
    if alive:
        sys.exit(f"FAIL: left running after the stop: {', '.join(str(p.pid) for p in alive)}")
    if not port_is_free(port):
        sys.exit(f"FAIL: port {port} is still taken after the router stopped")
    print(f"ok: the demo router started on port {port} and stopped; the port is free, no child left")


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
        cli, _ = run([*cli_argv(exe), "env"], home)
        expect(cli, f"{' '.join(Path(a).name for a in cli_argv(exe))} env")
        if "_PORT=" not in cli.stdout:
            sys.exit(f"FAIL: 'portmanager env' printed no NAME_PORT lines:\n{cli.stdout}")
        demo, _ = run([str(exe), "-m", "portmanager_gui.demo", "--help"], home)
        expect(demo, f"{exe.name} -m portmanager_gui.demo --help")
        start_and_stop_router(cli_argv(exe), home)
    root = exe.parents[2] if exe.parent.name == "MacOS" else exe.parent
    figures = {"smoke_s": round(smoke_s, 2), "bundle_mb": round(folder_size(root) / 2**20, 1)}
    print(f"bundle {root}: {figures['bundle_mb']} MB; --smoke took {figures['smoke_s']} s")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
