"""The bundled living room loads Z-up in metres and answers ray and distance queries."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import trimesh

from pipeline.scene.scene import SceneImportOptions, guess_import_options, load_scene

SAMPLE = Path(__file__).resolve().parents[1] / "resources" / "scenes" / "living_room.glb"
SOFA_XY = (0.0, -2.41)


@pytest.fixture(scope="module")
def room():
    return load_scene(SAMPLE)


def test_sample_is_z_up_metres_floor_at_zero(room):
    assert (room.options.up_axis, room.options.unit) == ("z", "m")
    lo, hi = room.bounds
    assert abs(lo[2]) < 0.02  # floor at z = 0 (a baseboard dips 1 cm)
    np.testing.assert_allclose(room.size, [6.05, 6.19, 3.22], atol=0.05)
    assert room.triangle_count > 30_000
    assert len(room.geometries) == 27
    assert all(isinstance(g.visual, trimesh.visual.TextureVisuals) for g in room.geometries)
    assert "Z" in room.options.describe()


def test_sample_guess_explains_itself():
    guess = guess_import_options(SAMPLE)
    assert (guess.up_axis, guess.unit) == ("z", "m")
    assert any("glTF" in r for r in guess.reasons)


def test_sample_rewritten_y_up_still_lands_z_up(tmp_path, room):
    # The same room stored the way the glTF specification wants it (Y-up) loads identically.
    scene = trimesh.Scene()
    rotate = np.eye(4)
    rotate[:3, :3] = np.array([[1, 0, 0], [0, 0, 1], [0, -1, 0]])  # Z-up -> Y-up
    for name, g in zip(room.names, room.geometries):
        part = g.copy()
        part.apply_transform(rotate)
        scene.add_geometry(part, node_name=name)
    path = tmp_path / "room_y_up.glb"
    scene.export(path)
    again = load_scene(path)
    assert again.options.up_axis == "y"
    np.testing.assert_allclose(again.bounds, room.bounds, atol=1e-4)


def test_ray_down_onto_sofa_seat(room):
    hits = room.raycast([[SOFA_XY[0], SOFA_XY[1], 3.0]], [[0.0, 0.0, -1.0]])
    assert hits.hit[0]
    assert 0.45 < hits.points[0, 2] < 0.6  # seat top about 0.5 m (the cushion bulges in the middle)
    assert hits.distances[0] == pytest.approx(3.0 - hits.points[0, 2], abs=1e-5)
    assert hits.normals[0, 2] > 0.9  # facing back up the ray
    assert 0 <= hits.face_ids[0] < room.triangle_count
    assert room.names[room.face_part[hits.face_ids[0]]].startswith("sofa/")


def test_ray_batch_matches_one_by_one_and_misses_are_marked(room):
    rng = np.random.default_rng(0)
    origins = np.tile([0.0, 0.0, 1.5], (64, 1))
    directions = rng.normal(size=(64, 3))
    directions[0] = 0.0  # degenerate
    hits = room.raycast(origins, directions)
    assert not hits.hit[0] and hits.face_ids[0] == -1 and np.isinf(hits.distances[0])
    assert hits.hit[1:].all()  # closed room: every real ray hits something
    for i in (1, 17, 40):
        one = room.pick(origins[i], directions[i])
        np.testing.assert_allclose(one[0], hits.points[i], atol=1e-6)
    unit = directions[1:] / np.linalg.norm(directions[1:], axis=1, keepdims=True)
    assert np.all(np.einsum("ij,ij->i", hits.normals[1:], unit) <= 1e-9)


def test_pick_into_the_sky_is_none(room):
    assert room.pick([0.0, 0.0, 10.0], [0.0, 0.0, 1.0]) is None


def test_stool_seat_height(room):
    point, normal = room.pick([1.77, 1.63, 2.0], [0, 0, -1])
    assert point[2] == pytest.approx(0.58, abs=0.02)


def test_closest_points_and_normal_near(room):
    above_seat = np.array([[SOFA_XY[0], SOFA_XY[1], 0.8]])
    points, distances, faces = room.closest_points(above_seat)
    assert distances[0] == pytest.approx(np.linalg.norm(points[0] - above_seat[0]), abs=1e-5)
    assert distances[0] < 0.8 - 0.45
    normal = room.vertex_normal_near([SOFA_XY[0], SOFA_XY[1], 0.56])
    assert np.linalg.norm(normal) == pytest.approx(1.0)
    assert normal[2] > 0.8


def test_explicit_options_on_the_sample(room):
    scene = load_scene(SAMPLE, SceneImportOptions(up_axis="z", unit="cm"))
    np.testing.assert_allclose(scene.size, room.size * 0.01, rtol=1e-6)
