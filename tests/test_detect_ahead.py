"""Keypoints detected while the next sets are painted give the same files as the keypoints stage."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.core.events import KeypointsDetected, StageFinished, StageStarted
from pipeline.generation import GenerationRequest, RenderedBodyImagination, run_generation
from pipeline.generation.run_folder import read_json

ROOT = Path(__file__).resolve().parents[1]
SCENE = ROOT / "resources" / "scenes" / "living_room.glb"
SOFA_SEAT = [0.0, -2.3, 0.567]
AVERAGE_SHAPE = {k: 0.5 for k in ("gender", "age", "muscle", "weight", "height", "proportions")}

pytestmark = pytest.mark.slow


def _run(tmp_path, name: str, while_painting: str) -> tuple[Path, list]:
    request = GenerationRequest(
        scene=SCENE, target=SOFA_SEAT, prompt="a man sitting on the sofa", preset="fast", device="cpu",
        overrides={"num_views": 4, "image_size": 256, "rounds": 1, "inpaints_round1": 3, "fit_iterations": 10,
                   "starts": "one",
                   "sdf_cell": 0.06, "keypoints.while_painting": while_painting},
        fixed_shape=AVERAGE_SHAPE,
    )
    events: list = []
    imagination = RenderedBodyImagination(posture="sitting_chair", at=SOFA_SEAT, facing_yaw_deg=180.0)
    run_generation(request, tmp_path / name, events.append, imagination=imagination)
    return tmp_path / name, events


def test_keypoints_found_while_painting_equal_the_keypoints_stage(tmp_path):
    ahead_dir, ahead = _run(tmp_path, "ahead", "on")
    plain_dir, plain = _run(tmp_path, "plain", "off")
    for k in range(3):
        a = read_json(ahead_dir / "round_1" / "keypoints" / f"set_{k}.json")
        b = read_json(plain_dir / "round_1" / "keypoints" / f"set_{k}.json")
        assert a == b, f"set_{k}"
        assert sum(r["valid"] for r in a["views"].values()) >= 3  # a real person was found in most views

    def before_stage(events) -> int:
        first = next(i for i, e in enumerate(events) if isinstance(e, StageStarted) and e.stage == "keypoints")
        return sum(isinstance(e, KeypointsDetected) for e in events[:first])

    assert before_stage(ahead) == 3 * 4  # every set was detected while painting
    assert before_stage(plain) == 0

    def stage_detail(events) -> str:
        return next(e.detail for e in events if isinstance(e, StageFinished) and e.stage == "keypoints")

    assert stage_detail(ahead) == stage_detail(plain)
    fits = [read_json(p) for p in sorted(ahead_dir.glob("round_1/fits/set_*.json"))]
    assert len(fits) == 3 and not [w for f in fits for w in f["warnings"] if "start of" in w]  # "starts": "one"


def test_while_painting_refuses_an_unknown_choice():
    with pytest.raises(ValueError, match="while_painting"):
        GenerationRequest(scene=SCENE, target=SOFA_SEAT, prompt="a man", overrides={"keypoints.while_painting": "yes"}).settings()
