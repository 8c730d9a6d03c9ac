"""links.json: which files follow the registry."""
from __future__ import annotations

import pytest

from portmanager_gui.core.interop import links
from portmanager_gui.core.paths import resolve


def test_round_trip_and_one_role_per_file(tmp_path):
    paths = resolve()
    assert links.load(paths) == links.Links()
    cfg = tmp_path / "config.yaml"
    ls = links.Links().with_link(links.Link("claracore", cfg)).with_link(links.Link("json", tmp_path / "p.json"))
    links.save(paths, ls)
    assert links.load(paths) == ls
    again = ls.with_link(links.Link("python", cfg))
    assert [x.kind for x in again.items] == ["json", "python"]
    assert again.without(cfg).items == (links.Link("json", tmp_path / "p.json"),)


def test_relative_paths_are_made_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert links.normalize("sub/x.py") == tmp_path / "sub" / "x.py"


@pytest.mark.parametrize("text, words", [
    ("{not json", ":1: not valid JSON"),
    ('{"version": 1, "links": [{"kind": "yaml", "path": "/x"}]}', "links[0] needs a kind"),
    ('{"version": 2, "links": []}', "version 2"),
    ("[]", "expected"),
])
def test_damaged_file_is_reported(text, words):
    paths = resolve()
    links.links_file(paths).parent.mkdir(parents=True)
    links.links_file(paths).write_text(text)
    with pytest.raises(links.LinksError) as exc:
        links.load(paths)
    assert words in str(exc.value) and "links.json" in str(exc.value)


def test_parallel_link_commands_all_land(tmp_path):
    """Ten `portmanager link add` at once, each linking another file: all ten are linked
    (links.json is read, changed and written under one lock, never a stale whole copy)."""
    import subprocess
    import sys

    files = [tmp_path / f"f{i}.env" for i in range(10)]
    procs = [subprocess.Popen([sys.executable, "-m", "portmanager_gui", "link", "add", "env", str(f)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for f in files]
    results = [(p.wait(timeout=120), p.communicate()) for p in procs]
    assert all(rc == 0 for rc, _ in results), results
    assert {x.path for x in links.load(resolve()).items} == set(files)
