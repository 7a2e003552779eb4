"""Bad files give a SceneLoadError whose message says what is wrong and what to do."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

import pipeline.scene.formats as scene_formats
from pipeline.scene.scene import LARGE_SCENE_TRIANGLES, Scene, SceneLoadError, load_scene
from scene_files import write_plain, write_textured_obj


def _error(path, **kwargs) -> str:
    with pytest.raises(SceneLoadError) as info:
        load_scene(path, **kwargs)
    return str(info.value)


def test_missing_file(tmp_path):
    msg = _error(tmp_path / "nowhere.glb")
    assert "does not exist" in msg and "nowhere.glb" in msg


def test_folder_instead_of_file(tmp_path):
    folder = tmp_path / "scene.obj"
    folder.mkdir()
    assert "folder" in _error(folder)


@pytest.mark.parametrize("ext", ["glb", "obj", "ply", "stl", "fbx"])
def test_empty_file(tmp_path, ext):
    path = tmp_path / f"empty.{ext}"
    path.write_bytes(b"")
    msg = _error(path)
    assert "empty" in msg and "Export" in msg


@pytest.mark.parametrize(
    "name,data",
    [
        ("broken.glb", b"glTF\x02\x00\x00\x00" + b"\x13\x37" * 40),
        ("broken.ply", b"ply\nformat binary_little_endian 1.0\nelement vertex 100\nproperty float x\nend_header\n\x00\x01"),
        ("broken.fbx", b"Kaydara FBX Binary  \x00" + b"\xff" * 64),
    ],
)
def test_corrupt_file(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    msg = _error(path)
    assert name in msg
    assert "damaged" in msg or "re-export" in msg


def test_truncated_glb(tmp_path):
    good = write_plain(tmp_path, "glb")
    cut = tmp_path / "cut.glb"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    assert "cut.glb" in _error(cut)


@pytest.mark.parametrize("ext", ["obj", "stl"])
def test_text_file_is_not_a_mesh(tmp_path, ext):
    path = tmp_path / f"notes.{ext}"
    path.write_text("Shopping list: milk, eggs, a sofa.\n")
    assert "no triangles" in _error(path)


def test_point_cloud_is_not_a_mesh(tmp_path):
    path = tmp_path / "scan.ply"
    trimesh.PointCloud(np.random.default_rng(0).random((50, 3))).export(path)
    msg = _error(path)
    assert "points" in msg and "no triangles" in msg and "mesh" in msg


def test_lines_only_obj(tmp_path):
    path = tmp_path / "lines.obj"
    path.write_text("v 0 0 0\nv 1 0 0\nv 1 1 0\nl 1 2\nl 2 3\n")
    assert "no triangles" in _error(path)


def test_zero_triangle_glb(tmp_path):
    path = tmp_path / "nothing.glb"
    scene = trimesh.Scene()
    scene.add_geometry(trimesh.PointCloud(np.zeros((3, 3)) + np.arange(3)[:, None]))
    scene.export(path)
    assert "triangles" in _error(path)


@pytest.mark.parametrize("name", ["model.skp", "model.blend", "README"])
def test_unsupported_extension(tmp_path, name):
    path = tmp_path / name
    path.write_text("whatever")
    msg = _error(path)
    assert "Supported formats" in msg and ".glb" in msg


def test_fbx_without_assimp_says_how_to_install(tmp_path, monkeypatch):
    path = tmp_path / "room.fbx"
    path.write_bytes(b"Kaydara FBX Binary  \x00" + b"\x00" * 64)
    monkeypatch.setattr(scene_formats, "find_assimp", lambda: None)
    msg = _error(path)
    assert "pip install cmeel-assimp" in msg


def test_nan_vertices(tmp_path):
    path = tmp_path / "nan.obj"
    path.write_text("v 0 0 0\nv 1 0 0\nv nan 1 0\nf 1 2 3\n")
    msg = _error(path)
    assert "NaN" in msg or "no triangles" in msg


def test_bad_options_are_load_errors(tmp_path):
    path = write_textured_obj(tmp_path)
    from pipeline.scene.scene import SceneImportOptions

    with pytest.raises(SceneLoadError, match="choose one of"):
        load_scene(path, SceneImportOptions(up_axis="q"))


def test_large_scene_warns(monkeypatch, tmp_path):
    import pipeline.scene.scene as scene_module

    monkeypatch.setattr(scene_module, "LARGE_SCENE_TRIANGLES", 10)
    scene = load_scene(write_plain(tmp_path, "stl"))
    assert any("24 triangles" in w and "slow" in w for w in scene.warnings)
    assert LARGE_SCENE_TRIANGLES >= 1_000_000


def test_scene_needs_geometry():
    with pytest.raises(SceneLoadError):
        Scene([])


@pytest.mark.slow  # writes and loads 2.3 million triangles (~10-30 s on 2 cores)
def test_multi_million_triangle_scene_loads_with_progress_and_warning(tmp_path):
    sphere = trimesh.creation.icosphere(subdivisions=7, radius=0.4)  # 327,680 triangles
    parts = [sphere.copy().apply_translation((1.0 * i, 0.0, 0.4)) for i in range(7)]
    path = tmp_path / "huge.ply"
    trimesh.util.concatenate(parts).export(path)
    seen = []
    scene = load_scene(path, progress=lambda f, m: seen.append(f))
    assert scene.triangle_count == 7 * 327_680 > LARGE_SCENE_TRIANGLES
    assert any("slow" in w for w in scene.warnings)
    assert seen[-1] == 1.0 and len(seen) >= 4
    point, normal = scene.pick([3.0, 0.0, 5.0], [0.0, 0.0, -1.0])
    np.testing.assert_allclose(point, [3.0, 0.0, 0.8], atol=1e-3)
