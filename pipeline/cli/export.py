"""``genzi export RUN_DIR --format obj|ply|glb|fbx --out FILE``: bodies of a run to a file."""

from __future__ import annotations

import argparse
import sys

from pipeline.cli.appearance_args import add_appearance_arguments


def _indices(text: str) -> list[int]:
    try:
        return [int(x) for x in text.split(",") if x.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"--bodies takes indices like 0,2 (got {text!r})") from exc


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", help="run folder written by `genzi fit` or `genzi generate`")
    parser.add_argument("--format", choices=["obj", "ply", "glb", "fbx"], help="default: from --out's suffix")
    parser.add_argument("--out", required=True, help="file to write (.obj/.ply/.glb/.fbx)")
    parser.add_argument("--with-scene", action="store_true", help="put the scene's meshes in the same file")
    parser.add_argument("--up", choices=["z", "y"], help="up axis (default per format: obj/ply z, glb/fbx y)")
    parser.add_argument("--units", choices=["m", "cm", "mm"], help="unit (default per format: m; fbx cm)")
    parser.add_argument("--bodies", type=_indices, help="comma-separated body indices (default: all)")
    add_appearance_arguments(parser, bare=True)
    parser.add_argument("--body-model-path", default=None,
                        help="SMPL-X runs: your SMPLX_NEUTRAL.npz (or its folder) when the run's recorded one "
                             "has moved; rigged formats (GLB, FBX) rebuild the bodies with it")


def _bodies(args: argparse.Namespace, rigged: bool, styled: bool) -> list:
    """The run's bodies; clothes need the rig, but a static format falls back to the run's
    meshes (plain bodies) when the body model cannot be rebuilt."""
    from pipeline.export.run_folder import bodies_of_run

    try:
        return bodies_of_run(args.run_dir, args.bodies, rigged=rigged or styled, body_model_path=args.body_model_path)
    except ValueError:
        if rigged or not styled:
            raise
        return bodies_of_run(args.run_dir, args.bodies, rigged=False, body_model_path=args.body_model_path)


def run(args: argparse.Namespace) -> int:
    from pipeline.export import FORMATS, ExportError, export_bodies, format_for_path, resolve_frame
    from pipeline.export.run_folder import scene_path_of

    try:
        fmt = args.format or format_for_path(args.out)
        resolve_frame(fmt, args.up, args.units)  # a frame the format cannot hold fails before any work
        styled = args.style != "bare"
        bodies = _bodies(args, FORMATS[fmt].rigged, styled)
        if styled:
            from pipeline.export.run_appearance import styled_run_bodies

            bodies, notes = styled_run_bodies(args.run_dir, bodies, args.bodies, style=args.style,
                                              outfit=args.outfit, hair=args.hair, colours=args.colours)
            for note in notes:
                print(f"genzi export: warning: {note}", file=sys.stderr)
        scene = None
        if args.with_scene:
            scene = scene_path_of(args.run_dir)
            if scene is None:
                raise ValueError(f"{args.run_dir}/config.json names no scene; export without --with-scene.")
        written = export_bodies(bodies, args.out, format=fmt, up=args.up, units=args.units, scene=scene)
    except (ExportError, ValueError, FileNotFoundError, TypeError) as exc:
        print(f"genzi export: error: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(path)
    return 0
