"""Bodies already placed as obstacles: folded into the distance grid the fit and metrics read."""

from __future__ import annotations

import numpy as np
import trimesh

from pipeline.generation.obstacles import body_signed_distance, merge_into_grid, penetration_into_bodies
from pipeline.scene.sdf import SDFGrid


def _sphere(center, radius=0.3):
    mesh = trimesh.creation.icosphere(subdivisions=4, radius=radius)
    return np.asarray(mesh.vertices) + center, np.asarray(mesh.faces)


def test_a_body_is_folded_into_the_grid_as_the_nearer_surface():
    grid = SDFGrid(origin=np.zeros(3), spacing=0.05, values=np.full((41, 41, 41), 0.5, dtype=np.float32))
    merged = merge_into_grid(grid, [_sphere([1.0, 1.0, 1.0])])
    assert merged.info["obstacle_bodies"] == 1 and merge_into_grid(grid, []) is grid
    probes = np.array([[1.0, 1.0, 1.0], [1.0, 1.0, 1.2], [1.0, 1.0, 1.4], [0.2, 0.2, 0.2]])
    got = merged.sample_numpy(probes)
    # centre 0.3 deep, 0.1 inside, 0.1 outside; far away the scene's 0.5 stays
    assert np.allclose(got, [-0.3, -0.1, 0.1, 0.5], atol=0.01)


def test_person_person_penetration_is_measured():
    other = _sphere([0.0, 0.0, 0.0])
    inside = np.array([[0.0, 0.0, 0.25], [0.0, 0.0, 0.1], [0.0, 0.0, 0.6]])
    report = penetration_into_bodies(inside, [other])
    assert report["person_penetration_vertices"] == 2
    assert abs(report["person_penetration_max_m"] - 0.2) < 0.01
    assert penetration_into_bodies(inside, [])["person_penetration_vertices"] == 0
    assert np.all(np.isinf(body_signed_distance(inside, [])))
