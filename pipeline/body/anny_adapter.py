"""The one place that calls a private member of the ``anny`` package.

Why: the fit evaluates the rest shape for a (B, 6) tensor of phenotype values with a gradient
through it; anny's public ``get_phenotype_blendshape_coefficients`` takes keyword floats and
all eleven phenotypes, so the tensor path is its private ``_get_phenotype_blendshape_coefficients``.
``tests/test_anny_adapter.py`` fails loudly when an anny release renames or changes it.
"""

from __future__ import annotations

import torch

#: The anny release line this adapter was written against.
ANNY_VERSION_PREFIX = "0.6."


def phenotype_blendshape_coefficients(model, phenotypes: torch.Tensor) -> torch.Tensor:
    """Blendshape coefficients of ``model`` (an ``anny.Anny``) for (B, P) phenotype values,
    with no local changes and no facial actions; differentiable in ``phenotypes``."""
    empty = phenotypes.new_zeros(phenotypes.shape[0], 0)
    return model._get_phenotype_blendshape_coefficients(phenotypes, empty, empty)
