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
