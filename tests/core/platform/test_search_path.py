"""Command lookup for apps started from Finder/Explorer: usual folders, and what was searched."""
from __future__ import annotations

import os
import stat
import sys

import pytest

from portmanager_gui.core.platform.search_path import (
    CommandNotFound,
    command_search_dirs,
    resolve_command,
    search_path_value,
)

FINDER_PATH = "/usr/bin:/bin:/usr/sbin:/sbin"


def test_macos_finder_path_gets_homebrew_and_user_folders_first():
    dirs = command_search_dirs("darwin", {"PATH": FINDER_PATH}, "/Users/ann")
    assert dirs[:8] == ["/opt/homebrew/bin", "/opt/homebrew/sbin", "/usr/local/bin", "/usr/local/sbin",
                        "/opt/local/bin", "/Users/ann/.local/bin", "/Users/ann/bin", "/Users/ann/.cargo/bin"]
    # the system folders are still there, once each, after them
    assert dirs[8:] == ["/usr/bin", "/bin", "/usr/sbin", "/sbin"]


def test_a_terminal_path_keeps_its_order_and_gains_the_usual_folders_after():
    env = {"PATH": "/Users/ann/.pyenv/shims:/opt/homebrew/bin:/usr/bin:/bin"}
    dirs = command_search_dirs("darwin", env, "/Users/ann")
    assert dirs[:4] == ["/Users/ann/.pyenv/shims", "/opt/homebrew/bin", "/usr/bin", "/bin"]
    assert "/Users/ann/.cargo/bin" in dirs
    assert len(dirs) == len(set(dirs))


def test_linux_adds_user_bins_and_skips_empty_entries():
    dirs = command_search_dirs("linux", {"PATH": "/usr/bin::/bin:"}, "/home/ann")
    assert "" not in dirs
    for d in ("/home/ann/.local/bin", "/home/ann/bin", "/home/ann/.cargo/bin", "/snap/bin"):
        assert d in dirs
    assert dirs.index("/home/ann/.local/bin") < dirs.index("/usr/bin")


def test_no_path_at_all_still_searches_the_usual_folders():
    dirs = command_search_dirs("darwin", {}, "/Users/ann")
    assert dirs[0] == "/opt/homebrew/bin" and "/usr/bin" in dirs


def test_windows_adds_winget_scoop_and_friends_after_path_case_insensitively():
    env = {"Path": r'C:\Windows\system32;"C:\Program Files\Git\cmd";c:\windows\System32',
           "USERPROFILE": r"C:\Users\Ann", "LOCALAPPDATA": r"C:\Users\Ann\AppData\Local",
           "ProgramData": r"C:\ProgramData"}
    dirs = command_search_dirs("windows", env, r"C:\Users\Ann")
    assert dirs[:2] == [r"C:\Windows\system32", r"C:\Program Files\Git\cmd"]   # duplicate dropped
    assert dirs[2:] == [
        r"C:\Users\Ann\AppData\Local\Microsoft\WinGet\Links",
        r"C:\Users\Ann\AppData\Local\Microsoft\WindowsApps",
        r"C:\Users\Ann\scoop\shims",
        r"C:\ProgramData\chocolatey\bin",
        r"C:\Users\Ann\.cargo\bin",
        r"C:\Users\Ann\.local\bin",
        r"C:\Users\Ann\AppData\Local\Programs\Ollama",
    ]
    assert search_path_value("windows", env, r"C:\Users\Ann").split(";") == dirs


def test_windows_without_localappdata_derives_it_from_the_profile():
    dirs = command_search_dirs("windows", {"PATH": ""}, r"C:\Users\Bo")
    assert r"C:\Users\Bo\AppData\Local\Microsoft\WinGet\Links" in dirs


def _executable(folder, name):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("#!/bin/sh\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.mark.skipif(sys.platform.startswith("win"), reason="POSIX executables")
def test_a_command_in_a_user_folder_is_found_with_a_finder_path(tmp_path):
    tool = _executable(tmp_path / ".cargo" / "bin", "pm-test-tool")
    assert resolve_command("pm-test-tool", "darwin", {"PATH": FINDER_PATH}, tmp_path) == str(tool)


@pytest.mark.skipif(sys.platform.startswith("win"), reason="POSIX executables")
def test_path_wins_over_the_usual_folders_when_given(tmp_path):
    _executable(tmp_path / ".local" / "bin", "pm-test-tool")
    mine = _executable(tmp_path / "mine", "pm-test-tool")
    env = {"PATH": f"{tmp_path / 'mine'}{os.pathsep}/usr/bin"}
    assert resolve_command("pm-test-tool", "linux", env, tmp_path) == str(mine)


def test_not_found_names_the_command_the_service_and_every_folder(tmp_path):
    with pytest.raises(CommandNotFound) as err:
        resolve_command("pm-no-such-tool", "darwin", {"PATH": FINDER_PATH}, tmp_path, service="router")
    e = err.value
    assert isinstance(e, FileNotFoundError)
    assert e.command == "pm-no-such-tool" and e.service == "router"
    assert e.searched == tuple(command_search_dirs("darwin", {"PATH": FINDER_PATH}, tmp_path))
    text = str(e)
    assert text.startswith("Cannot start router: command 'pm-no-such-tool' was not found.")
    assert "/opt/homebrew/bin, /opt/homebrew/sbin" in text and f"{tmp_path}/.cargo/bin" in text
    assert "full path" in text


def test_windows_lookup_passes_the_folders_joined_with_semicolons():
    calls = []

    def which(cmd, path):
        calls.append((cmd, path))
        return r"C:\Users\Ann\scoop\shims\llama-server.exe"

    env = {"PATH": r"C:\Windows", "USERPROFILE": r"C:\Users\Ann"}
    assert resolve_command("llama-server", "windows", env, r"C:\Users\Ann", which=which) \
        == r"C:\Users\Ann\scoop\shims\llama-server.exe"
    assert calls[0][1].split(";") == command_search_dirs("windows", env, r"C:\Users\Ann")


def test_a_command_with_a_folder_is_left_to_the_os():
    def which(cmd, path):
        raise AssertionError("should not search")

    assert resolve_command("/opt/llama/llama-server", "linux", {}, "/h", which=which) == "/opt/llama/llama-server"
    assert resolve_command("./run.sh", "darwin", {}, "/h", which=which) == "./run.sh"
    assert resolve_command(r"C:\llama\llama-server.exe", "windows", {}, "C:\\", which=which) \
        == r"C:\llama\llama-server.exe"


def _first_in(folders):
    """A which() that finds the command in the first of ``folders`` on the path it is given."""
    def which(cmd, path):
        for entry in path.split(";"):
            if entry in folders:
                return entry + "\\" + cmd + ".exe"
        return None
    return which


def test_the_microsoft_store_python_stub_is_skipped_for_python():
    apps = r"C:\Users\Ann\AppData\Local\Microsoft\WindowsApps"
    real = r"C:\Users\Ann\AppData\Local\Programs\Python\Python312"
    env = {"PATH": f"{apps};{real}", "USERPROFILE": r"C:\Users\Ann"}
    which = _first_in({apps, real})
    for python in ("python", "python3", "python3.12", "Python.exe"):
        assert resolve_command(python, "windows", env, r"C:\Users\Ann", which=which).startswith(real)
    # other commands in WindowsApps (winget, wt) are real ones: still found there
    assert resolve_command("winget", "windows", env, r"C:\Users\Ann", which=which).startswith(apps)
    # only the stub: "not found", and the message does not list WindowsApps as searched
    with pytest.raises(CommandNotFound) as caught:
        resolve_command("python", "windows", {"PATH": apps}, r"C:\Users\Ann", which=_first_in({apps}))
    assert apps not in caught.value.searched
