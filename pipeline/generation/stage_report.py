"""The ``report`` stage: the final round's bodies as ``report.json`` and ``body_K.obj``, and the
result a caller gets back (or the explanation of why there is none)."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

from pipeline.core.obj_mesh import read_obj
from pipeline.generation.errors import NothingUsableError
from pipeline.generation.results import FinalBody, GenerationResult
from pipeline.generation.round_plan import failure_reasons, load_fit
from pipeline.generation.run_folder import read_json, write_json_atomic
from pipeline.generation.stage_keypoints import keypoint_summary

if TYPE_CHECKING:
    from pipeline.generation.run_state import Run

NO_PERSON_HINT = (
    "try a prompt that names a person and a posture (for example 'a man sitting on the sofa, "
    "reading'), another seed, or more views"
)


def write_report(run: Run, rounds: int) -> str:
    """Copy the last round with bodies to ``body_K.obj`` in rank order and write ``report.json``."""
    final_round = _final_round(run, rounds)
    for old in run.folder.root.glob("body_*.obj"):
        old.unlink()
    if final_round == 0:
        return "no bodies"
    ranking = read_json(run.folder.ranking_path(final_round))
    bodies = []
    for rank, entry in enumerate(ranking["order"]):
        record = load_fit(run.folder, final_round, entry["set"])
        mesh_name = f"body_{rank}.obj"
        shutil.copyfile(run.folder.fit_mesh_path(final_round, entry["set"]), run.folder.root / mesh_name)
        bodies.append(
            {
                "set": f"round_{final_round}/{record.set_name}",
                "model": record.model,
                "params": record.params,
                "keypoints3d": record.keypoints3d,
                "metrics": record.metrics,
                "view_weights": record.view_weights,
                "mesh": mesh_name,
                "score": record.score,
                "score_method": record.score_method,
                "round": final_round,
            }
        )
    write_json_atomic(
        run.folder.report_path,
        {"bodies": bodies, "prompt": run.request.prompt, "target": run.request.target,
         "ranking": ranking.get("method"), "excluded_images": sorted(run.excluded)},
    )
    return f"{len(bodies)} final bodies from round {final_round}"


def _final_round(run: Run, rounds: int) -> int:
    for r in range(rounds, 0, -1):
        if run.folder.ranking_path(r).exists() and read_json(run.folder.ranking_path(r)).get("order"):
            if r < rounds:
                run.warn(f"round {rounds} produced no body; the final bodies are round {r}'s", "report")
            return r
    return 0


def nothing_usable_explanation(run: Run) -> str:
    """Why round 1 gave no body: no image showed a person, or no set could be fitted."""
    valid, total, reasons = keypoint_summary(run, 1)
    if valid == 0:
        why = "; ".join(f"{count}x {reason}" for reason, count in sorted(reasons.items(), key=lambda kv: -kv[1])[:3])
        return (
            f"No view showed a detectable person: none of the {total} painted images passed the keypoint check "
            f"({why}). The inpainting model painted no recognisable person here; {NO_PERSON_HINT}."
        )
    return (
        f"No hypothesis set could be lifted to a 3D body although {valid} of {total} images show a person ("
        + "; ".join(failure_reasons(run, 1)[:4])
        + f"); {NO_PERSON_HINT}."
    )


def result_from_folder(run: Run) -> GenerationResult:
    """The ranked final bodies of ``report.json``, with their meshes read back."""
    report = read_json(run.folder.report_path)
    bodies = []
    for rank, body in enumerate(report["bodies"]):
        mesh_path = run.folder.root / body["mesh"]
        vertices, faces = read_obj(mesh_path)
        bodies.append(
            FinalBody(
                rank=rank,
                set_name=body["set"],
                round=body["round"],
                score=body["score"],
                score_method=body.get("score_method", ""),
                params=body["params"],
                keypoints3d=body["keypoints3d"],
                metrics=body["metrics"],
                view_weights=body["view_weights"],
                mesh_path=mesh_path,
                vertices=vertices,
                faces=faces,
            )
        )
    if not bodies:
        raise NothingUsableError(report.get("explanation") or f"The run produced no body; {NO_PERSON_HINT}.")
    return GenerationResult(
        run_dir=run.folder.root,
        bodies=bodies,
        report_path=run.folder.report_path,
        ranking_method=report.get("ranking", ""),
        warnings=list(run.warnings),
        stages_run=list(run.stages_run),
        stages_skipped=list(run.stages_skipped),
        stage_seconds=dict(run.stage_seconds),
    )
