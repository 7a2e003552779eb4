"""Very large scenes cast rays with warp instead of Embree; both must give the same answers."""

from pathlib import Path

import numpy as np

import pipeline.scene.scene as scene_module
from pipeline.scene.scene import load_scene

SAMPLE = Path(__file__).resolve().parents[1] / "resources" / "scenes" / "living_room.glb"


def test_warp_rays_match_embree_on_the_sample_room(monkeypatch):
    scene = load_scene(SAMPLE)
    assert not scene.uses_warp_rays
    rng = np.random.default_rng(3)
    origins = rng.uniform([-2.5, -2.5, 0.3], [2.5, 2.5, 2.8], size=(400, 3))
    directions = rng.normal(size=(400, 3))
    directions[:20] = [0.0, 0.0, -1.0]  # straight down onto furniture and floor
    embree = scene.raycast(origins, directions)

    monkeypatch.setattr(scene_module, "WARP_RAYS_ABOVE_TRIANGLES", 0)
    assert scene.uses_warp_rays
    warp = scene.raycast(origins, directions)

    assert embree.hit.mean() > 0.95  # inside a closed room nearly every ray hits something
    agree = embree.hit == warp.hit
    assert agree.mean() > 0.99
    both = embree.hit & warp.hit
    close = np.abs(embree.distances[both] - warp.distances[both]) < 1e-3
    assert close.mean() > 0.99
    np.testing.assert_allclose(warp.points[both][close], embree.points[both][close], atol=1e-3)
    same_side = np.einsum("ij,ij->i", warp.normals[both], directions[both]) < 0
    assert same_side.all()  # normals face the ray origin on both paths
