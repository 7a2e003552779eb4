"""A small populate plan on the sample room that runs in seconds per person on a CPU."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pipeline.populate.plan import Placement, PopulatePlan

ROOT = Path(__file__).resolve().parents[1]
SCENE = ROOT / "resources" / "scenes" / "living_room.glb"
SOFA = [[-1.2, -2.75], [1.2, -2.75], [1.2, -1.9], [-1.2, -1.9]]
MIDDLE = [[-1.0, -1.2], [1.0, -1.2], [1.0, 0.5], [-1.0, 0.5]]
# the real stages at a small size: 3 views of 256 px, one hypothesis, a short fit
QUICK = {"num_views": 3, "image_size": 256, "inpaints_round1": 1, "rounds": 1, "fit_iterations": 40,
         "sdf_cell": 0.06, "ranking": "fit"}


def four_people(**changes) -> PopulatePlan:
    plan = PopulatePlan(
        painter="known_body", overrides=dict(QUICK), min_spacing=0.7,
        placements=[
            Placement(name="sofa", kind="seats", prompts=["a man sitting on the sofa"], count=2, seed=1, polygon=SOFA),
            Placement(name="middle", kind="region", prompts=["a woman standing"], count=2, seed=2, polygon=MIDDLE),
        ],
    )
    for key, value in changes.items():
        setattr(plan, key, value)
    return plan


def body_of(out: Path, index: int) -> np.ndarray:
    from pipeline.core.obj_mesh import read_obj

    return read_obj(Path(out) / "people" / f"person_{index:03d}" / "body_0.obj")[0]
