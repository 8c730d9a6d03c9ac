"""apply_links: every linked file written after a save; a bad one reported and left alone."""
from __future__ import annotations

import os

from portmanager_gui.core.interop import links, llamaswap_import
from portmanager_gui.core.interop.sync import Status, apply_links, backup_path
from portmanager_gui.core.paths import resolve


def _link_all(tmp_path, fixture_copy):
    cfg = fixture_copy("claracore/config.yaml")
    py = fixture_copy("project/ports_config.py")
    env = fixture_copy("project/.env")
    (tmp_path / "frontend" / "src").mkdir(parents=True)
    js = tmp_path / "frontend" / "src" / "config.js"
    items = links.Links((links.Link("claracore", cfg), links.Link("python", py), links.Link("env", env),
                         links.Link("js", js), links.Link("json", tmp_path / "ports.json")))
    links.save(resolve(), items)
    return cfg, py, env, js


def test_one_change_reaches_every_linked_file(tmp_path, fixture_copy, registry):
    cfg, py, env, js = _link_all(tmp_path, fixture_copy)
    registry = llamaswap_import.import_file(cfg, registry).registry
    first = apply_links(registry, resolve())  # js/json are created; the user's own files gain nothing
    assert first.ok, first
    assert {o.link.kind for o in first.written} == {"js", "json"}
    new = registry.with_service_ports("backend", (9000,)).with_group_range("models", 8400)
    report = apply_links(new, resolve())
    assert report.ok
    by_kind = {o.link.kind: o for o in report.outcomes}
    assert by_kind["claracore"].changes == ("startPort 8100 -> 8400",)
    assert by_kind["python"].changes == ("line 9: BACKEND_PORT 8203 -> 9000",)
    assert by_kind["env"].changes == ("line 3: BACKEND_PORT 8203 -> 9000",)
    assert "startPort: 8400  # Models start from port 8100" in cfg.read_text()
    assert "startPort: 8200  # Large models start from 8200" in cfg.read_text()  # ClaraCore ignores it
    assert "BACKEND_PORT = 9000  # Backend API service" in py.read_text()
    assert "export BACKEND_PORT=9000" in env.read_text()
    assert "export const BACKEND_PORT = 9000;" in js.read_text()
    assert '"port": 9000' in (tmp_path / "ports.json").read_text()
    # The previous versions are kept in Port Manager's state folder, not beside the user's files.
    assert not list(tmp_path.glob("*.bak"))
    kept = backup_path(resolve().state_dir / "backups", py).read_text()
    assert "BACKEND_PORT = 8203" in kept


def test_unchanged_files_are_not_rewritten(tmp_path, fixture_copy, registry):
    cfg, *_ = _link_all(tmp_path, fixture_copy)
    apply_links(registry, resolve())
    os.utime(cfg, (1_000_000, 1_000_000))  # ClaraCore reloads on any touch: it must not be touched
    report = apply_links(registry, resolve())
    assert {o.status for o in report.outcomes} == {Status.UNCHANGED}
    assert cfg.stat().st_mtime == 1_000_000


def test_a_bad_linked_file_is_left_alone_and_the_rest_written(tmp_path, fixture_copy, registry):
    cfg, py, env, js = _link_all(tmp_path, fixture_copy)
    py.write_text("BACKEND_PORT = (\n")
    report = apply_links(registry.with_service_ports("backend", (9000,)), resolve())
    assert not report.ok
    failed = report.failed
    assert [o.link.path for o in failed] == [py]
    assert f"{py}:1:" in failed[0].error and "not changed" in failed[0].error
    assert py.read_text() == "BACKEND_PORT = (\n"
    assert "export BACKEND_PORT=9000" in env.read_text()


def test_dry_run_writes_nothing(tmp_path, fixture_copy, registry):
    cfg, py, env, js = _link_all(tmp_path, fixture_copy)
    before = cfg.read_text()
    registry = llamaswap_import.import_file(cfg, registry).registry
    report = apply_links(registry.with_group_range("models", 8150), resolve(), dry_run=True)
    assert any(o.status is Status.WRITTEN for o in report.outcomes)
    assert cfg.read_text() == before and not js.exists()


def test_missing_folder_and_damaged_links_file(tmp_path, registry):
    paths = resolve()
    links.save(paths, links.Links((links.Link("js", tmp_path / "gone" / "config.js"),)))
    report = apply_links(registry, paths)
    assert "no longer exists" in report.failed[0].error
    links.links_file(paths).write_text("{")
    report = apply_links(registry, paths)
    assert not report.ok and "links.json:1" in report.error
