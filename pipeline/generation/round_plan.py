"""Which hypothesis sets a round paints and fits, and the fits they left on disk.

Round 1 paints ``inpaints_round1`` independent sets (or the sets the user's images hold);
round 2 repaints ``inpaints_round2`` sets from each of the best round-1 bodies. The plan is
written once (``round_R/plan.json``), so a resumed or re-fitted run keeps the sets it painted.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from pipeline.generation.results import FitRecord
from pipeline.generation.run_folder import RunFolder, read_json, write_json_atomic

if TYPE_CHECKING:
    from pipeline.generation.run_state import Run


def set_name(index: int) -> str:
    return f"set_{index}"


def plan_round(run: Run, round_index: int) -> list[dict[str, Any]]:
    """Hypothesis sets of a round: ``[{"set": name, "index": k, "seed_set": name|None}]``."""
    plan_path = run.folder.round_dir(round_index) / "plan.json"
    if plan_path.exists():
        return read_json(plan_path)["sets"]
    if round_index == 1:
        count = (run.imagination.num_sets if run.imagination is not None else None) or run.settings.inpaint.inpaints_round1  # user images: their sets
        plan = [{"set": set_name(k), "index": k, "seed_set": None} for k in range(count)]
    else:
        seeds = choose_seeds(run, read_json(run.folder.ranking_path(round_index - 1)))
        plan = []
        for b, seed in enumerate(seeds):
            for j in range(run.settings.inpaint.inpaints_round2):
                k = b * run.settings.inpaint.inpaints_round2 + j
                plan.append({"set": set_name(k), "index": k, "seed_set": seed})
    write_json_atomic(plan_path, {"round": round_index, "sets": plan})
    return plan


def choose_seeds(run: Run, ranking: dict[str, Any]) -> list[str]:
    """Top ``floor(seed_fraction * N)`` bodies of the previous round, at least one."""
    order = [entry["set"] for entry in ranking.get("order", [])]
    n = len(order)
    if n == 0:
        return []
    keep = int(math.floor(run.settings.seed_fraction * n))
    if keep == 0:
        run.warn(
            f"only {n} body in the previous round: floor({run.settings.seed_fraction} * {n}) = 0 seeds, "
            "keeping the best one instead",
            "ranking",
        )
        keep = 1
    return order[:keep]


def load_fit(folder: RunFolder, round_index: int, name: str) -> FitRecord | None:
    """A set's fit, or None when it was not fitted or failed."""
    path = folder.fit_path(round_index, name)
    if not path.exists():
        return None
    data = read_json(path)
    if data.get("failed"):
        return None
    return FitRecord.from_json(data)


def load_round_fits(run: Run, round_index: int) -> list[FitRecord]:
    records = []
    for entry in plan_round(run, round_index):
        record = load_fit(run.folder, round_index, entry["set"])
        if record is not None:
            records.append(record)
    return records


def failure_reasons(run: Run, round_index: int) -> list[str]:
    """``"set_K: why"`` for every set of the round whose fit failed."""
    reasons = []
    for entry in plan_round(run, round_index):
        path = run.folder.fit_path(round_index, entry["set"])
        if path.exists():
            data = read_json(path)
            if data.get("failed"):
                reasons.append(f"{entry['set']}: {data.get('reason', 'failed')}")
    return reasons
