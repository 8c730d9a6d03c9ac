"""Atomic whole-file writes: temp file + rename, a backup when asked, retries only where the OS says so."""
from __future__ import annotations

import os

import pytest

from portmanager_gui.core.atomic_write import replace_retrying, write_atomic
from portmanager_gui.core.platform import LINUX, MACOS, WINDOWS
from portmanager_gui.core.platform.files import transient_replace_error


def test_write_replaces_the_file_keeps_a_backup_and_leaves_no_temp_file(tmp_path):
    path = tmp_path / "sub" / "settings.json"
    write_atomic(path, "one\n")                      # the folder is made
    write_atomic(path, "two\n")
    assert path.read_text() == "two\n" and (tmp_path / "sub" / "settings.json.bak").read_text() == "one\n"
    write_atomic(path, "three\n", backup=False)
    assert (tmp_path / "sub" / "settings.json.bak").read_text() == "one\n"
    assert sorted(os.listdir(tmp_path / "sub")) == ["settings.json", "settings.json.bak"]


def test_a_failed_rename_leaves_what_was_there_and_no_temp_file(tmp_path):
    path = tmp_path / "state.json"
    path.mkdir()                                     # a rename over a folder fails on every OS
    (path / "keep").write_text("x")
    with pytest.raises(OSError):
        write_atomic(path, "new\n", backup=False)
    assert (path / "keep").read_text() == "x" and os.listdir(tmp_path) == ["state.json"]


def _sharing_violation(winerror: int) -> PermissionError:
    err = PermissionError("sharing violation")
    err.winerror = winerror
    return err


def test_only_windows_sharing_violations_are_retried():
    calls, waits = [], []

    def flaky(src, dst):
        calls.append(src)
        if len(calls) < 3:
            raise _sharing_violation(32)

    replace_retrying("a", "b", replace=flaky, os_name=WINDOWS, wait=waits.append)
    assert len(calls) == 3 and waits == [0.05, 0.1]

    calls.clear()
    with pytest.raises(PermissionError):
        replace_retrying("a", "b", replace=flaky, os_name=LINUX, wait=waits.append)
    assert len(calls) == 1


def test_retries_give_up_after_the_last_attempt():
    calls = []

    def always(src, dst):
        calls.append(src)
        raise _sharing_violation(5)
    with pytest.raises(PermissionError):
        replace_retrying("a", "b", attempts=4, replace=always, os_name=WINDOWS, wait=lambda s: None)
    assert len(calls) == 4


@pytest.mark.parametrize("os_name,winerror,transient", [
    (WINDOWS, 5, True), (WINDOWS, 32, True), (WINDOWS, 33, True), (WINDOWS, 2, False), (WINDOWS, None, False),
    (LINUX, 32, False), (MACOS, 32, False),
])
def test_which_rename_errors_pass(os_name, winerror, transient):
    assert transient_replace_error(_sharing_violation(winerror), os_name) is transient


@pytest.fixture
def read_only_folder(tmp_path):
    """A folder nobody may create files in: chmod for a user; the immutable flag for root,
    whom a mode does not stop (skipped where the file system has no such flag)."""
    import subprocess
    import sys

    folder = tmp_path / "ro"
    folder.mkdir()
    (folder / "registry.yaml").write_text("version: 1\n")
    if sys.platform == "win32":
        pytest.skip("a folder's mode does not stop writes on Windows")
    if os.geteuid() == 0:
        if subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode != 0:
            pytest.skip("no immutable flag here, and root ignores a folder's mode")
        yield folder
        subprocess.run(["chattr", "-i", str(folder)], check=True)
    else:
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)


def test_a_folder_that_takes_no_new_file_is_named_with_what_to_do(read_only_folder):
    path = read_only_folder / "registry.yaml"
    with pytest.raises(PermissionError) as err:
        write_atomic(path, "version: 1\nservices: {}\n")
    assert f"the folder {read_only_folder}" in str(err.value) and "make the folder writable" in str(err.value)
    assert ".tmp" not in str(err.value)
    assert path.read_text() == "version: 1\n" and os.listdir(read_only_folder) == ["registry.yaml"]
