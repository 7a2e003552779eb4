"""``genzi export RUN_DIR --format obj|ply|glb|fbx|usd|usdz|dae|ifc|3dm --out FILE``: bodies of a run
to a file; ``ifc`` and ``3dm`` write them into a copy of ``--into DESIGN``; ``--app`` picks the
axes and unit the target application's importer expects."""

from __future__ import annotations

import argparse
import sys

from typing import TYPE_CHECKING

from pipeline.cli.appearance_args import add_export_arguments, export_values

if TYPE_CHECKING:
    from pipeline.core.export_settings import ExportSettings


def _indices(text: str) -> list[int]:
    try:
        return [int(x) for x in text.split(",") if x.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"--bodies takes indices like 0,2 (got {text!r})") from exc


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", help="run folder written by `genzi fit` or `genzi generate`")
    parser.add_argument("--out", required=True, help="file to write (its suffix names the format)")
    parser.add_argument("--into", help="ifc/3dm: the design to copy the people into (never modified)")
    parser.add_argument("--bodies", type=_indices, help="comma-separated body indices (default: all)")
    add_export_arguments(parser)  # the export section of the settings tree, over what the run recorded
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


def export_settings(args: argparse.Namespace) -> "ExportSettings":
    """The export section this invocation writes with: what the run recorded, the flags given
    over it, made concrete (:func:`pipeline.export.options.resolved`). The output file's
    suffix names the format unless ``--format`` is given."""
    from pipeline.export.options import recorded_export, resolved
    from pipeline.generation.settings import GenerationSettings, with_value

    tree = GenerationSettings(export=recorded_export(args.run_dir))
    for path, value in {"export.format": None, **export_values(args)}.items():
        tree = with_value(tree, path, value)
    return resolved(tree.export, args.out)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from pipeline.body.smplx_body import PickleNotAllowedError, pickle_consent
    from pipeline.export import FORMATS, ExportError, export_bodies
    from pipeline.export.run_folder import people_names, run_body_spec, scene_path_of
    from pipeline.scene.scene import SceneLoadError

    try:
        section = export_settings(args)
        fmt = section.format
        out, run_dir = Path(args.out).expanduser().resolve(), Path(args.run_dir).expanduser().resolve()
        if out.suffix.lower() != FORMATS[fmt].suffix:
            raise ValueError(f"--out {args.out} does not end in .{fmt}; name the file you want, e.g. bodies.{fmt}")
        if out.exists() and run_dir in out.parents:
            raise ValueError(f"{args.out} is one of the run's own files and is kept; write the export outside "
                             "the run folder or under a new name")
        if out.is_dir():
            raise ValueError(f"--out {args.out} is a folder; give a file name such as {out / ('bodies.' + fmt)}")
        trusted: frozenset[str] = frozenset()
        if args.allow_pickle:  # the user's consent, for this invocation, to the model the export opens
            trusted = pickle_consent(run_body_spec(args.run_dir, "smplx", args.body_model_path).path, True)
        styled = section.style != "bare"
        bodies = _bodies(args, FORMATS[fmt].rigged, styled, trusted)
        if styled:
            from pipeline.export.run_appearance import styled_run_bodies

            bodies, notes = styled_run_bodies(args.run_dir, bodies, args.bodies, style=section.style,
                                              outfit=section.outfit, hair=section.hair, colours=section.colours)
            for note in notes:
                print(f"genzi export: warning: {note}", file=sys.stderr)
        if FORMATS[fmt].into_original or fmt in ("usd", "usdz", "dae"):
            for body, name in zip(bodies, people_names(args.run_dir, args.bodies)):
                body.name = name
        scene = None
        if section.with_scene:
            scene = scene_path_of(args.run_dir)
            if scene is None:
                raise ValueError(f"{args.run_dir}/config.json names no scene; export without --with-scene.")
        written = export_bodies(bodies, args.out, format=fmt, up=section.up, units=section.units, scene=scene,
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
