"""Start at login: the Linux file for real, the exact macOS plist and Windows Run value."""
from __future__ import annotations

import configparser
import plistlib
import types
from pathlib import Path

import pytest

from portmanager_gui.core.app_names import BUNDLE_ID
from portmanager_gui.core.platform import autostart
from portmanager_gui.core.platform.autostart import (
    RUN_KEY,
    AutostartError,
    autostart_entry,
    desktop_exec,
    launch_argv,
)

APP = "/opt/Port Manager/PortManager"


def test_linux_entry_goes_to_xdg_config_home_and_is_a_valid_desktop_file(tmp_path):
    cfg = tmp_path / "cfg"
    entry = autostart_entry("linux", [APP, "--minimized"], "/home/ann", {"XDG_CONFIG_HOME": str(cfg)},
                            icon="/opt/icons/pm.png")
    assert entry.location == f"{cfg}/autostart/PortManager.desktop"
    assert entry.content == (
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Name=Port Manager\n"
        "Comment=Start Port Manager in the tray at login\n"
        'Exec="/opt/Port Manager/PortManager" --minimized\n'
        "Icon=/opt/icons/pm.png\n"
        "Terminal=false\n"
        "X-GNOME-Autostart-enabled=true\n"
    )

    assert not autostart.is_enabled(entry)
    autostart.enable(entry)
    assert autostart.is_enabled(entry)
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read(cfg / "autostart" / "PortManager.desktop", encoding="utf-8")
    section = parser["Desktop Entry"]
    assert section["Type"] == "Application" and section["Terminal"] == "false"
    assert section["Exec"] == '"/opt/Port Manager/PortManager" --minimized'

    autostart.enable(entry)       # again: replaced, not duplicated, no backup left behind
    assert sorted(p.name for p in (cfg / "autostart").iterdir()) == ["PortManager.desktop"]
    autostart.disable(entry)
    assert not autostart.is_enabled(entry)
    autostart.disable(entry)      # already off: nothing to do


@pytest.mark.parametrize("xdg", [None, "", "relative/cfg"])
def test_linux_without_an_absolute_xdg_config_home_uses_dot_config(xdg):
    env = {} if xdg is None else {"XDG_CONFIG_HOME": xdg}
    entry = autostart_entry("linux", ["/usr/bin/pm"], "/home/ann", env)
    assert entry.location == "/home/ann/.config/autostart/PortManager.desktop"
    assert "Icon=" not in entry.content


def test_set_enabled_with_the_current_entry_honours_xdg_config_home(tmp_path, monkeypatch):
    if autostart.current_os() != "linux":
        pytest.skip("the real entry of this OS is checked on Linux")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    entry = autostart.set_enabled(True)
    path = tmp_path / "autostart" / "PortManager.desktop"
    assert entry.location == str(path) and path.read_text(encoding="utf-8") == entry.content
    assert "Exec=" in entry.content and "main.py" in entry.content
    assert "Icon=" in entry.content and "portmanager-256.png" in entry.content
    autostart.set_enabled(False)
    assert not path.exists()


def test_desktop_exec_quoting_follows_the_desktop_entry_spec():
    assert desktop_exec(["/usr/bin/pm"]) == "/usr/bin/pm"
    assert desktop_exec(["/a b/pm", "100%"]) == '"/a b/pm" 100%%'
    # inside quotes " ` $ \ get a backslash; then every backslash is doubled as a string value
    assert desktop_exec(['/x/$HOME "q"']) == '"/x/\\\\$HOME \\\\"q\\\\""'
    assert desktop_exec(["/x", ""]) == '/x ""'
    with pytest.raises(ValueError):
        desktop_exec(["/x\n"])


def test_a_failed_write_names_the_file(tmp_path):
    blocker = tmp_path / "cfg"
    blocker.write_text("a file, not a folder")
    entry = autostart_entry("linux", ["/usr/bin/pm"], "/home/ann", {"XDG_CONFIG_HOME": str(blocker)})
    with pytest.raises(AutostartError) as err:
        autostart.enable(entry)
    assert str(blocker / "autostart" / "PortManager.desktop") in str(err.value)


def test_macos_launch_agent_exact_content(tmp_path):
    entry = autostart_entry("darwin", ["/Applications/PortManager.app/Contents/MacOS/PortManager"],
                            "/Users/ann", {})
    assert entry.location == f"/Users/ann/Library/LaunchAgents/{BUNDLE_ID}.plist"
    assert entry.content == f"""\
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>Label</key>
	<string>{BUNDLE_ID}</string>
	<key>LimitLoadToSessionType</key>
	<string>Aqua</string>
	<key>ProcessType</key>
	<string>Interactive</string>
	<key>ProgramArguments</key>
	<array>
		<string>/Applications/PortManager.app/Contents/MacOS/PortManager</string>
	</array>
	<key>RunAtLoad</key>
	<true/>
</dict>
</plist>
"""
    assert plistlib.loads(entry.content.encode())["RunAtLoad"] is True
    # written and removed like any file (the real folder layout under a fake home)
    fake = autostart.AutostartEntry("darwin", str(tmp_path / "LaunchAgents" / "x.plist"), entry.content)
    autostart.enable(fake)
    assert plistlib.loads(Path(fake.location).read_bytes())["Label"] == BUNDLE_ID
    autostart.disable(fake)
    assert not autostart.is_enabled(fake)


class FakeWinreg(types.ModuleType):
    """The part of winreg the Run value needs, over a dict: key path -> {value name: value}."""

    HKEY_CURRENT_USER = "HKCU"
    KEY_SET_VALUE = 2
    KEY_QUERY_VALUE = 1
    REG_SZ = 1
    REG_BINARY = 3

    def __init__(self):
        super().__init__("winreg")
        self.keys: dict[str, dict[str, tuple[int, str]]] = {}

    class _Key:
        def __init__(self, values):
            self.values = values

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    def CreateKeyEx(self, root, sub, reserved, access):  # noqa: N802 - winreg's names
        assert root == "HKCU" and access == self.KEY_SET_VALUE
        return self._Key(self.keys.setdefault(sub, {}))

    def OpenKey(self, root, sub, reserved, access):  # noqa: N802
        if sub not in self.keys:
            raise FileNotFoundError(2, "The system cannot find the file specified")
        return self._Key(self.keys[sub])

    def SetValueEx(self, key, name, reserved, kind, value):  # noqa: N802
        key.values[name] = (kind, value)

    def QueryValueEx(self, key, name):  # noqa: N802
        if name not in key.values:
            raise FileNotFoundError(2, "The system cannot find the file specified")
        kind, value = key.values[name]
        return value, kind

    def DeleteValue(self, key, name):  # noqa: N802
        if name not in key.values:
            raise FileNotFoundError(2, "The system cannot find the file specified")
        del key.values[name]


def test_windows_run_value_exact_content_and_round_trip():
    exe = r"C:\Users\Ann\AppData\Local\Programs\Port Manager\PortManager.exe"
    entry = autostart_entry("windows", [exe], r"C:\Users\Ann", {})
    assert (entry.location, entry.value_name) == (RUN_KEY, "PortManager")
    assert RUN_KEY == r"Software\Microsoft\Windows\CurrentVersion\Run"
    assert entry.content == '"C:\\Users\\Ann\\AppData\\Local\\Programs\\Port Manager\\PortManager.exe"'
    assert entry.describe() == r"HKEY_CURRENT_USER\Software\Microsoft\Windows\CurrentVersion\Run\PortManager"

    reg = FakeWinreg()
    assert not autostart.is_enabled(entry, reg)
    autostart.enable(entry, reg)
    assert reg.keys[RUN_KEY] == {"PortManager": (reg.REG_SZ, entry.content)}
    assert autostart.read_entry(entry, reg) == entry.content
    autostart.disable(entry, reg)
    assert reg.keys[RUN_KEY] == {} and not autostart.is_enabled(entry, reg)
    autostart.disable(entry, reg)     # already off


def test_windows_source_launch_uses_pythonw_and_main_pyw(tmp_path):
    (tmp_path / "main.pyw").write_text("")
    argv = launch_argv("windows", False, r"C:\src\pm\.venv\Scripts\python.exe", tmp_path)
    assert argv == [r"C:\src\pm\.venv\Scripts\pythonw.exe", f"{tmp_path}\\main.pyw"]
    value = autostart_entry("windows", [r"C:\Program Files\Python311\pythonw.exe", r"C:\src\my pm\main.pyw"],
                            r"C:\Users\Ann", {}).content
    assert value == r'"C:\Program Files\Python311\pythonw.exe" "C:\src\my pm\main.pyw"'


def test_launch_argv_frozen_source_and_installed(tmp_path):
    assert launch_argv("darwin", True, "/Applications/PortManager.app/Contents/MacOS/PortManager") \
        == ["/Applications/PortManager.app/Contents/MacOS/PortManager"]
    (tmp_path / "main.py").write_text("")
    assert launch_argv("linux", False, "/venv/bin/python", tmp_path) == ["/venv/bin/python", f"{tmp_path}/main.py"]
    empty = tmp_path / "site-packages"
    empty.mkdir()
    argv = launch_argv("linux", False, "/usr/bin/python3", empty)
    assert argv[:2] == ["/usr/bin/python3", "-c"] and "portmanager_gui.app" in argv[2]


def test_the_checkout_launch_line_is_real():
    argv = launch_argv("linux", False, "/usr/bin/python3")
    assert Path(argv[1]).name == "main.py" and Path(argv[1]).is_file()
    argv = launch_argv("windows", False, r"C:\Python311\python.exe")
    assert argv[1].endswith("main.pyw")


def test_an_empty_command_line_is_refused():
    with pytest.raises(ValueError):
        autostart_entry("linux", [], "/home/ann", {})


# -- Windows: Task Manager's switch (StartupApproved) -------------------------------------

APPROVED = r"Software\Microsoft\Windows\CurrentVersion\Explorer\StartupApproved\Run"
ON = bytes.fromhex("020000000000000000000000")
OFF = bytes.fromhex("030000004a8f1c2b3d4ed901")      # 03 and the FILETIME of the switch


@pytest.mark.parametrize("data, on", [(None, True), (b"", True), (ON, True), (bytes.fromhex("06") + ON[1:], True),
                                      (OFF, False), (bytes.fromhex("01") + ON[1:], False),
                                      (bytes.fromhex("63606060"), False)])
def test_startup_approved_bytes(data, on):
    assert autostart.startup_approved(data) is on


def _windows_entry():
    return autostart_entry("windows", [r"C:\Programs\Port Manager\Port Manager.exe"], r"C:\Users\Ann", {})


def test_an_entry_switched_off_in_task_manager_is_not_on():
    entry, reg = _windows_entry(), FakeWinreg()
    autostart.enable(entry, reg)
    assert autostart.is_enabled(entry, reg)
    reg.keys[APPROVED] = {"PortManager": (reg.REG_BINARY, OFF)}       # Task Manager: Disable
    assert autostart.disabled_by_user(entry, reg) and not autostart.is_enabled(entry, reg)
    # at the next start the app does not quietly undo the user's choice
    assert autostart.keep_in_step(True, entry, reg) is autostart.Blocker.DISABLED_BY_USER
    assert reg.keys[APPROVED]["PortManager"] == (reg.REG_BINARY, OFF)
    reg.keys[APPROVED]["PortManager"] = (reg.REG_BINARY, ON)           # Task Manager: Enable
    assert autostart.is_enabled(entry, reg) and autostart.keep_in_step(True, entry, reg) is None


def test_turning_it_on_in_the_app_clears_the_task_manager_off():
    entry, reg = _windows_entry(), FakeWinreg()
    reg.keys[APPROVED] = {"PortManager": (reg.REG_BINARY, OFF), "OneDrive": (reg.REG_BINARY, ON)}
    autostart.enable(entry, reg)
    assert autostart.is_enabled(entry, reg)
    assert reg.keys[APPROVED] == {"OneDrive": (reg.REG_BINARY, ON)}    # nobody else's value touched
    reg.keys[APPROVED]["PortManager"] = (reg.REG_BINARY, OFF)
    autostart.disable(entry, reg)
    assert "PortManager" not in reg.keys[APPROVED] and not autostart.is_enabled(entry, reg)


def test_other_oses_have_no_task_manager_switch(tmp_path):
    entry = autostart_entry("darwin", ["/Applications/PortManager.app/Contents/MacOS/PortManager"], tmp_path, {})
    assert not autostart.disabled_by_user(entry)


# -- where the app runs from ---------------------------------------------------------------

@pytest.mark.parametrize("os_name, exe, temp, blocker", [
    ("darwin", "/Volumes/Port Manager/PortManager.app/Contents/MacOS/PortManager", "", "disk-image"),
    ("darwin", "/private/var/folders/x1/abc/T/AppTranslocation/5E1C-77/d/PortManager.app/Contents/MacOS/PortManager",
     "", "translocated"),
    ("darwin", "/Applications/PortManager.app/Contents/MacOS/PortManager", "", None),
    ("darwin", "/Users/ann/Applications/PortManager.app/Contents/MacOS/PortManager", "", None),
    ("windows", r"C:\Users\Ann\AppData\Local\Temp\Temp1_PortManager-0.1.0-windows-x64.zip\PortManager\Port Manager.exe",
     r"C:\Users\Ann\AppData\Local\Temp", "inside-zip"),
    ("windows", r"C:\Users\Ann\AppData\Local\Temp\7zO4A2B\PortManager\Port Manager.exe",
     r"C:\Users\Ann\AppData\Local\Temp", "inside-zip"),
    ("windows", r"C:\Users\Ann\AppData\Local\Programs\Port Manager\Port Manager.exe",
     r"C:\Users\Ann\AppData\Local\Temp", None),
    ("windows", r"C:\Users\Ann\AppData\Local\Temp\venv\Scripts\pythonw.exe", r"C:\Users\Ann\AppData\Local\Temp", None),
    ("linux", "/tmp/Temp1_x.zip/PortManager/PortManager", "/tmp", None),
])
def test_a_place_that_will_be_gone_is_told(os_name, exe, temp, blocker):
    got = autostart.location_problem(os_name, exe, temp)
    assert (got.value if got else None) == blocker


def test_turning_it_on_from_a_disk_image_is_refused_and_writes_nothing(tmp_path, monkeypatch):
    entry = autostart_entry("darwin", ["/Volumes/Port Manager/PortManager.app/Contents/MacOS/PortManager"],
                            tmp_path, {})
    monkeypatch.setattr(autostart, "current_problem", lambda os_name=None: autostart.Blocker.DISK_IMAGE)
    with pytest.raises(autostart.AutostartBlocked) as caught:
        autostart.set_enabled(True, entry)
    assert caught.value.blocker is autostart.Blocker.DISK_IMAGE and isinstance(caught.value, AutostartError)
    assert not Path(entry.location).exists()
    assert autostart.keep_in_step(True, entry) is autostart.Blocker.DISK_IMAGE
    assert not Path(entry.location).exists()
    autostart.set_enabled(False, entry)          # turning it off still works


def test_each_blocker_has_words_saying_what_to_do():
    from portmanager_gui.ui.autostart_text import blocker_text, location_text

    for blocker, word in [(autostart.Blocker.DISK_IMAGE, "Applications"), (autostart.Blocker.TRANSLOCATED,
                          "Applications"), (autostart.Blocker.INSIDE_ZIP, "setup"),
                          (autostart.Blocker.DISABLED_BY_USER, "Task Manager")]:
        assert word in blocker_text(blocker) and word in location_text(blocker)
