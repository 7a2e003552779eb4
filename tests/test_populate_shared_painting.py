"""People populated at the same time on this machine paint their views in shared UNet calls
(tiny random model, CPU): the images on disk are those of the one-after-another run."""

from __future__ import annotations

import numpy as np
import pytest

from inpaint_fixtures import tiny_model_dir  # noqa: F401
from pipeline.generation.run_folder import read_png
from pipeline.populate.local_backend import LocalBackend
from pipeline.populate.plan import Placement, PopulatePlan
from pipeline.populate.runner import populate
from populate_helpers import SCENE

pytestmark = pytest.mark.slow
TINY = {"num_views": 3, "image_size": 64, "steps": 2, "sdf_cell": 0.08, "rounds": 1,
        "inpaint_overrides": {"attention_divisor": 4, "batch_size": 16}}


def _plan(model_dir) -> PopulatePlan:
    return PopulatePlan(model=str(model_dir), overrides=dict(TINY), placements=[  # 3.9 m apart: neither waits
        Placement("window", "point", ["a man standing"], 1, 1, point=[-2.15, 0.85, 0.0]),
        Placement("door", "point", ["a woman standing, talking on the phone"], 1, 2, point=[1.55, -0.75, 0.0]),
    ])


def _images(out) -> dict:
    """Every painted image of every person: people/person_NNN/<round>/images/<set>/<view>.png."""
    return {p.relative_to(out).as_posix(): read_png(p) for p in sorted(out.glob("people/*/*/images/*/*.png"))}


def test_two_people_share_the_unet_calls_and_get_the_images_they_get_alone(tiny_model_dir, tmp_path, monkeypatch):
    from pipeline.inpaint import inpainter as inpainter_module

    calls = []
    original = inpainter_module.sample_batch

    def counting(model, requests, prompt, *args, **kwargs):
        prompts = {p.text for p in prompt} if isinstance(prompt, list) else {prompt.text}
        calls.append((len(requests), len(prompts)))
        return original(model, requests, prompt, *args, **kwargs)

    monkeypatch.setattr(inpainter_module, "sample_batch", counting)
    alone = populate(_plan(tiny_model_dir), SCENE, tmp_path / "alone", device="cpu", dtype="fp32", together=1)
    alone_calls, calls[:] = list(calls), []
    backend = LocalBackend(together=2, device="cpu")
    shared = populate(_plan(tiny_model_dir), SCENE, tmp_path / "shared", backend=backend, device="cpu", dtype="fp32")

    assert {o["status"] for o in alone.outcomes.values()} == {"no_body"}  # the random model paints nobody
    assert [o["status"] for o in shared.outcomes.values()] == [o["status"] for o in alone.outcomes.values()]
    per_person = alone_calls[0][0]
    assert alone_calls == [(per_person, 1), (per_person, 1)]  # one call per person, its own prompt
    assert calls == [(2 * per_person, 2)] and backend.board.calls == [2]  # both people's views in one call
    a, s = _images(tmp_path / "alone"), _images(tmp_path / "shared")
    assert len(a) == 2 * per_person and a.keys() == s.keys()
    for name in a:
        # a shared call sums in another order: at most one grey level apart
        assert np.abs(a[name].astype(int) - s[name].astype(int)).max() <= 1, name
