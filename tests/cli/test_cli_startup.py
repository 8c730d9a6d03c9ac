"""A command imports what it uses: `--version` and the no-scan commands start without the rest."""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

import pytest

from portmanager_gui import cli

# Run the command in a fresh interpreter and report what it imported (stdout: its output).
_PROBE = """
import contextlib, io, sys
from portmanager_gui.cli import main
out = io.StringIO()
try:
    with contextlib.redirect_stdout(out):
        code = main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
modules = sorted(sys.modules)
import json
print(json.dumps({"code": code, "out": out.getvalue(), "modules": modules}))
"""


def imported(*argv: str) -> tuple[str, set[str]]:
    proc = subprocess.run([sys.executable, "-c", _PROBE, *argv], capture_output=True, text=True,
                          env=dict(os.environ), timeout=60, check=True)
    result = json.loads(proc.stdout.splitlines()[-1])
    assert result["code"] in (0, None), proc.stderr
    return result["out"], set(result["modules"])


def test_every_command_is_in_the_table_under_the_module_that_registers_it():
    registered = {}
    for name in cli.MODULES:
        sub = argparse.ArgumentParser().add_subparsers()
        __import__(f"portmanager_gui.cli.{name}", fromlist=["register"]).register(sub)
        registered.update(dict.fromkeys(sub.choices, name))
    assert cli.COMMAND_MODULES == registered


@pytest.mark.parametrize(("argv", "modules"), [
    (["status", "--json"], ("occupancy_cmds",)),
    (["--registry", "x.yaml", "url", "router"], ("registry_cmds",)),
    (["--registry=x.yaml", "link", "list"], ("interop_cmds",)),
    (["--version"], ()),
    ([], ()),
    (["url", "--help"], ("registry_cmds",)),
    (["--help"], ()),
    (["no-such-command"], ()),
])
def test_modules_for_a_command_line(argv, modules):
    assert cli.modules_for(argv) == modules


def test_version_imports_no_core_module():
    out, modules = imported("--version")
    assert out.startswith("portmanager ")
    assert not {m for m in modules if m.startswith(("portmanager_gui.core", "portmanager_gui.cli."))} \
        - {"portmanager_gui.cli.commands"}      # the commands' table: names and help, no import
    assert not modules & {"psutil", "ruamel.yaml", "platformdirs"}


@pytest.mark.parametrize("argv", [["url", "router"], ["env"]])
def test_a_command_that_needs_no_scan_imports_no_scanner(argv):
    out, modules = imported(*argv)
    assert out.strip()
    unwanted = {m for m in modules if m.startswith((
        "portmanager_gui.core.occupancy", "portmanager_gui.core.kill", "portmanager_gui.core.interop",
        "portmanager_gui.core.supervisor.supervisor", "portmanager_gui.core.ports.preflight",
        "portmanager_gui.cli.occupancy_cmds", "portmanager_gui.cli.supervisor_cmds",
        "portmanager_gui.cli.interop_cmds"))}
    assert not unwanted
    assert "psutil" not in modules


@pytest.mark.parametrize("argv", [["url", "router"], ["env"]])
def test_a_read_without_state_files_imports_no_writer_socket_or_json(argv):
    """url and env read the registry (and the state and slot files when they exist): the save
    path, atomic writes' temp files, the bind probe's sockets and json are for other runs.
    (The registry exists: a first run writes the default one, which imports the save path.)"""
    imported("url", "router")       # writes the default registry of this PORTMANAGER_HOME
    out, modules = imported(*argv)
    assert out.strip()
    assert not modules & {"portmanager_gui.core.registry.save", "portmanager_gui.core.ports.probe",
                          "tempfile", "socket", "json", "platformdirs", "shutil"}


def test_status_of_the_registry_imports_neither_kill_nor_the_machine_wide_view(tmp_path):
    """The kill policy, the All-ports listing (recognition table) and the llama-swap live check
    (no numbered pool here) belong to `kill`, `status --all` and numbered pools."""
    registry = tmp_path / "r.yaml"
    registry.write_text("version: 1\nservices:\n  web:\n    ports: [3791, 3003]\n", encoding="utf-8")
    out, modules = imported("--registry", str(registry), "status", "--json")
    assert json.loads(out)["rows"][0]["unit"] == "web"
    assert not {m for m in modules if m.startswith((
        "portmanager_gui.core.kill", "portmanager_gui.core.occupancy.listeners",
        "portmanager_gui.core.occupancy.recognition", "portmanager_gui.core.interop.live"))}


def test_help_of_a_start_command_imports_no_launcher():
    """Launching, stopping and process trees (core.supervisor.supervisor) wait for a real start
    or stop; `start --help` (like `logs`) reads no further than the command's own module."""
    out, modules = imported("start", "--help")
    assert "usage: portmanager start" in out
    assert "portmanager_gui.core.supervisor.supervisor" not in modules


def test_a_known_command_builds_only_its_own_parser():
    parser = cli.build_parser(cli.modules_for(["url", "x"]), cli.command_for(["url", "x"]))
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert list(sub.choices) == ["url"]
    args = parser.parse_args(["url", "router", "--registry", "r.yaml"])
    assert (args.name, args.registry, args.func.__name__) == ("router", "r.yaml", "cmd_url")


@pytest.mark.parametrize("argv", [["link", "list"], ["--registry", "x.yaml", "status", "--json"]])
def test_a_command_with_nested_or_flag_arguments_parses_alone(argv):
    args = cli.build_parser(cli.modules_for(argv), cli.command_for(argv)).parse_args(argv)
    assert args.command == cli.command_for(argv)


def test_help_of_one_command_is_as_wide_as_the_terminal_says(monkeypatch):
    monkeypatch.setenv("COLUMNS", "50")
    text = cli.build_parser(cli.modules_for(["status"]), "status")._subparsers._group_actions[0] \
        .choices["status"].format_help()
    assert max(len(line) for line in text.splitlines()) <= 50
    monkeypatch.setenv("COLUMNS", "200")
    wide = cli.build_parser(cli.modules_for(["status"]), "status")._subparsers._group_actions[0] \
        .choices["status"].format_help()
    assert len(wide.splitlines()) < len(text.splitlines())


def test_help_lists_every_command_as_the_command_modules_do_without_importing_them():
    assert cli.build_parser(()).format_help() == cli.build_parser(cli.MODULES).format_help()
    out, modules = imported("--help")
    assert all(f"    {name} " in out for name in cli.COMMAND_MODULES)
    assert not {m for m in modules if m.startswith(("portmanager_gui.core", "portmanager_gui.cli."))} \
        - {"portmanager_gui.cli.commands"}


def test_an_unknown_command_still_lists_every_command(capsys):
    with pytest.raises(SystemExit):
        cli.main(["no-such-command"])
    err = capsys.readouterr().err
    assert all(name in err for name in cli.COMMAND_MODULES)


def test_the_command_process_freezes_what_it_imported_and_in_process_callers_do_not(tmp_path):
    """gc.freeze keeps the collector off the imported modules while a big registry loads; a
    test (or any in-process caller) keeps its collector as it is: frozen objects are never freed."""
    import gc

    registry = tmp_path / "r.yaml"
    registry.write_text("version: 1\nservices:\n  web:\n    ports: [3791]\n", encoding="utf-8")
    code = ("import gc, sys; from portmanager_gui.cli import main; "
            f"sys.argv = ['portmanager', '--registry', {str(registry)!r}, 'url', 'web']; main(); "
            "print(gc.get_freeze_count())")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    url, frozen = done.stdout.split()
    assert url == "http://127.0.0.1:3791/" and int(frozen) > 1000
    before = gc.get_freeze_count()
    assert cli.main(["--registry", str(registry), "url", "web"]) == 0
    assert gc.get_freeze_count() == before
