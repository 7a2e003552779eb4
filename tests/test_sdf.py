"""The signed distance grid: values against exact distances, sign on the non-watertight sample
room, differentiable trilinear sampling with the right axis order, files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import trimesh

from pipeline.scene.scene import Scene, load_scene
from pipeline.scene.sdf import SDFGrid, build_sdf_grid, sdf_at
from scene_files import room_mesh

SAMPLE = Path(__file__).resolve().parents[1] / "resources" / "scenes" / "living_room.glb"
BOX_HALF = np.array([0.5, 0.3, 0.2])


def box_sdf(points: np.ndarray, centre=np.zeros(3), half=BOX_HALF) -> np.ndarray:
    q = np.abs(points - centre) - half
    outside = np.linalg.norm(np.maximum(q, 0.0), axis=-1)
    inside = np.minimum(q.max(axis=-1), 0.0)
    return outside + inside


@pytest.fixture(scope="module")
def box_grid():
    box = trimesh.creation.box(extents=2 * BOX_HALF)
    return build_sdf_grid(box, center=(0.05, -0.02, 0.03), half_extent=(0.8, 0.6, 0.5), cell=0.02)


def test_box_grid_matches_exact_distances(box_grid):
    g = box_grid
    axes = [g.origin[i] + g.spacing * np.arange(n) for i, n in enumerate(g.shape)]
    centres = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1)
    exact = box_sdf(centres)
    err = np.abs(g.values - exact)
    near = np.abs(exact) < 2 * g.spacing
    assert err[near].max() < 1e-4  # computed exactly near the surface
    # Elsewhere interpolated from exact coarse values (3 cells apart): small errors, largest on
    # ridges of the distance field (the box's medial planes), never more than a coarse cell.
    assert np.percentile(err, 99) < 0.5 * g.spacing
    assert err.max() < 3 * g.spacing
    assert np.array_equal(np.sign(g.values[np.abs(exact) > 1e-3]), np.sign(exact[np.abs(exact) > 1e-3]))


def test_sample_is_trilinear_with_the_right_axis_order(box_grid):
    from scipy.interpolate import RegularGridInterpolator

    g = box_grid
    axes = [g.origin[i] + g.spacing * np.arange(n) for i, n in enumerate(g.shape)]
    reference = RegularGridInterpolator(axes, g.values.astype(np.float64), method="linear")
    rng = np.random.default_rng(1)
    b = g.bounds
    points = rng.uniform(b[0], b[1], size=(500, 3))
    got = g.sample(torch.tensor(points, dtype=torch.float64)).numpy()
    np.testing.assert_allclose(got, reference(points), atol=1e-6)
    # The box is longest along x: 0.6 m along x is 0.1 m out, 0.45 m along z is 0.25 m out.
    np.testing.assert_allclose(g.sample_numpy(np.array([[0.6, 0.0, 0.0], [0.0, 0.0, 0.45]])), [0.1, 0.25], atol=1e-3)


def test_sample_keeps_leading_shape_and_clamps_outside(box_grid):
    pts = torch.zeros(4, 5, 3)
    assert box_grid.sample(pts).shape == (4, 5)
    far = box_grid.sample(torch.tensor([[10.0, 0.0, 0.0]]))
    border = box_grid.values[-1, np.argmin(np.abs(box_grid.origin[1] + box_grid.spacing * np.arange(box_grid.shape[1]))), 0]
    assert np.isfinite(far.item()) and far.item() > 0.2 and border > 0


def test_sample_gradient_points_away_from_the_box(box_grid):
    points = torch.tensor([[0.7, 0.05, 0.0], [0.0, -0.45, 0.05], [0.1, 0.0, 0.35], [0.0, 0.0, 0.1]], requires_grad=True)
    box_grid.sample(points).sum().backward()
    grad = points.grad.numpy()
    expected = np.array([[1, 0, 0], [0, -1, 0], [0, 0, 1], [0, 0, 1]], dtype=float)
    np.testing.assert_allclose(grad / np.linalg.norm(grad, axis=1, keepdims=True), expected, atol=1e-3)


def test_save_load_and_device_cache(box_grid, tmp_path):
    path = box_grid.save(tmp_path / "grid.npz")
    again = SDFGrid.load(path)
    np.testing.assert_array_equal(again.values, box_grid.values)
    np.testing.assert_allclose(again.origin, box_grid.origin)
    assert again.spacing == box_grid.spacing and again.info["shape"] == list(box_grid.shape)
    assert again.to("cpu") is again
    pts = torch.rand(10, 3) * 0.4
    first = again._tensor("cpu", torch.float32)
    assert torch.equal(again.sample(pts), box_grid.sample(pts))
    assert again._tensor("cpu", torch.float32) is first  # cached, not rebuilt
    bad = tmp_path / "bad.npz"
    np.savez(bad, something=np.zeros(3))
    with pytest.raises(ValueError, match="Build the grid again"):
        SDFGrid.load(bad)


def test_sdf_at_is_exact_on_a_box():
    box = trimesh.creation.box(extents=2 * BOX_HALF)
    pts = np.random.default_rng(2).uniform(-1, 1, size=(300, 3))
    np.testing.assert_allclose(sdf_at(box, pts), box_sdf(pts), atol=1e-5)


def test_room_shell_air_is_outside_walls_and_table_inside():
    scene = Scene([room_mesh()])
    grid = build_sdf_grid(scene, center=(0.0, 0.0, 1.0), half_extent=(2.2, 1.7, 1.4), cell=0.05)
    probes = np.array([
        [0.0, 0.0, 1.5],  # air in the room
        [-1.5, 1.0, 0.3],  # air near the floor
        [0.5, 0.2, 0.5],  # inside the table
        [0.0, 0.0, -0.1],  # under the floor
        [2.1, 0.0, 1.0],  # behind a wall
    ])
    got = grid.sample_numpy(probes)
    np.testing.assert_allclose(got, [0.75, 0.3, -0.25, -0.1, -0.1], atol=0.03)  # 0.75: the table top


@pytest.fixture(scope="module")
def room():
    return load_scene(SAMPLE)


@pytest.fixture(scope="module")
def sofa_grid(room):
    return build_sdf_grid(room, center=(0.0, -2.41, 0.6), half_extent=(1.5, 0.7, 0.7), cell=0.03)


def test_sofa_sign_on_the_sample_room(sofa_grid, room):
    probes = np.array([
        [0.0, -2.41, 0.65],  # just above the seat cushion
        [0.0, -2.41, 0.35],  # inside the seat
        [0.0, -1.75, 0.9],  # open air in front of the sofa
        [-1.0, -1.80, 0.60],  # where a seated person's knees are
        [0.0, -2.41, -0.05],  # under the floor
        [0.0, -2.80, 0.80],  # inside the backrest
    ])
    exact = sdf_at(room, probes)
    assert list(np.sign(exact)) == [1, -1, 1, 1, -1, -1]
    np.testing.assert_allclose(sofa_grid.sample_numpy(probes), exact, atol=0.02)


def test_sofa_grid_agrees_with_exact_distances_in_the_room(sofa_grid, room):
    rng = np.random.default_rng(3)
    b = sofa_grid.bounds
    pts = rng.uniform(b[0], b[1], size=(3000, 3))
    pts = pts[(pts[:, 1] > -2.95) & (pts[:, 2] > 0.0)]  # in the room (not behind the wall)
    exact = sdf_at(room, pts)
    got = sofa_grid.sample_numpy(pts)
    clear = np.abs(exact) > 2 * sofa_grid.spacing
    assert np.mean(np.sign(got[clear]) == np.sign(exact[clear])) > 0.99
    near = np.abs(exact) < 0.1
    assert np.median(np.abs(got - exact)[near]) < 0.005
    assert np.percentile(np.abs(got - exact), 95) < sofa_grid.spacing
