"""``main.py --smoke`` as a launch script or a packaging check runs it: one painted snapshot and
exit 0 -- or, when the registry does not load, the file:line error and exit 2 (bad input), and
in either case a quiet shutdown (no Qt or PySide warnings, no "job refused" noise)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOISE = ("Failed to disconnect", "QFileSystemWatcher", "job refused", "Traceback")


def _smoke(tmp_path: Path, registry_text: str) -> subprocess.CompletedProcess:
    registry = tmp_path / "registry.yaml"
    registry.write_text(registry_text, encoding="utf-8")
    env = dict(os.environ, PORTMANAGER_HOME=str(tmp_path / "home"), QT_QPA_PLATFORM="offscreen")
    return subprocess.run([sys.executable, str(ROOT / "main.py"), "--smoke", "--registry", str(registry)],
                          capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)


def test_a_registry_that_does_not_load_fails_the_smoke_run_with_its_line(tmp_path):
    done = _smoke(tmp_path, "version: 1\nservices:\n  router:\n    ports: [08100]\n")
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "registry.yaml:4: services.router.ports[0]" in done.stderr
    assert "painted" not in done.stdout
    assert not [line for line in done.stderr.splitlines() if any(n in line for n in NOISE)], done.stderr


def test_a_good_registry_paints_and_shuts_down_quietly(tmp_path):
    done = _smoke(tmp_path, "version: 1\nservices:\n  router:\n    ports: [3791, 3003]\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("painted ")
    assert not [line for line in done.stderr.splitlines() if any(n in line for n in NOISE)], done.stderr
