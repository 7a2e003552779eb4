"""Metrics of pipeline.lifting.metrics on known geometry and poses."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from lifting_helpers import BoxSDF, project_observations, ring_cameras  # noqa: E402

from pipeline.lifting.fit import ViewObservation  # noqa: E402
from pipeline.lifting.metrics import (  # noqa: E402
    contact, diversity, mpjpe, non_collision, pa_mpjpe, penetration_depth, reprojection_errors, scene_metrics,
)
from pipeline.core.rotations import rotation_about_z  # noqa: E402

BOX = BoxSDF(lo=(0, 0, 0), hi=(1, 1, 1), floor_z=None)


def test_physical_metrics_on_a_box():
    pts = np.array([[0.5, 0.5, 0.9], [0.5, 0.5, 1.05], [0.5, 0.5, 1.5], [2.0, 2.0, 2.0]])  # 1 inside (0.1 deep)
    assert non_collision(BOX, pts) == pytest.approx(0.75)
    assert contact(BOX, pts)
    assert not contact(BOX, pts[2:], tolerance=0.02)
    assert contact(BOX, pts[1:], tolerance=0.06)  # 5 cm above the top counts with a 6 cm tolerance
    mx, mean = penetration_depth(BOX, pts)
    assert mx == pytest.approx(0.1, abs=1e-5) and mean == pytest.approx(0.1, abs=1e-5)
    assert penetration_depth(BOX, pts[1:]) == (0.0, 0.0)
    m = scene_metrics(BOX, pts)
    assert m["max_penetration_m"] == pytest.approx(0.1, abs=1e-5) and m["contact"] is True


def test_pose_errors():
    rng = np.random.default_rng(0)
    gt = rng.normal(size=(23, 3))
    moved = 1.3 * gt @ rotation_about_z(0.7).T + np.array([1.0, 2.0, 3.0])
    assert mpjpe(gt + [0.0, 0.0, 0.05], gt) == pytest.approx(0.05)
    assert mpjpe(moved, gt) > 0.5
    assert pa_mpjpe(moved, gt) == pytest.approx(0.0, abs=1e-9)
    noisy = gt + rng.normal(0, 0.01, gt.shape)
    assert 0.0 < pa_mpjpe(noisy, gt) <= mpjpe(noisy, gt)


def test_reprojection_errors_ignore_missing_keypoints():
    kp = np.random.default_rng(1).normal(0, 0.3, (23, 3)) + [0, 0, 1]
    cams = ring_cameras([0, 0, 1], n=3)
    obs = project_observations(kp, cams)
    obs[0].keypoints = obs[0].keypoints + [3.0, 4.0]
    obs[1].keypoints[2] = np.nan
    obs[2] = ViewObservation(obs[2].name, obs[2].camera, obs[2].keypoints, np.zeros(23), False)
    err = reprojection_errors(kp, obs)
    assert err["view_00"] == pytest.approx(5.0, abs=1e-6)
    assert err["view_01"] == pytest.approx(0.0, abs=1e-6)
    assert np.isnan(err["view_02"])


def test_diversity_grows_with_spread():
    rng = np.random.default_rng(2)
    same = np.repeat(rng.normal(size=(1, 63)), 60, axis=0)
    spread = rng.normal(size=(60, 63))
    d_same, d_spread = diversity(same), diversity(spread)
    assert d_same["entropy_20"] == pytest.approx(0.0, abs=1e-9)
    assert d_spread["entropy_20"] > 2.0 and d_spread["cluster_size_20"] > d_same["cluster_size_20"]
    assert set(d_spread) == {"entropy_20", "cluster_size_20", "entropy_50", "cluster_size_50"}
    small = diversity(spread[:15])  # fewer samples than clusters: max(1, N // 10) clusters
    assert small["entropy_20"] == pytest.approx(0.0, abs=1e-9)
    with pytest.raises(ValueError):
        diversity([])
