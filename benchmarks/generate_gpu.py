"""End-to-end generation time per target, per stage, for the ``paper`` and ``fast`` presets.

Runs the whole method on the sample living room (sofa target) with the full-size SD 2
inpainting architecture and random weights (real diffusion compute, no download). Random
weights paint no person, so after painting each image with the diffusion model the
benchmark hands the keypoint stage the render of a known seated body instead: every stage
(views, SDF, diffusion, keypoints, fits, ranking, round 2) does its real work, and the
recovered body is compared with the known one (MPJPE) as a sanity check.

Targets on one H100: ``paper`` <= 60 s per target, ``fast`` <= 10 s.

    python benchmarks/generate_gpu.py                 # CUDA, both presets
    python benchmarks/generate_gpu.py --tiny          # tiny random model, any device (smoke test)

Results: ``benchmarks/results/generate_gpu_<gpu>.json`` (``generate_gpu_tiny_<device>.json``
with ``--tiny``).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SCENE = ROOT / "resources" / "scenes" / "living_room.glb"
SOFA_SEAT = [0.0, -2.3, 0.567]
TARGETS_S = {"paper": 60.0, "fast": 10.0}


def _inpaint_bench():
    """The inpainting benchmark's model builders (one definition of the SD 2 architecture)."""
    spec = importlib.util.spec_from_file_location("inpaint_gpu", ROOT / "benchmarks" / "inpaint_gpu.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _shrunk(item, size: int):
    """The item with its view (and fixed mask) resized to ``size`` px, for the tiny model."""
    import dataclasses

    import numpy as np
    from PIL import Image

    image = np.asarray(Image.fromarray(item.view_image).resize((size, size), Image.BILINEAR))
    mask = None
    if item.fixed_mask is not None:
        mask = np.asarray(Image.fromarray(item.fixed_mask.astype(np.uint8) * 255).resize((size, size))) > 127
    return dataclasses.replace(item, view_image=image, fixed_mask=mask)


def make_imagination(model, known_posture: str = "sitting_chair", paint_size: int | None = None):
    """Diffusion painting (timed, real compute) whose output is replaced by a known body's render.

    ``paint_size``: paint at this size instead of the view's (the tiny model's attention runs
    at full latent resolution, far too slow at the sizes keypoint detection needs).
    """
    from pipeline.generation import stages
    from pipeline.generation.imagination import DiffusionImagination, RenderedBodyImagination

    class PaintThenKnownBody(DiffusionImagination):
        kind = "diffusion"

        def prepare(self, context, emit):
            super().prepare(context, emit)
            self.known = RenderedBodyImagination(posture=known_posture, at=SOFA_SEAT, facing_yaw_deg=180.0)
            self.known.prepare(context, emit)

        def paint(self, items, emit, cancel):
            items = list(items)
            to_paint = [_shrunk(i, paint_size) for i in items] if paint_size else items
            painted = [(item, result) for item, (_, result) in zip(items, super().paint(to_paint, emit, cancel))]
            renderer = self.context.renderer_getter()
            for item, result in painted:
                image, _ = stages.render_body_in_scene(renderer, item.camera, self.known._vertices, self.known._faces)
                result.image = image
                yield item, result

    return PaintThenKnownBody(components=model)


def run_preset(preset: str, model, args, workdir: Path, cold: bool = False) -> dict:
    import numpy as np
    import torch

    from pipeline.core.events import StageFinished
    from pipeline.generation import GenerationRequest, RenderedBodyImagination, run_generation, stages

    overrides = {"ranking": "fit"}
    if args.tiny:
        overrides.update({"image_size": 256, "steps": 4, "num_views": 4, "fit_iterations": 40, "sdf_cell": 0.05,
                          "inpaint_overrides": {"attention_divisor": 4}})
    if args.fit_iterations:
        overrides["fit_iterations"] = args.fit_iterations
    request = GenerationRequest(scene=SCENE, target=SOFA_SEAT, prompt="a man sitting on the sofa", preset=preset,
                                overrides=overrides, device=args.device, dtype=args.dtype)
    events = []

    def on_event(event) -> None:  # stage times as they happen: a run cut short still leaves them in the log
        events.append(event)
        if isinstance(event, StageFinished):
            round_tag = f" round {event.round}" if event.round else ""
            print(f"[{preset}] {event.stage}{round_tag}: {event.seconds:.2f} s", file=sys.stderr, flush=True)

    cuda = args.device.startswith("cuda")
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    imagination = make_imagination(model, paint_size=64 if args.tiny else None)
    result = run_generation(request, workdir / f"{preset}_{'cold' if cold else 'warm'}", on_event, imagination=imagination)
    total = time.perf_counter() - t0
    peak_gb = round(torch.cuda.max_memory_allocated() / 1e9, 3) if cuda else None
    stage_s = {}
    for e in events:
        if isinstance(e, StageFinished):
            key = f"{e.stage}" + (f"_r{e.round}" if e.round else "")
            stage_s[key] = round(e.seconds, 3)
    from pipeline.body.spec import BodySpec, load_body

    body = load_body(BodySpec())
    truth = stages.body_keypoints(body, RenderedBodyImagination(posture="sitting_chair", at=SOFA_SEAT,
                                                                facing_yaw_deg=180.0).known_params(body))
    best = result.best
    fitted = np.array([best.keypoints3d[n] for n in body.keypoint_names])
    from pipeline.generation.settings import flatten

    settings = request.settings()
    sdf_note = next((e.detail for e in events if isinstance(e, StageFinished) and e.stage == "sdf"), "")
    return {
        "preset": preset,
        "cold": bool(cold),  # first run of the process on an empty cache: model load, kernel builds, SDF build
        "sdf": sdf_note,
        "peak_gb": peak_gb,
        "memory_cap_gb": args.memory_cap_gb,
        "settings": {k.rsplit(".", 1)[-1]: v for k, v in flatten(settings.to_dict()).items()
                     if k.rsplit(".", 1)[-1] in ("num_views", "image_size", "rounds", "inpaints_round1", "inpaints_round2", "steps", "fit_iterations")},
        "total_s": round(total, 2),
        "stage_s": stage_s,
        "bodies": len(result.bodies),
        "best_mpjpe_mm": round(float(1000 * np.linalg.norm(fitted - truth, axis=1).mean()), 1),
        "target_s": TARGETS_S[preset],
        "meets_target": bool(total <= TARGETS_S[preset]) if not args.tiny else None,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tiny", action="store_true", help="tiny random model (smoke test on any device)")
    parser.add_argument("--presets", default="fast,paper")
    parser.add_argument("--device", default=None, help="default: cuda if available (required unless --tiny)")
    parser.add_argument("--dtype", default=None, help="default: fp16 on CUDA, fp32 otherwise")
    parser.add_argument("--fit-iterations", type=int, default=None, help="override the presets' fit iterations")
    parser.add_argument("--out", default=None)
    parser.add_argument("--cold-and-warm", action="store_true",
                        help="run each preset twice: first cold (fresh cache, first in the process), then warm")
    parser.add_argument("--memory-cap-gb", type=float, default=None,
                        help="cap this process's GPU memory (set_per_process_memory_fraction), e.g. 8 for an 8 GB card")
    args = parser.parse_args(argv)

    import torch

    if args.device is None:
        args.device = "cuda" if torch.cuda.is_available() else "cpu"
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print("CUDA is not available; run with --tiny for a CPU smoke test.", file=sys.stderr)
        return 2
    if not args.tiny and not args.device.startswith("cuda"):
        print("The full-size benchmark needs a CUDA GPU; use --tiny on the CPU.", file=sys.stderr)
        return 2
    if args.dtype is None:
        args.dtype = "fp16" if args.device.startswith("cuda") else "fp32"
    if args.memory_cap_gb and args.device.startswith("cuda"):
        total_gb = torch.cuda.get_device_properties(0).total_memory / 1e9
        torch.cuda.set_per_process_memory_fraction(min(1.0, args.memory_cap_gb / total_gb))
    from pipeline.core.user_cache import cache_root, configure_compile_caches

    configure_compile_caches()
    fresh_cache = not (cache_root() / "sdf").exists() or not any((cache_root() / "sdf").iterdir())
    bench = _inpaint_bench()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        t0 = time.perf_counter()
        if args.tiny:
            model = bench.build_tiny_model(args.device, workdir)
        else:
            model = bench.build_full_model(args.device, getattr(torch, {"fp16": "float16", "bf16": "bfloat16",
                                                                         "fp32": "float32"}[args.dtype]), workdir)
        model_s = time.perf_counter() - t0
        runs = []
        for k, preset in enumerate(p.strip() for p in args.presets.split(",") if p.strip()):
            first = k == 0 and fresh_cache
            runs.append(run_preset(preset, model, args, workdir, cold=first))
            if args.cold_and_warm and first:
                runs.append(run_preset(preset, model, args, workdir, cold=False))
    gpu = torch.cuda.get_device_name(0) if args.device.startswith("cuda") else platform.processor() or "cpu"
    results = {
        "benchmark": "generate_gpu",
        "tiny": bool(args.tiny),
        "device": args.device,
        "gpu": gpu,
        "dtype": args.dtype,
        "torch": torch.__version__,
        "cpu_count": os.cpu_count(),
        "load_average": list(os.getloadavg()),
        "model_build_s": round(model_s, 2),
        "runs": runs,
        "note": "random weights: diffusion compute is real, hypotheses are a known body's render (see module doc)",
    }
    if args.out:
        out = Path(args.out)
    else:
        slug = "tiny_" + args.device.split(":")[0] if args.tiny else re.sub(r"[^a-z0-9]+", "_", gpu.lower()).strip("_")
        out = ROOT / "benchmarks" / "results" / f"generate_gpu_{slug}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1) + "\n")
    print(json.dumps(results, indent=1))
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
