"""BlazePose's measured reliability weights the keypoints of the reprojection term."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).parent))

from lifting_helpers import project_observations, ring_cameras  # noqa: E402
from lifting_toy_body import ToyBody  # noqa: E402

from pipeline.body.base import KEYPOINT_NAMES  # noqa: E402
from pipeline.lifting.fit import fit_body  # noqa: E402
from pipeline.lifting.keypoint_weights import reliability_weights  # noqa: E402
from pipeline.lifting.schedule import LiftingSettings  # noqa: E402

KP = {n: i for i, n in enumerate(KEYPOINT_NAMES)}


def test_weights_follow_the_measured_errors_and_ignored_names_get_none():
    w = dict(zip(KEYPOINT_NAMES, reliability_weights(1.0)))
    assert w["left_hip"] == w["right_hip"] < 1.0 < w["nose"] < w["left_ear"]
    assert w["left_knee"] < w["left_ankle"] and w["left_big_toe"] < w["left_heel"]
    plain = LiftingSettings().keypoint_weights(KEYPOINT_NAMES)
    assert plain[KP["left_small_toe"]] == 0 and np.all(np.delete(plain, [KP["left_small_toe"], KP["right_small_toe"]]) == 1)
    weighted = LiftingSettings(keypoint_reliability_power=1.0).keypoint_weights(KEYPOINT_NAMES)
    assert weighted[KP["right_small_toe"]] == 0 and weighted[KP["left_hip"]] == w["left_hip"]


def _reprojection_px(keypoints3d, observations, index):
    return float(np.mean([np.linalg.norm(o.camera.project(keypoints3d)[0][index] - o.keypoints[index]) for o in observations]))


def test_a_biased_unreliable_keypoint_pulls_the_fit_less_when_weighted():
    """Every view's left knee detection is 25 px off (BlazePose's knees are among its least
    reliable points): with reliability weights the fit follows that knee less (its residual
    grows) and the reliable keypoints fit as well as before."""
    body = ToyBody()
    p = body.init_params()
    p["translation"] = torch.tensor([[0.3, -2.0, 0.0]])
    with torch.no_grad():
        kp = body(p).keypoints[0].numpy()
    target = kp[[KP["left_hip"], KP["right_hip"]]].mean(0)
    obs = project_observations(kp, ring_cameras(target, n=6), noise_px=0.5)
    for o in obs:
        o.keypoints[KP["left_knee"]] += np.array([25.0, -10.0])
    base = LiftingSettings(num_threads=1).with_iterations(400)
    fits = {power: fit_body(body, obs, None, replace(base, keypoint_reliability_power=power), target=target)
            for power in (0.0, 1.0)}  # fmt: skip
    knee = KP["left_knee"]
    residual = {power: _reprojection_px(f.keypoints3d, obs, knee) for power, f in fits.items()}
    assert residual[1.0] > residual[0.0] + 0.5
    reliable = [KP[n] for n in ("nose", "left_shoulder", "right_shoulder", "left_wrist", "right_wrist", "right_ankle")]
    err = {power: np.linalg.norm(f.keypoints3d[reliable] - kp[reliable], axis=1).mean() * 1000 for power, f in fits.items()}
    assert err[1.0] < err[0.0] + 3.0
