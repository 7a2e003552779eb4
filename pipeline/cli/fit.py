"""``genzi fit``: detect the person in hypothesis images and fit one 3D body per set.

    genzi fit --scene S --views VIEWS_DIR --hypotheses HYP_DIR --out OUT

Writes ``OUT/body_K.obj`` per fitted set and ``OUT/report.json``.
"""

from __future__ import annotations

import sys

from pipeline.cli.appearance_args import add_appearance_arguments, record_appearance_choices
from pipeline.lifting.run_settings import START_CHOICES


def add_arguments(parser) -> None:
    parser.add_argument("--scene", required=True, help="scene file (GLB, glTF, OBJ, PLY, STL, FBX, IFC, 3dm, Collada .dae, USD/USDZ)")
    parser.add_argument("--views", required=True, help="folder (or file) with views.json from `genzi views`")
    parser.add_argument("--hypotheses", required=True, help="folder with view_XX.png, or set_K/view_XX.png sub-folders")
    parser.add_argument("--out", required=True, help="output folder for body_K.obj and report.json")
    parser.add_argument("--prompt", default=None, help="the prompt; 'sit' / 'lie' / 'stand' words pick a start posture")
    parser.add_argument("--model", default="anny", choices=["anny", "smplx"], help="body model (default anny)")
    parser.add_argument("--model-path", default=None, help="SMPL-X model file or folder (for --model smplx)")
    parser.add_argument("--allow-pickle", action="store_true",
                        help="open a .pkl SMPL-X model (a pickle can run code: only your own download)")
    parser.add_argument("--iterations", type=int, default=None, help="total iterations (default: the paper's 1600)")
    parser.add_argument("--starts", choices=START_CHOICES, default="all",
                        help="'all': several starts, the fit the views agree with most is kept (default); "
                             "'one': the single placed start, about twice as fast and rougher")
    parser.add_argument("--no-scene", action="store_true", help="fit without scene penetration/contact terms")
    parser.add_argument("--sdf-cell", type=float, default=0.02, help="SDF grid cell size in metres (default 0.02)")
    parser.add_argument("--sdf-half-extent", type=float, default=1.5, help="SDF grid half size around the target (m)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads for the fit")
    parser.add_argument("--quiet", action="store_true", help="print only errors")
    add_appearance_arguments(parser)


def run(args) -> int:
    from pathlib import Path

    import numpy as np

    from pipeline.generation.fit_sets import (
        HypothesisFolderError,
        find_hypothesis_sets,
        iter_fit_hypothesis_sets,
        write_fit_outputs,
    )
    from pipeline.generation.image_checks import ImageInputError, check_images
    from pipeline.lifting.run_settings import FitSettings
    from pipeline.lifting.schedule import LiftingSettings
    from pipeline.views.views_io import ViewsFileError, load_views

    def say(msg: str) -> None:
        if not args.quiet:
            print(msg, flush=True)

    from pipeline.body.smplx_body import PickleNotAllowedError, pickle_consent

    try:  # before any work: a pickle is opened only with --allow-pickle, the user's consent
        trusted = pickle_consent(args.model_path, args.allow_pickle) if args.model == "smplx" else frozenset()
    except (FileNotFoundError, PickleNotAllowedError) as exc:
        print(f"genzi fit: {exc}", file=sys.stderr)
        return 2

    try:
        cameras, meta = load_views(args.views)
        if not cameras:
            raise ViewsFileError(f"{args.views}: views.json lists no views")
        target = np.asarray(meta["target"], dtype=np.float64) if meta.get("target") is not None else None
        sets = find_hypothesis_sets(args.hypotheses, [c.name for c in cameras])
        sizes = {c.name: (c.width, c.height) for c in cameras}
        for hset in sets:  # every image opens and has its view's size, before any work
            check_images(hset.images, sizes)
    except (ViewsFileError, HypothesisFolderError, ImageInputError) as exc:
        print(f"genzi fit: {exc}", file=sys.stderr)
        return 2

    from pipeline.body.spec import BodySpec, load_body
    from pipeline.generation.body_record import write_body_spec

    try:
        body = load_body(BodySpec.of(args.model, args.model_path), trusted_pickles=trusted)
    except (ValueError, OSError, PickleNotAllowedError) as exc:
        print(f"genzi fit: {exc}", file=sys.stderr)
        return 2

    settings = LiftingSettings(num_threads=args.threads)
    if args.iterations is not None:
        if args.iterations < 4:
            print("genzi fit: --iterations must be at least 4 (four schedule segments)", file=sys.stderr)
            return 2
        settings = settings.with_iterations(args.iterations)

    sdf = None
    if not args.no_scene:
        from pipeline.scene.scene import load_scene
        from pipeline.scene.sdf_cache import cached_sdf_grid

        try:
            scene = load_scene(args.scene)
        except Exception as exc:  # SceneLoadError and friends carry a user-facing message
            print(f"genzi fit: cannot load the scene: {exc}", file=sys.stderr)
            return 2
        looks = [c.look_at for c in cameras if c.look_at is not None]
        centre = target if target is not None else (np.mean(looks, axis=0) if looks else None)
        if centre is None:
            print("genzi fit: views.json names no target and no look_at points; rerun `genzi views` "
                  "or fit with --no-scene", file=sys.stderr)
            return 2
        from pipeline.scene.target_check import TargetOutsideSceneError, check_target_near_scene

        try:
            check_target_near_scene(scene, centre)
        except TargetOutsideSceneError as exc:
            print(f"genzi fit: {exc}", file=sys.stderr)
            return 2
        say(f"scene distance grid around {np.round(centre, 2).tolist()} ...")
        sdf, cached = cached_sdf_grid(scene, centre, args.sdf_half_extent, args.sdf_cell)
        say("  from the cache" if cached else f"  built in {sdf.info.get('seconds_total', 0.0):.1f} s (kept in the cache)")

    def emit(event) -> None:
        from pipeline.core.events import KeypointsDetected, LiftingStep

        if isinstance(event, LiftingStep) and event.iteration % 400 == 0:
            say(f"  {event.set_name}: iteration {event.iteration}/{event.total}")
        elif isinstance(event, KeypointsDetected) and not event.valid:
            say(f"  set_{event.sample} {event.view}: {event.reason}")

    say(f"{len(sets)} hypothesis set(s), {len(cameras)} view(s)")
    fits, stopped = [], False
    try:
        for fit in iter_fit_hypothesis_sets(body, cameras, sets, sdf, settings, target=target, prompt=args.prompt,
                                            emit=emit, starts=FitSettings(starts=args.starts).start_options()):
            fits.append(fit)
    except KeyboardInterrupt:  # keep what is finished: a stopped fit is not lost work
        stopped = True
    report = write_fit_outputs(Path(args.out), body, fits, scene=args.scene)
    write_body_spec(Path(args.out), BodySpec.of(args.model, args.model_path))  # exporters rebuild the rig from it
    record_appearance_choices(args, args.out)
    if stopped:
        print(f"\ngenzi fit: stopped after {len(fits)} of {len(sets)} set(s); the finished ones are in {report.parent}",
              file=sys.stderr)
        return 130
    ok = [f for f in fits if f.result is not None]
    for f in fits:
        if f.result is None:
            say(f"{f.name}: not fitted: {f.error}")
            continue
        m = f.metrics
        extra = f", non-collision {m['non_collision']:.3f}, contact {m['contact']}" if m else ""
        say(f"{f.name}: {len(f.result.used_views)} views, {f.result.seconds:.1f} s{extra}")
        for w in f.result.warnings:
            say(f"  warning: {w}")
    say(f"wrote {report}")
    return 0 if ok else 1
