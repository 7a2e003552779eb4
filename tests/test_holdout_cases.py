"""The hold-out lifting cases are valid: every true body rests on its support, does not
intersect the furniture of its new layout, and the set spans the bodies and postures the
benchmark claims (heights 1.5-1.95 m and a child, more than sofa sitting)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import holdout_cases as hc  # noqa: E402

try:
    hc.assets_dir()
    HAVE_ASSETS = True
except FileNotFoundError:
    HAVE_ASSETS = False


def test_split_is_fixed_disjoint_and_each_half_sees_every_kind():
    halves = hc.split()
    tuning, report = set(halves["tuning"]), set(halves["report"])
    assert not tuning & report
    assert tuning | report == {c.name for c in hc.CASES}
    assert len(hc.CASES) >= 12 and len(report) >= 6
    for half in (tuning, report):
        kinds = {hc.case_by_name(n).kind for n in half}
        assert {"seated", "standing"} <= kinds
    assert "lying" in {hc.case_by_name(n).kind for n in report}
    # new layouts only: the sample room's arrangement is not among them
    assert {c.layout for c in hc.CASES} <= set(hc.LAYOUTS) and "living_room" not in hc.LAYOUTS


@pytest.fixture(scope="module")
def body():
    import torch

    torch.set_num_threads(1)
    from pipeline.body import load_body_model

    return load_body_model("anny")


def _vertices(body, params):
    import torch

    with torch.no_grad():
        return body(params).vertices[0].numpy()


def test_bodies_span_heights_weights_and_postures(body):
    heights = {}
    for c in hc.CASES:
        standing = hc.posed(body, "standing", (0.0, 0.0, 0.0), 0.0, c.phenotypes)
        v = _vertices(body, standing)
        heights[c.name] = float(v[:, 2].max() - v[:, 2].min())
    adults = [h for n, h in heights.items() if hc.case_by_name(n).phenotypes.get("age", 0.5) >= 0.5]
    assert 1.48 <= min(adults) <= 1.56 and 1.9 <= max(adults) <= 1.97
    assert min(heights.values()) < 1.3  # a child
    weights = [c.phenotypes.get("weight", 0.5) for c in hc.CASES]
    assert max(weights) - min(weights) >= 0.5
    postures = {c.posture for c in hc.CASES}
    assert {"counter", "crouching", "reaching", "lying_back", "sitting_floor", "leaning"} <= postures


@pytest.mark.skipif(not HAVE_ASSETS, reason="the CC0 scene pieces are not in shared/scenes/assets")
def test_every_true_body_rests_on_its_support_without_intersecting(body, tmp_path_factory):
    from pipeline.lifting.metrics import scene_metrics
    from pipeline.scene.scene import load_scene
    from pipeline.scene.sdf import build_sdf_grid

    work = tmp_path_factory.mktemp("layouts")
    scenes = {name: load_scene(hc.build_layout(name, work / f"{name}.glb")) for name in hc.LAYOUTS}
    for c in hc.CASES:
        v = _vertices(body, hc.gt_params(body, c))
        centre = np.array([v[:, 0].mean(), v[:, 1].mean(), c.spot[2] + 0.6])
        m = scene_metrics(build_sdf_grid(scenes[c.layout], centre, 1.3, 0.03), v)
        assert m["contact"], f"{c.name}: the body floats {m['min_distance_m']:.3f} m above everything"
        assert m["non_collision"] >= 0.99 and m["max_penetration_m"] <= 0.012, f"{c.name}: {m}"
        # the support is where the case says: body points within 3 cm of the spot's height
        # close (45 cm) to the spot, e.g. the soles on the floor or the buttocks on the seat
        near = np.linalg.norm(v[:, :2] - np.asarray(c.spot[:2]), axis=1) < 0.45
        assert near.any() and np.abs(v[near, 2] - c.spot[2]).min() < 0.03, c.name
        # and the outlier person, placed beside, is a different body
        other = _vertices(body, hc.gt_params(body, c, outlier=True))
        assert np.abs(other.mean(0) - v.mean(0)).max() > 0.05, c.name


def test_the_clothed_truth_is_dressed_in_its_outfit_colours_and_still_found_by_blazepose(body):
    """The clothed condition's renders: clothes cover most of the body, in the case's colours,
    and BlazePose still finds the person where the true keypoints project."""
    pytest.importorskip("mediapipe")
    import torch

    from pipeline.body.base import KEYPOINT_NAMES
    from pipeline.keypoints.blazepose import KeypointDetector
    from pipeline.views.cameras import Camera
    from pipeline.views.render import BodyRenderer

    case = hc.case_by_name("counter_short")  # standing, facing -Y
    params = hc.gt_params(body, case)
    meshes, colours, outfit = hc.clothed_meshes(body, params, case)
    assert outfit.suit and outfit.shoes and outfit.hair
    with torch.no_grad():
        out = body(params)
    v, kp = out.vertices[0].numpy(), out.keypoints[0].numpy()
    assert np.abs(meshes[0][0] - v).max() < 1e-5  # the skin part is the posed true body
    assert len(meshes[0][1]) < 0.8 * len(body.faces)  # skin under the clothes is removed
    centre = v.mean(0)
    cam = Camera.looking_at(centre + np.array([0.7, -2.6, 0.2]), centre)
    with BodyRenderer() as r:
        bare = r.render_bodies(cam, [(v, body.faces)], colors=[colours[0]])
        dressed = r.render_bodies(cam, meshes, colors=colours)
    mask = bare.masks[0] > 0
    palette = np.array(colours) * 255.0  # skin first

    def skin_share(rgb):
        px = rgb[mask].astype(np.float64)
        # brightness-free comparison: colours as unit vectors
        unit = lambda a: a / np.linalg.norm(a, axis=-1, keepdims=True).clip(1e-6)
        nearest = np.argmax(unit(px) @ unit(palette).T, axis=1)
        return float(np.mean(nearest == 0))

    assert skin_share(bare.rgb) > 0.9
    assert skin_share(dressed.rgb) < 0.5
    found = KeypointDetector().detect(dressed.rgb)
    assert found.valid
    uv = cam.project(kp)[0]
    for name in ("left_shoulder", "right_shoulder", "left_hip", "right_hip", "left_ankle", "right_ankle"):
        i = KEYPOINT_NAMES.index(name)
        assert np.linalg.norm(found.keypoints[i] - uv[i]) < 25.0, name
