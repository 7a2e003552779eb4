"""The fit's pull towards the points where most views' detections meet (the "points" term)."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).parent))

from lifting_helpers import BoxSDF, mpjpe_mm, project_observations, ring_cameras  # noqa: E402
from lifting_toy_body import ToyBody  # noqa: E402

from pipeline.body.base import KEYPOINT_NAMES  # noqa: E402
from pipeline.lifting.fit import fit_body  # noqa: E402
from pipeline.lifting.schedule import LiftingSettings  # noqa: E402

FAST = LiftingSettings(num_threads=1).with_iterations(200)
OFF = replace(FAST, weights={**FAST.weights, "points": (0.0,) * 5})
LH, RH = KEYPOINT_NAMES.index("left_hip"), KEYPOINT_NAMES.index("right_hip")
FAR = (50.0, 50.0, 50.0)  # a point-sized box far away: the scene is only its floor


def _truth():
    body = ToyBody()
    p = body.init_params()
    p["translation"] = torch.tensor([[0.3, -2.0, 0.0]])
    p["pose"][0, 18] = -0.6  # an arm forward
    with torch.no_grad():
        return body, body(p).keypoints[0].numpy()


def _shifted(obs, views, px):
    """The same person detected ``px`` pixels to the right in ``views`` (a consistent bias)."""
    for i in views:
        obs[i].keypoints = obs[i].keypoints + np.array([px, 0.0])
    return obs


def test_the_fit_follows_the_views_that_agree_more_closely_with_the_points_term():
    body, truth = _truth()
    target = truth[[LH, RH]].mean(0)
    obs = _shifted(project_observations(truth, ring_cameras(target, n=9), noise_px=1.0), (0, 3, 6), 40.0)
    with_term = fit_body(body, obs, None, FAST, target=target)
    without = fit_body(body, obs, None, OFF, target=target)
    # 40 px is well inside the reprojection's robust scale, so three biased views pull the plain
    # fit; the six that agree define the points, and the term holds the fit nearer to them
    assert mpjpe_mm(with_term.keypoints3d, truth) < 0.7 * mpjpe_mm(without.keypoints3d, truth)
    assert mpjpe_mm(with_term.keypoints3d, truth) < 25.0


def test_points_that_no_majority_agrees_on_leave_the_fit_unchanged():
    body, truth = _truth()
    target = truth[[LH, RH]].mean(0)
    obs = project_observations(truth, ring_cameras(target, n=10), noise_px=1.0)
    for i, o in enumerate(project_observations(truth + [0.6, 0.4, 0.0], ring_cameras(target, n=10), noise_px=1.0)):
        if i % 2:
            obs[i] = o  # half the views show someone else: the points are not trusted
    with_term = fit_body(body, obs, None, FAST, target=target)
    without = fit_body(body, obs, None, OFF, target=target)
    np.testing.assert_array_equal(with_term.keypoints3d, without.keypoints3d)


def test_points_inside_the_scene_do_not_pull():
    body, truth = _truth()
    target = truth[[LH, RH]].mean(0)
    obs = _shifted(project_observations(truth, ring_cameras(target, n=9), noise_px=1.0), (0, 3, 6), 40.0)
    no_scene = {**FAST.weights, "penetration": (0.0,) * 5, "contact": (0.0,) * 5}
    only_points = replace(FAST, weights=no_scene)
    no_terms = replace(FAST, weights={**no_scene, "points": (0.0,) * 5})
    buried = fit_body(body, obs, BoxSDF(FAR, FAR, floor_z=10.0), only_points, target=target)  # every point lies inside
    np.testing.assert_array_equal(buried.keypoints3d, fit_body(body, obs, None, no_terms, target=target).keypoints3d)
    free = fit_body(body, obs, BoxSDF(FAR, FAR, floor_z=-10.0), only_points, target=target)  # every point lies outside
    np.testing.assert_array_equal(free.keypoints3d, fit_body(body, obs, None, only_points, target=target).keypoints3d)
