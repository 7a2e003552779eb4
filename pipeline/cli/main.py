"""The ``genzi`` command. Each sub-command lives in its own module ``pipeline.cli.<name>``
that defines ``add_arguments(parser)`` and ``run(args) -> int``. Those modules keep heavy
imports (torch, diffusers, mediapipe) inside ``run`` so ``genzi --help`` stays fast."""

from __future__ import annotations

import argparse
import importlib
import sys

COMMANDS = {
    "views": "Select cameras around a target and render them (or export them for your own images).",
    "fit": "Detect keypoints in hypothesis images and fit one 3D body per hypothesis set.",
    "generate": "Run the whole method: views, inpainting, keypoints, lifting, ranking.",
    "export": "Export the bodies of a run folder (OBJ, PLY, GLB, FBX, USD, Collada, or into a copy of an IFC or 3dm design).",
    "populate": "Put many people into a scene from a plan (regions, counts, prompts), here or on a Ray cluster.",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="genzi", description="GenZI: put 3D people into 3D scenes from a sentence.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, help_text in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        try:
            module = importlib.import_module(f"pipeline.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"pipeline.cli.{name}":
                raise
            p.set_defaults(_module=None)
            continue
        module.add_arguments(p)
        p.set_defaults(command_module=module)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 0
    if args.command_module is None:
        print(f"genzi {args.command}: not available in this build", file=sys.stderr)
        return 2
    from pipeline.cli.failures import report_unexpected

    try:
        return int(args.command_module.run(args) or 0)
    except (Exception, KeyboardInterrupt) as exc:  # what a sub-command did not expect: a message, not a traceback
        return report_unexpected(args.command, exc)


if __name__ == "__main__":
    sys.exit(main())
