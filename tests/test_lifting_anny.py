"""The fit with the real body model on real renders: Anny placed in the sample room, rendered
from the views ``genzi views`` selects, keypoints found by mediapipe, lifted back to 3D."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from lifting_cases import SCENE, case_by_name, gt_keypoints, prepare_case  # noqa: E402


@pytest.fixture(scope="module")
def body():
    import torch

    torch.set_num_threads(1)
    from pipeline.body import load_body_model

    return load_body_model("anny")


@pytest.fixture(scope="module")
def scene():
    from pipeline.scene.scene import load_scene

    return load_scene(SCENE)


@pytest.fixture(scope="module")
def cases_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("lifting_cases")


def _fit_case(name, body, scene, cases_dir, iterations=400, views=8):
    from pipeline.generation.fit_sets import find_hypothesis_sets, fit_hypothesis_sets
    from pipeline.lifting.schedule import LiftingSettings
    from pipeline.lifting.metrics import mpjpe
    from pipeline.scene.sdf import build_sdf_grid
    from pipeline.views.views_io import load_views

    case = case_by_name(name)
    meta = prepare_case(case, cases_dir / name, body, scene, max_views=views)
    cameras, vmeta = load_views(cases_dir / name / "views")
    target = np.asarray(vmeta["target"])
    sdf = build_sdf_grid(scene, target, 1.2, 0.04)
    sets = [s for s in find_hypothesis_sets(cases_dir / name / "hyp", [c.name for c in cameras]) if s.name == "set_0"]
    settings = replace(LiftingSettings(num_threads=1), sdf_subsample=4).with_iterations(iterations)
    fit = fit_hypothesis_sets(body, cameras, sets, sdf, settings, target=target, prompt=case.prompt)[0]
    assert fit.result is not None, fit.error
    assert sum(o.valid for o in fit.observations) >= 0.75 * len(cameras)  # mediapipe saw the person
    return fit, 1000 * mpjpe(fit.result.keypoints3d, gt_keypoints(body, meta))


def test_seated_on_the_sofa_from_renders(body, scene, cases_dir):
    fit, err = _fit_case("sofa_middle", body, scene, cases_dir)
    assert err < 80.0
    assert fit.metrics["non_collision"] > 0.95
    assert fit.metrics["contact"]


def test_standing_on_the_floor_from_renders(body, scene, cases_dir):
    fit, err = _fit_case("standing_floor", body, scene, cases_dir)
    assert err < 80.0
    assert fit.metrics["contact"]
    assert fit.metrics["non_collision"] >= 0.98  # the soles on the floor, not in it


def test_genzi_fit_writes_the_report(body, scene, cases_dir, tmp_path):
    from pipeline.body.base import KEYPOINT_NAMES
    from pipeline.cli.main import main

    case = case_by_name("standing_floor")
    prepare_case(case, cases_dir / case.name, body, scene, max_views=8)
    hyp = cases_dir / case.name / "hyp"
    out = tmp_path / "out"
    rc = main(["fit", "--scene", str(SCENE), "--views", str(cases_dir / case.name / "views"), "--hypotheses", str(hyp),
               "--out", str(out), "--iterations", "40", "--starts", "one", "--sdf-cell", "0.06",
               "--quiet"])  # fmt: skip
    assert rc == 0
    report = json.loads((out / "report.json").read_text())
    assert [b["set"] for b in report["bodies"]] == ["set_0", "set_1"]
    b = report["bodies"][0]
    assert set(b) == {"set", "model", "params", "keypoints3d", "metrics", "view_weights", "mesh"}
    assert b["model"] == "anny" and list(b["keypoints3d"]) == list(KEYPOINT_NAMES)
    assert set(b["metrics"]) == {"non_collision", "contact", "max_penetration_m"}
    assert set(b["view_weights"]) == {f"view_{i:02d}" for i in range(8)}
    assert all(0.0 <= w <= 1.0 for w in b["view_weights"].values())
    assert (out / b["mesh"]).stat().st_size > 100_000 and b["mesh"] == "body_0.obj"
    assert (out / "body_1.obj").exists()
    params = body.params_from_json(b["params"])
    import torch

    with torch.no_grad():
        kp = body(params).keypoints[0].numpy()
    np.testing.assert_allclose(kp, np.array([b["keypoints3d"][n] for n in KEYPOINT_NAMES]), atol=1e-4)


def test_genzi_fit_explains_a_missing_hypothesis_folder(tmp_path, cases_dir, body, scene, capsys):
    from pipeline.cli.main import main

    case = case_by_name("standing_floor")
    prepare_case(case, cases_dir / case.name, body, scene, max_views=8)
    rc = main(["fit", "--scene", str(SCENE), "--views", str(cases_dir / case.name / "views"),
               "--hypotheses", str(tmp_path / "nothing"), "--out", str(tmp_path / "o")])  # fmt: skip
    assert rc == 2
    assert "does not exist" in capsys.readouterr().err


def test_fast_keypoint_path_matches_the_full_forward(body):
    import torch

    from pipeline.body.presets import posed_body
    from pipeline.lifting.subset import forward_subset

    params = posed_body(body, "sitting_chair", (0.3, -1.0, 0.5), 40.0, shape=body.shape_from_phenotypes({"height": 0.8}))
    idx = torch.arange(0, body.num_vertices, 5)
    with torch.no_grad():
        full = body(params)
        kp, verts = forward_subset(body, params, idx)
    np.testing.assert_allclose(kp.numpy(), full.keypoints.numpy(), atol=1e-4)
    np.testing.assert_allclose(verts.numpy(), full.vertices[:, idx].numpy(), atol=1e-5)
    params["shape"].requires_grad_(True)
    kp, _ = forward_subset(body, params, None)
    kp.sum().backward()
    assert torch.isfinite(params["shape"].grad).all() and params["shape"].grad.abs().sum() > 0


def test_batched_subset_forward_matches_the_full_forward(body):
    """Two sets at once (the sparse skinning product of a batched fit) give each body's own vertices."""
    import torch

    from pipeline.body.presets import posed_body
    from pipeline.lifting.subset import SubsetForward

    a = posed_body(body, "sitting_chair", (0.3, -1.0, 0.5), 40.0, shape=body.shape_from_phenotypes({"height": 0.8}))
    b = posed_body(body, "standing", (-0.5, 0.2, 0.0), -20.0, shape=body.shape_from_phenotypes({"weight": 0.2}))
    both = {k: torch.cat([a[k], b[k]]) for k in a}
    idx = torch.arange(0, body.num_vertices, 3)
    with torch.no_grad():
        full = body(both)
        kp, verts = SubsetForward(body)(both, idx)
    np.testing.assert_allclose(kp.numpy(), full.keypoints.numpy(), atol=1e-4)
    np.testing.assert_allclose(verts.numpy(), full.vertices[:, idx].numpy(), atol=1e-5)
    assert np.abs(verts[0].numpy() - verts[1].numpy()).max() > 0.3  # two different bodies
