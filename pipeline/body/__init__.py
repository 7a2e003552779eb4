"""Body models behind one interface (Anny by default, SMPL-X when the user supplies it)."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import torch

from pipeline.body.base import KEYPOINT_NAMES, BodyModel, BodyOutput, SkinnedMesh

__all__ = ["KEYPOINT_NAMES", "BodyModel", "BodyOutput", "SkinnedMesh", "load_body_model"]


def load_body_model(
    kind: str = "anny",
    path: str | Path | None = None,
    device: str | torch.device = "cpu",
    *,
    trusted_pickles: Collection[str] = (),
    progress=None,
    **kwargs,
) -> BodyModel:
    """The body model to fit: ``"anny"`` (default, no files needed) or ``"smplx"``.

    ``path`` is the user's SMPL-X model file (``.npz``; a ``.pkl`` only when its SHA-256 is in
    ``trusted_pickles``, the user's consent) or a folder holding ``SMPLX_NEUTRAL.npz``.
    ``progress(step, total, detail)`` reports Anny's first-run cache build.
    """
    kind = kind.lower().replace("-", "")
    if kind == "anny":
        from pipeline.body.anny_body import AnnyBody

        return AnnyBody(device=device, progress=progress, **kwargs)
    if kind == "smplx":
        if path is None:
            raise ValueError(
                "SMPL-X needs the model file you downloaded from smpl-x.is.tue.mpg.de "
                "(e.g. SMPLX_NEUTRAL.npz); pass its path."
            )
        from pipeline.body.smplx_body import SmplxBody

        return SmplxBody(path, device=device, trusted_pickles=trusted_pickles, **kwargs)
    raise ValueError(f"Unknown body model {kind!r}; use 'anny' or 'smplx'.")
