"""The ``rR_lifting`` stage: lift each hypothesis set's 2D keypoints to one 3D body.

A set's fit is written last (mesh, then ``fits/set_K.json``), so a resumed round refits at
most one set. A fit that fails on the GPU is retried once on the CPU; a set with no usable
view, or whose fit fails, is recorded as failed and skipped.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np

from pipeline.core.events import Cancelled, Event, LiftingStep, Progress
from pipeline.core.obj_mesh import write_obj
from pipeline.generation import stages
from pipeline.generation.exclusions import is_excluded
from pipeline.generation.round_plan import load_fit, plan_round
from pipeline.generation.run_folder import read_json, write_json_atomic

if TYPE_CHECKING:
    from pipeline.generation.run_state import Run

log = logging.getLogger("pipeline.generation")


def fit_round(run: Run, round_index: int) -> str:
    """Fit every set of the round that has no fit on disk yet."""
    plan = plan_round(run, round_index)
    cameras, _ = run.views()
    by_name = {c.name: c for c in cameras}
    target = np.asarray(run.request.target, dtype=np.float64)
    fitted = 0
    for n, entry in enumerate(plan):
        run.cancel.check()
        fit_path = run.folder.fit_path(round_index, entry["set"])
        if fit_path.exists():
            fitted += 0 if read_json(fit_path).get("failed") else 1
            continue
        keypoints = read_json(run.folder.keypoints_path(round_index, entry["set"]))["views"]
        observations = []
        for view, rec in keypoints.items():
            if not rec["valid"] or rec["keypoints"] is None or view not in by_name:
                continue
            if is_excluded(run.excluded, round_index, entry["set"], view):
                continue
            observations.append((by_name[view], np.array(rec["keypoints"], dtype=np.float64)))
        run.emit(Progress("lifting", n, len(plan), entry["set"]))
        if not observations:
            write_json_atomic(fit_path, {"set": entry["set"], "round": round_index, "failed": True,
                                         "reason": "no view of this set shows a usable person"})
            run.warn(f"round {round_index} {entry['set']}: no view shows a usable person; set skipped", "lifting")
            continue
        init = None
        if entry["seed_set"] is not None:
            seed = load_fit(run.folder, round_index - 1, entry["seed_set"])
            if seed is not None:
                init = seed.params

        def lifting_emit(event: Event, _round=round_index) -> None:
            if isinstance(event, LiftingStep):
                event.round = _round
            run.emit(event)

        def fit_once():
            return stages.fit_set(
                run.body, observations, run.sdf, run.settings, run.request,
                init=init, target=target, set_name=entry["set"], emit=lifting_emit, cancel=run.cancel,
            )

        try:
            try:
                record, vertices, faces = fit_once()
            except Exception as exc:
                if isinstance(exc, Cancelled) or not run.fall_back_to_cpu(f"{type(exc).__name__}: {exc}"):
                    raise
                log.exception("GPU fit failed; retrying on the CPU")
                record, vertices, faces = fit_once()
        except Cancelled:
            raise
        except Exception as exc:
            log.exception("fit of round %d %s failed", round_index, entry["set"])
            write_json_atomic(fit_path, {"set": entry["set"], "round": round_index, "failed": True, "reason": str(exc)})
            run.warn(f"round {round_index} {entry['set']}: fit failed ({exc}); set skipped", "lifting")
            continue
        record.round = round_index
        record.seed_set = entry["seed_set"]
        for message in record.warnings:
            log.info("round %d %s: %s", round_index, entry["set"], message)
        write_obj(run.folder.fit_mesh_path(round_index, entry["set"]), vertices, faces)
        write_json_atomic(fit_path, record.to_json())  # last: the set counts as fitted
        fitted += 1
    run.emit(Progress("lifting", len(plan), len(plan), "done"))
    return f"{fitted} of {len(plan)} sets fitted"
