"""The fit can start with its pelvis where the views' detected hips meet."""

from __future__ import annotations

import math

import numpy as np
import torch

from pipeline.body.base import KEYPOINT_NAMES
from pipeline.lifting.placement import at_detected_pelvis, body_frame, detected_pelvis, initial_params
from pipeline.views.cameras import Camera, stack_cameras

LH, RH = KEYPOINT_NAMES.index("left_hip"), KEYPOINT_NAMES.index("right_hip")
HIPS = np.array([[0.42, 1.13, 0.55], [0.22, 1.05, 0.57]])  # a seated person's hips, off the target


def views_of_hips(n: int = 10, shifted: tuple[int, ...] = (), shift_px: float = 60.0, hidden: tuple[int, ...] = ()):
    cams = [Camera.looking_at([2.5 * math.cos(a), 2.5 * math.sin(a), 1.4], [0.0, 0.0, 0.6])
            for a in np.linspace(0, 2 * math.pi, n, endpoint=False)]
    K, w2c = stack_cameras(cams)
    xy = torch.zeros(n, len(KEYPOINT_NAMES), 2)
    conf = torch.zeros(n, len(KEYPOINT_NAMES))
    for v, cam in enumerate(cams):
        uv, _ = cam.project(HIPS)
        if v in shifted:  # another person in this view
            uv = uv + shift_px
        xy[v, LH], xy[v, RH] = torch.as_tensor(uv[0]), torch.as_tensor(uv[1])
        conf[v, [LH, RH]] = 0.0 if v in hidden else 0.9
    return cams, K, w2c, xy, conf


def test_the_hips_meet_at_the_true_pelvis_even_with_views_of_another_person():
    _, K, w2c, xy, conf = views_of_hips(shifted=(1, 4, 7))
    p = detected_pelvis(K, w2c, xy, conf)
    assert p is not None and np.linalg.norm(p - HIPS.mean(0)) < 0.005
    # without dropping the disagreeing views the point would be pulled away
    assert detected_pelvis(K, w2c, xy, conf, rounds=1) is not None
    assert np.linalg.norm(detected_pelvis(K, w2c, xy, conf, rounds=1) - HIPS.mean(0)) > 0.01


def test_too_few_views_with_both_hips_give_no_point_and_the_start_stays():
    from pipeline.body import load_body_model

    cams, K, w2c, xy, conf = views_of_hips(hidden=tuple(range(2, 10)))
    assert detected_pelvis(K, w2c, xy, conf) is None
    body = load_body_model("anny")
    start = initial_params(body, cams, np.array([0.0, 0.0, 0.6]))
    assert at_detected_pelvis(body, start, K, w2c, xy, conf) is start


def test_the_start_body_is_moved_to_the_detected_pelvis_keeping_its_orientation():
    from pipeline.body import load_body_model

    body = load_body_model("anny")
    cams, K, w2c, xy, conf = views_of_hips()
    start = initial_params(body, cams, np.array([0.0, 0.0, 0.6]), "sit")
    moved = at_detected_pelvis(body, start, K, w2c, xy, conf)
    with torch.no_grad():
        kp = body(moved).keypoints[0].double().numpy()
    assert np.linalg.norm(body_frame(kp)[0] - HIPS.mean(0)) < 0.005
    assert torch.allclose(moved["orientation"], start["orientation"], atol=1e-6) and torch.equal(moved["pose"], start["pose"])
