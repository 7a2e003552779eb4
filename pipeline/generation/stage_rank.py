"""The ``rR_ranking`` stage: score the round's bodies (CLIP or the fit's evidence) and order them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipeline.core.events import Progress, ResultReady
from pipeline.core.obj_mesh import read_obj
from pipeline.generation.round_plan import load_round_fits
from pipeline.generation.run_folder import write_json_atomic

if TYPE_CHECKING:
    from pipeline.generation.run_state import Run


def rank_round(run: Run, round_index: int) -> str:
    """Score every fitted body, write ``ranking.json`` and emit each body as a result."""
    records = load_round_fits(run, round_index)
    ranker = run.ranker
    cameras, _ = run.views()
    scores = ranker.score(records, cameras=cameras, run=run) if records else []
    run.emit(Progress("ranking", len(records), len(records), ranker.method))
    for record, score in zip(records, scores):
        record.score = float(score)
        record.score_method = ranker.method
    order = sorted(records, key=lambda r: -r.score)
    write_json_atomic(
        run.folder.ranking_path(round_index),
        {"round": round_index, "method": ranker.method, "formula": ranker.formula,
         "order": [{"set": r.set_name, "score": r.score} for r in order]},
    )
    for record in order:
        write_json_atomic(run.folder.fit_path(round_index, record.set_name), record.to_json())
        vertices, faces = read_obj(run.folder.fit_mesh_path(round_index, record.set_name))
        run.emit(ResultReady(record.set_name, vertices, faces, record.score, dict(record.metrics), round=round_index))
    return f"{len(order)} bodies ranked by {ranker.method}"
