"""The multi-view fit's logic, proven on a small stick-figure body (fast, no real model)."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent))

from lifting_helpers import BoxSDF, mpjpe_mm, project_observations, ring_cameras  # noqa: E402
from lifting_toy_body import JOINTS, ToyBody  # noqa: E402

from pipeline.core.events import CancelToken, Cancelled, LiftingStep  # noqa: E402
from pipeline.lifting.fit import fit_body, initial_params, posture_from_prompt  # noqa: E402
from pipeline.lifting.schedule import LiftingSettings, learning_rates_at, weights_at  # noqa: E402
from pipeline.lifting.metrics import non_collision  # noqa: E402

JOINT_NAMES = [j[0] for j in JOINTS]
FAST = LiftingSettings(num_threads=1).with_iterations(240)


@pytest.fixture(scope="module")
def body():
    return ToyBody()


def _gt(body, pose_items, translation=(0.3, -2.0, 0.0)):
    p = body.init_params()
    p["translation"] = torch.tensor([translation], dtype=torch.float32)
    pose = torch.zeros_like(p["pose"])
    for idx, val in pose_items:
        pose[0, idx] = val
    p["pose"] = pose
    with torch.no_grad():
        out = body(p)
    return p, out.keypoints[0].numpy(), out.vertices[0].numpy()


def _x(joint: str) -> int:
    """Index of a toy joint's x-rotation in the pose vector."""
    return 3 * (JOINT_NAMES.index(joint) - 1)


SEATED = [(_x("left_hip"), -1.5), (_x("right_hip"), -1.5), (_x("left_knee"), 1.5), (_x("right_knee"), 1.5)]
STANDING = [(_x("left_shoulder"), -0.4), (_x("left_elbow"), -0.8)]  # left arm forward, elbow bent


def test_schedule_ramps_within_segments():
    s = LiftingSettings(weights={"penetration": (10.0, 1.0, 0.1, 1.0, 50.0), "contact": (0, 0, 0, 10.0, 1000.0)})
    assert weights_at(s, 0)["penetration"] == pytest.approx(10.0)
    assert weights_at(s, 200)["penetration"] == pytest.approx(5.5)
    assert weights_at(s, 400)["penetration"] == pytest.approx(1.0)
    assert weights_at(s, 1599)["contact"] == pytest.approx(10 + 990 * 399 / 400)
    assert learning_rates_at(LiftingSettings(), 399)["view"] == 0.0  # confidences frozen in segment 1
    assert learning_rates_at(LiftingSettings(), 400)["view"] > 0.0


def test_learning_rates_anneal_over_the_last_segment_only():
    s = LiftingSettings(final_lr_scale=0.05)
    base = LiftingSettings(final_lr_scale=1.0)
    assert learning_rates_at(s, 1199) == learning_rates_at(base, 1199)  # segments 1-3 untouched
    assert learning_rates_at(s, 1200)["pose"] == pytest.approx(0.01)
    assert learning_rates_at(s, 1400)["pose"] == pytest.approx(0.01 * (1 - 0.95 * 200 / 399))
    assert learning_rates_at(s, 1599)["pose"] == pytest.approx(0.0005)
    assert learning_rates_at(s, 1599)["shape"] == pytest.approx(0.03 * 0.05)


def test_posture_rule():
    assert posture_from_prompt("a person sitting on the sofa") == "sit"
    assert posture_from_prompt("someone lying on the bed") == "lie"
    assert posture_from_prompt("a man standing by the window") == "stand"
    assert posture_from_prompt("a person sitting, then standing up") is None
    assert posture_from_prompt("a person reading") is None
    assert posture_from_prompt("a person crouching by the cabinet") == "crouch"
    assert posture_from_prompt("a child squatting on the rug") == "crouch"
    assert posture_from_prompt("a woman kneeling by the bed") == "sit"


def test_initialisation_faces_the_cameras_upright(body):
    target = np.array([0.0, -2.0, 0.9])
    cams = ring_cameras(target, n=6, facing_deg=0.0)  # cameras on the +x side
    params = initial_params(body, cams, target)
    with torch.no_grad():
        kp = body(params).keypoints[0].numpy()
    lh, rh = kp[11], kp[12]
    left = lh - rh
    front = np.cross(left, [0, 0, 1.0])
    assert front[0] > 0.9 * np.linalg.norm(front)  # faces +x, towards the cameras
    shoulders = 0.5 * (kp[5] + kp[6])
    assert shoulders[2] > 0.5 * (lh + rh)[2] + 0.3  # upright


@pytest.mark.parametrize("pose", [STANDING, SEATED], ids=["standing", "seated"])
def test_clean_views_recover_the_body(body, pose):
    _, kp, _ = _gt(body, pose)
    target = kp[11:13].mean(0)
    obs = project_observations(kp, ring_cameras(target, n=8), noise_px=2.0)
    res = fit_body(body, obs, None, FAST, target=target)
    assert mpjpe_mm(res.keypoints3d, kp) < 80.0
    assert max(res.reprojection_error_px.values()) < 15.0


def test_outlier_view_gets_the_lowest_confidence(body):
    _, kp, _ = _gt(body, SEATED)
    _, kp_other, _ = _gt(body, STANDING, translation=(0.6, -1.8, 0.0))
    target = kp[11:13].mean(0)
    cams = ring_cameras(target, n=8)
    obs = project_observations(kp, cams, noise_px=2.0)
    bad = project_observations(kp_other, cams, seed=3)[5]
    obs[5] = bad
    res = fit_body(body, obs, None, FAST, target=target)
    weights = res.view_weights
    assert min(weights, key=weights.get) == "view_05"
    assert mpjpe_mm(res.keypoints3d, kp) < 80.0


def test_nan_and_zero_confidence_keypoints_are_ignored(body):
    _, kp, _ = _gt(body, STANDING)
    target = kp[11:13].mean(0)
    obs = project_observations(kp, ring_cameras(target, n=6), noise_px=1.0)
    obs[0].keypoints[3] = np.nan  # NaN position
    obs[1].conf[9] = np.nan  # NaN score
    obs[2].keypoints[9] = [1e4, -1e4]  # wild position with zero confidence
    obs[2].conf[9] = 0.0
    res = fit_body(body, obs, None, FAST, target=target)
    assert np.isfinite(res.vertices).all()
    assert res.skipped_steps == 0
    assert mpjpe_mm(res.keypoints3d, kp) < 80.0
    assert np.isfinite(res.reprojection_error_px["view_02"]) and res.reprojection_error_px["view_02"] < 15


def test_fewer_than_three_views_fit_without_hinge_and_say_so(body):
    _, kp, _ = _gt(body, STANDING)
    target = kp[11:13].mean(0)
    obs = project_observations(kp, ring_cameras(target, n=5, arc_deg=120), noise_px=1.0)
    for o in obs[2:]:
        o.valid = False
    res = fit_body(body, obs, None, FAST, target=target)
    assert any("without the view-confidence hinge" in w for w in res.warnings)
    assert res.used_views == ["view_00", "view_01"]
    assert res.view_weights["view_03"] == 0.0
    assert np.isfinite(res.keypoints3d).all()


def test_zero_valid_views_is_a_clear_error(body):
    _, kp, _ = _gt(body, STANDING)
    obs = project_observations(kp, ring_cameras(kp[11], n=3))
    for o in obs:
        o.conf[:] = 0.0
    with pytest.raises(ValueError, match="no valid view"):
        fit_body(body, obs, None, FAST)


def test_body_started_inside_the_sofa_ends_outside(body):
    # a seat box with its top at 0.45 m; the true body sits on it, the start is sunk 0.3 m in
    sofa = BoxSDF(lo=(-0.2, -1.75, 0.0), hi=(0.8, -1.0, 0.45), floor_z=-0.01)
    p, kp, verts = _gt(body, SEATED, translation=(0.3, -1.4, -0.40))
    assert non_collision(sofa, verts) > 0.99
    target = kp[11:13].mean(0)
    obs = project_observations(kp, ring_cameras(target, n=8, facing_deg=-90), noise_px=1.0)
    init = {k: v.clone() for k, v in p.items()}
    init["translation"] = init["translation"] + torch.tensor([[0.0, 0.0, -0.3]])
    with torch.no_grad():
        start = body(init).vertices[0].numpy()
    assert non_collision(sofa, start) < 0.8
    settings = replace(FAST, sdf_subsample=1, sdf_subsample_final=1)  # the toy skin is sparse
    res = fit_body(body, obs, sofa, settings, init=init, target=target)
    assert non_collision(sofa, res.vertices) >= 0.97


def test_detections_a_little_too_low_leave_the_feet_on_the_floor_not_in_it(body):
    """Detectors place feet a few centimetres low; the fit must not follow them into the floor."""
    _, kp, verts = _gt(body, STANDING)
    floor = BoxSDF(lo=(50.0, 50.0, 50.0), hi=(51.0, 51.0, 51.0), floor_z=float(verts[:, 2].min()))  # a bare floor
    low = kp - np.array([0.0, 0.0, 0.03])  # every view sees the person 3 cm lower than they stand
    target = kp[11:13].mean(0)
    obs = project_observations(low, ring_cameras(target, n=8), noise_px=1.0)
    settings = replace(FAST, sdf_subsample=1, sdf_subsample_final=1)  # the toy skin is sparse
    deepest = {}
    for tau in (LiftingSettings().tau, -0.01):
        res = fit_body(body, obs, floor, replace(settings, tau=tau), target=target)
        deepest[tau] = -float(floor.sample(torch.as_tensor(res.vertices, dtype=torch.float32)).min())
    assert deepest[LiftingSettings().tau] < 0.003  # the default: any overlap is penalised
    assert deepest[-0.01] > 0.006  # the 1 cm tolerance lets the evidence pull the feet in


def test_streams_steps_and_cancels(body):
    _, kp, _ = _gt(body, STANDING)
    target = kp[11:13].mean(0)
    obs = project_observations(kp, ring_cameras(target, n=4))
    events = []
    token = CancelToken()

    def sink(ev):
        events.append(ev)
        if len(events) == 3:
            token.cancel()

    settings = LiftingSettings(emit_every=10, num_threads=1).with_iterations(200)
    with pytest.raises(Cancelled):
        fit_body(body, obs, None, settings, emit=sink, cancel=token, set_name="set_0")
    assert len(events) == 3 and all(isinstance(e, LiftingStep) for e in events)
    assert events[1].iteration == 10 and events[0].vertices.shape == (body.num_vertices, 3)
    assert set(events[2].view_weights) == {o.name for o in obs} and "reproj_torso" in events[2].losses


def test_scene_terms_values_gradients_and_no_data_dependent_branch():
    """Penetration/contact as the paper defines them, with gradients, and no branch on tensor
    values: a GPU fit must not stop to read one back in every step (FX tracing fails on such a
    branch)."""
    import torch

    from pipeline.lifting.losses import scene_terms

    free = torch.tensor([0.3, 0.1, 0.05], requires_grad=True)  # nothing touches: contact pulls the nearest
    pen, con = scene_terms(free, 0.0)
    assert float(pen.detach()) == 0.0 and abs(float(con.detach()) - 0.05) < 1e-7
    con.backward()
    assert free.grad.tolist() == [0.0, 0.0, 1.0]
    deep = torch.tensor([0.3, -0.02, -0.04], requires_grad=True)  # two vertices inside: mean depth
    pen, con = scene_terms(deep, 0.0)
    assert abs(float(pen.detach()) - 0.03) < 1e-7 and float(con.detach()) == 0.0
    pen.backward()
    assert torch.allclose(deep.grad, torch.tensor([0.0, -0.5, -0.5]))
    traced = torch.fx.symbolic_trace(lambda values: scene_terms(values, 0.0))
    assert torch.allclose(torch.stack(traced(deep.detach())), torch.stack(scene_terms(deep.detach(), 0.0)))
