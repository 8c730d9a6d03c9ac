"""``sudo portmanager ...`` (root, in a user's folders: macOS keeps HOME under sudo, ``sudo -E``
keeps PORTMANAGER_HOME) never leaves root's files there: every file and folder Port Manager
creates in a folder of another user is that user's, so the user's own commands go on working
(a root-owned ``state/locks`` made the user's next ``portmanager start`` a traceback)."""
from __future__ import annotations

import os
import sys

import pytest

from portmanager_gui.core.atomic_write import write_atomic
from portmanager_gui.core.paths import Paths
from portmanager_gui.core.platform.file_lock import locked, locked_folder
from portmanager_gui.core.supervisor import logfiles
from portmanager_gui.core.supervisor.records import ManagedRecord, StateStore

ROOT = pytest.mark.skipif(sys.platform == "win32" or os.geteuid() != 0, reason="needs root to chown")
NOBODY = 65534


@ROOT
def test_what_root_creates_in_a_users_folder_is_the_users(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    os.chown(home, NOBODY, NOBODY)
    paths = Paths(home / "pm" / "config", home / "pm" / "state", home / "pm" / "logs").ensure()
    store = StateStore(paths.services_state_file)
    store.put(ManagedRecord("web", 1, 1.0, 41000, ("x",), 0.0, ""))
    with locked(paths.state_dir / "locks" / "web.lock"):
        pass
    with locked_folder(paths.config_dir):
        write_atomic(paths.config_dir / "registry.yaml", "version: 1\n")
    os.close(logfiles.open_log_fd(logfiles.log_path(paths, "web")))
    made = [p for p in (home / "pm").rglob("*")] + [home / "pm"]
    assert len(made) >= 9
    assert [(str(p), p.stat().st_uid) for p in made if p.stat().st_uid != NOBODY] == []
    assert all(p.stat().st_gid == NOBODY for p in made)


@ROOT
def test_roots_own_folders_stay_roots(tmp_path):
    folder = tmp_path / "root-owned"
    write_atomic(folder / "settings.json", "{}")
    assert folder.stat().st_uid == 0 and (folder / "settings.json").stat().st_uid == 0


def test_the_new_file_owner_decision_on_every_os():
    from portmanager_gui.core.platform.files import new_file_owner

    assert new_file_owner(0, 501, 20) == (501, 20)          # root in a user's folder: the user's
    assert new_file_owner(0, 0, 0) is None                  # root in root's folder: root's
    assert new_file_owner(501, 502, 20) is None             # a user: as the OS made it
    assert new_file_owner(None, 501, 20) is None            # Windows: no uids
