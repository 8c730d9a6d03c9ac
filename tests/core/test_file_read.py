"""Every small file Port Manager reads -- settings, model-slot allocations, links, a linked
project file, the state record -- is opened without blocking and checked to be a regular file
of sane size first: a FIFO, a folder or a huge file put in its place never hangs a command or
the app's start, and is told, not read forever."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from portmanager_gui.core import paths as core_paths
from portmanager_gui.core.file_read import NotAFile, TooLarge, read_small

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="FIFOs are POSIX")

READERS = {
    "settings": "from portmanager_gui.core import settings; print(settings.load(p.settings_file))",
    "allocations": "from portmanager_gui.core.ports.selection import read_allocations; "
                   "print(read_allocations(p.allocations_file))",
    "links": "from portmanager_gui.core.interop import links\n"
             "try:\n    links.load(p)\nexcept links.LinksError as e:\n    print(e)",
    "linked file": "from portmanager_gui.core.interop.errors import InteropError, read_text\n"
                   "try:\n    read_text(p.config_dir / 'links.json')\nexcept InteropError as e:\n    print(e)",
    "state": "from portmanager_gui.core.supervisor.records import store_for; print(store_for(p).read().damage)",
}
FILES = {"settings": "settings_file", "allocations": "allocations_file", "links": None, "linked file": None,
         "state": "services_state_file"}


@pytest.mark.parametrize("reader", sorted(READERS))
def test_a_fifo_in_place_of_a_small_file_never_hangs(reader):
    paths = core_paths.resolve().ensure()
    attr = FILES[reader]
    target = getattr(paths, attr) if attr else paths.config_dir / "links.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(target)                                     # nobody ever writes to it: a plain open blocks
    code = "from portmanager_gui.core import paths; p = paths.resolve()\n" + READERS[reader]
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    if reader in ("links", "linked file"):
        assert "not a regular file" in done.stdout


def test_read_small_refuses_what_is_not_a_small_regular_file(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(NotAFile):
        read_small(fifo, 100)
    with pytest.raises(NotAFile):
        read_small(tmp_path, 100)
    big = tmp_path / "big"
    big.write_bytes(b"x" * 101)
    with pytest.raises(TooLarge) as err:
        read_small(big, 100)
    assert err.value.size == 101
    assert read_small(big, 101) == b"x" * 101
    with pytest.raises(FileNotFoundError):
        read_small(tmp_path / "missing", 100)
