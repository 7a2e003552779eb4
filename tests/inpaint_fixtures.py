"""Shared fixtures of the inpainting tests: one tiny random model per session, one CPU thread."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    from pipeline.inpaint.testing import build_tiny_components

    return build_tiny_components(tmp_path_factory.mktemp("tiny-sd-inpaint"))


@pytest.fixture(scope="session")
def tiny_model(tiny_model_dir):
    from pipeline.inpaint import load_inpaint_model

    return load_inpaint_model(tiny_model_dir, device="cpu", dtype="fp32")


@pytest.fixture(autouse=True)
def one_cpu_thread():
    """Tiny matrices run far faster on one thread on a shared 2-core machine; restored afterwards."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
