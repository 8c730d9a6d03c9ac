"""Issue 13's live truth in the desktop app (built by ``app.build``): while llama-swap runs, each
model row says where the model really is, beside the registry's port, and a difference is a
warning in the banner and a notification -- from a real ``/running`` on 127.0.0.1 and a real
child process whose command line is a llama-server's."""
from __future__ import annotations

import os

import pytest

from portmanager_gui import app as gui_app
from portmanager_gui.text.rows import row_note
from tests.helpers import FakeLlamaServer, FakeLlamaSwap, free_port_block, free_ports
from tests.ui import desk

# Another checkout's test suite may run a fake llama-server for "beta" on this machine at the same
# time, and the machine-wide scan sees every one: this run's model has a name of its own.
BETA = f"beta{os.getpid()}"


@pytest.fixture
def stack(tmp_path):
    """llama-swap's API (alpha ready on its registered port) and beta's model server on another port."""
    start = free_port_block(10)                # the pool's ports, and omega's (start + 9)
    beta_port, router = free_ports(2)
    api = FakeLlamaSwap([{"model": "alpha", "state": "ready", "proxy": f"http://127.0.0.1:{start}"},
                         {"model": "omega", "state": "ready", "proxy": f"http://127.0.0.1:{start + 9}"}])
    beta = FakeLlamaServer(tmp_path, beta_port, "--alias", BETA, "--host", "127.0.0.1")
    registry = desk.router_registry(tmp_path / "registry.yaml", [router], extra=(
        f"  llama-swap:\n    ports: [{api.port}]\n"
        f"start_port: {start}\nmodels:\n  numbered_by: llama-swap\n  size: 3\n  members: [alpha, {BETA}, gamma]\n"))
    yield registry, api, beta, start
    beta.close()
    api.close()


def test_model_rows_show_the_real_port_and_a_difference_is_a_warning(qapp, qtbot, stack):
    registry, api, beta, start = stack
    notified = []
    parts = desk.build(qapp, registry, desk.Answers())
    parts.presenter.notified.connect(lambda title, text: notified.append((title, text)))
    try:
        gui_app.start(parts)

        def note(model: str, port: int) -> str:
            row = desk.row(parts, f"models/{model}", port)
            return row_note(row) if row is not None else ""

        qtbot.waitUntil(lambda: "WARNING" in note(BETA, start + 1), timeout=30000)
        assert note(BETA, start + 1).startswith(
            f"WARNING: llama-swap runs {BETA} on port {beta.port} (listening), not on {start + 1} as the registry says")
        assert note("alpha", start) == f"llama-swap: alpha ready on port {start}, as the registry says"
        assert note("gamma", start + 2) == "llama-swap: gamma is not running (llama-swap starts it on the first request)"
        banner = parts.window.banner
        assert not banner.isHidden() and f"runs {BETA} on port {beta.port}" in banner.label.text()
        assert f"runs omega on port {start + 9}, which the registry does not have" in banner.label.text()
        qtbot.waitUntil(lambda: bool(notified), timeout=10000)
        assert notified[0][0] == "Model ports differ from the registry" and BETA in notified[0][1]
        assert api.requests > 0

        # llama-swap reloads its config: beta's server goes, alpha now runs where gamma's port is.
        beta.close()
        api.running = [{"model": "alpha", "state": "ready", "proxy": f"http://127.0.0.1:{start + 2}"}]
        qtbot.waitUntil(lambda: note(BETA, start + 1).startswith(f"llama-swap: {BETA} is not running"), timeout=30000)
        assert note("gamma", start + 2).startswith(f"WARNING: port {start + 2} serves alpha, but the registry gives "
                                                   "it to gamma")
        assert note("alpha", start).startswith(f"WARNING: llama-swap runs alpha on port {start + 2} (ready)")
        assert f"port {start + 2} serves alpha" in banner.label.text()
        qtbot.waitUntil(lambda: len(notified) == 2, timeout=10000)

        # All in step again: the warning banner goes, the notes say so.
        api.running = [{"model": "alpha", "state": "ready", "proxy": f"http://127.0.0.1:{start}"}]
        qtbot.waitUntil(lambda: note("alpha", start).endswith("as the registry says"), timeout=30000)
        assert banner.isHidden()
        assert len(notified) == 2
    finally:
        desk.close(parts)


def test_the_row_notes_say_where_each_model_is():
    from portmanager_gui.core.interop.live import ModelCheck
    from portmanager_gui.ui.interop_presenter import live_note
    assert live_note("claracore", ModelCheck("qwen", 8101, None, "ready", "api")) == \
        "ClaraCore: qwen ready (its port is not reported; the registry says 8101)"
    assert live_note("claracore", ModelCheck("qwen", 8101, None)) == \
        "ClaraCore: qwen is not running (ClaraCore starts it on the first request)"
    assert live_note("llama-swap", ModelCheck("a", 5800, 5800, "ready", "api")) == \
        "llama-swap: a ready on port 5800, as the registry says"
    moved = live_note("llama-swap", ModelCheck("a", 5800, 5803, "starting", "api", held_by="b"))
    assert moved.startswith("WARNING: llama-swap runs a on port 5803 (starting), not on 5800 as the registry says; "
                            "5800 serves b.")
