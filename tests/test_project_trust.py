"""Project files from strangers: the whole file is checked, paths stay inside, unpacking is capped,
and saving never deletes what is not a project."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import pytest

from genzi_desktop.model import project_files
from genzi_desktop.model.project import Person, ProjectError, ResultEntry, new_project
from genzi_desktop.model.project_files import open_project, save_project

SAMPLE = Path(__file__).resolve().parent.parent / "resources" / "scenes" / "living_room.glb"
CAMERA = {"name": "view_00", "width": 64, "height": 64, "fov_y_deg": 60.0,
          "world_to_camera": [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 2], [0, 0, 0, 1]]}


def _zip(path: Path, data, extra: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("project.json", data if isinstance(data, str) else json.dumps(data))
        for name, content in (extra or {}).items():
            zf.writestr(name, content)
    return path


def _doc(**people_fields) -> dict:
    person = {"name": "P", "target": {"point": [0, 0, 0.5], "normal": [0, 0, 1], "radius": 0.0},
              "cameras": [CAMERA], "runs": [], "results": []}
    person.update(people_fields)
    return {"format": "genzi-project/1", "scene": {"path": str(SAMPLE)}, "people": [person]}


@pytest.mark.parametrize("person, field", [
    ({"people": ["x"]}, "people[0]: expected an object"),
    ({"cameras": [dict(CAMERA, width="wide")]}, "people[0].cameras[0].width: expected a whole number"),
    ({"cameras": [dict(CAMERA, world_to_camera=[[float("nan")] * 4] * 4)]}, "world_to_camera[0][0]: must be a finite"),
    ({"cameras": [dict(CAMERA, fov_y_deg=0)]}, "fov_y_deg: must be between"),
    ({"target": {"point": [0, 0]}}, "people[0].target.point: expected 3 numbers"),
    ({"target": {"point": [0, 0, 1], "normal": [0, 0, 0]}}, "normal: must not be the zero vector"),
    ({"runs": ["/etc"]}, "people[0].runs[0]: '/etc' is an absolute path"),
    ({"runs": ["runs/../../outside"]}, "leads out of the project"),
    ({"runs": ["C:\\Windows"]}, "absolute path"),
    ({"results": [{"id": "a", "name": "b", "prompt": "", "score": 1, "mesh": "../../x.obj"}]}, "results[0].mesh"),
    ({"results": [{"id": 3, "name": "b", "prompt": "", "score": 1}]}, "results[0].id: expected a text"),
    ({"prompt": {"seed": "seven"}}, "prompt.seed"),
])
def test_wrong_fields_are_named(tmp_path, person, field):
    doc = _doc(**person) if "people" not in person else dict(_doc(), people=person["people"])
    with pytest.raises(ProjectError, match="damaged or was edited by hand") as info:
        open_project(_zip(tmp_path / "p.genzi", doc), tmp_path / "w")
    assert field in str(info.value)
    assert not any((tmp_path / "w").iterdir())


def test_embedded_scene_must_be_inside(tmp_path):
    doc = dict(_doc(), scene={"path": None, "embedded": str(SAMPLE)})
    with pytest.raises(ProjectError, match="scene.embedded: .* is an absolute path"):
        open_project(_zip(tmp_path / "p.genzi", doc), tmp_path / "w")
    doc = dict(_doc(), scene={"embedded": "../living_room.glb"})
    with pytest.raises(ProjectError, match="leads out"):
        open_project(_zip(tmp_path / "q.genzi", doc), tmp_path / "w")


def test_newer_format_asks_for_an_update(tmp_path):
    doc = dict(_doc(), format="genzi-project/7")
    with pytest.raises(ProjectError, match="saved by a newer GenZI Desktop .* Update GenZI Desktop"):
        open_project(_zip(tmp_path / "p.genzi", doc), tmp_path / "w")
    with pytest.raises(ProjectError, match="not an object"):
        open_project(_zip(tmp_path / "q.genzi", "[1, 2]"), tmp_path / "w")


def test_a_folder_projects_links_are_not_followed(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("private key material")
    folder = tmp_path / "shared.genzi"
    (folder / "results").mkdir(parents=True)
    (folder / "project.json").write_text(json.dumps(_doc(results=[{"id": "a", "name": "A", "prompt": "", "score": 0.5,
                                                                             "mesh": "results/a.obj"}])))
    os.symlink(secret, folder / "results" / "a.obj")
    os.symlink(tmp_path, folder / "everything")
    p = open_project(folder, tmp_path / "w")
    assert not (p.root / "results" / "a.obj").exists() and not (p.root / "everything").exists()
    saved = save_project(p, tmp_path / "out.genzi")
    names = zipfile.ZipFile(saved).namelist()
    assert names == ["project.json"]
    # a link planted in the working folder is not saved either, nor resolved through path_of
    os.symlink(secret, p.root / "leak.txt")
    (p.root / "runs").mkdir()
    os.symlink(tmp_path, p.root / "runs" / "p0_0")
    assert "leak.txt" not in zipfile.ZipFile(save_project(p, tmp_path / "out2.genzi")).namelist()
    with pytest.raises(ProjectError, match="leads out of the project"):
        p.path_of("runs/p0_0")


def test_unpacking_is_capped(tmp_path, monkeypatch):
    bomb = tmp_path / "bomb.genzi"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("project.json", json.dumps(_doc()))
        zf.writestr("runs/zeros.bin", b"\0" * (40 * 1024**2))
    assert bomb.stat().st_size < 200_000
    with pytest.raises(ProjectError, match="far more than a project packs"):
        open_project(bomb, tmp_path / "w")
    monkeypatch.setattr(project_files, "MAX_RATIO", 10**6)
    monkeypatch.setattr(project_files, "MAX_UNPACKED_BYTES", 10 * 1024**2)
    with pytest.raises(ProjectError, match="would unpack to 0.0 GB, more than a project may"):
        open_project(bomb, tmp_path / "w")
    assert not any((tmp_path / "w").iterdir())


def test_saving_onto_a_folder_that_is_not_a_project_refuses(tmp_path):
    p = new_project(tmp_path / "work")
    p.scene.path = str(SAMPLE)
    existing = tmp_path / "thesis.genzi"
    existing.mkdir()
    (existing / "chapter1.tex").write_text("precious")
    with pytest.raises(ProjectError, match="not a GenZI project; it was left as it is"):
        save_project(p, existing)
    assert (existing / "chapter1.tex").read_text() == "precious"
    plain = tmp_path / "notes.genzi"
    plain.write_text("my notes")
    with pytest.raises(ProjectError, match="existing file that is not a GenZI project"):
        save_project(p, plain)
    assert plain.read_text() == "my notes"
    # an empty folder, or an earlier project, is fine to replace
    empty = tmp_path / "empty.genzi"
    empty.mkdir()
    assert (save_project(p, empty) / "project.json").is_file()
    p.people[0] = Person(name="Second")
    save_project(p, empty)
    assert open_project(empty, tmp_path / "w").people[0].name == "Second"


def test_refit_paths_stay_inside(tmp_path):
    p = new_project(tmp_path / "work")
    p.add_result(0, ResultEntry(id="a", name="A", prompt="", score=0.0, mesh="results/a.obj"))
    with pytest.raises(ProjectError, match="absolute path"):
        p.path_of("/tmp/elsewhere")
    assert p.path_of("results/a.obj") == p.root / "results" / "a.obj"
