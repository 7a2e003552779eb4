"""Every supported format loads into Z-up metres with its visuals kept."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from pipeline.scene.scene import SceneImportOptions, load_scene
from pipeline.scene.formats import find_assimp, run_assimp
from scene_files import (
    ROOM_BOUNDS,
    TABLE_CENTRE_XY,
    TABLE_TOP_Z,
    checker_image,
    write_coloured_ply,
    write_gltf_spec,
    write_plain,
    write_textured_obj,
)


def _assert_room(scene):
    np.testing.assert_allclose(scene.bounds, ROOM_BOUNDS, atol=1e-5)
    assert scene.triangle_count == 24
    # The table top is where a ray from above lands.
    hit = scene.pick([TABLE_CENTRE_XY[0], TABLE_CENTRE_XY[1], 2.0], [0, 0, -1])
    assert hit is not None
    np.testing.assert_allclose(hit[0], [TABLE_CENTRE_XY[0], TABLE_CENTRE_XY[1], TABLE_TOP_Z], atol=1e-5)
    np.testing.assert_allclose(hit[1], [0, 0, 1], atol=1e-6)


def test_obj_with_mtl_keeps_texture(tmp_path):
    path = write_textured_obj(tmp_path)
    assert (tmp_path / "material.mtl").exists()
    scene = load_scene(path)
    _assert_room(scene)
    assert scene.options.up_axis == "z" and scene.options.unit == "m"
    visual = scene.geometries[0].visual
    assert isinstance(visual, trimesh.visual.TextureVisuals)
    image = getattr(visual.material, "image", None) or getattr(visual.material, "baseColorTexture", None)
    assert image is not None
    assert np.array_equal(np.asarray(image.convert("RGB")), np.asarray(checker_image()))
    assert visual.uv is not None and len(visual.uv) == len(scene.geometries[0].vertices)


def test_ply_keeps_vertex_colours(tmp_path):
    scene = load_scene(write_coloured_ply(tmp_path))
    _assert_room(scene)
    colours = scene.geometries[0].visual.vertex_colors
    xs = scene.geometries[0].vertices[:, 0]
    assert np.all(colours[xs > 0][:, :3] == [20, 180, 60])
    assert np.all(colours[xs < 0][:, :3] == [200, 30, 40])


@pytest.mark.parametrize("ext", ["stl", "glb"])
def test_plain_formats(tmp_path, ext):
    # A Z-up metre GLB (as trimesh writes it) needs the user's word: glTF says Y-up.
    options = SceneImportOptions(up_axis="z", unit="m") if ext == "glb" else None
    scene = load_scene(write_plain(tmp_path, ext), options=options)
    _assert_room(scene)


@pytest.mark.parametrize("ext", ["glb", "gltf"])
def test_gltf_y_up_becomes_z_up(tmp_path, ext):
    path = write_gltf_spec(tmp_path, ext=ext)
    raw = trimesh.load(path, force="scene")
    assert np.ptp(raw.bounds[:, 1]) == pytest.approx(2.5)  # the file really is Y-up
    scene = load_scene(path)
    assert scene.options.up_axis == "y"
    _assert_room(scene)
    material = scene.geometries[0].visual.material
    assert list(np.asarray(material.baseColorFactor)[:3]) == [40, 90, 200]


def test_glb_node_transforms_are_applied(tmp_path):
    box = trimesh.creation.box(extents=(1.0, 1.0, 1.0))
    moved = np.eye(4)
    moved[:3, 3] = (3.0, 0.0, 0.0)
    scene = trimesh.Scene()
    scene.add_geometry(box, node_name="a")
    scene.add_geometry(box, node_name="b", transform=moved)
    path = tmp_path / "two.glb"
    scene.export(path)
    loaded = load_scene(path, SceneImportOptions(up_axis="z", unit="m"))
    assert len(loaded.geometries) == 2
    np.testing.assert_allclose(loaded.bounds, [[-0.5, -0.5, -0.5], [3.5, 0.5, 0.5]], atol=1e-6)


def _fbx_from(tmp_path, source):
    if find_assimp() is None:
        pytest.skip("no assimp 6 binary found (pip install cmeel-assimp)")
    out = tmp_path / (source.stem + ".fbx")
    result = run_assimp(["export", str(source), str(out), "-f", "fbx"])
    assert result.returncode == 0, result.stderr
    return out


def test_fbx_through_assimp_keeps_texture(tmp_path):
    fbx = _fbx_from(tmp_path, write_textured_obj(tmp_path))
    assert fbx.read_bytes()[:18] == b"Kaydara FBX Binary"
    scene = load_scene(fbx)
    _assert_room(scene)
    material = scene.geometries[0].visual.material
    image = getattr(material, "baseColorTexture", None) or getattr(material, "image", None)
    assert image is not None and image.size == (16, 16)
    assert any("FBX" in n for n in scene.notes)


def test_fbx_from_glb(tmp_path):
    fbx = _fbx_from(tmp_path, write_plain(tmp_path, "glb", name="plain"))
    scene = load_scene(fbx, SceneImportOptions(up_axis="z", unit="m"))
    _assert_room(scene)


def test_progress_is_reported_and_monotonic(tmp_path):
    seen = []
    load_scene(write_plain(tmp_path, "stl"), progress=lambda f, m: seen.append((f, m)))
    fractions = [f for f, _ in seen]
    assert fractions[-1] == 1.0 and fractions == sorted(fractions)
    assert all(isinstance(m, str) and m for _, m in seen)
