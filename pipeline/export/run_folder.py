"""Read the bodies (and the scene path) of a run folder written by ``genzi fit``/``generate``."""

from __future__ import annotations

import json
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np

from pipeline.body.smplx_body import PickleNotAllowedError
from pipeline.body.spec import BodySpec, load_body
from pipeline.export.bodies import ExportBody
from pipeline.generation.body_record import body_spec_of_run


def read_report(run_dir: str | Path) -> dict:
    run_dir = Path(run_dir)
    report = run_dir / "report.json"
    if not report.is_file():
        raise FileNotFoundError(
            f"{run_dir} has no report.json: pass the folder that `genzi fit` or `genzi generate` wrote."
        )
    try:
        data = json.loads(report.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{report} is not valid JSON ({exc}); re-run the fit to rewrite it.") from exc
    if not isinstance(data.get("bodies"), list):
        raise ValueError(f"{report} lists no bodies; the run may have been cancelled before a result.")
    return data


def scene_path_of(run_dir: str | Path) -> Path | None:
    """The scene file named in the run's config.json (keys ``scene``, ``scene_path`` or
    ``scene.path``; ``genzi generate``) or else in its report.json (``scene``; ``genzi fit``),
    resolved relative to the run folder when relative."""
    run_dir = Path(run_dir)
    data: dict = {}
    for name in ("config.json", "report.json"):
        file = run_dir / name
        if file.is_file():
            try:
                data = json.loads(file.read_text())
            except json.JSONDecodeError:
                continue
            if isinstance(data, dict) and (data.get("scene") or data.get("scene_path")):
                break
    if not isinstance(data, dict):
        return None
    candidates = [data.get("scene_path"), data.get("scene")]
    if isinstance(data.get("scene"), dict):
        candidates += [data["scene"].get("path"), data["scene"].get("scene_path")]
    for value in candidates:
        if isinstance(value, str) and value:
            path = Path(value).expanduser()
            if not path.is_absolute() and not path.exists():
                path = run_dir / path
            return path
    return None


def run_body_spec(run_dir: str | Path, kind: str, body_model_path: str | Path | None = None) -> BodySpec:
    """The body model recorded for the run (``body_model_path`` replaces its file);
    older runs record none: the kind their report names, with ``body_model_path``."""
    recorded = body_spec_of_run(run_dir)
    if recorded is None or recorded.kind != kind:
        recorded = BodySpec.of(kind)
    return replace(recorded, path=str(body_model_path)) if body_model_path else recorded


def _load_model(spec: BodySpec, rigged: bool, trusted_pickles: frozenset[str]):
    """The run's body model. A rigged export without it fails with what to give; a static
    one falls back to the run's mesh files (with a warning)."""
    try:
        return load_body(spec, trusted_pickles=trusted_pickles)
    except PickleNotAllowedError as exc:
        if rigged:
            raise ValueError(f"Cannot rebuild the {spec.kind} bodies for a rigged export: {exc} "
                             "(genzi export: --allow-pickle)") from exc
        warnings.warn(f"Body model {spec.kind!r} not opened ({exc}); using the run's mesh files.", stacklevel=3)
        return None
    except (ValueError, FileNotFoundError, OSError) as exc:
        if rigged:
            raise ValueError(
                f"Cannot rebuild the {spec.kind} bodies for a rigged export: {exc} "
                "Give the model file with --body-model-path (or export OBJ/PLY, which need no model)."
            ) from exc
        warnings.warn(f"Body model {spec.kind!r} unavailable ({exc}); using the run's mesh files.", stacklevel=3)
        return None


def bodies_of_run(run_dir: str | Path, indices: list[int] | None = None, *, rigged: bool = True,
                  body_model_path: str | Path | None = None,
                  trusted_pickles: frozenset[str] = frozenset()) -> list[ExportBody]:
    """Rebuild the selected bodies (all when ``indices`` is None).

    Rigged formats rebuild each body from its ``model`` + ``params`` with the body model the
    run recorded (``body_model_path``: SMPL-X's file, when the run's is elsewhere now) to get
    the skeleton. Static formats use the run's posed mesh file when it exists (no model
    load needed). A body without parameters is exported as a plain mesh. ``trusted_pickles``:
    SHA-256s of ``.pkl`` SMPL-X models the user consented to open for this export."""
    import trimesh

    run_dir = Path(run_dir)
    entries = read_report(run_dir)["bodies"]
    if indices is None:
        indices = list(range(len(entries)))
    bad = [i for i in indices if not 0 <= i < len(entries)]
    if bad:
        raise ValueError(f"Body index {bad} out of range: this run has bodies 0..{len(entries) - 1}.")
    models: dict[BodySpec, object] = {}
    out = []
    for i in indices:
        entry = entries[i]
        name = f"body_{i}"
        params = entry.get("params")
        mesh_file = run_dir / str(entry.get("mesh") or f"body_{i}.obj")
        model = None
        if params and (rigged or not mesh_file.is_file()):
            spec = run_body_spec(run_dir, str(entry.get("model") or "anny"), body_model_path)
            if spec not in models:
                models[spec] = _load_model(spec, rigged, frozenset(trusted_pickles))
            model = models[spec]
        if model is not None:
            skin = model.skinned_mesh(model.params_from_json(params))
            out.append(ExportBody.from_skin(skin, name=name))
            continue
        if not mesh_file.is_file():
            raise FileNotFoundError(
                f"Body {i}: no body model to rebuild it and no mesh file {mesh_file.name} in {run_dir}."
            )
        if rigged:
            warnings.warn(f"Body {i}: exported without a skeleton (the run recorded no body model parameters).",
                          stacklevel=2)
        mesh = trimesh.load(str(mesh_file), force="mesh", process=False)
        out.append(ExportBody(name, np.asarray(mesh.vertices, dtype=float), np.asarray(mesh.faces)))
    return out


def people_names(run_dir: str | Path, indices: list[int] | None = None) -> list[str]:
    """A name per selected body from the run's prompt ("a woman reading", "a woman reading 2"),
    for formats where people are listed by name (IFC elements, Rhino layers, USD prims)."""
    data = read_report(run_dir)
    entries = data["bodies"]
    indices = list(range(len(entries))) if indices is None else indices
    prompt = str(data.get("prompt") or "person").strip() or "person"
    return [f"{prompt} {k + 1}" if len(indices) > 1 else prompt for k in range(len(indices))]
