"""A real, posed Anny body through every export and the ``genzi export`` command."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pygltflib
import pytest
import torch
import trimesh

from pipeline.cli.main import main as genzi
from pipeline.export import AxesUnits, export_bodies, posed_vertices
from pipeline.export import fbx as fbx_module

REPO = Path(__file__).resolve().parents[1]
SCENE = REPO / "resources" / "scenes" / "living_room.glb"

pytestmark = pytest.mark.slow  # loads Anny (~8 s) and writes a 13k-vertex rig four ways


@pytest.fixture(scope="module")
def anny():
    from pipeline.body import load_body_model

    return load_body_model("anny")


@pytest.fixture(scope="module")
def posed_params(anny):
    torch.manual_seed(3)
    params = anny.init_params(1)
    params["pose"] = params["pose"] + 0.4 * torch.randn_like(params["pose"])
    params["translation"] = torch.tensor([[1.77, 1.63, 0.0]])  # by the stool
    return params


def test_skinned_anny_matches_the_model_and_survives_every_format(tmp_path, anny, posed_params):
    skin = anny.skinned_mesh(posed_params)
    expected = anny(posed_params).vertices[0].detach().numpy()
    np.testing.assert_allclose(posed_vertices(skin), expected, atol=1e-4)
    assert np.ptp(expected[:, 2]) > 1.0  # a person, not a collapsed mesh

    obj = export_bodies([skin], tmp_path / "anny.obj")[0]
    loaded = trimesh.load(obj, force="mesh", process=False)
    assert len(loaded.vertices) == len(expected)
    np.testing.assert_allclose(loaded.bounds, [expected.min(0), expected.max(0)], atol=1e-6)

    glb = export_bodies([skin], tmp_path / "anny.glb")[0]
    gltf = pygltflib.GLTF2().load(str(glb))
    assert len(gltf.skins[0].joints) == len(skin.bone_names) == len(gltf.nodes) - 1
    if shutil.which("node") and (REPO / "tools" / "node_modules" / "gltf-validator").is_dir():
        out = subprocess.run(
            ["node", str(REPO / "tools" / "validate_gltf.mjs"), str(glb)], capture_output=True, text=True, check=True
        )
        issues = json.loads(out.stdout)["issues"]
        assert issues["numErrors"] == 0, issues["messages"][:5]

    fbx = export_bodies([skin], tmp_path / "anny.fbx")[0]
    info = fbx_module.run_assimp(["info", str(fbx)]).stdout
    dump = tmp_path / "anny.json"
    fbx_module.run_assimp(["export", str(fbx), str(dump), "-fassjson"])
    mesh = json.loads(dump.read_text())["meshes"][0]
    bones_line = next(line for line in info.splitlines() if line.startswith("Bones:"))
    assert int(bones_line.split()[1]) == len(skin.bone_names)  # the whole skeleton
    assert len(mesh["bones"]) > 20  # the bones that carry weight on the mesh
    assert {b["name"] for b in mesh["bones"]} <= set(skin.bone_names)
    total = np.zeros(len(mesh["vertices"]) // 3)
    for bone in mesh["bones"]:
        for vertex, weight in bone["weights"]:
            total[vertex] += weight
    np.testing.assert_allclose(total, 1.0, atol=1e-4)
    # the mesh in the model's rest pose (as in GLB and USD) in Y-up cm; the app re-opens it posed
    from pipeline.scene.scene import load_scene
    from tests.test_export import same_points

    data = json.loads(dump.read_text())  # assimp lists vertices per corner, in meshes of <= 65535
    rest = np.concatenate([np.asarray(m["vertices"]).reshape(-1, 3) for m in data["meshes"]])
    assert same_points(rest, AxesUnits("y", "cm").points(skin.rest_vertices)) < 0.01  # 0.1 mm
    reopened = load_scene(fbx)
    assert same_points(np.concatenate([g.vertices for g in reopened.geometries]), expected) < 1e-4


def test_genzi_export_rebuilds_bodies_from_a_run_folder(tmp_path, anny, posed_params, capsys):
    run = tmp_path / "run"
    run.mkdir()
    body = {"set": "set_0", "model": "anny", "params": anny.params_to_json(posed_params), "mesh": "body_0.obj"}
    (run / "report.json").write_text(json.dumps({"bodies": [body, dict(body, set="set_1")]}))
    (run / "config.json").write_text(json.dumps({"scene": str(SCENE)}))

    out = tmp_path / "both.glb"
    assert genzi(["export", str(run), "--out", str(out), "--bodies", "0,1"]) == 0
    gltf = pygltflib.GLTF2().load(str(out))
    assert len(gltf.skins) == 2

    out = tmp_path / "one_with_room.obj"
    assert genzi(["export", str(run), "--format", "obj", "--with-scene", "--bodies", "1", "--units", "cm",
                  "--style", "bare", "--out", str(out)]) == 0
    room = trimesh.load(out, force="scene", split_object=True, group_material=False)
    assert "body_1" in room.geometry and len(room.geometry) > 5
    body_v = anny(posed_params).vertices[0].detach().numpy()
    scene_b = trimesh.load(SCENE, force="scene").bounds
    expected = np.array([np.minimum(scene_b[0], body_v.min(0)), np.maximum(scene_b[1], body_v.max(0))])
    np.testing.assert_allclose(room.bounds, expected * 100.0, atol=0.01)  # centimetres, Z-up

    assert genzi(["export", str(run), "--out", str(tmp_path / "x.glb"), "--bodies", "5"]) == 1
    assert "out of range" in capsys.readouterr().err
    assert genzi(["export", str(run), "--out", str(tmp_path / "x.glb"), "--up", "z"]) == 1
    assert "Y-up metres" in capsys.readouterr().err
