"""Exports opened by Blender's own importers (the ``bpy`` wheel, in its own Python): what an
architect sees after File > Import. Runs when ``GENZI_BPY_PYTHON`` names a Python with
``bpy==5.0.1`` (``python3.11 -m venv bpy-venv && bpy-venv/bin/pip install bpy==5.0.1``)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from pipeline.export import AxesUnits, export_bodies, posed_vertices
from tests.test_export import bar_skin

BPY_PYTHON = os.environ.get("GENZI_BPY_PYTHON")
REPO = Path(__file__).resolve().parents[1]
PROBE = Path(__file__).with_name("blender_probe.py")
SCENE = REPO / "resources" / "scenes" / "living_room.glb"

pytestmark = [
    pytest.mark.blender,
    pytest.mark.skipif(not BPY_PYTHON, reason="GENZI_BPY_PYTHON is unset: no Blender (bpy) Python to import with"),
]


def blender_sees(path: Path, render: Path | None = None) -> dict:
    out = path.with_suffix(path.suffix + ".json")
    args = [BPY_PYTHON, str(PROBE), str(path), str(out)] + ([str(render)] if render else [])
    result = subprocess.run(args, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return json.loads(out.read_text())


@pytest.fixture
def skins():
    return [bar_skin(60.0), bar_skin(30.0, offset=(1.0, 1.0, 0.0))]


def bounds(info: dict, names=None) -> np.ndarray:
    meshes = [m for n, m in info["meshes"].items() if names is None or n in names]
    return np.array([np.min([m["min"] for m in meshes], axis=0), np.max([m["max"] for m in meshes], axis=0)])


@pytest.mark.parametrize("suffix", [".usdc", ".usdz", ".glb", ".fbx"])
def test_rigged_exports_stand_in_their_fitted_pose_in_blender(tmp_path, skins, suffix):
    path = export_bodies(skins, tmp_path / f"people{suffix}", up="z" if suffix == ".fbx" else None,
                         units="m" if suffix == ".fbx" else None)[0]
    info = blender_sees(path)
    assert info["armatures"] >= 1
    bodies = {n: m for n, m in info["meshes"].items() if m["vertices"] == len(skins[0].rest_vertices)}
    assert len(bodies) == 2 and all(m["armature"] for m in bodies.values())
    expected = np.concatenate([posed_vertices(s) for s in skins])
    np.testing.assert_allclose(bounds(info, bodies), [expected.min(axis=0), expected.max(axis=0)], atol=2e-3)


def test_obj_with_scene_keeps_every_face_and_stands_up_with_the_blender_preset(tmp_path, skins):
    """Two defects found by importing into Blender: bodies without UVs made Blender drop the
    scene's faces ("Invalid UV index"), and a Z-up OBJ lay on its back. The blender preset
    writes Y-up, which Blender's OBJ importer turns into Z-up."""
    from pipeline.export.apps import app_preset

    frame = app_preset("blender").frame_for("obj")
    files = export_bodies(skins, tmp_path / "room.obj", scene=SCENE, up=frame.up, units=frame.units)
    written = sum(1 for line in files[0].read_text().splitlines() if line.startswith("f "))
    info = blender_sees(files[0], render=tmp_path / "room_obj_in_blender.png")
    faces = sum(m["faces"] for m in info["meshes"].values())
    assert faces >= written - 5, f"Blender kept {faces} of {written} faces"
    assert info["images"] == 8
    expected = np.concatenate([posed_vertices(s) for s in skins])
    body = [n for n in info["meshes"] if n.startswith("body_0")]
    np.testing.assert_allclose(bounds(info, body)[:, 2], [expected[:112, 2].min(), posed_vertices(skins[0])[:, 2].max()],
                               atol=1e-3)
    assert (tmp_path / "room_obj_in_blender.png").stat().st_size > 10_000


def test_usd_with_scene_renders_in_blender(tmp_path, skins):
    path = export_bodies(skins, tmp_path / "room.usdc", scene=SCENE)[0]
    png = REPO / "test-artifacts" / "blender_usd_room.png"
    png.parent.mkdir(exist_ok=True)
    info = blender_sees(path, render=png)
    assert sum(m["faces"] for m in info["meshes"].values()) >= 35_447
    assert info["images"] == 8  # the scene's textures came along
    floor_z = bounds(info)[0, 2]
    assert abs(floor_z - AxesUnits().points(posed_vertices(skins[0]))[:, 2].min()) < 0.05
    assert png.stat().st_size > 10_000
