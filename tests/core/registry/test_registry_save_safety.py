"""Saving never loses an edit and never breaks the user's file: compare-and-swap under a lock,
symlinks, mode, owner, read-only files, the backup, temp files, comments."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from portmanager_gui.core.registry import save as yamlio
from portmanager_gui.core.registry.load import RegistryError, load, parse

POSIX = pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes, owners and symlinks")
ROOT = pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to chown")

TWO = "services:\n  a:\n    ports: [41010]   # a's port\n  b:\n    ports: [41020]\n"


def _write(tmp_path, text=TWO, name="registry.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_stale_edit_of_another_entry_still_lands(tmp_path):
    path = _write(tmp_path)
    base = path.read_text()
    reg = load(path)
    yamlio.save(reg.with_service_ports("a", (41011,)), path, expected_text=base)
    yamlio.save(reg.with_service_ports("b", (41021,)), path, expected_text=base)   # based on the old text
    again = load(path)
    assert again.services["a"].ports == (41011,) and again.services["b"].ports == (41021,)
    assert "# a's port" in path.read_text()


def test_a_stale_edit_of_the_same_entry_is_a_conflict(tmp_path):
    path = _write(tmp_path)
    base = path.read_text()
    reg = load(path)
    yamlio.save(reg.with_service_ports("a", (41011,)), path, expected_text=base)
    after = path.read_text()
    with pytest.raises(yamlio.SaveConflict) as info:
        yamlio.save(reg.with_service_ports("a", (41012,)), path, expected_text=base)
    assert info.value.key == "services.a" and "changed" in str(info.value)
    assert path.read_text() == after


def test_a_stale_removal_and_addition_merge(tmp_path):
    path = _write(tmp_path)
    base = path.read_text()
    reg = load(path)
    yamlio.save(reg.without_service("a"), path, expected_text=base)
    yamlio.save(reg.with_service(reg.services["b"].__class__("c", (41030,))), path, expected_text=base)
    assert list(load(path).services) == ["b", "c"]


def test_parallel_commands_on_different_services_all_land(tmp_path):
    n = 8
    text = "services:\n" + "".join(f"  s{i}:\n    ports: [{42000 + i}]\n" for i in range(n))
    path = _write(tmp_path, text)
    env = dict(os.environ, PORTMANAGER_HOME=str(tmp_path / "home"))
    procs = [subprocess.Popen([sys.executable, "-m", "portmanager_gui", "--registry", str(path), "ports",
                               f"s{i}", str(43000 + i)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for i in range(n)]
    results = [(p.wait(timeout=120), p.stderr.read().decode()) for p in procs]
    for p in procs:
        p.stdout.close()
        p.stderr.close()
    assert [rc for rc, _ in results] == [0] * n, results
    reg = load(path)
    assert {name: s.ports for name, s in reg.services.items()} == {f"s{i}": (43000 + i,) for i in range(n)}


@POSIX
def test_a_symlinked_registry_stays_a_link_and_its_target_is_written(tmp_path):
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir()
    target = _write(dotfiles)
    link = tmp_path / "registry.yaml"
    link.symlink_to(target)
    yamlio.save(load(link).with_service_ports("a", (41011,)), link, expected_text=TWO)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert load(target).services["a"].ports == (41011,)
    assert (dotfiles / "registry.yaml.bak").read_text() == TWO
    assert not (tmp_path / "registry.yaml.bak").exists()


@POSIX
@pytest.mark.parametrize("mode", [0o644, 0o640, 0o664])
def test_the_files_mode_is_kept(tmp_path, mode):
    path = _write(tmp_path)
    path.chmod(mode)
    yamlio.save(load(path).with_service_ports("a", (41011,)), path)
    assert path.stat().st_mode & 0o7777 == mode


@POSIX
@ROOT
def test_saving_as_root_keeps_the_users_ownership(tmp_path):
    path = _write(tmp_path)
    path.chmod(0o644)
    os.chown(path, 65534, 65534)
    yamlio.save(load(path).with_service_ports("a", (41011,)), path)
    st = path.stat()
    assert (st.st_uid, st.st_gid, st.st_mode & 0o7777) == (65534, 65534, 0o644)
    bak = path.with_name("registry.yaml.bak").stat()
    assert (bak.st_uid, bak.st_gid) == (65534, 65534)


@POSIX
def test_a_read_only_registry_is_refused(tmp_path):
    path = _write(tmp_path)
    path.chmod(0o444)
    with pytest.raises(RegistryError) as info:
        yamlio.save(load(path).with_service_ports("a", (41011,)), path)
    assert "read-only" in str(info.value) and str(path) in str(info.value)
    assert path.read_text() == TWO and path.stat().st_mode & 0o777 == 0o444


@POSIX
def test_a_dangling_registry_link_is_not_replaced_by_a_default(tmp_path):
    link = tmp_path / "registry.yaml"
    link.symlink_to(tmp_path / "gone" / "registry.yaml")
    with pytest.raises(RegistryError) as info:
        yamlio.ensure_default(link)
    assert "symbolic link" in str(info.value) and "gone" in str(info.value)
    assert link.is_symlink() and not (tmp_path / "gone").exists()


@POSIX
def test_the_backup_never_writes_through_a_link(tmp_path):
    path = _write(tmp_path)
    precious = tmp_path / "precious.txt"
    precious.write_text("keep me")
    path.with_name("registry.yaml.bak").symlink_to(precious)
    yamlio.save(load(path).with_service_ports("a", (41011,)), path)
    assert precious.read_text() == "keep me"
    assert path.with_name("registry.yaml.bak").read_text() == TWO


def test_temp_files_of_dead_writers_are_cleaned(tmp_path):
    path = _write(tmp_path)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait(timeout=60)
    stray = tmp_path / f".registry.yaml.{dead.pid}.x1y2.tmp"
    stray.write_text("half a registry")
    stray_bak = tmp_path / f".registry.yaml.bak.{dead.pid}.x1y2.tmp"   # killed while writing the backup
    stray_bak.write_text("half a backup")
    live = tmp_path / f".registry.yaml.{os.getppid()}.abcd.tmp"   # a live writer's file is left alone
    live.write_text("in progress")
    yamlio.save(load(path).with_service_ports("a", (41011,)), path)
    assert not stray.exists() and not stray_bak.exists() and live.exists()


def test_comments_inside_block_lists_are_kept(tmp_path):
    text = ("services:\n  a:\n    ports:\n      - 41010   # first\n      # the fallback:\n"
            "      - 41011   # second\n")
    path = _write(tmp_path, text)
    yamlio.save(load(path).with_service_ports("a", (41010, 41012)), path)
    out = path.read_text()
    assert "# first" in out and "# the fallback:" in out and "41012" in out
    yamlio.save(load(path).with_service_ports("a", (41010, 41012, 41013)), path)
    assert "# first" in path.read_text() and load(path).services["a"].ports == (41010, 41012, 41013)


def test_start_port_is_not_added_when_the_file_lacked_it(tmp_path):
    path = _write(tmp_path)
    yamlio.save(load(path).with_service_ports("a", (41011,)), path)
    assert "start_port" not in path.read_text()
    assert parse(path.read_text(), "x").start_port == 8100
