"""The registry store: live reload, unsaved edits never lost, last good registry kept."""
from __future__ import annotations

import json

from portmanager_gui.core.registry.defaults import DEFAULT_REGISTRY_YAML
from portmanager_gui.services.registry_store import RegistryStore, StoreTrouble


def _store(qtbot, tmp_path, owned, text=DEFAULT_REGISTRY_YAML) -> RegistryStore:
    path = tmp_path / "registry.yaml"
    path.write_text(text, encoding="utf-8")
    store = owned(RegistryStore(path, allocations_file=tmp_path / "alloc.json", create_default=False))
    with qtbot.waitSignal(store.registry_changed, timeout=2000):
        assert store.load()
    return store


def _edit_on_disk(store: RegistryStore, old: str, new: str) -> None:
    text = store.path.read_text(encoding="utf-8")
    assert old in text
    tmp = store.path.with_suffix(".tmp")
    tmp.write_text(text.replace(old, new), encoding="utf-8")
    tmp.replace(store.path)       # an atomic replace, as editors and our own save do


def test_external_change_is_loaded(qtbot, tmp_path, owned):
    store = _store(qtbot, tmp_path, owned)
    assert store.slots and store.registry.services["router"].ports == (3791, 3003)
    assert not (tmp_path / "alloc.json").exists()      # loading is a read: nothing written
    for n in (1, 2):   # twice: the watcher must follow the file after each atomic replace
        with qtbot.waitSignal(store.registry_changed, timeout=5000):
            _edit_on_disk(store, "[3791, 300%d]" % (n + 2), "[3791, 300%d]" % (n + 3))
        assert store.registry.services["router"].ports == (3791, 3003 + n)


def test_broken_file_keeps_last_good_registry(qtbot, tmp_path, owned):
    store = _store(qtbot, tmp_path, owned)
    good = store.registry
    with qtbot.waitSignal(store.load_failed, timeout=5000) as sig:
        _edit_on_disk(store, "[3791, 3003]", "[3791, '3003']")
    problem = sig.args[0]
    assert (problem.trouble, problem.path, problem.kept_last) == (StoreTrouble.INVALID, store.path, True)
    assert problem.detail.startswith(f"{store.path}:") and store.problem == problem
    assert store.registry is good


def test_unsaved_edits_are_not_replaced(qtbot, tmp_path, owned):
    store = _store(qtbot, tmp_path, owned)
    store.set_dirty(True)
    edited = store.registry.with_service_ports("router", (3791, 3010))
    with qtbot.waitSignal(store.external_change_conflict, timeout=5000):
        _edit_on_disk(store, "[3791, 3003]", "[3791, 3004]")
    assert store.registry.services["router"].ports == (3791, 3003)
    with qtbot.waitSignal(store.save_failed, timeout=2000) as sig:
        store.save(edited)
    assert sig.args[0].trouble is StoreTrouble.SAVE_REFUSED and "changed on disk" in sig.args[0].detail
    assert "[3791, 3004]" in store.path.read_text(encoding="utf-8")     # the other change survived
    with qtbot.waitSignal(store.saved, timeout=2000):
        store.save(edited, overwrite=True)                          # the user chose "keep mine"
    assert store.registry.services["router"].ports == (3791, 3010) and not store.dirty


def test_save_writes_atomically_and_keeps_comments(qtbot, tmp_path, owned):
    store = _store(qtbot, tmp_path, owned)
    with qtbot.waitSignal(store.saved, timeout=2000):
        store.save(store.registry.with_group_range("large-models", 8400))
    text = store.path.read_text(encoding="utf-8")
    assert "start_port: 8400" in text and "# Port Manager registry" in text
    assert store.registry.groups["large-models"].start_port == 8400
    assert {s.port for s in store.slots if s.pool == "large-models"} == {8400, 8401}
    remembered = json.loads((tmp_path / "alloc.json").read_text())    # the save job remembered them
    assert set(remembered["large-models"].values()) == {8400, 8401}


def test_odd_bytes_at_start_up_are_reported_not_raised(qtbot, tmp_path, owned):
    for name, data in (("ctl", b"services:\n  a:\n    ports: [1]\n    description: x\x07y\n"),
                       ("latin1", b"services:\n  a:\n    ports: [1]\n    description: caf\xe9\n"),
                       ("deep", b"services: " + b"[" * 800 + b"]" * 800 + b"\n")):
        path = tmp_path / f"{name}.yaml"
        path.write_bytes(data)
        store = owned(RegistryStore(path, allocations_file=tmp_path / "alloc.json", create_default=False))
        with qtbot.waitSignal(store.load_failed, timeout=2000) as sig:
            assert store.load() is False
        assert sig.args[0].trouble is StoreTrouble.INVALID and not sig.args[0].kept_last
        assert sig.args[0].detail.startswith(f"{path}:") and store.registry is None
        assert path.read_bytes() == data


def test_an_app_edit_lands_beside_a_command_line_edit_of_another_service(qtbot, tmp_path, owned):
    store = _store(qtbot, tmp_path, owned)
    store.set_dirty(True)
    edited = store.registry.with_service_ports("claracore", (5801,))
    with qtbot.waitSignal(store.external_change_conflict, timeout=5000):
        _edit_on_disk(store, "[3791, 3003]", "[3791, 3004]")        # e.g. `portmanager ports router ...`
    with qtbot.waitSignal(store.saved, timeout=5000):
        store.save(edited)
    assert store.registry.services["router"].ports == (3791, 3004)
    assert store.registry.services["claracore"].ports == (5801,)
