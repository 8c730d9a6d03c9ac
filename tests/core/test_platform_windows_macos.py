"""Windows and macOS branches checked on any machine: OS facts, fake command output and
fake ctypes objects are injected, and a child Python without the POSIX-only stdlib parts
imports the modules a Windows user's app imports."""
from __future__ import annotations

import ctypes
import socket
import subprocess
import sys
import textwrap
import types

import pytest

from portmanager_gui.core.platform import WINDOWS
from portmanager_gui.core.platform import facts as pf
from portmanager_gui.core.platform import process_tree as pt
from portmanager_gui.core.probe import Availability, probe

# What Windows' Python lacks that POSIX code likes to use (os module docs: "Availability: Unix").
_AS_ON_WINDOWS = r"""
import os, signal, sys
# Third-party and stdlib modules first: on Linux they need these parts themselves.
import psutil, platformdirs, ruamel.yaml, subprocess, shutil, tempfile, pathlib, selectors, socket
for name in ("getpgid", "getpgrp", "killpg", "setsid", "getuid", "geteuid", "getgid", "fork", "setpgid"):
    if hasattr(os, name):
        delattr(os, name)
for name in ("SIGKILL", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGCHLD", "SIGPIPE", "SIGALRM"):
    if hasattr(signal, name):
        delattr(signal, name)
for name in ("fcntl", "pwd", "grp", "resource", "termios"):
    sys.modules[name] = None   # "import fcntl" now raises ImportError, as on Windows
import importlib
for module in sys.argv[1:]:
    importlib.import_module(module)
print("imported", len(sys.argv) - 1)
"""

# The modules the desktop app and the CLI import on every OS (not occupancy_linux).
_PORTABLE_MODULES = (
    "portmanager_gui.core.platform.process_tree", "portmanager_gui.core.platform.file_lock",
    "portmanager_gui.core.platform.autostart", "portmanager_gui.core.platform.search_path",
    "portmanager_gui.core.platform.facts", "portmanager_gui.core.platform.sockets",
    "portmanager_gui.core.platform.occupancy", "portmanager_gui.core.launch",
    "portmanager_gui.core.stopping", "portmanager_gui.core.processes", "portmanager_gui.core.occupancy",
    "portmanager_gui.core.occupancy_psutil", "portmanager_gui.core.probe", "portmanager_gui.core.supervisor",
    "portmanager_gui.entry", "portmanager_gui.cli",
)


def test_the_portable_modules_import_without_posix_only_stdlib_parts():
    # process_tree once had ``getpgid=os.getpgid`` as a default value: AttributeError on import on Windows.
    done = subprocess.run([sys.executable, "-c", _AS_ON_WINDOWS, *_PORTABLE_MODULES],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"imported {len(_PORTABLE_MODULES)}"


def test_group_members_still_defaults_to_the_real_getpgid():
    import os

    me = os.getpid()
    assert me in pt.group_members(os.getpgid(me), pids=lambda: [me])
