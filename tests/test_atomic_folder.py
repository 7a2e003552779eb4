"""The one folder swap: a finished folder replaces the old one whole, and a failed swap keeps the old one."""

from __future__ import annotations

import pytest

from pipeline.core.atomic import replace_folder


def test_a_finished_folder_replaces_the_old_one_whole(tmp_path):
    old, new = tmp_path / "person_000", tmp_path / "person_000.incoming"
    old.mkdir()
    (old / "stale.obj").write_text("old")
    new.mkdir()
    (new / "body_0.obj").write_text("new")
    assert replace_folder(new, old) == old
    assert sorted(p.name for p in old.iterdir()) == ["body_0.obj"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["person_000"]  # no staging or old copy left


def test_a_failed_swap_keeps_the_old_folder(tmp_path):
    old = tmp_path / "project"
    old.mkdir()
    (old / "project.json").write_text("{}")
    with pytest.raises(OSError):
        replace_folder(tmp_path / "missing", old)
    assert (old / "project.json").read_text() == "{}"
