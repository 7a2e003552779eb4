"""Clothes and figure styles in exported files, read back by independent readers."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pygltflib
import pytest
import trimesh

from pipeline.body.garments import Outfit
from pipeline.cli.main import main as genzi
from pipeline.export import ExportBody, export_bodies
from pipeline.export import fbx as fbx_module
from pipeline.export.run_appearance import record_appearance
from pipeline.export.styling import Appearance, styled_body

pytestmark = pytest.mark.slow  # loads Anny, writes dressed rigs
REPO = Path(__file__).resolve().parents[1]
BLENDER_CHECK = REPO / "tests" / "blender_pose_check.py"


@pytest.fixture(scope="module")
def anny():
    from pipeline.body import load_body_model

    return load_body_model("anny")


@pytest.fixture(scope="module")
def params(anny):
    p = anny.init_params()
    anny.set_bone_anatomical(p, "upperleg01.L", [-60, 0, 0])
    anny.set_bone_anatomical(p, "lowerleg01.L", [60, 0, 0])
    return p


def _styled(anny, params, style, outfit=Outfit("male_elegantsuit01", "shoes01", "short02")):
    body = ExportBody.from_skin(anny.skinned_mesh(params), name="person")
    styled, notes = styled_body(body, Appearance(style=style, outfit=outfit), anny.hm08_vertex_indices())
    assert not notes
    return body, styled


def test_clothed_glb_has_one_skin_for_body_and_garments_and_stays_small(anny, params, tmp_path):
    bare, styled = _styled(anny, params, "clothed")
    plain = export_bodies([bare], tmp_path / "bare.glb")[0]
    dressed = export_bodies([styled], tmp_path / "dressed.glb")[0]
    gltf = pygltflib.GLTF2().load(str(dressed))
    assert len(gltf.skins) == 1
    skinned = [n for n in gltf.nodes if n.mesh is not None]
    names = {gltf.meshes[n.mesh].name for n in skinned}
    assert {"person_body", "person_shoes01", "person_short02", "person_male_elegantsuit01_top",
            "person_male_elegantsuit01_bottom"} <= names
    assert all(n.skin == 0 for n in skinned)
    assert {m.name for m in gltf.materials} >= {"skin", "top", "bottom", "shoes", "hair"}
    assert dressed.stat().st_size < 2.0 * plain.stat().st_size


def test_styles_reach_glb_obj_and_fbx_materials(anny, params, tmp_path):
    _, glass = _styled(anny, params, "glass")
    gltf = pygltflib.GLTF2().load(str(export_bodies([glass], tmp_path / "glass.glb")[0]))
    mat = gltf.materials[gltf.meshes[0].primitives[0].material]
    assert mat.alphaMode == "BLEND" and mat.pbrMetallicRoughness.baseColorFactor[3] == pytest.approx(0.35)

    _, white = _styled(anny, params, "white")
    written = export_bodies([white], tmp_path / "white.obj")
    mtl = next(p for p in written if p.suffix == ".mtl").read_text()
    kd = [line.split()[1:] for line in mtl.splitlines() if line.startswith("Kd")]
    assert "newmtl white_model" in mtl and np.allclose(np.asarray(kd, float), (0.93, 0.93, 0.91), atol=0.01)
    _, glass_obj = _styled(anny, params, "glass")
    mtl = next(p for p in export_bodies([glass_obj], tmp_path / "glass.obj") if p.suffix == ".mtl").read_text()
    assert "d 0.350" in mtl
    scene = trimesh.load(tmp_path / "white.obj", force="scene", split_object=True, group_material=False)
    assert len(scene.geometry) >= 5  # body, suit top and bottom, shoes, hair as separate objects

    _, by_person = _styled(anny, params, "by-person")
    fbx = export_bodies([by_person], tmp_path / "person.fbx")[0]
    dump = tmp_path / "person.json"
    fbx_module.run_assimp(["export", str(fbx), str(dump), "-fassjson"])
    data = json.loads(dump.read_text())
    assert len(data["meshes"]) >= 5
    assert all(len(m.get("bones", [])) > 5 for m in data["meshes"])  # every piece skinned
    diffuse = [p["value"] for m in data["materials"] for p in m["properties"] if p["key"] == "$clr.diffuse"]
    assert any(np.allclose(d[:3], by_person.pieces[0].material.rgb, atol=0.01) for d in diffuse)


def test_genzi_export_dresses_a_run_by_its_prompt(anny, params, tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    body = {"set": "set_0", "model": "anny", "params": anny.params_to_json(params), "mesh": "body_0.obj"}
    (run / "report.json").write_text(json.dumps({"bodies": [body]}))
    (run / "config.json").write_text(json.dumps({"request": {"prompt": "a man in a suit reading", "seed": 4}}))
    out = tmp_path / "suit.glb"
    assert genzi(["export", str(run), "--out", str(out), "--colours", "outfit"]) == 0
    names = {m.name for m in pygltflib.GLTF2().load(str(out)).meshes}
    assert any("elegantsuit" in n for n in names)
    assert genzi(["export", str(run), "--out", str(out), "--style", "bare"]) == 0
    assert len(pygltflib.GLTF2().load(str(out)).meshes) == 1
    record_appearance(run, style="white", hair="none")  # what `genzi fit --style white --hair none` records
    assert genzi(["export", str(run), "--out", str(out)]) == 0
    gltf = pygltflib.GLTF2().load(str(out))
    used = {gltf.materials[p.material].name for m in gltf.meshes for p in m.primitives}
    assert used == {"white_model"}
    assert not any("short02" in m.name or "bob01" in m.name or "ponytail" in m.name for m in gltf.meshes)
    with pytest.raises(SystemExit):  # argparse names the outfits there are
        genzi(["export", str(run), "--out", str(out), "--outfit", "tuxedo"])
    assert "male_elegantsuit01" in capsys.readouterr().err


@pytest.mark.blender
@pytest.mark.skipif(not os.environ.get("GENZI_BPY_PYTHON"),
                    reason="set GENZI_BPY_PYTHON to a Python with bpy 5.0.1 (pip install bpy==5.0.1)")
def test_blender_poses_body_and_garments_together(anny, params, tmp_path):
    _, styled = _styled(anny, params, "clothed")
    files = [export_bodies([styled], tmp_path / "dressed.glb")[0], export_bodies([styled], tmp_path / "dressed.fbx")[0]]
    for path in files:
        out = subprocess.run([os.environ["GENZI_BPY_PYTHON"], str(BLENDER_CHECK), str(path), "upperarm01.L"],
                             capture_output=True, text=True, timeout=600)
        assert out.returncode == 0, out.stderr[-2000:]
        report = json.loads(out.stdout.strip().splitlines()[-1])
        assert report["armatures"] == 1 and report["skinned_meshes"] >= 5, report
        # the sleeve moves with the arm
        assert report["body_moved"] > 0.05 and report["garment_moved"] > 0.05, report
        # ... and stayed on it: as far from the visible skin after the bend as before
        assert abs(report["gap_after"] - report["gap_before"]) < 0.01, report


def test_usd_and_collada_carry_the_clothes_with_their_colours(anny, params, tmp_path):
    """Both wrote the bare body in one skin colour, whatever the person wore."""
    from pxr import Usd, UsdShade, UsdSkel

    _, styled = _styled(anny, params, "by-person")
    stage = Usd.Stage.Open(str(export_bodies([styled], tmp_path / "person.usdc")[0]))
    meshes = [p for p in stage.Traverse() if p.GetTypeName() == "Mesh"]
    assert len(meshes) == len(styled.pieces) >= 5
    for prim, piece in zip(meshes, styled.pieces):
        assert UsdSkel.BindingAPI(prim).GetSkeletonRel().GetTargets()  # every piece on the one skeleton
        assert len(prim.GetAttribute("points").Get()) == len(piece.rest_vertices)
        shader = UsdShade.MaterialBindingAPI(prim).ComputeBoundMaterial()[0].ComputeSurfaceSource()[0]
        assert np.allclose(shader.GetInput("diffuseColor").Get(), piece.material.rgb, atol=1e-3)
        assert shader.GetInput("roughness").Get() == pytest.approx(piece.material.roughness)

    dae = export_bodies([styled], tmp_path / "person.dae")[0]
    dump = tmp_path / "person_dae.json"
    fbx_module.run_assimp(["export", str(dae), str(dump), "-fassjson"])  # an independent reader
    data = json.loads(dump.read_text())
    assert len(data["meshes"]) == len(styled.pieces)
    diffuse = [p["value"] for m in data["materials"] for p in m["properties"] if p["key"] == "$clr.diffuse"]
    assert all(any(np.allclose(d[:3], p.material.rgb, atol=0.01) for d in diffuse) for p in styled.pieces)
    posed = np.concatenate([p.vertices for p in styled.pieces])
    read = np.concatenate([np.asarray(m["vertices"]).reshape(-1, 3) for m in data["meshes"]])  # per corner
    from scipy.spatial import cKDTree

    assert cKDTree(posed).query(read)[0].max() < 1e-5 and cKDTree(read).query(posed)[0].max() < 1e-5
