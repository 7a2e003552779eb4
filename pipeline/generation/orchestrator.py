"""The whole method for one target: views, rounds of imagination, keypoints, fits, ranking.

Every stage reads its inputs from the run folder and writes its outputs there, then drops a
marker (``stages/<key>.done``) as its very last act. A resumed run skips stages with a
marker; inside an unfinished stage, items already on disk (an image, a set's keypoints, a
set's fit) are kept, so a stopped run loses at most the item it was working on.

Stage keys, in order: ``views``, ``sdf``, then per round R ``rR_inpaint``, ``rR_keypoints``,
``rR_lifting``, ``rR_ranking``, and finally ``report``.
"""

from __future__ import annotations

import logging
import math
import shutil
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from pipeline.core.events import (
    CancelToken,
    Error,
    Event,
    EventSink,
    KeypointsDetected,
    LiftingStep,
    Progress,
    ResultReady,
    StageFinished,
    StageSkipped,
    StageStarted,
    ViewRendered,
    Warning,
    null_sink,
)
from pipeline.body.spec import load_body
from pipeline.core.device import pick_device
from pipeline.core.obj_mesh import read_obj, write_obj
from pipeline.generation import stages
from pipeline.generation.config import GenerationRequest
from pipeline.generation.settings import GenerationSettings, flatten, recorded_values
from pipeline.generation.errors import GenerationError, NothingUsableError, RunFolderMismatchError
from pipeline.generation.imagination import (
    Imagination,
    ImaginationContext,
    PaintItem,
    make_imagination,
)
from pipeline.generation.ranking import make_ranker
from pipeline.generation.results import FinalBody, FitRecord, GenerationResult
from pipeline.generation.run_folder import (
    RunFolder,
    read_json,
    read_png,
    write_bytes_atomic,
    write_json_atomic,
    write_png_atomic,
)
from pipeline.generation.seeds import image_seed

log = logging.getLogger("pipeline.generation")

# Request fields that change what a run computes; a resumed run must match them.
_IDENTITY_FIELDS = (
    "scene", "target", "prompt", "normal", "radius", "negative_prompt", "subject_words", "seed",
    "model", "body_model", "body_model_path", "fixed_shape",
)  # fmt: skip

NO_PERSON_HINT = (
    "try a prompt that names a person and a posture (for example 'a man sitting on the sofa, "
    "reading'), another seed, or more views"
)


def set_name(index: int) -> str:
    return f"set_{index}"


class _Run:
    """State of one run: the folder, lazily loaded heavy objects, event bookkeeping."""

    def __init__(
        self,
        request: GenerationRequest,
        run_dir: str | Path,
        emit: EventSink,
        cancel: CancelToken,
        imagination: Imagination | None,
        *,
        allow_painting: bool = True,
        renderer=None,
        trusted_pickles: frozenset[str] = frozenset(),
    ) -> None:
        self.request = request
        self.trusted_pickles = frozenset(trusted_pickles)  # the user's consent, never stored in the folder
        self.settings: GenerationSettings = request.settings()
        self.folder = RunFolder(run_dir)
        self._emit = emit or null_sink
        self.cancel = cancel or CancelToken()
        self.imagination = imagination
        self.allow_painting = allow_painting
        self.warnings: list[str] = []
        self.stages_run: list[str] = []
        self.stages_skipped: list[str] = []
        self.stage_seconds: dict[str, float] = {}
        self._scene = None
        self._renderer = renderer  # None: a SceneRenderer of the run's scene, made on first use
        self._body = None
        self._sdf = None
        self._detector = None
        self._views: tuple[list, list[np.ndarray]] | None = None
        self._imagination_ready = False
        self._ranker = None
        self.excluded = load_excluded(self.folder)

    # ---- events -------------------------------------------------------------------------
    def emit(self, event: Event) -> None:
        if isinstance(event, Warning):
            self.warnings.append(event.message)
            log.warning("%s%s", f"[{event.stage}] " if event.stage else "", event.message)
        try:
            self._emit(event)
        except Exception:  # a broken listener must not break the run
            log.exception("event listener failed on %s", type(event).__name__)

    def warn(self, message: str, stage: str = "") -> None:
        self.emit(Warning(message, stage))

    # ---- lazily created heavy objects ---------------------------------------------------
    @property
    def scene(self):
        if self._scene is None:
            self._scene = stages.load_scene(self.request.scene)
        return self._scene

    @property
    def renderer(self):
        if self._renderer is None:
            self._renderer = stages.make_renderer(self.scene)
            self._owns_renderer = True
        return self._renderer

    def close_own_renderer(self) -> None:
        """Release the off-screen render window this run made (not one it was given)."""
        if getattr(self, "_owns_renderer", False) and self._renderer is not None:
            self._renderer.close()
            self._renderer = None
            self._owns_renderer = False

    @property
    def body(self):
        if self._body is None:
            r = self.request
            self._body = load_body(r.body_spec(), self.fit_device, self.trusted_pickles)
        return self._body

    @property
    def fit_device(self) -> str:
        if not hasattr(self, "_fit_device"):
            wanted = self.settings.lifting.fit_device
            if wanted == "auto":
                try:
                    wanted = "cuda" if pick_device(self.request.device).type == "cuda" else "cpu"
                except Exception:  # noqa: BLE001
                    wanted = "cpu"
            self._fit_device = wanted
        return self._fit_device

    def fall_back_to_cpu(self, reason: str) -> bool:
        """After a failure of a GPU fit: continue on the CPU (once); False if already there."""
        if self.fit_device == "cpu":
            return False
        self.warn(f"fitting on {self.fit_device} failed ({reason}); fitting on the CPU instead", "lifting")
        self._fit_device = "cpu"
        self._body = None
        return True

    @property
    def sdf(self):
        if self._sdf is None:
            self._sdf = stages.load_sdf(self.folder.sdf_path)
        return self._sdf

    @property
    def detector(self):
        if self._detector is None:
            self._detector = stages.make_detector(self.settings)
        return self._detector

    def views(self) -> tuple[list, list[np.ndarray]]:
        """(cameras, rendered RGB images) from ``views/``."""
        if self._views is None:
            cameras = stages.read_views(self.folder.views_dir / "views.json")
            images = [read_png(self.folder.views_dir / f"{c.name}.png") for c in cameras]
            self._views = (cameras, images)
        return self._views

    def ready_imagination(self) -> Imagination:
        if self.imagination is None:
            self.imagination = make_imagination(self.request)
        if not self._imagination_ready:
            context = ImaginationContext(
                request=self.request,
                settings=self.settings,
                scene_getter=lambda: self.scene,
                renderer_getter=lambda: self.renderer,
                body_getter=lambda: self.body,
                device=self.request.device,
            )
            self.imagination.prepare(context, self.emit)
            self._imagination_ready = True
        return self.imagination

    # ---- stage runner -------------------------------------------------------------------
    def stage(self, key: str, stage: str, round_index: int, fn: Callable[[], str | None]) -> bool:
        """Run ``fn`` unless its marker exists and its files are all there; True when it ran."""
        if self.folder.is_done(key):
            missing = missing_artefacts(self, key)
            if not missing:
                self.stages_skipped.append(key)
                self.emit(StageSkipped(stage, "already finished", round_index))
                return False
            self.warn(f"stage {key} was finished but {missing} is missing; running it again", stage)
            order = stage_order(2)
            self.folder.clear_markers_from(order[order.index(key):])  # later stages are checked again too
        self.cancel.check()
        self.emit(StageStarted(stage, "", round_index))
        t0 = time.perf_counter()
        detail = fn() or ""
        seconds = time.perf_counter() - t0
        self.folder.mark_done(key, seconds=seconds, detail=detail)
        self.stages_run.append(key)
        self.stage_seconds[key] = seconds
        log.info("stage %s finished in %.2f s %s", key, seconds, detail)
        self.emit(StageFinished(stage, detail, round_index, seconds))
        return True


def stage_order(rounds: int) -> list[str]:
    """Stage keys in the order a run executes them."""
    keys = ["views", "sdf"]
    for r in range(1, rounds + 1):
        keys += [f"r{r}_inpaint", f"r{r}_keypoints", f"r{r}_lifting", f"r{r}_ranking"]
    return keys + ["report"]


def missing_artefacts(run: _Run, key: str) -> str:
    """The first file a finished stage should have left but did not ("" when complete)."""
    folder = run.folder
    paths: list[Path] = []
    if key == "views":
        paths = [folder.views_dir / "views.json"]
        if paths[0].exists():
            paths += [folder.views_dir / f"{v['name']}.png" for v in read_json(paths[0])["views"]]
    elif key == "sdf":
        paths = [folder.sdf_path]
    elif key == "report":
        paths = [folder.report_path]
        if paths[0].exists():
            paths += [folder.root / b["mesh"] for b in read_json(paths[0]).get("bodies", [])]
    elif key.startswith("r") and "_" in key:
        r = int(key[1:key.index("_")])
        kind = key[key.index("_") + 1:]
        plan_path = folder.round_dir(r) / "plan.json"
        if not plan_path.exists():
            return str(plan_path)
        sets = [e["set"] for e in read_json(plan_path)["sets"]]
        if kind == "inpaint":
            paths = [folder.images_index_path(r)]
        elif kind == "keypoints":
            paths = [folder.keypoints_path(r, s) for s in sets]
        elif kind == "lifting":
            paths = [folder.fit_path(r, s) for s in sets]
        elif kind == "ranking":
            paths = [folder.ranking_path(r)]
    for path in paths:
        if not path.exists():
            return str(path.relative_to(folder.root))
    return ""


# =========================================================================================
# config.json
# =========================================================================================
def _config_dict(run: _Run) -> dict[str, Any]:
    imagination = run.imagination.describe() if run.imagination is not None else {"kind": "diffusion", "model": run.request.model}
    return {
        "format": "genzi-generation-run/1",
        "scene": str(run.request.scene),  # top level too: exporters look for it here
        "request": run.request.to_dict(),
        "settings": run.settings.to_dict(),
        "imagination": imagination,
        "seeds": {
            "run_seed": run.request.seed,
            "rule": "image seed = pipeline.generation.seeds.image_seed(run_seed, round, set_index, view_index)",
        },
        "versions": stages.package_versions(),
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }


def _check_or_write_config(run: _Run, resume: bool) -> None:
    path = run.folder.config_path
    fresh = _config_dict(run)
    if path.exists():
        old = read_json(path)
        if not resume:
            raise RunFolderMismatchError(
                f"{run.folder.root} already holds a run; resume it (--resume) or choose another output folder."
            )
        differences = [
            name for name in _IDENTITY_FIELDS if _norm(old.get("request", {}).get(name)) != _norm(fresh["request"].get(name))
        ]
        old_settings = _norm(recorded_values(old.get("settings") or {}))  # older folders: flat names
        new_settings = _norm(flatten(fresh["settings"]))
        changed = [k for k, v in new_settings.items() if old_settings.get(k, v) != v]  # new knobs keep defaults
        if changed:
            differences.append("settings " + ", ".join(changed))
        if old.get("imagination", {}).get("kind") != fresh["imagination"].get("kind"):
            differences.append("imagination")
        if differences:
            raise RunFolderMismatchError(
                f"{run.folder.root} holds a different run ({', '.join(differences)} differ); "
                "use the same inputs to resume it, or choose another output folder."
            )
        return
    if run.folder.root.exists() and any(p for p in run.folder.root.iterdir() if p.name != "run.log"):
        raise RunFolderMismatchError(
            f"{run.folder.root} is not empty and is not a generation run folder; choose an empty or new folder."
        )
    write_json_atomic(path, fresh)


def _norm(value: Any) -> Any:
    import json

    return json.loads(json.dumps(value, default=str))


# =========================================================================================
# stages
# =========================================================================================
def _views_stage(run: _Run) -> str:
    req, settings = run.request, run.settings
    views_file = run.imagination.views_file if run.imagination is not None else None
    if views_file is not None:  # images painted for exported views: use exactly those cameras
        selection = stages.views_from_file(views_file)
    else:
        selection = stages.select_views(run.scene, req.target, req.normal, settings, req.radius, req.prompt)
    for message in selection.warnings:
        run.warn(message, "views")
    total = len(selection.cameras)
    cameras, visibility = [], []
    for i, (camera, vis) in enumerate(zip(selection.cameras, selection.visibility)):
        run.cancel.check()
        try:
            image = stages.render_rgb(run.renderer, camera)
        except Exception as exc:  # noqa: BLE001 - drop this view, keep the others
            log.exception("rendering %s failed", camera.name)
            run.warn(f"{camera.name} could not be rendered ({exc}); the view is left out", "views")
            continue
        write_png_atomic(run.folder.views_dir / f"{camera.name}.png", image)
        cameras.append(camera)
        visibility.append(vis)
        run.emit(ViewRendered(camera.name, image))
        run.emit(Progress("views", i + 1, total, camera.name))
    if not cameras:
        raise GenerationError("None of the selected views could be rendered; see the log for the renderer's error.")
    stages.write_views(
        run.folder.views_dir / "views.json", cameras, selection.target, selection.normal, visibility,
        selection.relaxed,
    )
    run._views = None
    return f"{len(cameras)} views" + (f" (relaxed: {', '.join(selection.relaxed)})" if selection.relaxed else "")


def _sdf_stage(run: _Run) -> str:
    settings = run.settings
    grid, cached = stages.build_sdf(
        run.scene, run.request.target, settings.lifting.sdf_half_extent, settings.lifting.sdf_cell,
        progress=lambda f, message: run.emit(Progress("sdf", int(round(100 * f)), 100, message)),
    )
    stages.save_sdf(grid, run.folder.sdf_path)
    run._sdf = None
    source = "from the cache" if cached else "built"
    return f"{source}: half extent {settings.lifting.sdf_half_extent} m, cell {settings.lifting.sdf_cell} m"


# ---- round planning -----------------------------------------------------------------------
def _plan_round(run: _Run, round_index: int) -> list[dict[str, Any]]:
    """Hypothesis sets of a round: ``[{"set": name, "index": k, "seed_set": name|None}]``.

    Round 2's plan is written once (``round_2/plan.json``) from round 1's ranking, so a
    resumed or re-fitted run keeps the sets it painted.
    """
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


def choose_seeds(run: _Run, ranking: dict[str, Any]) -> list[str]:
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


# ---- imagination ----------------------------------------------------------------------------
def _inpaint_stage(run: _Run, round_index: int) -> str:
    plan = _plan_round(run, round_index)
    cameras, view_images = run.views()
    settings = run.settings
    index_path = run.folder.images_index_path(round_index)
    index: dict[str, Any] = read_json(index_path) if index_path.exists() else {}
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
                fixed_mask = stages.round2_mask(run.renderer, camera, verts, faces, settings)
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
        finally:
            write_json_atomic(index_path, index)
    write_json_atomic(index_path, index)
    return f"{total - failed} of {total} images"


# ---- keypoints -----------------------------------------------------------------------------
def _keypoints_stage(run: _Run, round_index: int) -> str:
    plan = _plan_round(run, round_index)
    cameras, _ = run.views()
    target = np.asarray(run.request.target, dtype=np.float64)
    total = len(plan) * len(cameras)
    step = 0
    valid_count = 0
    for entry in plan:
        path = run.folder.keypoints_path(round_index, entry["set"])
        if path.exists():
            records = read_json(path)["views"]
            valid_count += sum(1 for r in records.values() if r["valid"])
            step += len(cameras)
            continue
        records: dict[str, Any] = {}
        for v, camera in enumerate(cameras):
            run.cancel.check()
            step += 1
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
                "keypoints": _finite_or_none(kp),
                "valid": bool(valid),
                "reason": reason,
            }
            valid_count += int(bool(valid))
            run.emit(
                KeypointsDetected(camera.name, entry["index"], None if kp is None else np.asarray(kp), bool(valid),
                                  reason, round=round_index)
            )
            run.emit(Progress("keypoints", step, total, f"{entry['set']}/{camera.name}"))
        write_json_atomic(path, {"set": entry["set"], "round": round_index, "views": records})
    return f"{valid_count} of {total} images show a usable person"


def _finite_or_none(kp) -> list | None:
    """Keypoints as standard JSON: missing values (NaN) become null."""
    if kp is None:
        return None
    arr = np.asarray(kp, dtype=float)
    return np.where(np.isfinite(arr), arr, None).tolist()


def _keypoint_summary(run: _Run, round_index: int) -> tuple[int, int, dict[str, int]]:
    """(valid images, images, {reason: count}) over the round's keypoint files."""
    valid = total = 0
    reasons: dict[str, int] = {}
    for entry in _plan_round(run, round_index):
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


# ---- lifting -------------------------------------------------------------------------------
def _lifting_stage(run: _Run, round_index: int) -> str:
    """Fit every set of the round that has no fit yet, all in one batch (fit_sets.fit_observed_sets)."""
    from pipeline.core.events import Cancelled
    from pipeline.generation.fit_sets import fit_observed_sets, fit_record
    from pipeline.lifting.fit import ViewObservation

    plan = _plan_round(run, round_index)
    cameras, _ = run.views()
    by_name = {c.name: c for c in cameras}
    target = np.asarray(run.request.target, dtype=np.float64)
    fitted = failed = 0
    pending, inits, seeds = [], {}, {}
    for entry in plan:
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
            kp = np.array(rec["keypoints"], dtype=np.float64)
            observations.append(ViewObservation(view, by_name[view], kp[:, :2], kp[:, 2]))
        if not observations:
            write_json_atomic(fit_path, {"set": entry["set"], "round": round_index, "failed": True,
                                         "reason": "no view of this set shows a usable person"})
            failed += 1
            run.warn(f"round {round_index} {entry['set']}: no view shows a usable person; set skipped", "lifting")
            continue
        seeds[entry["set"]] = entry["seed_set"]
        seed = load_fit(run.folder, round_index - 1, entry["seed_set"]) if entry["seed_set"] is not None else None
        if seed is not None:
            inits[entry["set"]] = seed.params
        pending.append((entry["set"], observations))
    if pending:
        run.emit(Progress("lifting", fitted + failed, len(plan), f"{len(pending)} sets together"))

    def lifting_emit(event: Event, _round=round_index) -> None:
        if isinstance(event, LiftingStep):
            event.round = _round
        run.emit(event)

    def fit_once():
        body = run.body
        return fit_observed_sets(
            body, pending, run.sdf, stages.lifting_settings(run.settings, body, run.request.fixed_shape),
            inits={k: stages.params_from_json(body, v) for k, v in inits.items()}, target=target,
            prompt=run.request.prompt, emit=lifting_emit, cancel=run.cancel,
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
        except Exception as exc:
            if isinstance(exc, Cancelled):
                raise
            log.exception("fits of round %d failed", round_index)
            for name, _ in pending:
                write_json_atomic(run.folder.fit_path(round_index, name),
                                  {"set": name, "round": round_index, "failed": True, "reason": str(exc)})
                run.warn(f"round {round_index} {name}: fit failed ({exc}); set skipped", "lifting")
            return f"{fitted} of {len(plan)} sets fitted"
    for fit in fits:
        fit_path = run.folder.fit_path(round_index, fit.name)
        if fit.result is None:
            write_json_atomic(fit_path, {"set": fit.name, "round": round_index, "failed": True, "reason": fit.error})
            failed += 1
            run.warn(f"round {round_index} {fit.name}: fit failed ({fit.error}); set skipped", "lifting")
            continue
        record = fit_record(run.body, fit, round_index)
        record.seed_set = seeds[fit.name]
        for message in record.warnings:
            log.info("round %d %s: %s", round_index, fit.name, message)
        write_obj(run.folder.fit_mesh_path(round_index, fit.name), record.vertices, record.faces)
        write_json_atomic(fit_path, record.to_json())  # last: the set counts as fitted
        fitted += 1
    run.emit(Progress("lifting", len(plan), len(plan), "done"))
    return f"{fitted} of {len(plan)} sets fitted"


def load_fit(folder: RunFolder, round_index: int, name: str) -> FitRecord | None:
    path = folder.fit_path(round_index, name)
    if not path.exists():
        return None
    data = read_json(path)
    if data.get("failed"):
        return None
    return FitRecord.from_json(data)


def load_round_fits(run: _Run, round_index: int) -> list[FitRecord]:
    records = []
    for entry in _plan_round(run, round_index):
        record = load_fit(run.folder, round_index, entry["set"])
        if record is not None:
            records.append(record)
    return records


def _failure_reasons(run: _Run, round_index: int) -> list[str]:
    reasons = []
    for entry in _plan_round(run, round_index):
        path = run.folder.fit_path(round_index, entry["set"])
        if path.exists():
            data = read_json(path)
            if data.get("failed"):
                reasons.append(f"{entry['set']}: {data.get('reason', 'failed')}")
    return reasons


# ---- ranking -------------------------------------------------------------------------------
def _ranking_stage(run: _Run, round_index: int) -> str:
    records = load_round_fits(run, round_index)
    if run._ranker is None:
        run._ranker = make_ranker(run.settings, run.request, run.emit)
    ranker = run._ranker
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


# ---- report --------------------------------------------------------------------------------
def _final_round(run: _Run, rounds: int) -> int:
    for r in range(rounds, 0, -1):
        if run.folder.ranking_path(r).exists() and read_json(run.folder.ranking_path(r)).get("order"):
            if r < rounds:
                run.warn(f"round {rounds} produced no body; the final bodies are round {r}'s", "report")
            return r
    return 0


def _report_stage(run: _Run, rounds: int) -> str:
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


# =========================================================================================
# public entry points
# =========================================================================================
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
) -> GenerationResult:
    """Run (or resume) the whole method for one target; returns the ranked final bodies.

    ``emit`` receives typed events (:mod:`pipeline.core.events`); ``cancel`` is checked between
    steps and raises :class:`~pipeline.core.events.Cancelled`, leaving a folder that resumes.
    ``imagination`` defaults to diffusion inpainting with ``request.model``. ``renderer``: an
    object with SceneRenderer's ``rgb``/``render_bodies``/``silhouettes`` for the run's scene
    (the desktop passes one that renders in its GUI thread). ``trusted_pickles``: SHA-256s
    of ``.pkl`` SMPL-X models the user consented to open (never read from the request).
    Raises :class:`NothingUsableError` (message = the explanation) when no body could be
    made, :class:`GenerationError` for unusable inputs or folders.
    """
    run = _Run(request, run_dir, emit or null_sink, cancel or CancelToken(), imagination or make_imagination(request),
               renderer=renderer, trusted_pickles=frozenset(trusted_pickles))
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
    run = _Run(request, run_dir, emit or null_sink, cancel or CancelToken(), None, allow_painting=False,
               renderer=renderer, trusted_pickles=frozenset(trusted_pickles))
    run.imagination = _described_imagination(config)
    return _execute(run, resume=True, painted_rounds_only=True)


class _DescribedImagination(Imagination):
    """Stands in for the original imagination when re-fitting (it is never asked to paint)."""

    def __init__(self, description: dict) -> None:
        self.description = description
        self.kind = description.get("kind", "diffusion")

    def describe(self) -> dict:
        return self.description

    def paint(self, items, emit, cancel):
        raise GenerationError("Re-fitting uses the saved images; nothing is painted.")


def _described_imagination(config: dict) -> Any:
    return _DescribedImagination(config.get("imagination", {}))


def _execute(run: _Run, *, resume: bool, painted_rounds_only: bool = False) -> GenerationResult:
    run.folder.root.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(run.folder.log_path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    pipeline_log = logging.getLogger("pipeline")
    pipeline_log.addHandler(handler)
    if pipeline_log.level == logging.NOTSET or pipeline_log.level > logging.INFO:
        pipeline_log.setLevel(logging.INFO)
    try:
        _check_or_write_config(run, resume)
        log.info("run %s: prompt %r at %s", run.folder.root, run.request.prompt, run.request.target)
        return _execute_stages(run, painted_rounds_only)
    except NothingUsableError as exc:
        write_json_atomic(run.folder.report_path, {"bodies": [], "explanation": str(exc), "prompt": run.request.prompt})
        log.error("%s", exc)
        run.emit(Error(str(exc), "report"))
        raise
    finally:
        pipeline_log.removeHandler(handler)
        handler.close()
        if run.imagination is not None:
            run.imagination.close()
        run.close_own_renderer()


def _execute_stages(run: _Run, painted_rounds_only: bool) -> GenerationResult:
    settings = run.settings
    rounds = settings.rounds
    if run.imagination is not None and run.imagination.max_rounds < rounds:
        run.warn(f"{run.imagination.kind} images exist for round 1 only; round 2 is skipped", "inpaint")
        rounds = run.imagination.max_rounds
    if painted_rounds_only:
        while rounds > 1 and not run.folder.is_done(f"r{rounds}_inpaint"):
            rounds -= 1

    if not painted_rounds_only and not all(run.folder.is_done(f"r{r}_inpaint") for r in range(1, rounds + 1)):
        if run.imagination is not None:
            run.imagination.check_available(run.request)  # a missing model fails now, not after the views are rendered
    run.stage("views", "views", 0, lambda: _views_stage(run))
    run.stage("sdf", "sdf", 0, lambda: _sdf_stage(run))
    for r in range(1, rounds + 1):
        if r > 1 and not read_json(run.folder.ranking_path(r - 1)).get("order"):
            break
        run.stage(f"r{r}_inpaint", "inpaint", r, lambda r=r: _inpaint_stage(run, r))
        run.stage(f"r{r}_keypoints", "keypoints", r, lambda r=r: _keypoints_stage(run, r))
        run.stage(f"r{r}_lifting", "lifting", r, lambda r=r: _lifting_stage(run, r))
        if r == 1 and not load_round_fits(run, 1):
            raise NothingUsableError(_nothing_usable_explanation(run))
        run.stage(f"r{r}_ranking", "ranking", r, lambda r=r: _ranking_stage(run, r))
    run.stage("report", "export", 0, lambda: _report_stage(run, rounds))
    return _result_from_folder(run)


def _nothing_usable_explanation(run: _Run) -> str:
    valid, total, reasons = _keypoint_summary(run, 1)
    if valid == 0:
        why = "; ".join(f"{count}x {reason}" for reason, count in sorted(reasons.items(), key=lambda kv: -kv[1])[:3])
        return (
            f"No view showed a detectable person: none of the {total} painted images passed the keypoint check "
            f"({why}). The inpainting model painted no recognisable person here; {NO_PERSON_HINT}."
        )
    return (
        f"No hypothesis set could be lifted to a 3D body although {valid} of {total} images show a person ("
        + "; ".join(_failure_reasons(run, 1)[:4])
        + f"); {NO_PERSON_HINT}."
    )


def _result_from_folder(run: _Run) -> GenerationResult:
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


# =========================================================================================
# excluded images
# =========================================================================================
def normalise_exclusions(items: Iterable[Any]) -> set[str]:
    """Keys ``"R/set/view"`` (``*`` = any) from paths, tuples or dicts."""
    keys = set()
    for item in items or ():
        if isinstance(item, dict):
            r, s, v = item.get("round", "*"), item.get("set", "*"), item.get("view")
        elif isinstance(item, (tuple, list)):
            r, s, v = item
        else:
            parts = Path(str(item)).with_suffix("").parts
            if len(parts) >= 4 and parts[-4].startswith("round_"):
                r, s, v = parts[-4][len("round_"):], parts[-2], parts[-1]
            elif len(parts) >= 2:
                r, s, v = "*", parts[-2], parts[-1]
            else:
                r, s, v = "*", "*", parts[-1]
        r = "*" if r in (None, 0, "0", "*") else str(int(r))
        s = "*" if s in (None, "*") else str(s)
        if not v:
            raise ValueError(f"excluded image {item!r} names no view")
        keys.add(f"{r}/{s}/{v}")
    return keys


def load_excluded(folder: RunFolder) -> set[str]:
    path = folder.excluded_path()
    return set(read_json(path)) if path.exists() else set()


def is_excluded(excluded: set[str], round_index: int, set_name_: str, view: str) -> bool:
    if not excluded:
        return False
    for r in (str(round_index), "*"):
        for s in (set_name_, "*"):
            if f"{r}/{s}/{view}" in excluded:
                return True
    return False
