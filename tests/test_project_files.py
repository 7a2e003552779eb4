"""Project files (.genzi): zip and folder round trips, embedded scenes, bad files, autosave recovery."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from genzi_desktop.model.autosave import AutosaveSlot, recoverable_autosaves
from genzi_desktop.model.project import Person, ProjectError, PromptSettings, ResultEntry, new_project
from genzi_desktop.model.project_files import open_project, save_project

SAMPLE = Path(__file__).resolve().parent.parent / "resources" / "scenes" / "living_room.glb"


def _project(tmp_path):
    p = new_project(tmp_path / "work")
    p.scene.path = str(SAMPLE)
    p.people[0] = Person(name="Reader", target={"point": [0.0, -2.41, 0.566], "normal": [0, 0, 1], "radius": 0.0},
                         cameras=[{"name": "view_00", "width": 64, "height": 64, "fov_y_deg": 60.0,
                                   "world_to_camera": [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 2], [0, 0, 0, 1]]}],
                         prompt=PromptSettings(prompt="a man reading on the sofa", seed=7, overrides={"steps": 9}))
    run = p.new_run_dir(0)
    (run / "report.json").write_text("{}")
    mesh = p.root / "results" / "a1.obj"
    mesh.parent.mkdir()
    mesh.write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")
    p.people[0].runs.append(p.relative(run))
    p.add_result(0, ResultEntry(id="a1", name="Reader #1", prompt="a man reading on the sofa", score=0.8,
                                metrics={"contact": True, "max_penetration_m": 0.012}, mesh=p.relative(mesh),
                                run=p.relative(run)))
    p.add_person("Standing")
    p.active_person = 0
    return p


@pytest.mark.parametrize("as_folder", [False, True])
def test_save_and_open_round_trip(tmp_path, as_folder):
    p = _project(tmp_path)
    saved = save_project(p, tmp_path / "out" / "room", as_folder=as_folder)
    assert saved.name == "room.genzi" and (saved.is_dir() if as_folder else zipfile.is_zipfile(saved))
    q = open_project(saved, tmp_path / "work2")
    assert q.root != p.root
    assert q.to_dict()["people"] == p.to_dict()["people"]
    assert q.scene.path == str(SAMPLE) and q.scene_file() == SAMPLE
    r = q.people[0].results[0]
    assert q.path_of(r.mesh).read_text().startswith("v 0 0 0") and (q.path_of(r.run) / "report.json").exists()
    assert r.contact is True and r.penetration == pytest.approx(0.012)
    # saving again over the same file replaces it
    p.people[0].name = "Reader (renamed)"
    save_project(p, saved, as_folder=as_folder)
    assert open_project(saved, tmp_path / "work3").people[0].name == "Reader (renamed)"


def test_embedded_scene_travels_inside(tmp_path):
    p = _project(tmp_path)
    p.embed_scene(SAMPLE)
    saved = save_project(p, tmp_path / "room.genzi")
    assert "scene/living_room.glb" in zipfile.ZipFile(saved).namelist()
    q = open_project(saved, tmp_path / "w")
    assert q.scene_file() == q.root / "scene" / "living_room.glb"
    assert q.scene_file().stat().st_size == SAMPLE.stat().st_size


def test_bad_files_say_what_is_wrong(tmp_path):
    with pytest.raises(ProjectError, match="does not exist"):
        open_project(tmp_path / "missing.genzi", tmp_path / "w")
    junk = tmp_path / "junk.genzi"
    junk.write_text("not a zip")
    with pytest.raises(ProjectError, match="not a GenZI project"):
        open_project(junk, tmp_path / "w")
    other = tmp_path / "other.genzi"
    with zipfile.ZipFile(other, "w") as zf:
        zf.writestr("project.json", json.dumps({"format": "something-else/3"}))
    with pytest.raises(ProjectError, match="known version"):
        open_project(other, tmp_path / "w")
    evil = tmp_path / "evil.genzi"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("project.json", json.dumps({"format": "genzi-project/1"}))
        zf.writestr("../outside.txt", "x")
    with pytest.raises(ProjectError, match="unsafe path"):
        open_project(evil, tmp_path / "w")
    assert not (tmp_path / "outside.txt").exists()
    assert not any((tmp_path / "w").iterdir())  # failed opens leave no working folders


def test_autosave_is_recoverable_only_after_a_crash(tmp_path):
    p = _project(tmp_path)
    slot = AutosaveSlot(tmp_path / "autosave", "session-a")
    slot.claim()
    slot.save(p)
    assert recoverable_autosaves(slot.folder) == []  # this (living) process owns it
    crashed = AutosaveSlot(tmp_path / "autosave", "session-b")
    crashed.save(p)
    crashed.lock_path.write_text(json.dumps({"pid": 2**22 + 4321}))  # a process that is gone
    assert recoverable_autosaves(slot.folder) == [crashed.project_path]
    q = open_project(crashed.project_path, tmp_path / "w")
    assert q.people[0].results[0].name == "Reader #1"
    slot.release()
    assert not slot.project_path.exists() and not slot.lock_path.exists()
