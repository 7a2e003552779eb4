"""``genzi export`` of an SMPL-X run rebuilds the rig from the user's model file (synthetic model)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pygltflib
import pytest
import trimesh

from pipeline.body.spec import BodySpec, load_body
from pipeline.cli.main import main as genzi
from pipeline.export import fbx as fbx_module
from pipeline.generation.body_record import write_body_spec

pytest.importorskip("smplx")
sys.path.insert(0, str(Path(__file__).parent))
from test_body_smplx import make_model  # noqa: E402 - needs smplx


def _fit_run(tmp_path: Path, model_file: Path, record: bool) -> Path:
    """A run folder as ``genzi fit --model smplx`` writes it: report.json, the mesh, the model record."""
    body = load_body(BodySpec.of("smplx", model_file))
    params = body.init_params()
    params["translation"] = params["translation"] + 0.3
    run = tmp_path / ("run_recorded" if record else "run_bare")
    run.mkdir()
    out = body(params)
    trimesh.Trimesh(out.vertices[0].detach().numpy(), body.faces, process=False).export(run / "body_0.obj")
    entry = {"set": "set_0", "model": "smplx", "params": body.params_to_json(params), "mesh": "body_0.obj"}
    (run / "report.json").write_text(json.dumps({"bodies": [entry]}))
    if record:
        write_body_spec(run, BodySpec.of("smplx", model_file))
    return run


def _fbx_bones(path: Path) -> int:
    info = fbx_module.run_assimp(["info", str(path)]).stdout
    return int(next(line for line in info.splitlines() if line.startswith("Bones:")).split()[1])


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("smplx") / "SMPLX_NEUTRAL.npz"
    make_model(path)
    return path


def test_export_uses_the_model_the_run_recorded(tmp_path, model_file):
    run = _fit_run(tmp_path, model_file, record=True)
    glb, fbx = tmp_path / "body.glb", tmp_path / "body.fbx"
    assert genzi(["export", str(run), "--out", str(glb)]) == 0
    gltf = pygltflib.GLTF2().load(str(glb))
    assert len(gltf.skins) == 1 and len(gltf.skins[0].joints) == 55
    assert genzi(["export", str(run), "--out", str(fbx)]) == 0
    assert _fbx_bones(fbx) == 55


def test_export_takes_the_model_path_or_says_it_is_needed(tmp_path, model_file, capsys):
    run = _fit_run(tmp_path, model_file, record=False)
    glb = tmp_path / "body.glb"
    assert genzi(["export", str(run), "--out", str(glb)]) == 1
    err = capsys.readouterr().err
    assert "--body-model-path" in err and "no body model parameters" not in err
    assert not glb.exists()
    assert genzi(["export", str(run), "--out", str(glb), "--body-model-path", str(model_file.parent)]) == 0
    assert len(pygltflib.GLTF2().load(str(glb)).skins) == 1
    # static formats need no model: the run's mesh is written as it is
    assert genzi(["export", str(run), "--out", str(tmp_path / "body.obj")]) == 0


def test_export_opens_a_pickled_model_only_with_allow_pickle(tmp_path, model_file, capsys):
    """A run recorded with the user's .pkl model: consent is given per invocation, like fit/generate."""
    pkl = tmp_path / "pkl model" / "SMPLX_NEUTRAL.pkl"
    pkl.parent.mkdir()
    make_model(pkl, fmt="pkl")
    run = _fit_run(tmp_path, model_file, record=False)
    write_body_spec(run, BodySpec.of("smplx", pkl))
    glb, fbx = tmp_path / "body.glb", tmp_path / "body.fbx"
    assert genzi(["export", str(run), "--out", str(glb)]) == 1
    assert "--allow-pickle" in capsys.readouterr().err and not glb.exists()
    assert genzi(["export", str(run), "--out", str(glb), "--allow-pickle"]) == 0
    gltf = pygltflib.GLTF2().load(str(glb))
    assert len(gltf.skins) == 1 and len(gltf.skins[0].joints) == 55
    assert genzi(["export", str(run), "--out", str(fbx), "--allow-pickle"]) == 0
    assert _fbx_bones(fbx) == 55
