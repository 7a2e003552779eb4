"""``genzi generate``: the whole method from the command line, with a text progress bar."""

from __future__ import annotations

import argparse
import sys
import time
from typing import TextIO

from pipeline.cli.appearance_args import add_appearance_arguments, record_appearance_choices
from pipeline.core.overrides import parse_overrides

__all__ = ["add_arguments", "parse_overrides", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scene", required=True, help="scene file (GLB/glTF, OBJ, PLY, STL, FBX, IFC, 3dm, Collada .dae, USD/USDZ)")
    parser.add_argument("--at", nargs=3, type=float, required=True, metavar=("X", "Y", "Z"),
                        help="target point in world metres (Z up), e.g. on a seat")
    parser.add_argument("--prompt", required=True, help="what the person does, e.g. 'a man sitting on the sofa'")
    parser.add_argument("--out", required=True, help="run folder to write (or resume)")
    parser.add_argument("--model", default=None, help="inpainting model: hub id, diffusers folder or .safetensors file")
    parser.add_argument("--preset", default=None,
                        help="settings to start from: fast (the default: 8 views, 1 round) or paper "
                             "(the authors' 16 views, 2 rounds)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="auto", help="auto, cuda, cpu or mps")
    parser.add_argument("--dtype", default="auto", help="auto, fp16, bf16 or fp32")
    parser.add_argument("--negative-prompt", default=None)
    parser.add_argument("--normal", nargs=3, type=float, default=None, metavar=("NX", "NY", "NZ"))
    parser.add_argument("--body-model", default="anny", choices=["anny", "smplx"], help="body model to fit (default anny)")
    parser.add_argument("--body-model-path", default=None,
                        help="SMPL-X: your SMPLX_NEUTRAL.npz or its folder (.pkl needs --allow-pickle)")
    parser.add_argument("--allow-pickle", action="store_true",
                        help="open a .pkl SMPL-X model (a pickle can run code: only your own download)")
    parser.add_argument("--images", default=None,
                        help="use your own painted images for the views instead of diffusion "
                             "(folder of view_XX.png or set_K/view_XX.png, see 'genzi views --export')")
    parser.add_argument("--views", default=None,
                        help="with --images: the folder (or views.json) 'genzi views --export' wrote for those images")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE",
                        help="override one setting by its path in the settings tree, e.g. --set views.num_views=12 "
                             "--set inpaint.steps=30 (repeatable; a unique last part such as steps=30 works too)")
    parser.add_argument("--resume", action="store_true", help="continue a stopped run in --out, skipping finished stages")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    add_appearance_arguments(parser)


class ProgressPrinter:
    """Turns pipeline events into one updating text line per stage plus warnings."""

    def __init__(self, stream: TextIO | None = None, quiet: bool = False, width: int = 30) -> None:
        self.stream = stream if stream is not None else sys.stderr  # looked up now: it may be redirected
        self.quiet = quiet
        self.width = width
        self.tty = self.stream.isatty()
        self._open_line = False
        self._last = 0.0

    def _line(self, text: str, final: bool = False) -> None:
        if self.quiet:
            return
        if self.tty:
            self.stream.write("\r\033[K" + text + ("\n" if final else ""))
            self._open_line = not final
        elif final:
            self.stream.write(text + "\n")
        self.stream.flush()

    def _break(self) -> None:
        if self._open_line:
            self.stream.write("\n")
            self._open_line = False

    def __call__(self, event) -> None:
        from pipeline.core import events as ev
        name = type(event).__name__
        if isinstance(event, ev.StageStarted):
            self._break()
            self._line(f"{self._label(event.stage, event.round)} ...", final=not self.tty)
        elif isinstance(event, ev.StageSkipped):
            self._break()
            self._line(f"{self._label(event.stage, event.round)}: already done, skipped", final=True)
        elif isinstance(event, ev.StageFinished):
            self._line(f"{self._label(event.stage, event.round)}: {event.detail} ({event.seconds:.1f} s)", final=True)
        elif isinstance(event, ev.Progress):
            now = time.monotonic()
            if event.step < event.total and now - self._last < 0.1:
                return
            self._last = now
            frac = event.step / max(1, event.total)
            filled = int(round(frac * self.width))
            bar = "#" * filled + "-" * (self.width - filled)
            if self.tty:
                self._line(f"{event.stage:>10} [{bar}] {event.step}/{event.total} {event.detail}")
        elif name == "Warning":
            self._break()
            if not self.quiet:
                self.stream.write(f"warning: {event.message}\n")
        elif name == "Error":
            self._break()

    @staticmethod
    def _label(stage: str, round_index: int) -> str:
        return f"{stage} (round {round_index})" if round_index else stage


def run(args: argparse.Namespace) -> int:
    from pipeline.body.smplx_body import PickleNotAllowedError, pickle_consent
    from pipeline.core.events import Cancelled, CancelToken
    from pipeline.generation import (
        GenerationError,
        GenerationRequest,
        NothingUsableError,
        UserImagesImagination,
        run_generation,
    )
    from pipeline.generation.config import DEFAULT_MODEL
    from pipeline.generation.settings import DEFAULT_PRESET

    try:
        request = GenerationRequest(
            scene=args.scene,
            target=args.at,
            prompt=args.prompt,
            normal=args.normal,
            negative_prompt=args.negative_prompt,
            seed=args.seed,
            preset=args.preset or DEFAULT_PRESET,
            overrides=parse_overrides(args.overrides),
            model=args.model or DEFAULT_MODEL,
            device=args.device,
            dtype=args.dtype,
            body_model=args.body_model,
            body_model_path=args.body_model_path,
        )
        request.settings()  # validate overrides before anything heavy
        trusted = pickle_consent(args.body_model_path, args.allow_pickle) if args.body_model == "smplx" else frozenset()
        imagination = UserImagesImagination(args.images, args.views) if args.images else None
    except (ValueError, FileNotFoundError, PickleNotAllowedError) as exc:
        print(f"genzi generate: {exc}", file=sys.stderr)
        return 2

    printer = ProgressPrinter(quiet=args.quiet)
    cancel = CancelToken()
    try:
        result = run_generation(request, args.out, printer, cancel, imagination=imagination, resume=args.resume,
                                trusted_pickles=trusted)
    except KeyboardInterrupt:
        print(f"\nstopped; resume with the same command plus --resume (folder {args.out})", file=sys.stderr)
        return 130
    except Cancelled:
        print(f"\nstopped; resume with --resume (folder {args.out})", file=sys.stderr)
        return 130
    except NothingUsableError as exc:
        print(f"genzi generate: no body: {exc}", file=sys.stderr)
        return 3
    except GenerationError as exc:
        print(f"genzi generate: {exc}", file=sys.stderr)
        return 2
    record_appearance_choices(args, args.out)
    print(f"{len(result.bodies)} bodies, ranked by {result.ranking_method}; report: {result.report_path}")
    for body in result.bodies:
        print(f"  #{body.rank} {body.set_name} score {body.score:.4f} -> {body.mesh_path}")
    return 0
