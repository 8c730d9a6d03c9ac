"""The packaging files agree with each other and with the package: names, id, version, icons.

The spec is run here with stand-ins for PyInstaller's Analysis/EXE/COLLECT/BUNDLE, once per
OS, so what it would hand PyInstaller is checked without building anything.
"""
from __future__ import annotations

import configparser
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import portmanager_gui
from portmanager_gui.core import app_names
from portmanager_gui.core.platform.autostart import desktop_exec

REPO = Path(__file__).resolve().parents[2]
PKG = REPO / "packaging"


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


helpers = _load("spec_helpers", PKG / "spec_helpers.py")
smoke = _load("smoke_test", PKG / "smoke_test.py")


def test_one_version_everywhere():
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["version"] == portmanager_gui.__version__ == app_names.VERSION
    assert any(d.startswith("pyinstaller>=") for d in pyproject["project"]["optional-dependencies"]["package"])
    assert not any(d.lower().startswith(("pyinstaller", "pillow")) for d in pyproject["project"]["dependencies"])


@pytest.mark.parametrize("version, numbers", [
    ("0.1.0", (0, 1, 0, 0)), ("2.10", (2, 10, 0, 0)), ("1.2.3rc1", (1, 2, 3, 0)),
    ("1.2.3.4", (1, 2, 3, 4)), ("v3.0+g12ab", (3, 0, 0, 0)),
])
def test_version_tuple(version, numbers):
    assert helpers.version_tuple(version) == numbers


@pytest.mark.parametrize("bad", ["dev", "", "1.70000.0"])
def test_version_tuple_refuses_what_windows_cannot_show(bad):
    with pytest.raises(ValueError):
        helpers.version_tuple(bad)


def _eval_version_info(text: str) -> dict:
    """Evaluate the version file as PyInstaller does (eval), with recording stand-ins."""
    def rec(kind):
        return lambda *args, **kwargs: {"kind": kind, "args": args, **kwargs}
    names = ["VSVersionInfo", "FixedFileInfo", "StringFileInfo", "StringTable", "StringStruct",
             "VarFileInfo", "VarStruct"]
    return eval(text, {n: rec(n) for n in names})  # noqa: S307 - our own generated text


def test_windows_version_info_carries_the_package_version_and_names():
    info = _eval_version_info(helpers.windows_version_info("1.2.3", "Port Manager", "PortManager", "d"))
    assert info["ffi"]["filevers"] == info["ffi"]["prodvers"] == (1, 2, 3, 0)
    table = info["kids"][0]["args"][0][0]
    assert table["args"][0] == "040904B0"
    strings = {s["args"][0]: s["args"][1] for s in table["args"][1]}
    assert strings["ProductVersion"] == "1.2.3" and strings["FileVersion"] == "1.2.3.0"
    assert strings["OriginalFilename"] == "PortManager.exe"
    assert strings["FileDescription"] == strings["ProductName"] == "Port Manager"


def test_info_plist_makes_a_menu_bar_app():
    plist = helpers.info_plist("1.4.0", app_names.BUNDLE_ID, "Port Manager", "12.0")
    assert plist["LSUIElement"] is True and plist["LSMinimumSystemVersion"] == "12.0"
    assert plist["CFBundleIdentifier"] == app_names.BUNDLE_ID
    assert plist["CFBundleShortVersionString"] == "1.4.0" and plist["CFBundleVersion"] == "1.4.0"
    assert plist["CFBundleDisplayName"] == "Port Manager"


def _macho(*versions: tuple[int, int, int], old_style: bool = False) -> bytes:
    """A 64-bit Mach-O header with one LC_BUILD_VERSION (or LC_VERSION_MIN_MACOSX) per version."""
    import struct

    cmds = b""
    for major, minor, patch in versions:
        packed = (major << 16) | (minor << 8) | patch
        if old_style:
            cmds += struct.pack("<IIII", 0x24, 16, packed, packed)
        else:
            cmds += struct.pack("<IIIIII", 0x32, 24, 1, packed, packed, 0)
    header = struct.pack("<IiiIIIII", 0xFEEDFACF, 0x0100000C, 0, 6, len(versions), len(cmds), 0, 0)
    return header + cmds


def _fat(*slices: bytes) -> bytes:
    import struct

    head = struct.pack(">II", 0xCAFEBABE, len(slices))
    offset, body = 4096, b""
    table = b""
    for sl in slices:
        table += struct.pack(">iiIII", 0, 0, offset + len(body), len(sl), 12)
        body += sl
    return (head + table).ljust(4096, b"\0") + body


def test_minimum_macos_is_read_from_the_bundled_libraries(tmp_path):
    qt = tmp_path / "QtCore"
    qt.write_bytes(_fat(_macho((12, 0, 0)), _macho((13, 3, 0))))
    python = tmp_path / "Python"
    python.write_bytes(_macho((10, 13, 0), old_style=True))
    text = tmp_path / "base_library.zip"
    text.write_bytes(b"PK\3\4 not mach-o")
    assert helpers.macho_min_versions(qt.read_bytes()) == [(12, 0, 0), (13, 3, 0)]
    assert helpers.macos_minimum([qt, python, text, tmp_path / "missing"]) == "13.3"
    assert helpers.macos_minimum([python]) == "10.13"


def test_icons_exist_for_each_os():
    icons = REPO / "resources" / "icons"
    assert Path(helpers.icon_for("windows", icons)).is_file()
    assert Path(helpers.icon_for("darwin", icons)).is_file()
    assert helpers.icon_for("linux", icons) is None


def test_signing_identity_comes_from_the_environment():
    assert helpers.codesign({}) == (None, None)
    assert helpers.codesign({"PORTMANAGER_CODESIGN_IDENTITY": "  "}) == (None, None)
    assert helpers.codesign({"PORTMANAGER_ENTITLEMENTS": "e.plist"}) == (None, None)
    assert helpers.codesign({"PORTMANAGER_CODESIGN_IDENTITY": "Developer ID Application: A (X)",
                             "PORTMANAGER_ENTITLEMENTS": "e.plist"}) == ("Developer ID Application: A (X)", "e.plist")


def test_every_module_is_in_the_bundle_including_those_only_run_with_dash_m():
    modules = helpers.package_modules(REPO)
    for name in ("portmanager_gui", "portmanager_gui.app", "portmanager_gui.entry", "portmanager_gui.__main__",
                 "portmanager_gui.demo", "portmanager_gui.demo.__main__", "portmanager_gui.core.platform.autostart"):
        assert name in modules
    assert not any("__pycache__" in m or m.startswith("tests") for m in modules)


class _Stub:
    def __init__(self, calls, kind, *args, **kwargs):
        self.args, self.kwargs = args, kwargs
        self.pure = self.scripts = self.binaries = self.datas = []
        calls.append((kind, self))


def _run_spec(tmp_path, monkeypatch, platform: str, env: dict[str, str] | None = None,
              calls: list | None = None) -> dict:
    calls = [] if calls is None else calls
    names = {k: (lambda *a, _k=k, **kw: _Stub(calls, _k, *a, **kw))
             for k in ("Analysis", "PYZ", "EXE", "COLLECT", "BUNDLE")}
    namespace = {"SPECPATH": str(PKG), "workpath": str(tmp_path / "work"), "DISTPATH": str(tmp_path / "dist"),
                 "__name__": "__main__", **names}
    for key in ("PORTMANAGER_CODESIGN_IDENTITY", "PORTMANAGER_ENTITLEMENTS"):
        monkeypatch.delenv(key, raising=False)
    for key, value in (env or {}).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(sys, "platform", platform)
    monkeypatch.setattr(sys, "path", list(sys.path))     # the spec prepends to it
    exec(compile((PKG / "PortManager.spec").read_text(encoding="utf-8"), "PortManager.spec", "exec"), namespace)
    return {kind: stub for kind, stub in calls}


def test_spec_on_linux_builds_one_windowed_folder_with_the_resources(tmp_path, monkeypatch):
    parts = _run_spec(tmp_path, monkeypatch, "linux")
    analysis = parts["Analysis"]
    assert analysis.args[0] == [str(REPO / "main.py")]
    assert analysis.kwargs["datas"] == [(str(REPO / "resources"), "resources")]
    assert "portmanager_gui.demo.__main__" in analysis.kwargs["hiddenimports"]
    exe = parts["EXE"].kwargs
    assert exe["exclude_binaries"] is True and exe["console"] is False
    assert exe["name"] == "PortManager" and exe["icon"] is None and exe["version"] is None
    assert parts["COLLECT"].kwargs["name"] == "PortManager"
    assert "BUNDLE" not in parts


def test_spec_on_windows_sets_icon_and_generated_version_file(tmp_path, monkeypatch):
    calls: list = []
    parts = _run_spec(tmp_path, monkeypatch, "win32", calls=calls)
    exe = next(stub for kind, stub in calls if kind == "EXE").kwargs
    assert exe["icon"].endswith("PortManager.ico") and exe["console"] is False
    assert exe["name"] == "Port Manager"
    version_file = Path(exe["version"])
    assert version_file.parent == tmp_path / "work"
    assert version_file.read_text(encoding="utf-8") == helpers.windows_version_info(
        portmanager_gui.__version__, "Port Manager", "Port Manager", app_names.DESCRIPTION)
    assert "BUNDLE" not in parts


def test_spec_on_windows_adds_a_console_portmanager_exe_beside_the_app(tmp_path, monkeypatch):
    calls: list = []
    parts = _run_spec(tmp_path, monkeypatch, "win32", calls=calls)
    exes = [stub for kind, stub in calls if kind == "EXE"]
    assert [e.kwargs["name"] for e in exes] == ["Port Manager", "portmanager"]
    assert [e.kwargs["console"] for e in exes] == [False, True]
    # one folder: both exes go into the same COLLECT (they share _internal)
    assert exes[0] in parts["COLLECT"].args and exes[1] in parts["COLLECT"].args
    cli_analysis = [stub for kind, stub in calls if kind == "Analysis"][1]
    assert cli_analysis.args[0] == [str(PKG / "cli_entry.py")]
    # NTFS does not tell names apart by case: the two must differ as Windows compares them
    assert exes[0].kwargs["name"].casefold() != exes[1].kwargs["name"].casefold()
    assert "portmanager_gui.core.platform.ctrl_break" in cli_analysis.kwargs["hiddenimports"]


def test_other_oses_get_no_second_exe(tmp_path, monkeypatch):
    for platform in ("linux", "darwin"):
        calls: list = []
        _run_spec(tmp_path, monkeypatch, platform, calls=calls)
        assert [kind for kind, _ in calls].count("EXE") == 1


def test_the_console_entry_runs_our_modules_like_the_app_does():
    text = (PKG / "cli_entry.py").read_text(encoding="utf-8")
    assert "module_request" in text and "run_module" in text and "portmanager_gui.cli" in text


def test_spec_on_macos_makes_a_signed_menu_bar_app_bundle(tmp_path, monkeypatch):
    parts = _run_spec(tmp_path, monkeypatch, "darwin",
                      {"PORTMANAGER_CODESIGN_IDENTITY": "Developer ID Application: Ann (X1)"})
    assert parts["EXE"].kwargs["codesign_identity"] == "Developer ID Application: Ann (X1)"
    bundle = parts["BUNDLE"].kwargs
    assert bundle["name"] == "PortManager.app" and bundle["icon"].endswith("PortManager.icns")
    assert bundle["bundle_identifier"] == app_names.BUNDLE_ID
    assert bundle["version"] == portmanager_gui.__version__
    assert bundle["info_plist"]["LSUIElement"] is True
    assert re.fullmatch(r"\d+\.\d+(\.\d+)?", bundle["info_plist"]["LSMinimumSystemVersion"])
    unsigned = _run_spec(tmp_path, monkeypatch, "darwin")
    assert unsigned["EXE"].kwargs["codesign_identity"] is None


def _desktop(text: str) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read_string(text)
    return parser["Desktop Entry"]


def test_desktop_template_is_complete():
    text = (PKG / "portmanager.desktop").read_text(encoding="utf-8")
    assert sorted(set(re.findall(r"@[A-Z]+@", text))) == ["@EXEC@", "@VERSION@"]
    entry = _desktop(text)
    assert entry["Type"] == "Application" and entry["Terminal"] == "false"
    assert entry["Name"] == app_names.DISPLAY_NAME
    assert entry["Icon"] == "portmanager"
    assert entry["Exec"] == "@EXEC@"          # install.sh looks for exactly this line


def parse_exec(value: str) -> list[str]:
    """Desktop Entry spec, read side: undo string escapes, then split the quoted arguments."""
    value = re.sub(r"\\(.)", lambda m: {"s": " ", "n": "\n", "t": "\t", "r": "\r"}.get(m.group(1), m.group(1)), value)
    args, current, quoted, escaped, started = [], "", False, False, False
    for ch in value:
        if escaped:
            current, escaped = current + ch, False
        elif quoted and ch == "\\":
            escaped = True
        elif ch == '"':
            quoted, started = not quoted, True
        elif ch == " " and not quoted:
            if started or current:
                args.append(current)
            current, started = "", False
        else:
            current += ch
    if started or current:
        args.append(current)
    return [a.replace("%%", "%") for a in args]


@pytest.mark.parametrize("argv", [["/usr/bin/pm"], ["/opt/Port Manager/PortManager", "--x"],
                                  ['/x/$HOME "q" `id` \\ 100%'], ["/a", ""]])
def test_autostart_exec_reads_back(argv):
    assert parse_exec(desktop_exec(argv)) == argv


@pytest.mark.skipif(sys.platform.startswith("win") or not shutil.which("sh"), reason="POSIX sh")
def test_install_sh_adds_and_removes_the_menu_entry(tmp_path):
    bundle = tmp_path / 'Apps $1 "x"' / "PortManager"
    (bundle / "_internal").mkdir(parents=True)
    shutil.copytree(REPO / "resources", bundle / "_internal" / "resources")
    exe = bundle / "PortManager"
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    template = (PKG / "portmanager.desktop").read_text(encoding="utf-8")
    (bundle / "portmanager.desktop").write_text(template.replace("@VERSION@", "9.9"), encoding="utf-8")
    shutil.copy(PKG / "install_linux.sh", bundle / "install.sh")
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path / "home"),
           "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    autostart_file = tmp_path / "cfg" / "autostart" / "PortManager.desktop"
    autostart_file.parent.mkdir(parents=True)
    autostart_file.write_text("[Desktop Entry]\n")

    done = subprocess.run(["sh", str(bundle / "install.sh")], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    installed = tmp_path / "data" / "applications" / "portmanager.desktop"
    entry = _desktop(installed.read_text(encoding="utf-8"))
    assert parse_exec(entry["Exec"]) == [str(exe)]
    assert entry["X-PortManager-Version"] == "9.9"
    assert (tmp_path / "data" / "icons" / "hicolor" / "256x256" / "apps" / "portmanager.png").is_file()

    done = subprocess.run(["sh", str(bundle / "install.sh"), "--uninstall"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert not installed.exists() and not autostart_file.exists()
    assert not (tmp_path / "data" / "icons" / "hicolor" / "256x256" / "apps" / "portmanager.png").exists()
    assert str(bundle) in done.stdout            # says which folder to delete


def test_install_sh_icon_sizes_are_generated():
    text = (PKG / "install_linux.sh").read_text(encoding="utf-8")
    sizes = re.search(r'^sizes="([\d ]+)"', text, re.M).group(1).split()
    for s in sizes:
        assert (REPO / "resources" / "icons" / f"portmanager-{s}.png").is_file()


def test_build_scripts_workflow_and_makefile_agree():
    workflow = (REPO / ".github" / "workflows" / "build.yml").read_text(encoding="utf-8")
    # the runners and the order of jobs: test_workflow.py
    assert "build_windows.ps1" in workflow and "make package" in workflow
    assert workflow.count("packaging/smoke_test.py") + workflow.count("packaging\\smoke_test.py") == 3
    assert workflow.count("actions/upload-artifact") == 3
    for script in ("build_linux.sh", "build_macos.sh"):
        text = (PKG / script).read_text(encoding="utf-8")
        assert "packaging/PortManager.spec" in text and "PORTMANAGER_NO_ARCHIVE" in text
        assert os.access(PKG / script, os.X_OK)
    assert "packaging\\PortManager.spec" in (PKG / "build_windows.ps1").read_text(encoding="utf-8")
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^package:", makefile, re.M) and re.search(r"^package-test:", makefile, re.M)
    assert "packaging/smoke_test.py" in makefile


def test_smoke_test_reads_where_the_router_started():
    assert smoke.parse_started("router: running on port 3791, pid 4242 -- http://127.0.0.1:3791/\n") == (3791, 4242)
    assert smoke.parse_started("router: failed to start\n") is None


def test_smoke_test_uses_the_console_exe_on_windows(tmp_path):
    app = tmp_path / "Port Manager.exe"
    app.write_text("")
    assert smoke.cli_argv(app) == [str(app), "-m", "portmanager_gui"]      # an older bundle
    (tmp_path / "portmanager.exe").write_text("")
    assert smoke.cli_argv(app) == [str(tmp_path / "portmanager.exe")]
    mac = tmp_path / "PortManager"
    assert smoke.cli_argv(mac) == [str(mac), "-m", "portmanager_gui"]


def test_smoke_test_starts_and_stops_the_router_leaving_nothing(tmp_path, monkeypatch):
    # the smoke test's own check, run here against the source tree instead of a bundle,
    # with the router moved to a port nothing else on this machine uses
    from portmanager_gui.core.registry.defaults import DEFAULT_REGISTRY_YAML
    from tests.helpers import free_ports

    port, fallback = free_ports(2)
    registry = tmp_path / "config" / "registry.yaml"
    registry.parent.mkdir(parents=True)
    registry.write_text(DEFAULT_REGISTRY_YAML.replace("[3791, 3003]", f"[{port}, {fallback}]"), encoding="utf-8")
    monkeypatch.setattr(smoke, "print", lambda *a, **k: None, raising=False)
    smoke.start_and_stop_router([sys.executable, "-m", "portmanager_gui"], tmp_path)
    assert smoke.port_is_free(port)


def test_smoke_test_knows_where_each_bundle_keeps_its_resources():
    mac = Path("/x/PortManager.app/Contents/MacOS/PortManager")
    assert smoke.bundle_resources(mac) == Path("/x/PortManager.app/Contents/Resources/resources")
    assert smoke.bundle_resources(Path("/x/PortManager/PortManager")) == Path("/x/PortManager/_internal/resources")
