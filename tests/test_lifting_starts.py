"""Extra starts of the fit (posture presets, 180-degree turn, prompt shape words) on the toy body."""

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
from pipeline.lifting.fit import FitProblem  # noqa: E402
from pipeline.lifting.starts import StartOptions, fit_with_starts, median_view_error_px, named_starts, turned  # noqa: E402

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


def test_posture_starts_leave_out_a_start_equal_to_one_already_there():
    body = ToyBody()  # no posture of its own: every upright preset is the same start
    p = body.init_params()
    p["translation"] = torch.tensor([[0.3, -2.0, 0.0]])
    kp = _keypoints(body, p)
    target = kp[[LH, RH]].mean(0)
    obs = project_observations(kp, ring_cameras(target, n=6))
    options = StartOptions(postures=("sit", "stand"))
    upright, _ = named_starts(body, FitProblem(obs, "s", None, target, "a person standing"), FAST, options)
    assert list(upright) == ["usual"]
    lying, _ = named_starts(body, FitProblem(obs, "s", None, target, "a person lying on the floor"), FAST, options)
    assert list(lying) == ["usual", "sit preset"]  # the lying start differs; sit and stand are one
    up = lambda start: _keypoints(body, start)[[LH, RH]].mean(0)  # noqa: E731
    assert not np.allclose(_keypoints(body, lying["usual"]), _keypoints(body, lying["sit preset"]), atol=1e-3)
    np.testing.assert_allclose(up(lying["sit preset"]), up(upright["usual"]), atol=1e-4)


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
    assert median_view_error_px(multi) <= median_view_error_px(plain) + 1e-9
    assert any("start of 2" in w for w in multi.warnings)
    assert mpjpe_mm(multi.keypoints3d, kp) < 80.0


def test_prompt_body_words():
    assert phenotypes_from_prompt("a child sitting on the stool") == {"age": 0.2}
    assert phenotypes_from_prompt("a tall, heavy man standing at the counter") == {"height": 0.75, "weight": 0.85}
    assert phenotypes_from_prompt("a person leaning on the table") == {}
    assert phenotypes_from_prompt("a person reaching to the top of the tall cabinet") == {}
    assert phenotypes_from_prompt("a short, heavy woman") == {"height": 0.3, "weight": 0.85}
    assert phenotypes_from_prompt(None) == {}


def test_extra_starts_of_several_sets_run_in_one_batch_and_each_set_keeps_its_own_best():
    from pipeline.core.events import LiftingStep
    from pipeline.lifting.starts import fit_sets_with_starts

    body = ToyBody()
    truths, observations = [], []
    for x, arm in ((0.3, -0.6), (0.1, 0.5)):  # two sets, two bodies
        p = body.init_params()
        p["translation"] = torch.tensor([[x, -2.0, 0.0]])
        p["pose"][0, 18] = arm  # an arm forward or back: front and back differ
        truths.append(_keypoints(body, p))
        observations.append(project_observations(truths[-1], ring_cameras(truths[-1][[LH, RH]].mean(0), n=6), noise_px=1.0))
    empty = [o.__class__(o.name, o.camera, o.keypoints, np.zeros_like(o.conf), o.valid) for o in observations[0]]
    targets = [t[[LH, RH]].mean(0) for t in truths]
    events = []
    problems = [FitProblem(observations[0], "set_0", target=targets[0]), FitProblem(observations[1], "set_1", target=targets[1]),
                FitProblem(empty, "set_2", target=targets[0])]
    out = fit_sets_with_starts(body, problems, None, FAST, StartOptions(turned=True), events.append)
    assert [o.name for o in out] == ["set_0", "set_1", "set_2"]
    assert out[2].result is None and "set 'set_2'" in out[2].error  # dropped under its own name
    for k in range(2):
        alone = fit_with_starts(body, observations[k], None, FAST, StartOptions(turned=True), target=targets[k],
                                set_name=f"set_{k}")
        np.testing.assert_allclose(out[k].result.keypoints3d, alone.keypoints3d, atol=1e-3)  # the batch changes nothing
        assert any("start of 2" in w for w in out[k].result.warnings)
        assert mpjpe_mm(out[k].result.keypoints3d, truths[k]) < 80.0
    # live steps name the sets the caller gave, not the extra starts
    assert {e.set_name for e in events if isinstance(e, LiftingStep)} == {"set_0", "set_1"}


def test_height_starts_change_only_the_height_and_keep_the_pelvis():
    from pipeline.body import load_body_model

    body = load_body_model("anny", device="cpu")
    p = body.init_params()
    p["translation"] = torch.tensor([[0.3, -2.0, 0.9]])
    kp = _keypoints(body, p)
    target = kp[[LH, RH]].mean(0)
    obs = project_observations(kp, ring_cameras(target, n=6))
    problem = FitProblem(obs, "s", None, target, "a child standing")
    starts, _ = named_starts(body, problem, FAST, StartOptions(shape_from_prompt=True, heights=(0.25, 0.75)))
    assert list(starts) == ["usual", "height 0.25", "height 0.75"]
    pelvis = lambda start: _keypoints(body, start)[[LH, RH]].mean(0)  # noqa: E731
    tall, usual = body.phenotypes(starts["height 0.75"])[0], body.phenotypes(starts["usual"])[0]
    i = body.phenotype_names.index("height")
    assert abs(float(tall[i]) - 0.75) < 1e-3 and abs(float(body.phenotypes(starts["height 0.25"])[0, i]) - 0.25) < 1e-3
    keep = [k for k in range(len(tall)) if k != i]  # the prompt's other words (a child's age) stay
    np.testing.assert_allclose(tall[keep].numpy(), usual[keep].numpy(), atol=1e-4)
    np.testing.assert_allclose(pelvis(starts["height 0.75"]), pelvis(starts["usual"]), atol=1e-4)
    head = KEYPOINT_NAMES.index("nose")
    assert _keypoints(body, starts["height 0.75"])[head, 2] > _keypoints(body, starts["height 0.25"])[head, 2] + 0.05
    body.set_fixed_phenotypes({"height": 0.6})  # a height the user pinned: no height starts
    try:
        assert list(named_starts(body, problem, FAST, StartOptions(heights=(0.25, 0.75)))[0]) == ["usual"]
    finally:
        body.set_fixed_phenotypes({})


def test_consensus_selection_keeps_the_fit_nearest_the_views_meeting_points():
    import pytest

    from pipeline.lifting.problem import prepare_set
    from pipeline.lifting.starts import consensus_error_mm
    from pipeline.lifting.triangulated_start import triangulated_keypoints

    body = ToyBody()
    p = body.init_params()
    p["translation"] = torch.tensor([[0.3, -2.0, 0.0]])
    p["pose"][0, 18] = -0.6  # an arm forward: facing the cameras and facing away differ
    kp = _keypoints(body, p)
    target = kp[[LH, RH]].mean(0)
    obs = project_observations(kp, ring_cameras(target, n=6), noise_px=1.0)
    kept = fit_with_starts(body, obs, None, FAST, StartOptions(turned=True, selection="consensus"), target=target)
    assert any("start of 2" in w and "triangulated keypoints" in w for w in kept.warnings)
    prep = prepare_set(obs, FAST, "cpu")
    points, ok = triangulated_keypoints(prep.K.numpy(), prep.w2c.numpy(), prep.xy.numpy(), prep.conf.numpy())
    single = fit_with_starts(body, obs, None, FAST, StartOptions(), target=target)  # the usual start only
    assert consensus_error_mm(kept, points, ok) <= consensus_error_mm(single, points, ok) + 1e-6
    assert mpjpe_mm(kept.keypoints3d, kp) < 80.0
    with pytest.raises(ValueError, match="selection"):
        fit_with_starts(body, obs, None, FAST, StartOptions(turned=True, selection="loudest"), target=target)
