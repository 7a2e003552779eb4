"""The ``rR_keypoints`` stage: 2D keypoints of the painted person in every image of a round.

Each set's file is written once all its views are checked, so a resumed round redoes at most
one set; one image that breaks the detector is recorded as invalid, never stops the run.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import numpy as np

from pipeline.core.events import KeypointsDetected, Progress
from pipeline.generation import stages
from pipeline.generation.exclusions import is_excluded
from pipeline.generation.round_plan import plan_round
from pipeline.generation.run_folder import read_json, read_png, write_json_atomic

if TYPE_CHECKING:
    from pipeline.generation.run_state import Run

log = logging.getLogger("pipeline.generation")


def detect_round(run: Run, round_index: int) -> str:
    """Detect the person in each painted image; ``keypoints/set_K.json`` per set (sets whose
    file was written while painting, :mod:`pipeline.generation.detect_ahead`, are kept)."""
    plan = plan_round(run, round_index)
    cameras, _ = run.views()
    total = len(plan) * len(cameras)
    step = 0
    valid_count = 0
    for entry in plan:
        path = run.folder.keypoints_path(round_index, entry["set"])
        if path.exists():
            records = read_json(path)["views"]
        else:
            records = detect_set(run, round_index, entry, first_step=step, total=total)
        valid_count += sum(1 for r in records.values() if r["valid"])
        step += len(cameras)
    return f"{valid_count} of {total} images show a usable person"


def detect_set(run: Run, round_index: int, entry: dict, *, first_step: int = 0, total: int | None = None) -> dict:
    """Detect the person in every view of one set and write its keypoint file (last, so a
    stopped detection leaves none); ``total``: report Progress steps against it."""
    cameras, _ = run.views()
    target = np.asarray(run.request.target, dtype=np.float64)
    records: dict[str, Any] = {}
    for step, camera in enumerate(cameras, start=first_step + 1):
        run.cancel.check()
        image_path = run.folder.image_path(round_index, entry["set"], camera.name)
        if not image_path.exists():
            records[camera.name] = {"keypoints": None, "valid": False, "reason": "no painted image"}
            continue
        try:
            kp, valid, reason = stages.detect_person(run.detector, read_png(image_path), camera, target)
        except Exception as exc:  # one bad image must not stop the run
            log.exception("keypoint detection failed on %s", image_path)
            kp, valid, reason = None, False, f"detection failed: {exc}"
            run.warn(f"round {round_index} {entry['set']}/{camera.name}: {reason}", "keypoints")
        records[camera.name] = {
            "keypoints": finite_or_none(kp),
            "valid": bool(valid),
            "reason": reason,
        }
        run.emit(
            KeypointsDetected(camera.name, entry["index"], None if kp is None else np.asarray(kp), bool(valid),
                              reason, round=round_index)
        )
        if total is not None:
            run.emit(Progress("keypoints", step, total, f"{entry['set']}/{camera.name}"))
    write_json_atomic(run.folder.keypoints_path(round_index, entry["set"]),
                      {"set": entry["set"], "round": round_index, "views": records})
    return records


def finite_or_none(kp) -> list | None:
    """Keypoints as standard JSON: missing values (NaN) become null."""
    if kp is None:
        return None
    arr = np.asarray(kp, dtype=float)
    return np.where(np.isfinite(arr), arr, None).tolist()


def keypoint_summary(run: Run, round_index: int) -> tuple[int, int, dict[str, int]]:
    """(valid images, images, {reason: count}) over the round's keypoint files."""
    valid = total = 0
    reasons: dict[str, int] = {}
    for entry in plan_round(run, round_index):
        path = run.folder.keypoints_path(round_index, entry["set"])
        if not path.exists():
            continue
        for view, rec in read_json(path)["views"].items():
            total += 1
            if rec["valid"] and not is_excluded(run.excluded, round_index, entry["set"], view):
                valid += 1
            else:
                reason = rec.get("reason") or "invalid"
                reasons[reason] = reasons.get(reason, 0) + 1
    return valid, total, reasons
