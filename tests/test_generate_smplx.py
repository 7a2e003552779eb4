"""A generation run that fits the user's SMPL-X model instead of Anny (synthetic model file)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from pipeline.generation import GenerationRequest, RenderedBodyImagination, run_generation, stages
from pipeline.generation.imagination import Imagination

pytest.importorskip("smplx")
from test_body_smplx import N_VERTS, make_model  # noqa: E402 - needs smplx

ROOT = Path(__file__).resolve().parents[1]
SCENE = ROOT / "resources" / "scenes" / "living_room.glb"
SOFA_SEAT = [0.0, -2.3, 0.567]


class KnownAnnyPainter(RenderedBodyImagination):
    """Paints a seated Anny into every view while the run itself fits SMPL-X."""

    def prepare(self, context, emit):
        Imagination.prepare(self, context, emit)
        from pipeline.body.spec import BodySpec, load_body

        anny = load_body(BodySpec())
        self._vertices, self._faces = stages.body_mesh(anny, self.known_params(anny))


def _request(**kw) -> GenerationRequest:
    overrides = {"num_views": 4, "image_size": 256, "rounds": 1, "inpaints_round1": 1, "fit_iterations": 40,
                 "sdf_cell": 0.08}
    return GenerationRequest(scene=SCENE, target=SOFA_SEAT, prompt="a man sitting on the sofa", preset="fast",
                             overrides=overrides, device="cpu", **kw)


def test_a_run_fits_the_users_smplx_model(tmp_path):
    (tmp_path / "smplx").mkdir()
    make_model(tmp_path / "smplx" / "SMPLX_NEUTRAL.npz")
    request = _request(body_model="smplx", body_model_path=str(tmp_path / "smplx"))
    painter = KnownAnnyPainter(posture="sitting_chair", at=SOFA_SEAT, facing_yaw_deg=180.0)
    result = run_generation(request, tmp_path / "run", imagination=painter)

    assert result.bodies, "the SMPL-X fit produced no body"
    best = result.bodies[0]
    assert best.vertices.shape == (N_VERTS, 3) and np.isfinite(best.vertices).all()
    assert all(np.isfinite(v) for v in best.metrics["reprojection_px"].values())
    obj_vertices = sum(1 for line in Path(best.mesh_path).read_text().splitlines() if line.startswith("v "))
    assert obj_vertices == N_VERTS  # the written mesh is SMPL-X's, not Anny's
    # the fit moved the model onto the person painted at the sofa (the synthetic SMPL-X is a stick figure)
    pelvis = np.asarray(best.keypoints3d["left_hip"]) / 2 + np.asarray(best.keypoints3d["right_hip"]) / 2
    assert np.linalg.norm(pelvis[:2] - np.asarray(SOFA_SEAT[:2])) < 0.5
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["request"]["body_model"] == "smplx"
    assert config["request"]["body_model_path"] == str(tmp_path / "smplx")


def test_smplx_requests_say_what_is_missing():
    with pytest.raises(ValueError, match="SMPLX_NEUTRAL.npz"):
        _request(body_model="smplx")
    with pytest.raises(ValueError, match="Anny's"):
        _request(body_model="smplx", body_model_path="x.npz", fixed_shape={"age": 0.5})
    with pytest.raises(ValueError, match="choose 'anny' or 'smplx'"):
        _request(body_model="mano")
    assert _request(body_model="SMPL-X", body_model_path="x.npz").body_model == "smplx"


def test_cli_generate_takes_the_smplx_model_and_says_when_it_is_missing(tmp_path, capsys):
    from pipeline.cli.main import main as genzi

    args = ["generate", "--scene", str(SCENE), "--at", "0", "-2.3", "0.567", "--prompt", "a man sitting",
            "--out", str(tmp_path / "run"), "--body-model", "smplx"]
    assert genzi(args) == 2
    assert "SMPLX_NEUTRAL.npz" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()  # refused before any work
