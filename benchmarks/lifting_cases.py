"""Ground-truth lifting cases in the sample living room, and their rendered hypotheses.

Each case places an Anny body in a posture preset at a known spot, selects views for the
spot exactly as ``genzi views`` does, renders the body into the scene from every view and
writes the images as a hypothesis folder (``set_0`` clean; ``set_1`` with 30 % of the views
replaced by renders of a different posture). Used by ``benchmarks/lifting.py`` and by the
render-based lifting test.
"""

from __future__ import annotations

import argparse

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

SCENE = Path(__file__).resolve().parents[1] / "resources" / "scenes" / "living_room.glb"


@dataclass
class Case:
    name: str
    posture: str  # preset of pipeline.body.presets
    spot: tuple[float, float, float]  # surface point the body's contact region is placed on
    facing_yaw_deg: float  # presets convention: 0 faces -Y, 90 faces +X, 180 faces +Y
    prompt: str
    outlier_posture: str
    phenotypes: dict
    kind: str  # "seated", "lying", "standing", "other": which physical targets apply
    outlier_spot: tuple[float, float, float] | None = None  # default: the case's spot


CASES: list[Case] = [
    Case("sofa_left", "sitting_chair", (-0.6, -2.2, 0.57), 180, "a person sitting on the sofa", "lying_side",
         {"height": 0.45, "weight": 0.5}, "seated"),
    Case("sofa_middle", "sitting_chair", (0.0, -2.2, 0.57), 180, "a person sitting on the sofa", "lying_side",
         {"height": 0.6, "weight": 0.4}, "seated"),
    Case("sofa_right", "sitting_chair", (0.6, -2.2, 0.57), 180, "a person sitting on the sofa", "lying_side",
         {"height": 0.5, "gender": 0.3}, "seated"),
    Case("stool", "sitting_chair", (1.77, 1.63, 0.578), 210, "a person sitting on the stool", "standing",
         {"height": 0.55, "gender": 0.7}, "seated", (1.25, 1.35, 0.0)),
    Case("standing_floor", "standing", (0.4, 0.2, 0.0), 0, "a person standing in the room", "sitting_floor",
         {"height": 0.65}, "standing"),
    # leaning_bookshelf and lying_sofa: placed so the true body touches the furniture without
    # sinking into it (non-collision 1.000; at (2.05, -1.07, 0) and (0, -2.2, 0.57) it was 0.844
    # and 0.882, so a fit could not be both right and out of the furniture; round 5)
    Case("leaning_bookshelf", "leaning", (1.90, -1.07, 0.0), 90, "a person leaning on the bookshelf", "sitting_floor",
         {"height": 0.5, "muscle": 0.6}, "standing"),
    Case("floor_against_sofa", "sitting_floor", (0.0, -1.62, 0.0), 180, "a person sitting on the floor against the sofa",
         "lying_back", {"height": 0.5}, "seated"),
    Case("lying_sofa", "lying_back", (0.0, -2.15, 0.62), 90, "a person lying on the sofa", "sitting_chair",
         {"height": 0.4}, "lying"),
    Case("reaching_cabinet", "reaching", (0.02, 1.95, 0.0), 180, "a person reaching to the top of the tall cabinet",
         "sitting_floor", {"height": 0.6}, "standing"),
]  # fmt: skip


def add_start_arguments(ap) -> None:
    """The fit's start options as command-line flags (both lifting benchmarks take the same)."""
    ap.add_argument("--turned", action="store_true", help="also start turned by 180 degrees (pipeline.lifting.starts)")
    ap.add_argument("--triangulated", action=argparse.BooleanOptionalAction, default=None,
                    help="also start from a body fitted to the triangulated detections "
                         "(pipeline.lifting.triangulated_start; default: the fit's own)")
    ap.add_argument("--selection", default=None,
                    help="how the kept fit is chosen among the starts (pipeline.lifting.starts.SELECTIONS; "
                         "default: the fit's own)")
    ap.add_argument("--no-shape-words", action="store_true",
                    help="do not seed the start's shape from the prompt's body words (default: seed it)")
    ap.add_argument("--posture-starts", default=None,
                    help="comma-separated posture presets fitted as extra starts (default: the fit's own, "
                         "pipeline.lifting.starts.DEFAULT_STARTS; '' for none)")
    ap.add_argument("--heights", default=None,
                    help="comma-separated height phenotypes of extra starts (default: the fit's own)")


def starts_from_arguments(args):
    """(StartOptions, its record for the results JSON) from :func:`add_start_arguments`' flags."""
    from pipeline.lifting.starts import DEFAULT_STARTS, StartOptions

    def listed(text, default, kind):
        return default if text is None else tuple(kind(v) for v in text.split(",") if v)

    postures = listed(args.posture_starts, DEFAULT_STARTS.postures, str)
    heights = listed(args.heights, DEFAULT_STARTS.heights, float)
    triangulated = DEFAULT_STARTS.triangulated if args.triangulated is None else args.triangulated
    selection = args.selection or DEFAULT_STARTS.selection
    starts = StartOptions(turned=args.turned, shape_from_prompt=not args.no_shape_words, postures=postures,
                          heights=heights, triangulated=triangulated, selection=selection)
    return starts, {"turned": args.turned, "shape_from_prompt": not args.no_shape_words,
                    "postures": list(postures), "heights": list(heights), "triangulated": triangulated,
                    "selection": selection}


def case_by_name(name: str) -> Case:
    for c in CASES:
        if c.name == name:
            return c
    raise KeyError(name)


def gt_params(body, case: Case, outlier: bool = False):
    """The true body of a case, or (``outlier``) the differently posed one of its bad views."""
    from pipeline.body.presets import posed_body

    shape = body.shape_from_phenotypes(case.phenotypes)
    if outlier:
        spot = case.outlier_spot or case.spot
        return posed_body(body, case.outlier_posture, spot, case.facing_yaw_deg + 30.0, shape=shape)
    return posed_body(body, case.posture, case.spot, case.facing_yaw_deg, shape=shape)


def outlier_views(n_views: int, fraction: float = 0.3, seed: int = 0) -> list[int]:
    """Which views get the wrong posture: round(fraction * n), spread deterministically."""
    k = int(round(fraction * n_views))
    rng = np.random.default_rng(seed)
    return sorted(int(i) for i in rng.choice(n_views, size=k, replace=False))


def gt_keypoints(body, meta: dict) -> np.ndarray:
    """(23, 3) true keypoints from the case's true parameters, by ``body``'s own regressor.

    Computed on demand rather than cached: the fitted keypoints come from the fitting body's
    regressor, and a cached set made with another regressor (COCO vs BlazePose-matched
    differ by up to 7 cm at the shoulders) would count that difference as fitting error.
    """
    import torch

    with torch.no_grad():
        return body(body.params_from_json(meta["gt_params"])).keypoints[0].numpy()


@dataclass
class RenderStyle:
    """How a case's bodies are rendered: the renderer's lights, the bodies' colours and a
    finish applied to every image (None: the renderer's defaults, images as rendered)."""

    lights: Callable | None = None  # lights(renderer) before the first render
    body_color: tuple[float, float, float] | None = None
    other_color: tuple[float, float, float] | None = None
    finish: Callable | None = None  # finish(rgb, seed) -> rgb; seed = view index (+100 for the other body)


def prepare_views_and_renders(out_dir: Path, body, scene, gt, other, selection, meta: dict, *,
                              max_views: int | None = None, outlier_fraction: float = 0.3, outlier_seed: int = 0,
                              style: RenderStyle | None = None) -> dict:
    """Write the selected views, the true body's renders (``hyp/set_0``) and the set with
    ``outlier_fraction`` of the views showing ``other`` instead (``hyp/set_1``); returns
    ``meta`` completed with the parameters, views and target and writes it as ``case.json``.
    The one preparation path of both lifting benchmarks (the caller selects the views)."""
    import torch
    from PIL import Image

    from pipeline.views.render import SceneRenderer
    from pipeline.views.views_io import load_views, write_selection

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    style = style or RenderStyle()
    with torch.no_grad():
        v_gt = body(gt).vertices[0].numpy()
        v_other = body(other).vertices[0].numpy()
    if max_views is not None:
        selection.cameras = selection.cameras[:max_views]
        selection.visibility = selection.visibility[:max_views]
    write_selection(out_dir / "views", selection)
    cameras, _ = load_views(out_dir / "views")
    bad = outlier_views(len(cameras), outlier_fraction, outlier_seed)
    faces = np.asarray(body.faces)
    for s in ("set_0", "set_1"):
        (out_dir / "hyp" / s).mkdir(parents=True, exist_ok=True)

    def render(r, cam, verts, color, seed):
        rgb = r.render_bodies(cam, [(verts, faces)], colors=None if color is None else [color]).rgb
        return rgb if style.finish is None else style.finish(rgb, seed)

    with SceneRenderer(scene) as r:
        if style.lights is not None:
            style.lights(r)
        for i, cam in enumerate(cameras):
            clean = render(r, cam, v_gt, style.body_color, i)
            Image.fromarray(clean).save(out_dir / "hyp" / "set_0" / f"{cam.name}.png")
            img = render(r, cam, v_other, style.other_color, 100 + i) if i in bad else clean
            Image.fromarray(img).save(out_dir / "hyp" / "set_1" / f"{cam.name}.png")
    meta = {**meta, "gt_params": body.params_to_json(gt), "outlier_views": [cameras[i].name for i in bad],
            "views": [c.name for c in cameras], "target": selection.target.tolist()}  # fmt: skip
    (out_dir / "case.json").write_text(json.dumps(meta))
    return meta


def prepare_case(case: Case, out_dir: Path, body, scene, *, max_views: int = 16, outlier_fraction: float = 0.3) -> dict:
    """Views, GT and rendered hypothesis images of one case under ``out_dir`` (cached)."""
    from pipeline.views.selection import select_views

    meta_path = Path(out_dir) / "case.json"
    if meta_path.exists():
        return json.loads(meta_path.read_text())
    selection = select_views(scene, np.asarray(case.spot, dtype=np.float64), prompt=case.prompt)
    meta = {"case": case.name, "posture": case.posture, "kind": case.kind, "prompt": case.prompt}
    return prepare_views_and_renders(out_dir, body, scene, gt_params(body, case), gt_params(body, case, outlier=True),
                                     selection, meta, max_views=max_views, outlier_fraction=outlier_fraction)
