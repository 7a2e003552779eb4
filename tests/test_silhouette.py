"""The silhouette term: small for the true body in its own rendered mask, larger for a body
moved off it, blind to skin hidden behind the scene; and BlazePose's mask of a rendered person
covers that person."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch


from pipeline.body import load_body_model
from pipeline.lifting.silhouette import even_vertex_index, silhouette_from_mask, silhouette_terms, stack_silhouettes
from pipeline.views.cameras import Camera, stack_cameras

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(scope="module")
def scene_of_one():
    """A standing default body, three cameras around it, its rendered silhouettes."""
    from pipeline.views.render import BodyRenderer

    body = load_body_model("anny")
    with torch.no_grad():
        out = body(body.init_params())
    v = out.vertices[0].numpy().astype(np.float64)
    centre = v.mean(0)
    cams = [Camera.looking_at(centre + np.array([2.4 * np.cos(a), 2.4 * np.sin(a), 0.3]), centre, name=f"view_{i}")
            for i, a in enumerate((-1.2, -0.4, 0.5))]
    with BodyRenderer() as r:
        renders = [r.render_bodies(c, [(v, body.faces)]) for c in cams]
    return body, v, cams, renders


def _terms(v, cams, silhouettes, shift=(0.0, 0.0, 0.0)):
    index = even_vertex_index(v, 0.04)
    pts = torch.as_tensor(v[index] + np.asarray(shift), dtype=torch.float32)[None]
    K, w2c = stack_cameras(cams)
    sizes = [[(c.width, c.height) for c in cams]]
    batch = stack_silhouettes([silhouettes], sizes, len(cams), "cpu")
    scale = torch.full((1, len(cams)), float(max(cams[0].width, cams[0].height)))
    out, cover, _ = silhouette_terms(pts, K[None], w2c[None], batch, scale, 0.2)
    return float(out.sum()), float(cover.sum())


def test_the_true_body_explains_its_mask_and_a_moved_one_does_not(scene_of_one):
    _, v, cams, renders = scene_of_one
    empty = np.full((cams[0].height, cams[0].width), np.inf, np.float32)
    sils = [silhouette_from_mask(r.masks[0], empty) for r in renders]
    out0, cover0 = _terms(v, cams, sils)
    for shift in ((0.0, 0.0, -0.05), (0.05, 0.0, 0.0)):
        out1, cover1 = _terms(v, cams, sils, shift)
        assert out1 > 5 * out0 and cover1 > 1.3 * cover0
    # a body 15 % wider than its mask leaves it, one 15 % narrower does not cover it
    c = v.mean(0)
    wide = c + (v - c) * np.array([1.15, 1.15, 1.0])
    thin = c + (v - c) * np.array([0.85, 0.85, 1.0])
    assert _terms(wide, cams, sils)[0] > 3 * out0
    assert _terms(thin, cams, sils)[1] > 1.5 * cover0


def test_skin_hidden_behind_the_scene_is_not_asked_to_be_in_the_mask(scene_of_one):
    """A wall in front of the legs cuts the mask; with the wall's depth the legs behind it cost
    nothing, without it they would."""
    _, v, cams, renders = scene_of_one
    with_wall, without_wall, full = [], [], []
    for r in renders:
        h, w = r.masks[0].shape
        rows = np.nonzero(r.masks[0].any(1))[0]
        cut = int(rows.mean())  # the wall hides everything below the body's middle row
        mask = r.masks[0].copy()
        mask[cut:] = False
        wall = np.full((h, w), np.inf, np.float32)
        wall[cut:] = 0.5  # metres from the camera: in front of the body
        with_wall.append(silhouette_from_mask(mask, wall))
        without_wall.append(silhouette_from_mask(mask, np.full((h, w), np.inf, np.float32)))
        full.append(silhouette_from_mask(r.masks[0], np.full((h, w), np.inf, np.float32)))
    out_full = _terms(v, cams, full)[0]
    out_wall = _terms(v, cams, with_wall)[0]
    out_blind = _terms(v, cams, without_wall)[0]
    assert out_blind > 20 * max(out_wall, 1e-9)
    assert out_wall < 3 * out_full + 1e-7


def test_a_mask_too_small_says_nothing():
    mask = np.zeros((64, 64), bool)
    mask[10:12, 10:12] = True
    assert silhouette_from_mask(mask, np.full((64, 64), np.inf, np.float32)) is None


def test_blazepose_masks_the_rendered_person(scene_of_one):
    pytest.importorskip("mediapipe")
    from pipeline.keypoints.blazepose import KeypointDetector
    from pipeline.keypoints.person_mask import person_mask

    _, _, _, renders = scene_of_one
    r = renders[1]
    found = KeypointDetector().detect(r.rgb)
    assert found.valid
    mask = person_mask(r.rgb, found.keypoints, found.conf)
    truth = r.masks[0]
    iou = (mask & truth).sum() / (mask | truth).sum()
    assert iou > 0.7


def test_a_fit_with_the_term_lands_closer_to_the_true_skin(scene_of_one):
    """Keypoints alone leave the skin's placement loose; with the masks the fitted skin is nearer
    the truth, and the term itself falls over the fit."""
    from dataclasses import replace

    from lifting_helpers import project_observations, ring_cameras

    from pipeline.lifting.fit import fit_body
    from pipeline.lifting.schedule import DEFAULT_WEIGHTS, LiftingSettings

    from pipeline.views.render import BodyRenderer

    body = scene_of_one[0]

    params = body.init_params()
    params["shape"] = body.shape_from_phenotypes({"weight": 0.95})
    with torch.no_grad():
        out = body(params)
    v, kp = out.vertices[0].numpy(), out.keypoints[0].numpy()
    cams = ring_cameras(v.mean(0) * np.array([1.0, 1.0, 0.0]) + [0.0, 0.0, 0.9], n=6, distance=2.6, height=0.2)
    with BodyRenderer() as r:
        masks = [r.render_bodies(c, [(v, body.faces)]).masks[0] for c in cams]
    empty = np.full(masks[0].shape, np.inf, np.float32)
    target = v.mean(0) * np.array([1.0, 1.0, 0.0])
    errors = {}
    for w in (0.0, 30.0):
        obs = project_observations(kp, cams, noise_px=1.0)
        for o, m in zip(obs, masks):
            o.silhouette = silhouette_from_mask(m, empty)
        weights = dict(DEFAULT_WEIGHTS, silhouette=(0.0, 0.0, w, w, w))
        result = fit_body(body, obs, None, replace(LiftingSettings(), weights=weights).with_iterations(400), target=target)
        errors[w] = 1000 * float(np.abs(result.vertices - v).mean())
        term = [h["silhouette"] for h in result.losses if "silhouette" in h]
        assert bool(term) == (w > 0)
        if term:
            assert term[-1] < 0.8 * term[0]
    assert errors[30.0] < 0.9 * errors[0.0]
