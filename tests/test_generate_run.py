"""End-to-end generation runs on the sample living room, on the CPU, without downloads.

Two imaginations drive the real stages: the tiny random diffusion model (paints no person, so
the run must end with the clear explanation) and the rendered-known-body double (the real
keypoints, fits, rounds and ranking must recover the known body).
"""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from pipeline.body.base import KEYPOINT_NAMES
from pipeline.core.events import (
    Cancelled,
    CancelToken,
    Error,
    InpaintStep,
    LiftingStep,
    StageSkipped,
    StageStarted,
    Warning,
)
from pipeline.generation import (
    GenerationRequest,
    NothingUsableError,
    RenderedBodyImagination,
    RunFolderMismatchError,
    refit_from_images,
    run_generation,
)
from pipeline.generation import stages
from pipeline.generation.run_folder import read_json, read_png

ROOT = Path(__file__).resolve().parents[1]
SCENE = ROOT / "resources" / "scenes" / "living_room.glb"
SOFA_SEAT = [0.0, -2.3, 0.567]  # on the middle cushion, towards its back
AVERAGE_SHAPE = {k: 0.5 for k in ("gender", "age", "muscle", "weight", "height", "proportions")}

pytestmark = pytest.mark.slow


def _started(events) -> Counter:
    return Counter((e.stage, e.round) for e in events if isinstance(e, StageStarted))


def _skipped(events) -> Counter:
    return Counter((e.stage, e.round) for e in events if isinstance(e, StageSkipped))


# =========================================================================================
# tiny random diffusion model: every stage runs, the run explains why there is no body
# =========================================================================================
@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    from pipeline.inpaint.testing import build_tiny_components

    base = tmp_path_factory.mktemp("tiny-generation")
    model_dir = build_tiny_components(base / "tiny-sd")
    request = GenerationRequest(
        scene=SCENE, target=SOFA_SEAT, prompt="a man sitting on the sofa", seed=5, preset="fast",
        overrides={"num_views": 3, "image_size": 64, "steps": 2, "sdf_cell": 0.06,
                   "inpaint_overrides": {"attention_divisor": 4}},
        model=str(model_dir), device="cpu", dtype="fp32",
    )
    events: list = []
    with pytest.raises(NothingUsableError) as info:
        run_generation(request, base / "run", events.append)
    return SimpleNamespace(dir=base / "run", request=request, events=events, error=info.value, model_dir=model_dir)


def test_tiny_model_run_ends_with_the_clear_explanation(tiny_run):
    message = str(tiny_run.error)
    assert "No view showed a detectable person" in message
    assert "prompt that names a person and a posture" in message
    errors = [e for e in tiny_run.events if isinstance(e, Error)]
    assert errors and errors[-1].message == message
    report = read_json(tiny_run.dir / "report.json")
    assert report["bodies"] == [] and report["explanation"] == message


def test_tiny_model_run_goes_through_every_stage_and_writes_every_artefact(tiny_run):
    run = tiny_run.dir
    started = _started(tiny_run.events)
    for stage in [("views", 0), ("sdf", 0), ("inpaint", 1), ("keypoints", 1), ("lifting", 1)]:
        assert started[stage] == 1, stage
    assert any(isinstance(e, InpaintStep) for e in tiny_run.events)

    config = read_json(run / "config.json")
    assert config["request"]["prompt"] == "a man sitting on the sofa"
    assert config["settings"]["views"]["num_views"] == 3 and config["settings"]["inpaint"]["steps"] == 2
    assert config["seeds"]["run_seed"] == 5
    assert "torch" in config["versions"] and "diffusers" in config["versions"]
    assert config["imagination"]["kind"] == "diffusion"

    views = read_json(run / "views" / "views.json")
    names = [v["name"] for v in views["views"]]
    assert len(names) == 3 and views["image_size"] == [64, 64]
    index = read_json(run / "round_1" / "images.json")
    for k in range(2):  # the fast preset paints 2 hypotheses per view
        for name in names:
            assert read_png(run / "views" / f"{name}.png").shape == (64, 64, 3)
            assert read_png(run / "round_1" / "images" / f"set_{k}" / f"{name}.png").shape == (64, 64, 3)
            mask = read_png(run / "round_1" / "masks" / f"set_{k}" / f"{name}.png") > 127
            assert 0.2 < mask.mean() < 0.4  # the dynamic mask's 0.7 quantile: about 30 % of the image
            assert f"set_{k}/{name}" in index
        keypoints = read_json(run / "round_1" / "keypoints" / f"set_{k}.json")["views"]
        assert set(keypoints) == set(names)
        assert all(not r["valid"] and r["reason"] for r in keypoints.values())
        fit = read_json(run / "round_1" / "fits" / f"set_{k}.json")
        assert fit["failed"] and "no view" in fit["reason"]
    assert (run / "scene_sdf.npz").is_file() and (run / "run.log").read_text()
    assert not list(run.rglob("*.tmp"))


def test_any_painted_image_can_be_repainted_alone_from_its_seed(tiny_run):
    from pipeline.inpaint import Inpainter, InpaintRequest, load_inpaint_model

    run = tiny_run.dir
    entry = read_json(run / "round_1" / "images.json")["set_1/view_02"]
    view = read_png(run / "views" / "view_02.png")
    model = load_inpaint_model(tiny_run.model_dir, device="cpu", dtype="fp32")
    settings = stages.inpaint_settings_for(tiny_run.request, tiny_run.request.settings(), 1)
    painter = Inpainter(model)
    again = painter.run([InpaintRequest("view_02", view, sample=1, seed=entry["seed"])], settings)[0].image
    saved = read_png(run / "round_1" / "images" / "set_1" / "view_02.png").astype(int)
    # painted in a batch of six then alone: equal up to float rounding (at most one grey level)
    assert np.abs(again.astype(int) - saved).max() <= 1
    other = painter.run([InpaintRequest("view_02", view, sample=1, seed=entry["seed"] + 1)], settings)[0].image
    assert np.abs(other.astype(int) - saved).mean() > 10


def test_cli_resume_skips_done_stages_and_prints_the_explanation(tiny_run, capsys):
    from pipeline.cli.main import main

    args = ["generate", "--scene", str(SCENE), "--at", *map(str, SOFA_SEAT), "--prompt", "a man sitting on the sofa",
            "--seed", "5", "--preset", "fast", "--model", str(tiny_run.model_dir), "--device", "cpu", "--dtype", "fp32",
            "--set", "num_views=3", "--set", "image_size=64", "--set", "steps=2", "--set", "sdf_cell=0.06",
            "--set", 'inpaint_overrides={"attention_divisor": 4}', "--out", str(tiny_run.dir)]
    assert main(args) == 2  # without --resume an existing run folder is refused
    assert "--resume" in capsys.readouterr().err
    assert main(args + ["--resume"]) == 3
    err = capsys.readouterr().err
    assert "already done, skipped" in err and "No view showed a detectable person" in err
    assert "Traceback" not in err


def test_a_finished_stage_whose_files_were_removed_runs_again(tiny_run, tmp_path):
    copy = tmp_path / "run"
    shutil.copytree(tiny_run.dir, copy)
    (copy / "round_1" / "keypoints" / "set_1.json").unlink()
    events: list = []
    with pytest.raises(NothingUsableError):
        run_generation(tiny_run.request, copy, events.append)
    assert set(_skipped(events)) == {("views", 0), ("sdf", 0), ("inpaint", 1)}
    assert _started(events)[("keypoints", 1)] == 1 and _started(events)[("lifting", 1)] == 1
    assert any("keypoints/set_1.json is missing" in e.message for e in events if isinstance(e, Warning))
    assert (copy / "round_1" / "keypoints" / "set_1.json").is_file()


def test_a_different_request_never_mixes_into_an_existing_run(tiny_run):
    other = GenerationRequest.from_dict({**tiny_run.request.to_dict(), "prompt": "a woman lying on the sofa"})
    with pytest.raises(RunFolderMismatchError, match="prompt"):
        run_generation(other, tiny_run.dir)


def test_missing_model_gives_a_clear_message(tmp_path, monkeypatch):
    from pipeline.generation import GenerationError

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    request = GenerationRequest(scene=SCENE, target=SOFA_SEAT, prompt="a man sitting", preset="fast",
                                overrides={"num_views": 1, "image_size": 64, "sdf_cell": 0.08},
                                model=str(tmp_path / "no-such-model"), device="cpu")
    with pytest.raises(GenerationError, match="no-such-model"):
        run_generation(request, tmp_path / "run")


def test_unreachable_hub_is_reported_before_any_view_is_rendered(tmp_path, monkeypatch):
    """A hub model that is not downloaded while the hub cannot be reached (here: a closed
    local port as the endpoint) fails at once, not after views and the SDF were computed."""
    import socket

    from pipeline.generation import GenerationError

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    request = GenerationRequest(scene=SCENE, target=SOFA_SEAT, prompt="a man sitting", preset="fast",
                                overrides={"num_views": 1, "image_size": 64, "sdf_cell": 0.08},
                                model="genzi-tests/never-downloaded-inpainting", device="cpu")
    with pytest.raises(GenerationError, match="cannot be reached.*local diffusers folder"):
        run_generation(request, tmp_path / "run")
    assert not list((tmp_path / "run").rglob("*.png")), "views were rendered before the model check"


# =========================================================================================
# rendered known body: real rounds and ranking recover it; cancel, resume, re-fit
# =========================================================================================
def _body_request(**overrides) -> GenerationRequest:
    settings = {"num_views": 6, "image_size": 256, "rounds": 2, "inpaints_round1": 1, "inpaints_round2": 1,
                "fit_iterations": 300, "sdf_cell": 0.04}
    settings.update(overrides)
    return GenerationRequest(scene=SCENE, target=SOFA_SEAT, prompt="a man sitting on the sofa", preset="fast",
                             overrides=settings, device="cpu", fixed_shape=AVERAGE_SHAPE)


def _known_body() -> RenderedBodyImagination:
    return RenderedBodyImagination(posture="sitting_chair", at=SOFA_SEAT, facing_yaw_deg=180.0)


class _CountingRenderer:
    """A renderer handed to run_generation (as the desktop hands its GUI-thread one)."""

    def __init__(self, inner):
        self.inner, self.calls = inner, Counter()

    def __getattr__(self, name):
        self.calls[name] += 1
        return getattr(self.inner, name)


@pytest.fixture(scope="module")
def body_run(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("body-generation") / "run"
    request = _body_request()
    cancel = CancelToken()
    first: list = []

    def emit_and_stop(event):
        first.append(event)
        if isinstance(event, LiftingStep) and event.round == 1 and event.iteration >= 50:
            cancel.cancel()

    made = []
    plain_make = stages.make_renderer

    def recording_make(scene):
        made.append(plain_make(scene))
        return made[-1]

    stages.make_renderer = recording_make
    try:
        with pytest.raises(Cancelled):
            run_generation(request, run_dir, emit_and_stop, cancel, imagination=_known_body())
    finally:
        stages.make_renderer = plain_make
    own_renderers_closed = [r._closed for r in made]
    after_cancel = sorted(p.name for p in (run_dir / "stages").iterdir())
    fits_after_cancel = sorted(p.name for p in (run_dir / "round_1" / "fits").glob("*")) if (run_dir / "round_1" / "fits").exists() else []
    tmp_after_cancel = [str(p) for p in run_dir.rglob("*.tmp")]
    second: list = []
    renderer = _CountingRenderer(stages.make_renderer(stages.load_scene(SCENE)))
    stages.make_renderer = lambda scene: pytest.fail("the run made its own renderer")
    try:
        result = run_generation(request, run_dir, second.append, imagination=_known_body(), renderer=renderer)
    finally:
        stages.make_renderer = plain_make
    third: list = []
    again = run_generation(request, run_dir, third.append, imagination=_known_body())
    renderer.inner.close()
    return SimpleNamespace(dir=run_dir, request=request, first=first, second=second, third=third, result=result,
                           render_calls=renderer.calls, own_renderers_closed=own_renderers_closed,
                           again=again, after_cancel=after_cancel, fits_after_cancel=fits_after_cancel,
                           tmp_after_cancel=tmp_after_cancel)


def test_every_render_after_the_views_goes_through_the_given_renderer(body_run):
    """Round 2's seed silhouettes and the known body's renders use the injected renderer (the
    desktop's renders in its GUI thread); nothing made a renderer of its own."""
    assert body_run.render_calls["silhouettes"] >= 6  # one per view for the round-2 masks
    assert body_run.render_calls["render_bodies"] >= 6
    assert body_run.own_renderers_closed == [True]  # the cancelled run released the one it made


def test_cancel_in_the_middle_leaves_a_consistent_folder(body_run):
    assert body_run.after_cancel == ["r1_inpaint.done", "r1_keypoints.done", "sdf.done", "views.done"]
    assert not [f for f in body_run.fits_after_cancel if f.endswith(".json")]  # no half-fitted set counted
    assert body_run.tmp_after_cancel == []


def test_resume_skips_finished_stages_and_runs_the_rest_once(body_run):
    done_before = {("views", 0), ("sdf", 0), ("inpaint", 1), ("keypoints", 1)}
    assert set(_skipped(body_run.second)) == done_before
    started = _started(body_run.second)
    assert not done_before & set(started)
    for stage in [("lifting", 1), ("ranking", 1), ("inpaint", 2), ("keypoints", 2), ("lifting", 2), ("ranking", 2),
                  ("export", 0)]:
        assert started[stage] == 1, stage
    assert _started(body_run.third) == Counter()  # a finished run: everything skipped
    assert body_run.again.bodies[0].params == body_run.result.bodies[0].params


def test_rounds_and_ranking_recover_the_known_body(body_run):
    from pipeline.body.spec import BodySpec, load_body

    body = load_body(BodySpec())
    truth = stages.body_keypoints(body, _known_body().known_params(body))
    best = body_run.result.best
    assert best.round == 2
    fitted = np.array([best.keypoints3d[name] for name in KEYPOINT_NAMES])
    mpjpe_mm = 1000.0 * np.linalg.norm(fitted - truth, axis=1).mean()
    assert mpjpe_mm < 80.0, f"MPJPE {mpjpe_mm:.1f} mm"
    # one round-1 body: floor(0.5 * 1) = 0 seeds, so the best one is kept instead of nothing
    assert any("keeping the best one" in e.message for e in body_run.second if isinstance(e, Warning))
    # round 2 painted inside the seed body's dilated silhouette
    seed_body = read_json(body_run.dir / "round_1" / "fits" / "set_0.json")
    cameras = stages.read_views(body_run.dir / "views" / "views.json")
    kp = np.array([seed_body["keypoints3d"][n] for n in KEYPOINT_NAMES])
    for cam in cameras[:2]:
        mask = read_png(body_run.dir / "round_2" / "masks" / "set_0" / f"{cam.name}.png") > 127
        uv, _ = cam.project(kp)
        inside = [(0 <= u < cam.width and 0 <= v < cam.height) for u, v in uv]
        hits = [mask[int(v), int(u)] for (u, v), ok in zip(uv, inside) if ok]
        assert hits and np.mean(hits) > 0.9


def test_report_has_the_fit_report_shape_plus_score_and_round(body_run):
    import trimesh

    report = read_json(body_run.dir / "report.json")
    assert len(report["bodies"]) == len(body_run.result.bodies) >= 1
    for rank, entry in enumerate(report["bodies"]):
        for key in ("set", "model", "params", "keypoints3d", "metrics", "view_weights", "mesh", "score", "round"):
            assert key in entry
        assert entry["model"] == "anny" and set(entry["keypoints3d"]) == set(KEYPOINT_NAMES)
        assert {"non_collision", "contact", "max_penetration_m"} <= set(entry["metrics"])
        mesh = trimesh.load(body_run.dir / entry["mesh"], process=False)
        assert entry["mesh"] == f"body_{rank}.obj" and len(mesh.vertices) > 10000
    scores = [b["score"] for b in report["bodies"]]
    assert scores == sorted(scores, reverse=True)
    assert read_json(body_run.dir / "config.json")["imagination"]["kind"] == "rendered_body"


@pytest.fixture(scope="module")
def small_runs(tmp_path_factory):
    """The same small request run twice (two rounds, few views, short fits)."""
    base = tmp_path_factory.mktemp("small-generation")
    request = _body_request(num_views=3, fit_iterations=24, sdf_cell=0.08)
    a = run_generation(request, base / "a", imagination=_known_body())
    b = run_generation(request, base / "b", imagination=_known_body())
    return SimpleNamespace(a=a, b=b, request=request)


def test_same_seed_gives_the_same_images_and_bodies(small_runs):
    a, b = small_runs.a, small_runs.b
    assert [body.params for body in a.bodies] == [body.params for body in b.bodies]
    assert np.array_equal(a.bodies[0].vertices, b.bodies[0].vertices)
    record = read_json(a.run_dir / "round_1" / "fits" / "set_0.json")
    assert any("start of" in w for w in record["warnings"])  # the default: every start, the best kept
    for image in sorted(a.run_dir.glob("round_*/images/*/*.png")):
        twin = b.run_dir / image.relative_to(a.run_dir)
        assert np.array_equal(read_png(image), read_png(twin))


def test_refit_leaves_out_an_image_without_painting_again(small_runs, tmp_path):
    run_dir = tmp_path / "copy"
    shutil.copytree(small_runs.a.run_dir, run_dir)
    images = sorted(run_dir.glob("round_*/images/*/*.png"))
    stamps = {p: os.stat(p).st_mtime_ns for p in images}
    events: list = []
    result = refit_from_images(run_dir, ["round_1/images/set_0/view_00.png"], events.append)
    started = _started(events)
    assert started[("lifting", 1)] == 1 and started[("lifting", 2)] == 1
    assert not [s for s in started if s[0] in ("inpaint", "keypoints", "views", "sdf")]
    assert {p: os.stat(p).st_mtime_ns for p in images} == stamps
    refit = read_json(run_dir / "round_1" / "fits" / "set_0.json")
    before = read_json(small_runs.a.run_dir / "round_1" / "fits" / "set_0.json")
    assert "view_00" in before["used_views"] and "view_00" not in refit["used_views"]
    assert refit["params"] != before["params"]
    assert result.bodies and read_json(run_dir / "report.json")["excluded_images"] == ["1/set_0/view_00"]


def test_user_images_for_exported_views_are_fitted_without_painting(small_runs, tmp_path):
    from pipeline.generation import UserImagesImagination

    source = small_runs.a.run_dir
    painted = tmp_path / "my_images"
    shutil.copytree(source / "round_1" / "images" / "set_0", painted / "set_0")
    shutil.copyfile(source / "views" / "views.json", painted / "views.json")  # the exported views
    request = _body_request(num_views=16, rounds=2, fit_iterations=24, sdf_cell=0.08)
    events: list = []
    result = run_generation(request, tmp_path / "run", events.append, imagination=UserImagesImagination(painted))
    exported = stages.read_views(painted / "views.json")
    used = stages.read_views(tmp_path / "run" / "views" / "views.json")
    assert [c.name for c in used] == [c.name for c in exported]
    assert all(np.allclose(a.world_to_camera, b.world_to_camera) for a, b in zip(used, exported))
    for cam in used:
        assert np.array_equal(read_png(tmp_path / "run" / "round_1" / "images" / "set_0" / f"{cam.name}.png"),
                              read_png(painted / "set_0" / f"{cam.name}.png"))
    assert any("round 2 is skipped" in e.message for e in events if isinstance(e, Warning))
    assert result.bodies and result.best.round == 1
