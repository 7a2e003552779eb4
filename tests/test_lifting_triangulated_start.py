"""The triangulated start: robust meeting points of the detections, and a body fitted to them."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).parent))
from lifting_helpers import project_observations, ring_cameras  # noqa: E402

from pipeline.lifting.problem import prepare_set  # noqa: E402
from pipeline.lifting.schedule import LiftingSettings  # noqa: E402
from pipeline.lifting.triangulated_start import fitted_to_points, triangulated_keypoints, trusted_points  # noqa: E402


def _prep(points, cameras, noise_px=0.0, swapped=(), seed=0):
    obs = project_observations(points, cameras, noise_px=noise_px, seed=seed)
    rng = np.random.default_rng(seed + 1)
    for i in swapped:  # another person: every keypoint 60-120 px away in a random direction
        shift = rng.uniform(60, 120, (len(points), 1)) * rng.normal(size=(len(points), 2))
        obs[i].keypoints = obs[i].keypoints + shift / np.linalg.norm(shift, axis=1, keepdims=True) * 90
    return prepare_set(obs, LiftingSettings(), "cpu")


def test_keypoints_meet_where_they_are_even_with_a_third_of_the_views_showing_someone_else():
    rng = np.random.default_rng(3)
    truth = np.array([0.2, -1.5, 0.0]) + rng.uniform(-0.3, 0.3, (23, 3)) + [0, 0, 0.9]
    cams = ring_cameras([0.2, -1.5, 0.9], n=9)
    for swapped in ((), (1, 4, 7)):
        prep = _prep(truth, cams, noise_px=1.0, swapped=swapped)
        points, ok = triangulated_keypoints(prep.K.numpy(), prep.w2c.numpy(), prep.xy.numpy(), prep.conf.numpy())
        assert np.array_equal(ok, (prep.conf > 0).any(0).numpy())  # all but the unweighted small toes
        err = np.linalg.norm(points - truth, axis=1)[ok]
        assert np.median(err) < 0.01 and err.max() < 0.03, (swapped, err.max())
    # a keypoint seen by two views only is not trusted
    prep = _prep(truth, cams[:2])
    _, ok = triangulated_keypoints(prep.K.numpy(), prep.w2c.numpy(), prep.xy.numpy(), prep.conf.numpy())
    assert not ok.any()


def test_a_tall_crouching_body_is_recovered_from_a_neutral_average_start():
    from pipeline.body import load_body_model
    from pipeline.body.presets import posed_body
    from pipeline.lifting.placement import initial_params

    body = load_body_model("anny", device="cpu")
    target = np.array([0.0, -2.0, 0.0])
    truth_params = posed_body(body, "crouching", target, facing_yaw_deg=60.0)
    truth_params["shape"] = body.shape_from_phenotypes({"height": 0.85})
    with torch.no_grad():
        truth = body(truth_params).keypoints[0].numpy()
    cams = ring_cameras(target + [0, 0, 0.5], n=8, facing_deg=60.0 - 90.0)
    prep = _prep(truth, cams, noise_px=2.0)
    start = initial_params(body, [o.camera for o in prep.used], target)
    with torch.no_grad():
        before = np.linalg.norm(body(start).keypoints[0].numpy() - truth, axis=1).mean()
    fitted = fitted_to_points(body, start, *trusted_points(prep))
    with torch.no_grad():
        after = np.linalg.norm(body(fitted).keypoints[0].numpy() - truth, axis=1).mean()
        height = float(body.phenotypes(fitted)[0, body.phenotype_names.index("height")])
    assert before > 0.2 and after < 0.03, (before, after)
    assert height > 0.58  # the body grew from the average (0.5) towards the tall truth (0.85)


def test_points_that_half_the_views_contradict_are_not_trusted():
    from pipeline.lifting.triangulated_start import agreeing_views

    rng = np.random.default_rng(5)
    person = np.array([0.0, -1.5, 0.9]) + rng.uniform(-0.3, 0.3, (23, 3))
    other = person + [0.6, 0.4, 0.0]  # someone else, consistently seen by the other half
    cams = ring_cameras([0.2, -1.3, 0.9], n=10)
    obs = project_observations(person, cams, noise_px=1.0)
    for i, o in enumerate(project_observations(other, cams, noise_px=1.0)):
        if i % 2:
            obs[i] = o
    prep = prepare_set(obs, LiftingSettings(), "cpu")
    assert trusted_points(prep) is None  # five views each: no majority
    obs[1] = project_observations(person, cams[1:2], noise_px=1.0)[0]  # six show the person
    prep = prepare_set(obs, LiftingSettings(), "cpu")
    points, ok = trusted_points(prep)
    assert np.median(np.linalg.norm(points - person, axis=1)[ok]) < 0.01
    agree = agreeing_views(prep.K.numpy(), prep.w2c.numpy(), prep.xy.numpy(), prep.conf.numpy(), points, ok)
    assert agree.tolist() == [True, True, True, False, True, False, True, False, True, False]


def test_a_cancelled_fit_to_the_points_stops_at_once():
    import pytest

    from pipeline.core.events import CancelToken, Cancelled
    from lifting_toy_body import ToyBody

    body = ToyBody()
    start = body.init_params()
    with torch.no_grad():
        points = body(start).keypoints[0].numpy() + 0.05
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        fitted_to_points(body, start, points, np.ones(len(points), bool), cancel=token)
