"""Every way the state record (services.json) can be damaged is one typed ``StateDamage``, read
without hanging or writing; what it lost is found again by the marks of its own processes
(never another record's), and the next update writes them back and keeps the damaged file."""
from __future__ import annotations

import os
import subprocess
import sys

import psutil
import pytest

from portmanager_gui.core.supervisor.marker import MARKER_ENV, new_marker, scope_of
from portmanager_gui.core.supervisor.records import ManagedRecord, StateStore
from portmanager_gui.core.supervisor.state_damage import MAX_STATE_BYTES, DamageKind
from portmanager_gui.text.state import state_damage_what
from tests.helpers import free_ports, wait_for

GOOD = {"pid": 1, "create_time": 1.0, "port": 41000, "argv": ["x"], "started_at": 0.0, "log_path": ""}


def _store(tmp_path):
    return StateStore(tmp_path / "services.json", is_alive=lambda pid, ct: False)


@pytest.mark.parametrize("content, kind, where", [
    (b'{"units": {"a": {"pid": 12', DamageKind.NOT_JSON, ", line 1, column 27"),   # at its end
    (b"[1, 2]", DamageKind.NO_UNITS, ""),
    (b'{"units": {}}\n\xff\xfe', DamageKind.NOT_TEXT, ", line 2"),
    (b"[" * 100000 + b"]" * 100000, DamageKind.NOT_JSON, ""),       # nested too deeply for the parser
    (b'{"units": {"a": {"pid": "x"}, "b": 3}}', DamageKind.BAD_ENTRIES, ""),
])
def test_each_damage_has_a_kind_and_a_place(tmp_path, content, kind, where):
    store = _store(tmp_path)
    store.path.write_bytes(content)
    read = store.read()
    assert read.damage is not None and read.damage.kind is kind and read.records == ()
    assert state_damage_what(read.damage).startswith(f"{store.path}{where}:")
    assert store.path.read_bytes() == content                          # a read never writes


def test_bad_entries_are_named_and_the_good_ones_kept(tmp_path):
    store = _store(tmp_path)
    store.path.write_text('{"units": {"a": {"pid": "x"}, "b": 3, "good": %s}}' % str(GOOD).replace("'", '"'))
    read = store.read()
    assert read.damage.entries == ("a", "b") and [r.unit for r in read.records] == ["good"]


@pytest.mark.skipif(sys.platform == "win32", reason="FIFOs are POSIX")
def test_a_fifo_a_folder_and_a_huge_file_are_damage_not_a_hang(tmp_path):
    store = _store(tmp_path)
    os.mkfifo(store.path)                                              # nobody writes: a plain open would block
    assert store.read().damage.kind is DamageKind.NOT_A_FILE
    os.unlink(store.path)
    store.path.mkdir()
    assert store.read().damage.kind is DamageKind.NOT_A_FILE
    store.path.rmdir()
    with open(store.path, "wb") as fh:
        fh.truncate(MAX_STATE_BYTES + 1)
    assert store.read().damage.kind is DamageKind.TOO_LARGE


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root reads a 0000 file")
def test_an_unreadable_file_is_damage(tmp_path):
    store = _store(tmp_path)
    store.path.write_text("{}")
    store.path.chmod(0)
    assert store.read().damage.kind is DamageKind.UNREADABLE


def _marked_child(mark: str) -> subprocess.Popen:
    env = {**os.environ, MARKER_ENV: mark}
    return subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE, env=env)


def test_what_a_damaged_record_lost_is_found_by_its_marks_and_written_back(tmp_path):
    store = StateStore(tmp_path / "services.json")
    other = StateStore(tmp_path / "other" / "services.json")            # another Port Manager home
    ours = _marked_child(new_marker("web", scope_of(store.path)))
    theirs = _marked_child(new_marker("api", scope_of(other.path)))
    try:
        store.path.write_text("{cut")
        wait_for(lambda: StateStore(store.path).read().damage.found, 30, message="the marked child found")
        read = store.read()
        assert read.damage.found == (("web", ours.pid),)                # never another record's process
        [rec] = read.records
        assert (rec.unit, rec.pid, rec.alive) == ("web", ours.pid, True)
        store.put(ManagedRecord("db", 1, 1.0, free_ports(1)[0], ("x",), 0.0, ""))
        assert store.damaged_copy.read_text() == "{cut"                 # kept aside
        again = StateStore(store.path).read()
        assert again.damage is None and {r.unit for r in again.records} == {"web", "db"}
        assert next(r for r in again.records if r.unit == "web").alive  # written back: tracked again
    finally:
        for child in (ours, theirs):
            child.stdin.close()
            child.wait(timeout=30)


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() != 0, reason="needs root to run a process as another user")
def test_a_forged_mark_on_another_users_process_is_never_taken_for_ours(tmp_path):
    """Anyone can put our record's name in a mark (it is a hash of a path); only the random id
    of a start cannot be guessed. Without it, another user's process is never recovered."""
    store = StateStore(tmp_path / "services.json")
    forged = subprocess.Popen(["sleep", "60"], user=65534, group=65534,
                              env={**os.environ, MARKER_ENV: new_marker("web", scope_of(store.path))})
    try:
        store.path.write_text("{cut")
        wait_for(lambda: forged.pid in {p.pid for p in psutil.process_iter()}, 10, message="the forger runs")
        assert store.read().damage.found == () and store.read().records == ()
    finally:
        forged.kill()
        forged.wait(timeout=30)
