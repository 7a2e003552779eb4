"""Batched fitting: many hypothesis sets in one optimisation behave like separate fits."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent))

from lifting_helpers import BoxSDF, mpjpe_mm, project_observations, ring_cameras  # noqa: E402
from lifting_toy_body import JOINTS, ToyBody  # noqa: E402

from pipeline.lifting.fit import FitProblem, fit_bodies, fit_body  # noqa: E402
from pipeline.lifting.schedule import LiftingSettings  # noqa: E402
from pipeline.lifting.set_adam import ParamGroup, SetAdamW  # noqa: E402

NAMES = [j[0] for j in JOINTS]
FAST = LiftingSettings(num_threads=1).with_iterations(240)


def _x(joint):
    return 3 * (NAMES.index(joint) - 1)


POSES = {
    "seated": [(_x("left_hip"), -1.5), (_x("right_hip"), -1.5), (_x("left_knee"), 1.5), (_x("right_knee"), 1.5)],
    "arm": [(_x("left_shoulder"), -0.4), (_x("left_elbow"), -0.8)],
    "lean": [(_x("spine"), 0.3), (_x("right_shoulder"), 0.5)],
}


@pytest.fixture(scope="module")
def body():
    return ToyBody()


def _problem(body, pose, name, n_views, translation=(0.3, -2.0, 0.0), seed=0):
    p = body.init_params()
    p["translation"] = torch.tensor([translation], dtype=torch.float32)
    for idx, val in POSES[pose]:
        p["pose"][0, idx] = val
    with torch.no_grad():
        kp = body(p).keypoints[0].numpy()
    target = kp[11:13].mean(0)
    obs = project_observations(kp, ring_cameras(target, n=n_views), noise_px=1.5, seed=seed)
    return FitProblem(obs, name, target=target), kp


def test_a_batch_matches_separate_fits(body):
    # different poses, places and view counts (the batch pads to the most views)
    cases = [_problem(body, "seated", "set_0", 8), _problem(body, "arm", "set_1", 5, (0.8, -1.5, 0.0), 1),
             _problem(body, "lean", "set_2", 6, (-0.4, -2.3, 0.0), 2)]  # fmt: skip
    sdf = BoxSDF(lo=(-5, -5, -1.0), hi=(5, 5, -0.5), floor_z=0.0)
    batched = fit_bodies(body, [c[0] for c in cases], sdf, FAST)
    for (problem, kp), outcome in zip(cases, batched):
        alone = fit_body(body, problem.observations, sdf, FAST, target=problem.target, set_name=problem.name)
        assert outcome.name == problem.name and outcome.error is None
        assert np.abs(outcome.result.keypoints3d - alone.keypoints3d).max() < 1e-3  # metres
        assert mpjpe_mm(outcome.result.keypoints3d, kp) < 150.0  # the floor pulls the toy's sparse skin
        assert "contact" in outcome.result.losses[-1] and len(outcome.result.losses) == len(alone.losses)
        assert set(outcome.result.view_weights) == {o.name for o in problem.observations}


def test_a_set_without_valid_keypoints_is_dropped_and_the_others_converge(body):
    good, kp = _problem(body, "arm", "set_0", 6)
    empty, _ = _problem(body, "seated", "set_1", 6, seed=3)
    for o in empty.observations:
        o.conf[:] = 0.0
    other, kp2 = _problem(body, "lean", "set_2", 6, (-0.4, -2.3, 0.0), 2)
    out = fit_bodies(body, [good, empty, other], None, FAST)
    assert out[1].result is None and "no valid view" in out[1].error and "set_1" in out[1].error
    assert mpjpe_mm(out[0].result.keypoints3d, kp) < 80.0
    assert mpjpe_mm(out[2].result.keypoints3d, kp2) < 80.0


def test_a_nan_in_one_set_does_not_poison_another(body):
    good, kp = _problem(body, "seated", "set_0", 6)
    alone = fit_bodies(body, [good], None, FAST)[0].result
    bad, _ = _problem(body, "arm", "set_1", 6, seed=4)
    init = body.init_params()
    init["translation"][0, 1] = float("nan")  # a corrupt seed: every step of this set is NaN
    bad.init = init
    out = fit_bodies(body, [bad, good], None, FAST)
    assert out[0].result is None and "diverged" in out[0].error
    assert out[1].result.skipped_steps == 0
    assert np.abs(out[1].result.keypoints3d - alone.keypoints3d).max() < 1e-4
    assert mpjpe_mm(out[1].result.keypoints3d, kp) < 80.0


def test_set_adam_is_adamw_per_set_and_skips_only_the_failed_set():
    torch.manual_seed(0)
    target = torch.randn(3, 5)
    x = torch.zeros(3, 5, requires_grad=True)
    opt = SetAdamW([ParamGroup("x", x, weight_decay=0.01)], 3)
    refs = [torch.zeros(1, 5, requires_grad=True) for _ in range(3)]
    ref_opts = [torch.optim.AdamW([r], lr=0.05, weight_decay=0.01) for r in refs]
    for step in range(30):
        opt.zero_grad()
        per_set = ((x - target) ** 2).sum(1) * (1.0 + 0.1 * step)
        if step % 7 == 3:  # set 1 fails now and then
            per_set = per_set + torch.tensor([0.0, float("nan"), 0.0]) * x.sum(1)
        per_set.sum().backward()
        ok = opt.finite_sets(per_set.detach())
        assert bool(ok[1]) == (step % 7 != 3) and bool(ok[0]) and bool(ok[2])
        opt.step({"x": 0.05}, ok)
        for i, (r, o) in enumerate(zip(refs, ref_opts)):
            if i == 1 and step % 7 == 3:
                continue  # a separate fit skips its non-finite step
            o.zero_grad()
            (((r - target[i]) ** 2).sum() * (1.0 + 0.1 * step)).backward()
            o.step()
    torch.testing.assert_close(x.detach(), torch.cat([r.detach() for r in refs]), rtol=1e-5, atol=1e-6)
