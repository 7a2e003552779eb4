"""What a batched fit reports: per-set loss history and live steps, and the final results.

Reading values back to the host happens only here, every ``emit_every`` iterations and at
the end, never inside the optimisation step.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import torch

from pipeline.core.events import LiftingStep
from pipeline.lifting.losses import normalised_view_weights
from pipeline.lifting.problem import FitResult, PreparedSet, SetBatch, ViewObservation
from pipeline.lifting.schedule import LiftingSettings
from pipeline.views.cameras import project_points


def _one(params: dict[str, torch.Tensor], i: int) -> dict[str, torch.Tensor]:
    return {k: v[i : i + 1] for k, v in params.items()}


class FitLog:
    """Loss history per set and the :class:`LiftingStep` events of a batched fit."""

    def __init__(self, body, names: Sequence[str], used: Sequence[Sequence[ViewObservation]],
                 settings: LiftingSettings, emit: Callable | None) -> None:
        self.body = body
        self.names = list(names)
        self.used = [list(u) for u in used]
        self.settings = settings
        self.emit = emit
        self.history: list[list[dict[str, float]]] = [[] for _ in names]

    @torch.no_grad()
    def record(self, it: int, total: int, params, terms: dict[str, torch.Tensor], weights: dict[str, float],
               s: torch.Tensor) -> None:
        values = {k: v.detach().cpu().numpy() for k, v in terms.items()}
        priors = {}
        for name, fn in (("pose_prior", self.body.pose_prior), ("shape_prior", self.body.shape_prior)):
            if weights.get(name, 0.0) > 0 and (name != "shape_prior" or "shape" in params):
                priors[name] = [float(fn(_one(params, i))) for i in range(len(self.names))]
        vertices = self.body(params).vertices.cpu().numpy() if self.emit is not None else None
        s_host = s.cpu().numpy()
        for i, name in enumerate(self.names):
            record = {k: float(v[i]) for k, v in values.items()}
            record.update({k: v[i] for k, v in priors.items()})
            record["total"] = float(sum(weights.get(k, 1.0) * v for k, v in record.items()))
            self.history[i].append({"iteration": it, **record})
            if self.emit is not None:
                self.emit(LiftingStep(
                    set_name=name, iteration=it, total=total, vertices=vertices[i],
                    view_weights={o.name: float(s_host[i, v]) for v, o in enumerate(self.used[i])},
                    losses=record,
                ))  # fmt: skip


@torch.no_grad()
def final_results(body, params, view_logits, batch: SetBatch, prepared: Sequence[PreparedSet], log: FitLog,
                  skipped: torch.Tensor, total: int, seconds: float) -> list[tuple[FitResult | None, str | None]]:
    """(result, None) per set, or (None, reason) for a set whose fit never took a finite step
    or ended non-finite."""
    out = body(params)
    s, s_norm = normalised_view_weights(view_logits, batch.learn_views, batch.view_mask)
    skipped_host = skipped.cpu().numpy().astype(int)
    verts_all = out.vertices.cpu().numpy().astype(np.float64)
    kp_all = out.keypoints.cpu().numpy().astype(np.float64)
    results = []
    for i, prep in enumerate(prepared):
        name = log.names[i]
        finite = all(bool(torch.isfinite(v[i]).all()) for v in params.values()) and np.isfinite(verts_all[i]).all()
        if skipped_host[i] >= total or not finite:
            results.append((None, f"fit of set '{name or '?'}' diverged: {skipped_host[i]} of {total} steps had "
                                  "non-finite values; check its keypoints and cameras"))  # fmt: skip
            continue
        n = len(prep.used)
        uv, _ = project_points(out.keypoints[i], prep.K, prep.w2c)
        err = torch.linalg.norm(uv - prep.xy, dim=-1)
        mask = prep.conf > 0
        per_view_err = {o.name: float(err[v][mask[v]].mean()) if mask[v].any() else float("nan")
                        for v, o in enumerate(prep.used)}  # fmt: skip
        warnings = []
        if skipped_host[i]:
            warnings.append(f"{skipped_host[i]} of {total} steps were skipped because of non-finite gradients")
        results.append((FitResult(
            params={k: v[i : i + 1].detach().clone() for k, v in params.items()},
            vertices=verts_all[i],
            keypoints3d=kp_all[i],
            view_weights={o.name: float(s[i, v]) for v, o in enumerate(prep.used)},
            view_weights_normalised={o.name: float(s_norm[i, v]) for v, o in enumerate(prep.used)},
            reprojection_error_px=per_view_err,
            losses=log.history[i],
            warnings=warnings,
            iterations=total,
            skipped_steps=int(skipped_host[i]),
            seconds=seconds,
            used_views=[o.name for o in prep.used][:n],
        ), None))  # fmt: skip
    return results
