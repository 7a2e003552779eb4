"""The existing lifting benchmark's true bodies are physically possible: each touches the
sample room and none sinks into it. Two of them once had 12-16 % of their vertices inside the
bookshelf and the sofa, which no fit can match while staying out of the furniture."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from lifting_cases import CASES, SCENE, gt_params  # noqa: E402


@pytest.fixture(scope="module")
def body():
    from pipeline.body import load_body_model

    return load_body_model("anny")


def test_every_true_body_touches_the_room_without_sinking_into_it(body):
    import torch

    from pipeline.lifting.metrics import scene_metrics
    from pipeline.scene.scene import load_scene
    from pipeline.scene.sdf import build_sdf_grid

    scene = load_scene(SCENE)
    for case in CASES:
        with torch.no_grad():
            v = body(gt_params(body, case)).vertices[0].numpy()
        centre = np.array([v[:, 0].mean(), v[:, 1].mean(), case.spot[2] + 0.5])
        m = scene_metrics(build_sdf_grid(scene, centre, 1.3, 0.03), v)
        assert m["contact"], f"{case.name}: the body floats {m['min_distance_m']:.3f} m above everything"
        assert m["non_collision"] >= 0.98, f"{case.name}: {m}"
