"""import / export / link, run as a user would: the whole "modify once, apply everywhere" flow."""
from __future__ import annotations

import argparse
import io
import shutil
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from portmanager_gui import cli
from portmanager_gui.cli import interop_cmds, save_path
from portmanager_gui.cli.context import CliError, Context
from portmanager_gui.core.interop import links
from portmanager_gui.core.paths import resolve
from portmanager_gui.core.registry.load import load
from portmanager_gui.core.supervisor import records as state
from tests.helpers import FakeLlamaSwap

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "interop"


def _parser() -> argparse.ArgumentParser:
    """The real parser; interop_cmds is added here until cli/__init__.py lists it."""
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    if "import" not in sub.choices:
        interop_cmds.register(sub)
    return parser


def run(*argv: str) -> tuple[int, str, str]:
    """Like ``cli.main``: parse, build the context, run the handler, map CliError to its code."""
    try:
        args = _parser().parse_args(list(argv))
    except SystemExit as exc:
        return int(exc.code or 0), "", ""
    ctx = Context.from_args(args)
    ctx.out, ctx.err = io.StringIO(), io.StringIO()
    try:
        code = args.func(ctx, args)
    except CliError as exc:
        ctx.err.write(f"portmanager: {exc}\n")
        code = exc.code
    return code, ctx.out.getvalue(), ctx.err.getvalue()


@pytest.fixture
def project(tmp_path):
    """A user's checkout: ClaraCore config, ports_config.py, .env, compose file, frontend folder."""
    root = tmp_path / "project"
    shutil.copytree(FIXTURES / "project", root)
    shutil.copyfile(FIXTURES / "claracore" / "config.yaml", root / "config.yaml")
    (root / "frontend" / "src").mkdir(parents=True)
    return root


@pytest.fixture
def running_backend():
    """A real child process recorded as the running ``backend`` unit in the state record."""
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        store = state.store_for(resolve())
        store.put(state.ManagedRecord("backend", child.pid, psutil.Process(child.pid).create_time(), 8203,
                                      (sys.executable,), 0.0, ""))
        yield child
    finally:
        child.kill()
        child.wait(timeout=30)
        child.stdin.close()


def _registry():
    return load(resolve().registry_file)


def test_done_when_import_both_change_once_every_file_follows(project, running_backend):
    cfg, py, env = project / "config.yaml", project / "ports_config.py", project / ".env"
    js = project / "frontend" / "src" / "config.js"
    code, out, err = run("import", str(cfg), "--yes", "--link")
    assert code == 0, err
    assert "Linked" in out
    code, out, err = run("import", str(py), "--yes", "--link")
    assert code == 0, err
    assert run("export", "-o", str(js), "--link")[0] == 0
    assert run("export", "-o", str(env), "--link")[0] == 0
    cfg_before, py_before = cfg.read_text(), py.read_text()

    # One change in Port Manager, through the save path the lead wires: save, then after_save.
    ctx = Context.from_args(argparse.Namespace(registry=None))
    ctx.out, ctx.err = io.StringIO(), io.StringIO()
    old = ctx.load_registry()
    new = old.with_service_ports("backend", (9000,)).with_group_range("models", 8400)
    ctx.save_registry(new)
    report = save_path.after_save(ctx, old, new)
    out = ctx.out.getvalue()

    assert report.ok, ctx.err.getvalue()
    assert cfg.read_text() == cfg_before.replace("startPort: 8100", "startPort: 8400")
    assert py.read_text() == py_before.replace("BACKEND_PORT = 8203", "BACKEND_PORT = 9000")
    assert "export BACKEND_PORT=9000" in env.read_text()
    assert "export const BACKEND_PORT = 9000;" in js.read_text()
    assert f"Updated {cfg} (claracore): startPort 8100 -> 8400" in out
    assert f"Updated {py} (python): line 9: BACKEND_PORT 8203 -> 9000" in out
    assert "restart them to apply it:\n  portmanager restart backend\n" in out
    code, out, _ = run("link", "list")
    assert code == 0 and out.count("in step") == 4


def test_import_preview_dry_run_and_refusal_without_a_terminal(project, pm_home):
    py = project / "ports_config.py"
    py.write_text(py.read_text().replace("RAG_PORT = 8602", "RAG_PORT = 8702"))
    code, out, _ = run("import", str(py), "--dry-run")
    assert code == 0
    assert "  ~ change ports of rag from 8602 to 8702" in out and "Dry run: nothing was written." in out
    assert _registry().services["rag"].ports == (8602,)  # the default registry, written on first use only
    code, _, err = run("import", str(py))
    assert code == 3 and "rerun with --yes" in err
    assert _registry().services["rag"].ports == (8602,)


def test_interactive_answer(project, monkeypatch):
    class Tty(io.StringIO):
        def isatty(self):
            return True

    py = project / "ports_config.py"
    py.write_text(py.read_text().replace("RAG_PORT = 8602", "RAG_PORT = 8702"))
    monkeypatch.setattr(sys, "stdin", Tty("n\n"))
    code, out, _ = run("import", str(py))
    assert code == 0 and "Nothing was written." in out and _registry().services["rag"].ports == (8602,)
    monkeypatch.setattr(sys, "stdin", Tty("y\n"))
    code, out, _ = run("import", str(py))
    assert code == 0 and "Apply 1 change(s)" in out and _registry().services["rag"].ports == (8702,)


def test_bad_input_names_file_and_line_and_writes_nothing(project, pm_home):
    run("link", "list")  # creates nothing but must not fail on a fresh home
    assert run("check", "router")[0] in (0, 1)  # writes the default registry once
    before = resolve().registry_file.read_text()
    bad = FIXTURES / "foreign" / "ports_config_with_code.py"
    code, _, err = run("import", str(bad), "--yes")
    assert code == 2 and f"{bad}:2:" in err and "nothing was written" in err
    code, _, err = run("import", str(FIXTURES / "foreign" / "workflow.yaml"), "--yes")
    assert code == 2 and "is not a llama-swap config" in err
    code, _, err = run("import", str(project / "docker-compose.yml"), "--yes", "--link")
    assert code == 2 and "does not write docker compose" in err
    assert resolve().registry_file.read_text() == before
    assert not links.links_file(resolve()).exists()


def test_claracore_migration_is_flagged_then_fixed_on_request(tmp_path):
    cfg = tmp_path / "config.yaml"
    shutil.copyfile(FIXTURES / "claracore" / "config_old_5800.yaml", cfg)
    code, out, err = run("import", str(cfg), "--yes", "--link")
    assert code == 0
    assert "startPort 5800 is ClaraCore's own web UI port" in err and "--fix-start-port" in err
    code, out, err = run("link", "list")
    assert "Fix: portmanager group models --start 8100" in err
    code, out, err = run("import", str(cfg), "--yes", "--fix-start-port")
    assert code == 0, err
    assert "move ungrouped models from 5800-5899 to 8100-8199" in out
    assert _registry().start_port == 8100
    assert "startPort: 8100\n" in cfg.read_text() and "# OLD (conflicts with web interface)" in cfg.read_text()


def test_export_to_stdout_and_format_from_the_name(tmp_path):
    code, out, _ = run("export", "--format", "json")
    assert code == 0 and '"backend"' in out
    code, out, _ = run("export", "-o", str(tmp_path / "ports_config.py"))
    assert code == 0 and (tmp_path / "ports_config.py").read_text().startswith('"""Ports of the local AI stack')
    code, out, _ = run("export", "-o", str(tmp_path / "ports_config.py"))
    assert "already up to date" in out
    code, _, err = run("export", "-o", str(tmp_path / "ports.txt"))
    assert code == 2 and "--format" in err
    code, _, err = run("export", "--format", "js", "--link")
    assert code == 2 and "needs -o FILE" in err


def test_export_refuses_to_overwrite_a_python_file_it_cannot_read(tmp_path):
    f = tmp_path / "ports_config.py"
    f.write_text("import os\nBACKEND_PORT = (\n")
    code, _, err = run("export", "-o", str(f))
    assert code == 2 and f"{f}:2:" in err
    assert f.read_text() == "import os\nBACKEND_PORT = (\n"


def test_export_into_a_users_module_with_code_changes_only_its_numbers(tmp_path):
    f = tmp_path / "ports_config.py"
    f.write_text("import os\nBACKEND_PORT = 1\n")
    code, out, _ = run("export", "-o", str(f))
    assert code == 0 and f.read_text() == "import os\nBACKEND_PORT = 8203\n"


def test_link_add_remove_sync(project):
    cfg = project / "config.yaml"
    assert run("import", str(cfg), "--yes")[0] == 0
    code, out, _ = run("link", "add", "claracore", str(cfg))
    assert code == 0 and "Linked" in out
    code, _, err = run("link", "add", "claracore", str(FIXTURES / "foreign" / "workflow.yaml"))
    assert code == 2 and "not linked" in err
    code, out, _ = run("group", "models", "--start", "8400")  # every save syncs the links
    assert code == 0 and "startPort: 8400  # Models" in cfg.read_text()
    assert "startPort: 8200  # Large models" in cfg.read_text()  # ClaraCore ignores it: never written
    cfg.write_text(cfg.read_text().replace("startPort: 8400  # Models", "startPort: 8100  # Models"))
    code, out, _ = run("link", "list")
    assert "out of step, next save writes: startPort 8100 -> 8400" in out
    code, out, _ = run("link", "sync", "--dry-run")
    assert "Would update" in out and "startPort: 8100  # Models" in cfg.read_text()
    code, out, _ = run("link", "sync")
    assert code == 0 and "startPort: 8400  # Models" in cfg.read_text()
    assert "in step" in run("link", "sync")[1]
    code, out, _ = run("link", "remove", str(cfg))
    assert code == 0 and cfg.exists()
    code, _, err = run("link", "remove", str(cfg))
    assert code == 2 and "is not linked" in err


def test_import_compares_with_a_running_llama_swap(tmp_path):
    api = FakeLlamaSwap([{"model": "b", "state": "ready", "proxy": "http://127.0.0.1:5900"},
                         {"model": "a", "state": "ready", "proxy": "http://127.0.0.1:5800"}])
    try:
        cfg = tmp_path / "config.yaml"
        cfg.write_text(f"listen: 127.0.0.1:{api.port}\nmodels:\n"
                       "  b: {cmd: 'llama-server --port ${PORT}'}\n  a: {cmd: 'llama-server --port ${PORT}'}\n")
        code, out, err = run("import", str(cfg), "--dry-run")
    finally:
        api.close()
    assert code == 0, err
    assert "model ports as llama-swap numbers them (from startPort 5800): a 5800, b 5801" in out
    assert "live: a on 5800 (ready), as expected" in out
    assert "WARNING: model b runs on port 5900" in err and "expects 5801" in err
