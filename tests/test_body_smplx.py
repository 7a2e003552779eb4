"""SMPL-X path on a small synthetic model file in SMPL-X's .npz layout (no real model needed)."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch

from pipeline.body import KEYPOINT_NAMES, load_body_model
from pipeline.body.smplx_body import PickleNotAllowedError, pickle_consent

smplx = pytest.importorskip("smplx")

PARENTS = [-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19, 15, 15, 15,
           20, 25, 26, 20, 28, 29, 20, 31, 32, 20, 34, 35, 20, 37, 38,
           21, 40, 41, 21, 43, 44, 21, 46, 47, 21, 49, 50, 21, 52, 53]  # fmt: skip
N_VERTS = 10475  # smplx's own keypoint vertex ids go up to 9929


def synthetic_joints() -> np.ndarray:
    """A Y-up stick figure facing +Z (SMPL-X's canonical frame), left side at +x."""
    j = np.zeros((55, 3))
    j[1], j[2], j[3] = [0.09, -0.08, 0], [-0.09, -0.08, 0], [0, 0.1, 0]
    j[4], j[5], j[6] = [0.1, -0.48, 0], [-0.1, -0.48, 0], [0, 0.22, 0]
    j[7], j[8], j[9] = [0.1, -0.88, -0.02], [-0.1, -0.88, -0.02], [0, 0.3, 0]
    j[10], j[11], j[12] = [0.1, -0.93, 0.12], [-0.1, -0.93, 0.12], [0, 0.5, 0]
    j[13], j[14], j[15] = [0.07, 0.42, 0], [-0.07, 0.42, 0], [0, 0.62, 0.02]
    j[16], j[17] = [0.18, 0.44, 0], [-0.18, 0.44, 0]
    j[18], j[19] = [0.45, 0.44, 0], [-0.45, 0.44, 0]
    j[20], j[21] = [0.7, 0.44, 0], [-0.7, 0.44, 0]
    j[22:25] = [0, 0.6, 0.08]
    for k in range(25, 55):  # fingers beyond the wrists
        side = 1 if k < 40 else -1
        j[k] = [side * (0.75 + 0.02 * ((k - 25) % 3)), 0.44, 0.01 * ((k - 25) % 15)]
    return j


def make_model(path, fmt="npz", extra_object_entry=False):
    rng = np.random.default_rng(0)
    joints = synthetic_joints()
    owner = np.arange(N_VERTS) % 55
    v_template = joints[owner] + rng.normal(0, 0.02, (N_VERTS, 3))
    j_reg = np.zeros((55, N_VERTS))
    j_reg[owner, np.arange(N_VERTS)] = 1.0
    j_reg /= j_reg.sum(1, keepdims=True)
    weights = np.zeros((N_VERTS, 55))
    parent = np.array(PARENTS)[owner]
    weights[np.arange(N_VERTS), owner] = 0.7
    weights[np.arange(N_VERTS), np.maximum(parent, 0)] += 0.3
    shapedirs = rng.normal(0, 0.01, (N_VERTS, 3, 20))
    posedirs = np.zeros((N_VERTS, 3, 486), np.float32)
    posedirs[:50] = rng.normal(0, 0.01, (50, 3, 486))
    faces = np.stack([np.arange(0, N_VERTS - 110), np.arange(55, N_VERTS - 55), np.arange(110, N_VERTS)], 1)
    kintree = np.stack([np.array(PARENTS, dtype=np.int64) % (2**32), np.arange(55)])
    data = dict(
        v_template=v_template, shapedirs=shapedirs, posedirs=posedirs, J_regressor=j_reg,
        weights=weights, kintree_table=kintree, f=faces.astype(np.uint32),
        hands_componentsl=np.eye(45), hands_componentsr=np.eye(45),
        hands_meanl=np.full(45, 0.05), hands_meanr=np.full(45, 0.05),
        lmk_faces_idx=np.arange(51), lmk_bary_coords=np.full((51, 3), 1 / 3),
        dynamic_lmk_faces_idx=np.zeros((79, 17), np.int64), dynamic_lmk_bary_coords=np.full((79, 17, 3), 1 / 3),
    )  # fmt: skip
    if fmt == "pkl":
        with open(path, "wb") as fh:
            pickle.dump(data, fh)
    else:
        if extra_object_entry:
            data["joint2num"] = np.array({"pelvis": 0}, dtype=object)
        np.savez_compressed(path, **data)
    return joints


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("smplx") / "SMPLX_NEUTRAL.npz"
    make_model(path, extra_object_entry=True)  # real files carry pickled dicts: must be skipped
    return path


@pytest.fixture(scope="module")
def body(model_file):
    return load_body_model("smplx", path=model_file)


def test_loads_npz_and_stands_z_up_facing_minus_y(body):
    assert body.keypoint_names == KEYPOINT_NAMES
    out = body(body.init_params())
    assert out.vertices.shape == (1, N_VERTS, 3) and out.keypoints.shape == (1, 23, 3)
    j = out.joints[0].numpy()
    assert j[15, 2] > j[0, 2] > j[7, 2]  # head above pelvis above ankle: Z up
    assert j[10, 1] < j[7, 1] - 0.1  # foot joint in front of the ankle: faces -Y
    assert j[16, 0] > 0 > j[17, 0]  # left shoulder on +x like Anny
    assert np.allclose(j[0], 0, atol=1e-6)  # translation = pelvis
    kp = out.keypoints[0].numpy()
    names = list(KEYPOINT_NAMES)
    assert np.allclose(kp[names.index("left_knee")], j[4], atol=1e-6)
    assert np.allclose(kp[names.index("nose")], out.vertices[0, 9120].numpy(), atol=1e-6)


def test_gradients_and_priors(body):
    p = body.init_params(2)
    p["translation"] = torch.tensor([[0.5, 1.0, 0.9], [0.0, 0.0, 0.0]])
    p["pose"] = p["pose"] + 0.1 * torch.randn_like(p["pose"])
    p["shape"] = torch.randn(2, body.num_betas)
    for v in p.values():
        v.requires_grad_(True)
    out = body(p)
    loss = out.keypoints.square().sum() + body.pose_prior(p) + body.shape_prior(p)
    loss.backward()
    assert all(torch.isfinite(v.grad).all() and v.grad.abs().sum() > 0 for v in p.values())
    assert torch.allclose(out.joints[:, 0], p["translation"], atol=1e-5)


def test_knee_prior_is_one_sided(body):
    from pipeline.core.rotations import axis_angle_to_matrix, matrix_to_rot6d

    def with_knee(angle):
        p = body.init_params()
        p["pose"][0, 3] = matrix_to_rot6d(axis_angle_to_matrix(torch.tensor([angle, 0.0, 0.0])))
        return body.pose_prior(p)

    assert with_knee(-0.8) > with_knee(0.8) * 2  # the paper penalises negative knee x


def test_skinned_mesh_reproduces_forward(body):
    p = body.init_params()
    p["pose"] = p["pose"] + 0.3 * torch.randn_like(p["pose"])
    p["translation"][:] = torch.tensor([1.0, 2.0, 0.8])
    verts = body(p).vertices[0].detach().numpy()
    sm = body.skinned_mesh(p)
    rest = np.concatenate([sm.rest_vertices, np.ones((len(sm.rest_vertices), 1))], 1)
    m = sm.posed_matrices @ np.linalg.inv(sm.bind_matrices)
    re = np.einsum("vk,vkij,vj->vi", sm.joint_weights, m[sm.joint_indices], rest)[:, :3]
    assert np.abs(re - verts).max() < 1e-3


def test_pickle_needs_consent(tmp_path):
    pkl = tmp_path / "SMPLX_NEUTRAL.pkl"
    make_model(pkl, fmt="pkl")
    with pytest.raises(PickleNotAllowedError, match="arbitrary code"):
        load_body_model("smplx", path=pkl)
    with pytest.raises(PickleNotAllowedError, match="--allow-pickle"):
        pickle_consent(pkl, allowed=False)
    body = load_body_model("smplx", path=pkl, trusted_pickles=pickle_consent(pkl, allowed=True))
    assert body(body.init_params()).vertices.shape == (1, N_VERTS, 3)


def test_clear_errors_for_missing_or_wrong_files(tmp_path):
    with pytest.raises(ValueError, match="model file"):
        load_body_model("smplx")
    with pytest.raises(FileNotFoundError):
        load_body_model("smplx", path=tmp_path / "nope.npz")
    bad = tmp_path / "bad.npz"
    np.savez(bad, v_template=np.zeros((3, 3)))
    with pytest.raises(ValueError, match="not an SMPL-X model file"):
        load_body_model("smplx", path=bad)
