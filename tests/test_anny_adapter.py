"""The anny adapter still matches the installed anny: when a release renames or changes the
private member it calls, this fails here, not deep inside a fit."""

from __future__ import annotations

import inspect
from importlib import metadata

import torch

from pipeline.body import anny_adapter
from pipeline.body.anny_body import PHENOTYPES
from pipeline.body.anny_model import get_anny_model


def test_installed_anny_is_the_release_line_the_adapter_knows():
    assert metadata.version("anny").startswith(anny_adapter.ANNY_VERSION_PREFIX), (
        f"anny {metadata.version('anny')} is installed; pipeline/body/anny_adapter.py was written for "
        f"{anny_adapter.ANNY_VERSION_PREFIX}x: check the private member it calls and update it"
    )


def test_adapter_equals_the_public_phenotype_path_and_keeps_the_gradient():
    model = get_anny_model("cpu")
    private = type(model)._get_phenotype_blendshape_coefficients
    assert list(inspect.signature(private).parameters) == ["self", "phenotype_parameters", "local_changes",
                                                          "facial_actions"]
    assert list(model.phenotype_labels) == list(PHENOTYPES)
    phen = torch.tensor([[0.2, 0.7, 0.4, 0.6, 0.3, 0.55], [0.9, 0.1, 0.5, 0.5, 0.8, 0.2]], requires_grad=True)
    ours = anny_adapter.phenotype_blendshape_coefficients(model, phen)
    for row in range(2):
        public = model.get_phenotype_blendshape_coefficients(**{k: phen[row, i].detach() for i, k in enumerate(PHENOTYPES)})
        torch.testing.assert_close(ours[row:row + 1], public)
    assert ours.abs().sum() > 0
    ours.sum().backward()
    assert phen.grad is not None and phen.grad.abs().sum() > 0
