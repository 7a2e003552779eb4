"""AnnyBody: conventions, gradients, phenotype bounds, priors, presets and export skinning."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from pipeline.body import KEYPOINT_NAMES, load_body_model
from pipeline.body.presets import PRESET_NAMES, place_body, posed_body, preset_params, yaw_facing

KP = {n: i for i, n in enumerate(KEYPOINT_NAMES)}


@pytest.fixture(scope="module")
def body():
    return load_body_model("anny", device="cpu")


def test_rest_frame_is_z_up_facing_minus_y_with_left_on_plus_x(body):
    out = body(body.init_params())
    kp = out.keypoints[0].numpy()
    assert kp[KP["nose"], 2] > kp[KP["left_hip"], 2] > kp[KP["left_ankle"], 2]  # Z up
    assert kp[KP["nose"], 1] < kp[KP["left_ear"], 1] - 0.03  # nose in front (-Y) of the ears
    assert kp[KP["left_big_toe"], 1] < kp[KP["left_heel"], 1] - 0.1  # toes point to -Y
    assert kp[KP["left_shoulder"], 0] > 0.1 > -0.1 > kp[KP["right_shoulder"], 0]
    assert body.keypoint_names == KEYPOINT_NAMES and out.keypoints.shape == (1, 23, 3)
    assert out.vertices.shape == (1, body.num_vertices, 3) and body.num_vertices == 13718
    assert body.faces.shape[1] == 3 and body.faces.max() < body.num_vertices


def test_translation_is_the_pelvis_and_orientation_turns_about_it(body):
    p = body.init_params()
    p["translation"][:] = torch.tensor([1.0, -2.0, 0.9])
    yaw = torch.tensor([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])  # +90 deg about z
    p["orientation"][:] = torch.cat([yaw[:, 0], yaw[:, 1]])
    out = body(p)
    assert torch.allclose(out.joints[0, 0], p["translation"][0], atol=1e-5)
    kp = out.keypoints[0].numpy()
    assert kp[KP["left_big_toe"], 0] > kp[KP["left_heel"], 0] + 0.1  # now faces +X
    hips = 0.5 * (kp[KP["left_hip"]] + kp[KP["right_hip"]])
    assert np.linalg.norm(hips[:2] - [1.0, -2.0]) < 0.05


def test_forward_backward_finite_for_a_batch_and_shape_cache_is_exact(body):
    p = preset_params(body, "walking_step", batch=2)
    p["shape"] = torch.randn(2, 6)
    for v in p.values():
        v.requires_grad_(True)
    out = body(p)
    loss = out.vertices.square().mean() + out.keypoints.square().mean() + body.pose_prior(p) + body.shape_prior(p)
    loss.backward()
    for k, v in p.items():
        assert torch.isfinite(v.grad).all(), k
        assert v.grad.abs().sum() > 0, k
    frozen = {k: v.detach() for k, v in p.items()}
    a = body(frozen).vertices
    b = body(frozen).vertices  # second call uses the cached rest model
    assert torch.allclose(a, out.vertices.detach(), atol=1e-5) and torch.allclose(a, b)


def test_phenotypes_stay_in_unit_interval_and_fixed_values_win(body):
    p = body.init_params(3)
    p["shape"] = torch.tensor([[80.0] * 6, [-80.0] * 6, [0.3, -2, 5, -5, 1, 0]])
    ph = body.phenotypes(p)
    assert (ph >= 0).all() and (ph <= 1).all()
    tall = body(dict(p, shape=torch.full((1, 6), 3.0), translation=p["translation"][:1], orientation=p["orientation"][:1], pose=p["pose"][:1]))
    short = body(dict(p, shape=torch.full((1, 6), -3.0), translation=p["translation"][:1], orientation=p["orientation"][:1], pose=p["pose"][:1]))
    h = lambda o: float(o.vertices[0, :, 2].max() - o.vertices[0, :, 2].min())  # noqa: E731
    assert h(tall) > h(short) + 0.1
    try:
        body.set_fixed_phenotypes({"height": 0.9, "gender": 0.0})
        ph = body.phenotypes(p)
        assert torch.allclose(ph[:, 4], torch.tensor(0.9)) and torch.allclose(ph[:, 0], torch.tensor(0.0))
        with pytest.raises(ValueError):
            body.set_fixed_phenotypes({"height": 1.5})
    finally:
        body.set_fixed_phenotypes({})


def test_hyperextended_knee_costs_more_than_a_bent_one(body):
    bent, hyper, neutral = body.init_params(), body.init_params(), body.init_params()
    body.set_bone_rotation(bent, "lowerleg01.L", (80, 0, 0))
    body.set_bone_rotation(hyper, "lowerleg01.L", (-30, 0, 0))
    assert body.pose_prior(hyper) > 3 * body.pose_prior(bent) > 0
    assert body.pose_prior(neutral) == 0
    # elbows too: bending forward is fine, bending backwards is not
    fwd, back = body.init_params(), body.init_params()
    body.set_bone_anatomical(fwd, "lowerarm01.R", (70, 0, 0))
    body.set_bone_anatomical(back, "lowerarm01.R", (-70, 0, 0))
    assert body.pose_prior(back) > 3 * body.pose_prior(fwd)


def test_presets_place_feet_and_seat_on_the_target(body):
    assert len(PRESET_NAMES) == 9
    for posture in PRESET_NAMES:
        p = posed_body(body, posture, [0.5, -1.0, 0.3], facing_yaw_deg=40.0)
        v = body(p).vertices[0].detach().numpy()
        pelvis = body(p).joints[0, 0].detach().numpy()
        assert np.linalg.norm(pelvis[:2] - [0.5, -1.0]) < 1e-4, posture
        if posture in ("sitting_chair",):
            assert v[:, 2].min() < 0.3 - 0.25  # legs hang below the seat
            assert 0.05 < pelvis[2] - 0.3 < 0.2  # pelvis just above the seat
        else:
            assert abs(v[:, 2].min() - 0.3) < 1e-4, posture
    stand = body(posed_body(body, "standing", [0, 0, 0])).vertices[0]
    assert 1.4 < float(stand[:, 2].max()) < 1.95


def test_yaw_facing_turns_the_body_to_the_given_direction(body):
    for direction in ([1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]):
        p = posed_body(body, "standing", [0, 0, 0], yaw_facing(direction))
        kp = body(p).keypoints[0].detach().numpy()
        fwd = kp[KP["left_big_toe"], :2] - kp[KP["left_heel"], :2]
        cos = fwd @ np.asarray(direction) / np.linalg.norm(fwd) / np.linalg.norm(direction)
        assert cos > 0.85


def test_skinned_mesh_reproduces_the_forward_vertices(body):
    p = posed_body(body, "sitting_chair", [1.0, 2.0, 0.5], 130.0)
    p["shape"] = torch.tensor([[0.5, -0.4, 1.0, 0.3, -1.0, 0.2]])
    verts = body(p).vertices[0].detach().numpy()
    sm = body.skinned_mesh(p)
    assert sm.joint_indices.shape == (body.num_vertices, 4)
    assert np.allclose(sm.joint_weights.sum(1), 1.0, atol=1e-5)
    assert len(sm.bone_names) == len(sm.parents) == sm.bind_matrices.shape[0] == sm.posed_matrices.shape[0]
    rest = np.concatenate([sm.rest_vertices, np.ones((len(sm.rest_vertices), 1))], 1)
    m = sm.posed_matrices @ np.linalg.inv(sm.bind_matrices)
    reskinned = np.einsum("vk,vkij,vj->vi", sm.joint_weights, m[sm.joint_indices], rest)[:, :3]
    assert np.abs(reskinned - verts).max() < 1e-3


def test_cache_helper_reports_progress_and_shares_the_model(body):
    from pipeline.body.anny_body import ensure_anny_cache, get_anny_model

    seen = []
    ensure_anny_cache(progress=lambda step, total, detail: seen.append((step, total, detail)))
    assert seen and seen[-1][:2] == (100, 100)
    assert get_anny_model("cpu") is body.model  # built once per process
    with pytest.raises(ValueError, match="anny"):
        load_body_model("mannequin")


def test_every_preset_respects_the_joint_limits(body):
    prior = body.joint_prior
    for posture in PRESET_NAMES:
        ang = prior.components(preset_params(body, posture)["pose"])[0]
        inside = (ang >= prior.lower - 1e-4) & (ang <= prior.upper + 1e-4)
        assert inside.all(), (posture, [body.main_bones[j] for j in torch.nonzero(~inside.all(1)).flatten()])

