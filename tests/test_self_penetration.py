"""The self-penetration proxy: parts of Anny as capsules, other parts' vertices kept out."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lifting_helpers import project_observations, ring_cameras  # noqa: E402


@pytest.fixture(scope="module")
def body():
    from pipeline.body import load_body_model

    return load_body_model("anny")


@pytest.fixture(scope="module")
def proxy(body):
    from pipeline.lifting.self_penetration import SelfPenetrationProxy

    return SelfPenetrationProxy.for_body(body)


def _vertices(body, params):
    with torch.no_grad():
        return body(params).vertices[0]


def test_parts_cover_the_body_and_presets_are_free_of_penetration(body, proxy):
    from pipeline.body.presets import preset_params

    assert {"torso", "head", "hand_l", "forearm_r", "thigh_l", "foot_r"} <= set(proxy.part_names)
    for posture in ("standing", "sitting_chair", "sitting_floor", "reaching"):
        v = _vertices(body, preset_params(body, posture))
        assert float(proxy.depths(v[proxy.vertex_index]).max()) < 0.005, posture


def test_a_hand_pushed_into_the_chest_is_penalised_and_the_gradient_pulls_it_out(body, proxy):
    from pipeline.lifting.self_penetration import vertex_parts

    names, part = vertex_parts(body.skinned_mesh(body.init_params(1)))
    v = _vertices(body, body.init_params(1)).clone()
    hand = torch.as_tensor(np.nonzero(part == names.index("hand_l"))[0])
    chest = v[torch.as_tensor(np.nonzero(part == names.index("torso"))[0])].mean(0)
    offset = (chest - v[hand].mean(0)).clone().requires_grad_(True)
    moved = v.clone()
    moved[hand] = v[hand] + offset
    loss = proxy(moved[proxy.vertex_index])
    assert float(loss.detach()) > 1e-5
    assert float(proxy.depths(moved[proxy.vertex_index]).detach().max()) > 0.05  # centimetres deep
    loss.backward()
    step = offset.detach() - 0.05 * offset.grad / offset.grad.norm()  # 5 cm against the gradient
    moved2 = v.clone()
    moved2[hand] = v[hand] + step
    assert float(proxy(moved2[proxy.vertex_index])) < float(loss.detach())


def test_fit_with_the_term_keeps_a_hand_out_of_the_chest(body, proxy):
    """2D evidence that puts the left wrist on the chest centre from every view: without the
    term the fitted hand sinks into the torso, with it the hand stays (nearly) outside."""
    from pipeline.lifting.fit import fit_body
    from pipeline.lifting.schedule import SELF_PENETRATION_WEIGHTS, LiftingSettings

    params = body.init_params(1)
    with torch.no_grad():
        out = body(params)
    kp = out.keypoints[0].numpy().copy()
    names = list(body.keypoint_names)
    chest = 0.5 * (kp[names.index("left_shoulder")] + kp[names.index("right_hip")])
    kp[names.index("left_wrist")] = chest
    target = kp[[names.index("left_hip"), names.index("right_hip")]].mean(0)
    obs = project_observations(kp, ring_cameras(target, n=6, facing_deg=-90.0))
    base = replace(LiftingSettings(num_threads=1, yaw_search=False, posture_from_prompt=False), sdf_subsample=8)
    base = base.with_iterations(240)
    with_term = replace(base, weights={**base.weights, "self_penetration": SELF_PENETRATION_WEIGHTS})
    depth = {}
    for label, settings in (("off", base), ("on", with_term)):
        res = fit_body(body, obs, None, settings, target=target)
        v = torch.as_tensor(res.vertices, dtype=torch.float32)
        depth[label] = float(proxy.depths(v[proxy.vertex_index]).max())
    assert depth["off"] > 0.02, depth
    assert depth["on"] < 0.5 * depth["off"], depth
