"""The inpainting model stays loaded between runs of one process."""

from inpaint_fixtures import one_cpu_thread, tiny_model_dir  # noqa: F401
from pipeline.inpaint.warm import release, warm_inpaint_model


def test_second_run_reuses_the_loaded_model_and_another_precision_replaces_it(tiny_model_dir):
    release()
    first, warm1 = warm_inpaint_model(tiny_model_dir, device="cpu", dtype="fp32")
    again, warm2 = warm_inpaint_model(tiny_model_dir, device="cpu", dtype="fp32")
    assert (warm1, warm2) == (False, True) and again is first
    other, warm3 = warm_inpaint_model(tiny_model_dir, device="cpu", dtype="bf16")
    assert not warm3 and other is not first and other.dtype != first.dtype
    back, warm4 = warm_inpaint_model(tiny_model_dir, device="cpu", dtype="fp32")
    assert not warm4 and back is not first  # one model is kept: fp32 was let go for bf16
    assert release() == 1


def test_the_run_shows_the_model_load_as_its_own_stage_and_says_when_it_was_warm(tiny_model_dir):
    from pipeline.core.events import StageFinished, StageStarted
    from pipeline.generation.stages import load_inpainter

    release()
    events: list = []
    first = load_inpainter(str(tiny_model_dir), device="cpu", dtype="fp32", emit=events.append)
    second = load_inpainter(str(tiny_model_dir), device="cpu", dtype="fp32", emit=events.append)
    started = [e for e in events if isinstance(e, StageStarted)]
    finished = [e for e in events if isinstance(e, StageFinished)]
    assert [e.stage for e in started] == ["model", "model"] and [e.stage for e in finished] == ["model", "model"]
    assert finished[0].detail == "loaded" and finished[1].detail == "kept warm from an earlier run"
    assert finished[0].seconds > finished[1].seconds >= 0.0
    assert first.model is second.model  # one loaded model serves both runs
    release()
