"""Several people's views painted together in shared UNet calls (tiny random model, CPU):
each image comes out as when its person is painted alone, one image per call."""

import numpy as np
import pytest
import torch

from inpaint_fixtures import one_cpu_thread, tiny_model, tiny_model_dir  # noqa: F401
from pipeline.core.events import Warning as WarningEvent
from pipeline.inpaint import Inpainter, InpaintRequest, InpaintSettingsError, PaintJob
from pipeline.inpaint.testing import tiny_settings, tiny_view


def _jobs():
    man = [InpaintRequest(f"view{i}", tiny_view(i), sample=0, seed=100 + i) for i in range(3)]
    woman = [InpaintRequest(f"view{i}", tiny_view(i + 3), sample=0, seed=200 + i) for i in range(2)]
    return [PaintJob(man, tiny_settings(prompt="a man sitting", batch_size=8)),
            PaintJob(woman, tiny_settings(prompt="a woman standing with a small child", batch_size=8))]


def _unet_rows(model, monkeypatch):
    rows = []
    forward = model.unet.forward

    def counting(sample, *args, **kwargs):
        rows.append(sample.shape[0])
        return forward(sample, *args, **kwargs)

    monkeypatch.setattr(model.unet, "forward", counting)
    return rows


def _alone(model, job):
    """Unbatched: each image in its own sampler call with its own prompt."""
    settings = tiny_settings(prompt=job.settings.prompt, batch_size=1)
    return Inpainter(model).run(job.requests, settings)


def test_people_painted_together_match_each_painted_alone(tiny_model, monkeypatch):
    jobs = _jobs()
    reference = [_alone(tiny_model, job) for job in jobs]
    rows = _unet_rows(tiny_model, monkeypatch)
    together = Inpainter(tiny_model).run_many(jobs)
    steps = jobs[0].settings.steps
    assert rows == [2 * 5] * steps  # every step: 5 images x 2 guidance rows in one call
    for job, got, want in zip(jobs, together, reference):
        assert [r.view_name for r in got] == [r.view_name for r in job.requests]
        assert {r.prompt for r in got} == {want[0].prompt} and job.settings.prompt in want[0].prompt
        assert [r.token_indices for r in got] == [w.token_indices for w in want]
        for g, w in zip(got, want):
            assert g.seed == w.seed
            assert np.abs(g.image.astype(int) - w.image.astype(int)).max() <= 1  # float sums in another order
            assert (g.mask == w.mask).mean() > 0.99
    assert len(reference[0][0].token_indices) != len(reference[1][0].token_indices)  # padded tokens were exercised
    # another prompt really changes the picture: the same view and seed under the other person's prompt
    other = Inpainter(tiny_model).run([jobs[0].requests[0]], tiny_settings(prompt=jobs[1].settings.prompt, batch_size=1))
    assert np.abs(other[0].image.astype(int) - reference[0][0].image.astype(int)).max() > 1


def test_shared_painting_backs_off_on_out_of_memory_and_refuses_mixed_settings(tiny_model, monkeypatch):
    jobs = _jobs()
    reference = [_alone(tiny_model, job) for job in jobs]
    forward = tiny_model.unet.forward

    def picky(sample, *args, **kwargs):
        if sample.shape[0] > 4:  # more than two images "do not fit"
            raise torch.cuda.OutOfMemoryError("CUDA out of memory (simulated)")
        return forward(sample, *args, **kwargs)

    monkeypatch.setattr(tiny_model.unet, "forward", picky)
    events = []
    together = Inpainter(tiny_model).run_many(jobs, emit=events.append)
    warnings = [e.message for e in events if isinstance(e, WarningEvent)]
    assert warnings == ["GPU memory full with 5 images per batch; continuing with 2."]
    for got, want in zip(together, reference):
        for g, w in zip(got, want):
            assert np.abs(g.image.astype(int) - w.image.astype(int)).max() <= 1
    mixed = [jobs[0], PaintJob(jobs[1].requests, tiny_settings(prompt="a woman", batch_size=8, steps=3))]
    with pytest.raises(InpaintSettingsError, match="only the prompts may differ"):
        Inpainter(tiny_model).run_many(mixed)
