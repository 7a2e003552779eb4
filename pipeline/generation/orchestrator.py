"""The whole method for one target, read top to bottom: the stages in order, nothing else.

Every stage reads its inputs from the run folder and writes its outputs there, then drops a
marker (``stages/<key>.done``) as its very last act. A resumed run skips stages with a
marker; inside an unfinished stage, items already on disk (an image, a set's keypoints, a
set's fit) are kept, so a stopped run loses at most the item it was working on.

Stage keys, in order: ``views``, ``sdf``, then per round R ``rR_inpaint``, ``rR_keypoints``,
``rR_lifting``, ``rR_ranking``, and finally ``report``. Each is one module with one entry
point (``stage_views``, ``stage_sdf``, ``stage_imagine``, ``stage_keypoints``, ``stage_fit``,
``stage_rank``, ``stage_report``); the run's state is :class:`~pipeline.generation.run_state.Run`.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any, Iterable, Sequence

from pipeline.core.events import CancelToken, Error, EventSink, null_sink
from pipeline.generation.config import GenerationRequest
from pipeline.generation.errors import GenerationError, NothingUsableError
from pipeline.generation.exclusions import normalise_exclusions
from pipeline.generation.imagination import Imagination, make_imagination
from pipeline.generation.results import GenerationResult
from pipeline.generation.round_plan import load_round_fits
from pipeline.generation.run_config import check_or_write_config, config_dict
from pipeline.generation.run_folder import RunFolder, read_json, write_json_atomic
from pipeline.generation.run_state import Run
from pipeline.scene.target_check import TargetOutsideSceneError, check_target_near_scene
from pipeline.generation.stage_fit import fit_round
from pipeline.generation.stage_imagine import paint_round
from pipeline.generation.stage_keypoints import detect_round
from pipeline.generation.stage_rank import rank_round
from pipeline.generation.stage_report import nothing_usable_explanation, result_from_folder, write_report
from pipeline.generation.stage_sdf import build_scene_distance
from pipeline.generation.stage_views import render_views

log = logging.getLogger("pipeline.generation")


def run_generation(
    request: GenerationRequest,
    run_dir: str | Path,
    emit: EventSink | None = None,
    cancel: CancelToken | None = None,
    *,
    imagination: Imagination | None = None,
    resume: bool = True,
    renderer=None,
    trusted_pickles: Iterable[str] = (),
    obstacles: Sequence = (),
) -> GenerationResult:
    """Run (or resume) the whole method for one target; returns the ranked final bodies.

    ``emit`` receives typed events (:mod:`pipeline.core.events`); ``cancel`` is checked between
    steps and raises :class:`~pipeline.core.events.Cancelled`, leaving a folder that resumes.
    ``imagination`` defaults to diffusion inpainting with ``request.model``. ``renderer``: an
    object with SceneRenderer's ``rgb``/``render_bodies``/``silhouettes`` for the run's scene
    (the desktop passes one that renders in its GUI thread). ``trusted_pickles``: SHA-256s
    of ``.pkl`` SMPL-X models the user consented to open (never read from the request).
    ``obstacles``: ``(vertices, faces)`` of people already placed; the fit keeps out of them
    as it keeps out of the furniture (they are folded into the scene's distance grid).
    Raises :class:`NothingUsableError` (message = the explanation) when no body could be
    made, :class:`GenerationError` for unusable inputs or folders.
    """
    run = Run(request, run_dir, emit or null_sink, cancel or CancelToken(), imagination or make_imagination(request),
              renderer=renderer, trusted_pickles=frozenset(trusted_pickles), obstacles=obstacles)
    return _execute(run, resume=resume)


def refit_from_images(
    run_dir: str | Path,
    excluded_images: Iterable[Any] = (),
    emit: EventSink | None = None,
    cancel: CancelToken | None = None,
    renderer=None,
    trusted_pickles: Iterable[str] = (),
) -> GenerationResult:
    """Fit, rank and report again from the saved images, without painting anything.

    ``excluded_images``: images to leave out, each a path relative to the run folder
    (``"round_1/images/set_0/view_03.png"``), a ``(round, set, view)`` tuple, or a dict with
    those keys; ``"*"`` (or round 0) matches every round / set. The list replaces the
    previous one and is stored in ``excluded_images.json``. Round-2 sets keep the seed sets
    they were painted from and start from those sets' new fits.
    """
    folder = RunFolder(run_dir)
    if not folder.config_path.exists():
        raise GenerationError(f"{folder.root} is not a generation run folder (no config.json).")
    config = read_json(folder.config_path)
    request = GenerationRequest.from_dict(config["request"])
    write_json_atomic(folder.excluded_path(), sorted(normalise_exclusions(excluded_images)))
    settings = request.settings()
    for r in range(1, settings.rounds + 1):
        folder.clear_markers_from([f"r{r}_lifting", f"r{r}_ranking"])
        for path in [folder.round_dir(r) / "fits", folder.ranking_path(r)]:
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()
    folder.clear_marker("report")
    run = Run(request, run_dir, emit or null_sink, cancel or CancelToken(), DescribedImagination(config.get("imagination", {})),
              allow_painting=False, renderer=renderer, trusted_pickles=frozenset(trusted_pickles))
    return _execute(run, resume=True, painted_rounds_only=True)


class DescribedImagination(Imagination):
    """Stands in for the original imagination when re-fitting (it is never asked to paint)."""

    def __init__(self, description: dict) -> None:
        self.description = description
        self.kind = description.get("kind", "diffusion")

    def describe(self) -> dict:
        return self.description

    def paint(self, items, emit, cancel):
        raise GenerationError("Re-fitting uses the saved images; nothing is painted.")


def _execute(run: Run, *, resume: bool, painted_rounds_only: bool = False) -> GenerationResult:
    """Run the stages with the run's log file attached; always release what the run holds."""
    run.folder.root.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(run.folder.log_path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    pipeline_log = logging.getLogger("pipeline")
    pipeline_log.addHandler(handler)
    if pipeline_log.level == logging.NOTSET or pipeline_log.level > logging.INFO:
        pipeline_log.setLevel(logging.INFO)
    wrote_config = False
    try:
        description = run.imagination.describe() if run.imagination is not None else {"kind": "diffusion", "model": run.request.model}
        wrote_config = check_or_write_config(run.folder, config_dict(run.request, run.settings, description), resume)
        log.info("run %s: prompt %r at %s", run.folder.root, run.request.prompt, run.request.target)
        return _execute_stages(run, painted_rounds_only)
    except NothingUsableError as exc:
        write_json_atomic(run.folder.report_path, {"bodies": [], "explanation": str(exc), "prompt": run.request.prompt})
        log.error("%s", exc)
        run.emit(Error(str(exc), "report"))
        raise
    except BaseException:
        if wrote_config and not any((run.folder.root / "stages").glob("*.done")):
            # nothing was made: leave the folder free for the corrected command, not a run to resume
            run.folder.config_path.unlink(missing_ok=True)
        raise
    finally:
        pipeline_log.removeHandler(handler)
        handler.close()
        if run.imagination is not None:
            run.imagination.close()
        run.close_own_renderer()


def _execute_stages(run: Run, painted_rounds_only: bool) -> GenerationResult:
    """The method: views, scene distance, then per round paint, detect, fit, rank; the report."""
    rounds = run.settings.rounds
    if run.imagination is not None and run.imagination.max_rounds < rounds:
        run.warn(f"{run.imagination.kind} images exist for round 1 only; round 2 is skipped", "inpaint")
        rounds = run.imagination.max_rounds
    if painted_rounds_only:
        while rounds > 1 and not run.folder.is_done(f"r{rounds}_inpaint"):
            rounds -= 1

    if not run.folder.is_done("views"):
        try:
            check_target_near_scene(run.scene, run.request.target)
        except TargetOutsideSceneError as exc:
            raise GenerationError(str(exc)) from None
    if not painted_rounds_only and not all(run.folder.is_done(f"r{r}_inpaint") for r in range(1, rounds + 1)):
        if run.imagination is not None:
            run.imagination.check_available(run.request)  # a missing model fails now, not after the views are rendered
    run.stage("views", "views", 0, lambda: render_views(run))
    run.stage("sdf", "sdf", 0, lambda: build_scene_distance(run))
    for r in range(1, rounds + 1):
        if r > 1 and not read_json(run.folder.ranking_path(r - 1)).get("order"):
            break
        run.stage(f"r{r}_inpaint", "inpaint", r, lambda r=r: paint_round(run, r))
        run.stage(f"r{r}_keypoints", "keypoints", r, lambda r=r: detect_round(run, r))
        run.stage(f"r{r}_lifting", "lifting", r, lambda r=r: fit_round(run, r))
        if r == 1 and not load_round_fits(run, 1):
            raise NothingUsableError(nothing_usable_explanation(run))
        run.stage(f"r{r}_ranking", "ranking", r, lambda r=r: rank_round(run, r))
    run.stage("report", "export", 0, lambda: write_report(run, rounds))
    return result_from_folder(run)
