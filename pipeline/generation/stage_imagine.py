"""The ``rR_inpaint`` stage: paint a person into every view of every hypothesis set of a round.

Round 1 uses dynamic masks; round 2 paints inside the dilated silhouette of its seed body.
Images already on disk are kept, so a resumed round paints only what is missing. When the
painter runs on a GPU, each fully painted set's keypoints are detected meanwhile
(:mod:`pipeline.generation.detect_ahead`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from pipeline.core.events import Progress
from pipeline.generation import stages
from pipeline.generation.detect_ahead import DetectAhead
from pipeline.generation.detect_ahead import wanted as detect_ahead_wanted
from pipeline.generation.errors import GenerationError
from pipeline.generation.imagination import PaintItem
from pipeline.generation.round_plan import load_fit, plan_round
from pipeline.generation.run_folder import read_json, write_json_atomic, write_png_atomic
from pipeline.generation.seeds import image_seed

if TYPE_CHECKING:
    from pipeline.generation.run_state import Run


def paint_round(run: Run, round_index: int) -> str:
    """Paint the round's missing images; ``images.json`` records seed and source of each."""
    plan = plan_round(run, round_index)
    cameras, _ = run.views()
    index_path = run.folder.images_index_path(round_index)
    index: dict[str, Any] = read_json(index_path) if index_path.exists() else {}
    items = _items_to_paint(run, round_index, plan)
    total = len(plan) * len(cameras)
    done = total - len(items)
    failed = 0
    if items:
        if not run.allow_painting:
            raise GenerationError(
                f"round {round_index} has {len(items)} images that were never painted; re-fitting only uses "
                "saved images, so run the generation (resume) first"
            )
        imagination = run.ready_imagination()
        ahead = DetectAhead(run, round_index, plan, items) if detect_ahead_wanted(run) else None
        try:
            for item, result in imagination.paint(items, run.emit, run.cancel):
                key = f"{item.set_name}/{item.view}"
                entry = {"seed": item.seed, "set_index": item.set_index, "view_index": item.view_index,
                         "source": imagination.kind, **result.info}
                if result.image is None:
                    failed += 1
                    entry["failed"] = result.reason or "no image"
                    run.warn(f"round {round_index} {key}: no image ({result.reason or 'unknown reason'})", "inpaint")
                else:
                    mask = item.fixed_mask if item.fixed_mask is not None else result.mask
                    if mask is not None:
                        write_png_atomic(run.folder.mask_path(round_index, item.set_name, item.view), mask)
                    write_png_atomic(run.folder.image_path(round_index, item.set_name, item.view), result.image)
                index[key] = entry
                done += 1
                run.emit(Progress("inpaint", done, total, key))
                if ahead is not None:
                    ahead.painted(item.set_name, result.image is not None)
        finally:
            write_json_atomic(index_path, index)
            if ahead is not None:
                ahead.close()
    write_json_atomic(index_path, index)
    return f"{total - failed} of {total} images"


def _items_to_paint(run: Run, round_index: int, plan: list[dict[str, Any]]) -> list[PaintItem]:
    """One item per (set, view) whose image is not on disk yet, with its seed and mask."""
    cameras, view_images = run.views()
    items: list[PaintItem] = []
    seed_meshes: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for entry in plan:
        seed_set = entry["seed_set"]
        seed_params = None
        if seed_set is not None:
            record = load_fit(run.folder, round_index - 1, seed_set)
            if record is None:
                run.warn(f"seed body {seed_set} of round {round_index - 1} is missing; set skipped", "inpaint")
                continue
            seed_params = record.params
            if seed_set not in seed_meshes:
                seed_meshes[seed_set] = stages.body_mesh(run.body, record.params)
        for v, camera in enumerate(cameras):
            if run.folder.image_path(round_index, entry["set"], camera.name).exists():
                continue
            fixed_mask = None
            if seed_set is not None:
                verts, faces = seed_meshes[seed_set]
                fixed_mask = stages.round2_mask(run.renderer, camera, verts, faces, run.settings)
            items.append(
                PaintItem(
                    round=round_index,
                    set_index=entry["index"],
                    set_name=entry["set"],
                    view=camera.name,
                    view_index=v,
                    camera=camera,
                    view_image=view_images[v],
                    seed=image_seed(run.request.seed, round_index, entry["index"], v),
                    fixed_mask=fixed_mask,
                    seed_body=seed_params,
                )
            )
    return items
