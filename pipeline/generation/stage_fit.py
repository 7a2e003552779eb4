"""The ``rR_lifting`` stage: lift each hypothesis set's 2D keypoints to one 3D body.

Every set of the round without a fit on disk is fitted in one batched optimisation through
:func:`pipeline.generation.fit_sets.fit_observed_sets`, the fit path ``genzi fit`` uses too.
Each set's fit is then written (mesh, then ``fits/set_K.json`` last, so it counts as fitted
only when complete). A batch that fails on the GPU is retried once on the CPU; a set with no
usable view, or whose fit fails, is recorded as failed and skipped.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np

from pipeline.core.events import Cancelled, Event, LiftingStep, Progress
from pipeline.core.obj_mesh import write_obj
from pipeline.generation import stages
from pipeline.generation.exclusions import is_excluded
from pipeline.generation.fit_sets import fit_observed_sets, fit_record
from pipeline.generation.round_plan import load_fit, plan_round
from pipeline.generation.run_folder import read_json, write_json_atomic
from pipeline.lifting.fit import ViewObservation

if TYPE_CHECKING:
    from pipeline.generation.run_state import Run

log = logging.getLogger("pipeline.generation")


def _observations(run: Run, round_index: int, set_name: str, by_name: dict) -> list[ViewObservation]:
    """The set's usable detected views, minus the ones the user excluded."""
    keypoints = read_json(run.folder.keypoints_path(round_index, set_name))["views"]
    observations = []
    for view, rec in keypoints.items():
        if not rec["valid"] or rec["keypoints"] is None or view not in by_name:
            continue
        if is_excluded(run.excluded, round_index, set_name, view):
            continue
        kp = np.array(rec["keypoints"], dtype=np.float64)
        observations.append(ViewObservation(view, by_name[view], kp[:, :2], kp[:, 2]))
    return observations


def _failed(run: Run, round_index: int, set_name: str, reason: str, warning: str) -> None:
    write_json_atomic(run.folder.fit_path(round_index, set_name),
                      {"set": set_name, "round": round_index, "failed": True, "reason": reason})
    run.warn(f"round {round_index} {set_name}: {warning}; set skipped", "lifting")


def fit_round(run: Run, round_index: int) -> str:
    """Fit every set of the round that has no fit on disk yet, all in one batch."""
    plan = plan_round(run, round_index)
    cameras, _ = run.views()
    by_name = {c.name: c for c in cameras}
    target = np.asarray(run.request.target, dtype=np.float64)
    fitted = done = 0
    pending, inits, seeds = [], {}, {}
    for entry in plan:
        run.cancel.check()
        name = entry["set"]
        fit_path = run.folder.fit_path(round_index, name)
        if fit_path.exists():
            fitted += 0 if read_json(fit_path).get("failed") else 1
            done += 1
            continue
        observations = _observations(run, round_index, name, by_name)
        if not observations:
            _failed(run, round_index, name, "no view of this set shows a usable person", "no view shows a usable person")
            done += 1
            continue
        seeds[name] = entry["seed_set"]
        seed = load_fit(run.folder, round_index - 1, entry["seed_set"]) if entry["seed_set"] is not None else None
        if seed is not None:
            inits[name] = seed.params
        pending.append((name, observations))
    if pending:
        run.emit(Progress("lifting", done, len(plan), f"{len(pending)} sets together"))

    def lifting_emit(event: Event, _round=round_index) -> None:
        if isinstance(event, LiftingStep):
            event.round = _round
        run.emit(event)

    def fit_once():
        body = run.body  # after a fall back to the CPU: the body on the CPU
        return fit_observed_sets(
            body, pending, run.sdf, stages.lifting_settings(run.settings, body, run.request.fixed_shape),
            inits={k: stages.params_from_json(body, v) for k, v in inits.items()}, target=target,
            prompt=run.request.prompt, emit=lifting_emit, cancel=run.cancel,
            starts=run.settings.lifting.start_options(),
        )

    fits = []
    if pending:
        try:
            try:
                fits = fit_once()
            except Exception as exc:
                if isinstance(exc, Cancelled) or not run.fall_back_to_cpu(f"{type(exc).__name__}: {exc}"):
                    raise
                log.exception("GPU fit failed; retrying on the CPU")
                fits = fit_once()
        except Cancelled:
            raise
        except Exception as exc:
            log.exception("fits of round %d failed", round_index)
            for name, _ in pending:
                _failed(run, round_index, name, str(exc), f"fit failed ({exc})")
            return f"{fitted} of {len(plan)} sets fitted"
    for fit in fits:
        if fit.result is None:
            _failed(run, round_index, fit.name, fit.error, f"fit failed ({fit.error})")
            continue
        record = fit_record(run.body, fit, round_index)
        record.seed_set = seeds[fit.name]
        for message in record.warnings:
            log.info("round %d %s: %s", round_index, fit.name, message)
        write_obj(run.folder.fit_mesh_path(round_index, fit.name), record.vertices, record.faces)
        write_json_atomic(run.folder.fit_path(round_index, fit.name), record.to_json())  # last: the set counts as fitted
        fitted += 1
    run.emit(Progress("lifting", len(plan), len(plan), "done"))
    return f"{fitted} of {len(plan)} sets fitted"
