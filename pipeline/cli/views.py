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
    parser.add_argument("--scene", required=True, help="scene file (GLB, glTF, OBJ, PLY, FBX)")
    parser.add_argument("--at", nargs=3, type=float, required=True, metavar=("X", "Y", "Z"),
                        help="target point in scene coordinates (Z up, metres)")
    parser.add_argument("--out", required=True, help="output folder for view_XX.png and views.json")
    parser.add_argument("--views", type=int, default=16, metavar="N", help="at most N views (default 16)")
    parser.add_argument("--normal", nargs=3, type=float, metavar=("NX", "NY", "NZ"),
                        help="surface normal at the target (default: from the mesh)")
    parser.add_argument("--prompt", default=None, help="the interaction; 'standing'/'walking' frame a standing person")
    parser.add_argument("--framing", choices=("auto", "target", "standing"), default="auto",
                        help="aim at the target (seats, beds) or above it so a standing person fits")
    parser.add_argument("--size", type=int, default=512, help="image width and height in pixels (default 512)")
    parser.add_argument("--distance", type=float, default=2.0, help="camera distance in metres (default 2.0)")
    parser.add_argument("--fov", type=float, default=60.0, help="vertical field of view in degrees (default 60)")
    parser.add_argument("--export", action="store_true",
                        help="also write README.txt for painting people into the views yourself")


def run(args: argparse.Namespace) -> int:
    from pipeline.scene.source import as_scene
    from pipeline.views.selection import ViewSelectionError, ViewSelectionSettings, select_views

    if args.views < 1:
        print("genzi views: --views must be at least 1", file=sys.stderr)
        return 2
    if args.size < 16:
        print("genzi views: --size must be at least 16 pixels", file=sys.stderr)
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

    settings = ViewSelectionSettings(max_views=args.views, image_size=args.size, distance=args.distance,
                                     fov_y_deg=args.fov)
    t1 = time.perf_counter()
    try:
        selection = select_views(scene, args.at, normal=args.normal, settings=settings,
                                 framing=args.framing, prompt=args.prompt)
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
                                    w=args.size, h=args.size, scene=args.scene, views_dir=str(out))
        write_file_atomic(out / "README.txt", lambda tmp: tmp.write_text(text, encoding="utf-8"))
    print(f"wrote {views_json}")
    return 0
