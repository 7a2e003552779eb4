"""``genzi views``: choose cameras around a target, render the scene from them and write
``view_XX.png`` plus ``views.json`` (see :mod:`pipeline.views.views_io` for the file's shape).

With ``--export`` the folder is also prepared for bring-your-own images: a README.txt tells
the user to paint people into copies of the renders and where ``genzi fit`` looks for them.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from pipeline.views.selection_types import FRAMINGS

EXPORT_README = """\
GenZI views: bring your own images
==================================

This folder holds {n} renders of the scene (view_00.png ...) and views.json, the exact
cameras they were rendered with (OpenCV convention, pixel centres at integer + 0.5,
Z-up world in metres). The target point is {target}.

To use your own images instead of the built-in inpainting model:

1. Make a folder next to this one, for example  hypotheses/set_0/
2. Copy each view_XX.png you want to use into it, keeping its name (view_00.png ...),
   and paint or composite ONE person doing the action into the copy, at the target.
   Keep the image size ({w} x {h} px) and do not crop, shift or rescale the image:
   the cameras in views.json must still match the pixels. Views you leave out are skipped.
   More folders (hypotheses/set_1, ...) give one more body each.
3. Run:  genzi fit --scene {scene} --views {views_dir} --hypotheses hypotheses --out fit
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scene", required=True, help="scene file (GLB, glTF, OBJ, PLY, STL, FBX, IFC, 3dm, Collada .dae, USD/USDZ)")
    parser.add_argument("--at", nargs=3, type=float, required=True, metavar=("X", "Y", "Z"),
                        help="target point in scene coordinates (Z up, metres)")
    parser.add_argument("--out", required=True, help="output folder for view_XX.png and views.json")
    parser.add_argument("--preset", default=None,
                        help="settings to start from: fast (the default: 8 views) or paper (16 views)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE",
                        help="one view setting by its path in the settings tree, e.g. --set views.num_views=12 "
                             "(repeatable; the flags below are short forms of views.* paths)")
    # short forms of views.* paths: each stores its value under the path it names in the tree
    parser.add_argument("--views", dest="views.num_views", type=int, default=None, metavar="N",
                        help="at most N views (views.num_views)")
    parser.add_argument("--size", dest="views.image_size", type=int, default=None,
                        help="image width and height in pixels, a multiple of 8 (views.image_size)")
    parser.add_argument("--distance", dest="views.distance", type=float, default=None,
                        help="camera distance in metres (views.distance)")
    parser.add_argument("--fov", dest="views.fov_y_deg", type=float, default=None,
                        help="vertical field of view in degrees (views.fov_y_deg)")
    parser.add_argument("--framing", dest="views.framing", choices=FRAMINGS, default=None,
                        help="aim at the target (seats, beds) or above it so a standing person fits (views.framing)")
    parser.add_argument("--radius", type=float, default=None,
                        help="metres of surface around the target the views must see (default 0.15)")
    parser.add_argument("--normal", nargs=3, type=float, metavar=("NX", "NY", "NZ"),
                        help="surface normal at the target (default: from the mesh)")
    parser.add_argument("--prompt", default=None, help="the interaction; 'standing'/'walking' frame a standing person")
    parser.add_argument("--export", action="store_true",
                        help="also write README.txt for painting people into the views yourself")


def view_settings(args: argparse.Namespace):
    """The views section of the settings tree this invocation asks for (preset, --set, flags)."""
    from pipeline.core.overrides import parse_overrides
    from pipeline.generation.settings import DEFAULT_PRESET, settings_for

    overrides = parse_overrides(args.overrides)
    overrides.update({path: value for path, value in vars(args).items() if path.startswith("views.") and value is not None})
    return settings_for(args.preset or DEFAULT_PRESET, overrides).views


def run(args: argparse.Namespace) -> int:
    from pipeline.scene.source import as_scene
    from pipeline.views.run_settings import select_target_views
    from pipeline.views.selection import ViewSelectionError

    try:
        views = view_settings(args)
    except ValueError as exc:
        print(f"genzi views: {exc}", file=sys.stderr)
        return 2
    out = Path(args.out)
    t0 = time.perf_counter()
    try:
        scene = as_scene(args.scene)
    except Exception as exc:  # loaders raise their own error types; show the message, not a traceback
        print(f"genzi views: cannot load the scene: {exc}", file=sys.stderr)
        return 2
    print(f"scene loaded in {time.perf_counter() - t0:.1f} s")
    from pipeline.scene.target_check import TargetOutsideSceneError, check_target_near_scene

    try:
        check_target_near_scene(scene, args.at)
    except TargetOutsideSceneError as exc:
        print(f"genzi views: {exc}", file=sys.stderr)
        return 2

    t1 = time.perf_counter()
    try:
        selection = select_target_views(scene, args.at, views, radius=args.radius, normal=args.normal,
                                        prompt=args.prompt)
    except (ViewSelectionError, ValueError) as exc:
        print(f"genzi views: {exc}", file=sys.stderr)
        return 1
    print(f"selected {len(selection.cameras)} views ({selection.framing} framing) in {time.perf_counter() - t1:.1f} s")
    for message in selection.warnings:
        print(f"warning: {message}")

    from PIL import Image

    from pipeline.views.render import SceneRenderer
    from pipeline.views.views_io import write_selection

    from pipeline.core.atomic import write_file_atomic

    out.mkdir(parents=True, exist_ok=True)
    names = {f"{cam.name}.png" for cam in selection.cameras}
    for old in out.glob("view_*.png"):  # an earlier run's extra views would pass for this one's
        if old.name not in names:
            old.unlink()
    t2 = time.perf_counter()
    with SceneRenderer(scene) as renderer:
        for cam in selection.cameras:
            image = Image.fromarray(renderer.rgb(cam))
            write_file_atomic(out / f"{cam.name}.png", lambda tmp, image=image: image.save(tmp, format="PNG"))
    views_json = write_selection(out, selection)
    print(f"rendered {len(selection.cameras)} views in {time.perf_counter() - t2:.1f} s")
    if args.export:
        text = EXPORT_README.format(n=len(selection.cameras), target=[round(float(x), 4) for x in selection.target],
                                    w=views.image_size, h=views.image_size, scene=args.scene, views_dir=str(out))
        write_file_atomic(out / "README.txt", lambda tmp: tmp.write_text(text, encoding="utf-8"))
    print(f"wrote {views_json}")
    return 0
