"""``genzi export RUN_DIR --format obj|ply|glb|fbx|usd|usdz|dae|ifc|3dm --out FILE``: bodies of a run
to a file; ``ifc`` and ``3dm`` write them into a copy of ``--into DESIGN``; ``--app`` picks the
axes and unit the target application's importer expects."""

from __future__ import annotations

import argparse
import sys

from pipeline.export import FORMATS as EXPORT_FORMATS
from pipeline.export.apps import APPS
from pipeline.cli.appearance_args import add_appearance_arguments


def _indices(text: str) -> list[int]:
    try:
        return [int(x) for x in text.split(",") if x.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"--bodies takes indices like 0,2 (got {text!r})") from exc


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", help="run folder written by `genzi fit` or `genzi generate`")
    parser.add_argument("--format", choices=list(EXPORT_FORMATS), help="default: from --out's suffix")
    parser.add_argument("--out", required=True, help="file to write (" + "/".join(f".{k}" for k in EXPORT_FORMATS) + ")")
    parser.add_argument("--into", help="ifc/3dm: the design to copy the people into (never modified)")
    parser.add_argument("--app", choices=list(APPS), help="target application: axes and unit for OBJ, PLY and FBX")
    parser.add_argument("--with-scene", action="store_true", help="put the scene's meshes in the same file")
    parser.add_argument("--up", choices=["z", "y"], help="up axis (default per format: obj/ply z, glb/fbx y)")
    parser.add_argument("--units", choices=["m", "cm", "mm"], help="unit (default per format: m; fbx cm)")
    parser.add_argument("--bodies", type=_indices, help="comma-separated body indices (default: all)")
    add_appearance_arguments(parser, bare=True)
    parser.add_argument("--body-model-path", default=None,
                        help="SMPL-X runs: your SMPLX_NEUTRAL.npz (or its folder) when the run's recorded one "
                             "has moved; rigged formats (GLB, FBX) rebuild the bodies with it")
    parser.add_argument("--allow-pickle", action="store_true",
                        help="open the run's .pkl SMPL-X model for this export (a pickle can run code: only "
                             "your own download)")


def _bodies(args: argparse.Namespace, rigged: bool, styled: bool, trusted: frozenset[str]) -> list:
    """The run's bodies; clothes need the rig, but a static format falls back to the run's
    meshes (plain bodies) when the body model cannot be rebuilt."""
    from pipeline.export.run_folder import bodies_of_run

    try:
        return bodies_of_run(args.run_dir, args.bodies, rigged=rigged or styled, body_model_path=args.body_model_path,
                             trusted_pickles=trusted)
    except ValueError:
        if rigged or not styled:
            raise
        return bodies_of_run(args.run_dir, args.bodies, rigged=False, body_model_path=args.body_model_path,
                             trusted_pickles=trusted)


def run(args: argparse.Namespace) -> int:
    from pipeline.body.smplx_body import PickleNotAllowedError, pickle_consent
    from pipeline.export import FORMATS, ExportError, export_bodies, format_for_path, resolve_frame
    from pipeline.export.apps import app_preset
    from pipeline.export.run_folder import bodies_of_run, people_names, run_body_spec, scene_path_of

    from pathlib import Path

    from pipeline.scene.scene import SceneLoadError

    try:
        fmt = args.format or format_for_path(args.out)
        out, run_dir = Path(args.out).expanduser().resolve(), Path(args.run_dir).expanduser().resolve()
        if out.suffix.lower() != f".{fmt}":
            raise ValueError(f"--out {args.out} does not end in .{fmt}; name the file you want, e.g. bodies.{fmt}")
        if out.exists() and run_dir in out.parents:
            raise ValueError(f"{args.out} is one of the run's own files and is kept; write the export outside "
                             "the run folder or under a new name")
        if out.is_dir():
            raise ValueError(f"--out {args.out} is a folder; give a file name such as {out / ('bodies.' + fmt)}")
        if args.app:
            frame = app_preset(args.app).frame_for(fmt)
            if frame is not None:
                args.up, args.units = args.up or frame.up, args.units or frame.units
        resolve_frame(fmt, args.up, args.units)  # a frame the format cannot hold fails before any work
        trusted: frozenset[str] = frozenset()
        if args.allow_pickle:  # the user's consent, for this invocation, to the model the export opens
            trusted = pickle_consent(run_body_spec(args.run_dir, "smplx", args.body_model_path).path, True)
        styled = args.style != "bare"
        bodies = _bodies(args, FORMATS[fmt].rigged, styled, trusted)
        if styled:
            from pipeline.export.run_appearance import styled_run_bodies

            bodies, notes = styled_run_bodies(args.run_dir, bodies, args.bodies, style=args.style,
                                              outfit=args.outfit, hair=args.hair, colours=args.colours)
            for note in notes:
                print(f"genzi export: warning: {note}", file=sys.stderr)
        if FORMATS[fmt].into_original or fmt in ("usd", "usdz", "dae"):
            for body, name in zip(bodies, people_names(args.run_dir, args.bodies)):
                body.name = name
        scene = None
        if args.with_scene:
            scene = scene_path_of(args.run_dir)
            if scene is None:
                raise ValueError(f"{args.run_dir}/config.json names no scene; export without --with-scene.")
        written = export_bodies(bodies, args.out, format=fmt, up=args.up, units=args.units, scene=scene,
                                into=args.into)
    except SceneLoadError as exc:
        print(f"genzi export: error: the run's scene cannot be read ({exc}); export without --with-scene",
              file=sys.stderr)
        return 1
    except (ExportError, ValueError, OSError, TypeError, PickleNotAllowedError) as exc:
        print(f"genzi export: error: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(path)
    return 0
