"""Extra starts of the fit (180-degree turn, prompt shape words) on the toy body."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).parent))

from lifting_helpers import mpjpe_mm, project_observations, ring_cameras  # noqa: E402
from lifting_toy_body import ToyBody  # noqa: E402

from pipeline.body.base import KEYPOINT_NAMES  # noqa: E402
from pipeline.body.prompt_shape import phenotypes_from_prompt  # noqa: E402
from pipeline.lifting.fit import fit_body  # noqa: E402
from pipeline.lifting.schedule import LiftingSettings  # noqa: E402
from pipeline.lifting.starts import StartOptions, evidence_tensors, explained_error, fit_with_starts, turned  # noqa: E402

FAST = LiftingSettings(num_threads=1).with_iterations(160)
LH, RH = KEYPOINT_NAMES.index("left_hip"), KEYPOINT_NAMES.index("right_hip")


def _keypoints(body, params):
    with torch.no_grad():
        return body(params).keypoints[0].numpy()


def test_turned_keeps_the_pelvis_and_swaps_left_and_right():
    body = ToyBody()
    p = body.init_params()
    p["translation"] = torch.tensor([[0.4, -1.0, 0.0]])
    kp = _keypoints(body, p)
    kt = _keypoints(body, turned(body, p))
    np.testing.assert_allclose(kt[[LH, RH]].mean(0), kp[[LH, RH]].mean(0), atol=1e-5)
    # facing the other way: the left hip is where the right one was (mirrored through the pelvis)
    np.testing.assert_allclose(kt[LH, :2], kp[RH, :2], atol=1e-5)
    assert not np.allclose(kt, kp, atol=1e-3)


def test_explained_error_prefers_the_true_body_over_it_turned_around():
    body = ToyBody()
    p = body.init_params()
    p["translation"] = torch.tensor([[0.3, -2.0, 0.0]])
    p["pose"][0, 18] = -0.6  # an arm forward: front and back differ
    kp = _keypoints(body, p)
    cams = ring_cameras(kp[[LH, RH]].mean(0), n=6)
    ev = evidence_tensors(project_observations(kp, cams), FAST, body.device)
    assert explained_error(kp, ev, FAST.rho) < 1e-6 < explained_error(_keypoints(body, turned(body, p)), ev, FAST.rho)


def test_no_extra_start_is_the_plain_fit_and_extra_starts_never_explain_worse():
    body = ToyBody()
    p = body.init_params()
    p["translation"] = torch.tensor([[0.3, -2.0, 0.0]])
    kp = _keypoints(body, p)
    target = kp[[LH, RH]].mean(0)
    obs = project_observations(kp, ring_cameras(target, n=6), noise_px=1.0)
    plain = fit_body(body, obs, None, FAST, target=target)
    same = fit_with_starts(body, obs, None, FAST, StartOptions(), target=target)
    np.testing.assert_allclose(same.keypoints3d, plain.keypoints3d, atol=1e-6)
    # shape words on, but the prompt names no body: the very same start, the same fit
    no_words = fit_with_starts(body, obs, None, FAST, StartOptions(shape_from_prompt=True), target=target,
                               prompt="a person in the room")
    np.testing.assert_allclose(no_words.keypoints3d, plain.keypoints3d, atol=1e-5)
    multi = fit_with_starts(body, obs, None, FAST, StartOptions(turned=True), target=target)
    ev = evidence_tensors(obs, FAST, body.device)
    assert explained_error(multi.keypoints3d, ev, FAST.rho) <= explained_error(plain.keypoints3d, ev, FAST.rho) + 1e-9
    assert any("start of 2" in w for w in multi.warnings)
    assert mpjpe_mm(multi.keypoints3d, kp) < 80.0


def test_prompt_body_words():
    assert phenotypes_from_prompt("a child sitting on the stool") == {"age": 0.2}
    assert phenotypes_from_prompt("a tall, heavy man standing at the counter") == {"height": 0.75, "weight": 0.85}
    assert phenotypes_from_prompt("a person leaning on the table") == {}
    assert phenotypes_from_prompt("a person reaching to the top of the tall cabinet") == {}
    assert phenotypes_from_prompt("a short, heavy woman") == {"height": 0.3, "weight": 0.85}
    assert phenotypes_from_prompt(None) == {}
