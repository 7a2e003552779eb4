"""Speed and memory of the dynamic-mask inpainting stage, against stock diffusers.

Builds the full-size Stable Diffusion 2 inpainting architecture with RANDOM weights from
its real configuration (no download: the numbers measure compute, not pictures), then
times, at 512 px, 50 DPM-Solver++ steps and guidance 7.5, for batches of 1, 4 and 16:

* ``dynamic``: our loop with the paper's dynamic mask (attention capture on the 16x16
  cross-attention layers, mask rebuilt and re-encoded after steps 0-24);
* ``fixed``: our loop with a fixed mask (no capture, no re-encoding; the round-2 path);
* ``stock``: diffusers' ``StableDiffusionInpaintPipeline`` on the same components;
* ``unet_step``: one guided UNet call for the largest batch (2 rows per image), plain and
  with the capturing processors recording: their ratio is the capture overhead itself
  (``dynamic`` vs ``stock`` also contains the method's 25 extra VAE encodes).

Usage::

    python benchmarks/inpaint_gpu.py                 # CUDA only; skips with a message otherwise
    python benchmarks/inpaint_gpu.py --compile       # torch.compile the UNet (cache in ~/.cache/genzi/inductor)
    python benchmarks/inpaint_gpu.py --tiny          # tiny random model on any device: proves the script runs

Results go to ``benchmarks/results/inpaint_gpu_<gpu name>.json`` (``inpaint_tiny_<device>.json``
with ``--tiny``). Targets: capture overhead <= 5 % over stock, a batch of 16
at 50 steps <= 4 s end to end, peak memory <= 14 GB.
"""

from __future__ import annotations

import argparse
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

# Real SD 2 inpainting configuration (stabilityai/stable-diffusion-2-inpainting), written out here.
SD2_INPAINT_UNET = dict(
    sample_size=64,
    in_channels=9,
    out_channels=4,
    center_input_sample=False,
    flip_sin_to_cos=True,
    freq_shift=0,
    down_block_types=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
    up_block_types=("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
    block_out_channels=(320, 640, 1280, 1280),
    layers_per_block=2,
    downsample_padding=1,
    mid_block_scale_factor=1,
    act_fn="silu",
    norm_num_groups=32,
    norm_eps=1e-5,
    cross_attention_dim=1024,
    attention_head_dim=(5, 10, 20, 20),
    use_linear_projection=True,
    dual_cross_attention=False,
)
SD2_VAE = dict(
    in_channels=3,
    out_channels=3,
    down_block_types=("DownEncoderBlock2D",) * 4,
    up_block_types=("UpDecoderBlock2D",) * 4,
    block_out_channels=(128, 256, 512, 512),
    layers_per_block=2,
    act_fn="silu",
    latent_channels=4,
    norm_num_groups=32,
    sample_size=512,
    scaling_factor=0.18215,
)
OPENCLIP_H_TEXT = dict(  # OpenCLIP ViT-H/14 text tower as used by SD 2 (penultimate layer: 23 layers)
    vocab_size=49408,
    hidden_size=1024,
    intermediate_size=4096,
    num_hidden_layers=23,
    num_attention_heads=16,
    max_position_embeddings=77,
    hidden_act="gelu",
    layer_norm_eps=1e-5,
    projection_dim=512,
)
TARGETS = {"capture_overhead_pct_max": 5.0, "batch16_seconds_max": 4.0, "peak_gb_max": 14.0}


def build_full_model(device, dtype, workdir: Path):
    """The SD 2 inpainting architecture with random weights, created directly on ``device``."""
    import torch
    from diffusers import AutoencoderKL, DDIMScheduler, DPMSolverMultistepScheduler, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    from pipeline.inpaint.loading import InpaintModel
    from pipeline.inpaint.testing import SD2_SCHEDULER, _write_tokenizer

    _write_tokenizer(workdir)  # a small BPE vocabulary: token ids differ, the compute (77 tokens) does not
    tokenizer = CLIPTokenizer.from_pretrained(str(workdir / "tokenizer"))
    torch.manual_seed(0)
    with torch.device(device):
        unet = UNet2DConditionModel(**SD2_INPAINT_UNET)
        vae = AutoencoderKL(**SD2_VAE)
        text_encoder = CLIPTextModel(CLIPTextConfig(**OPENCLIP_H_TEXT))
    scheduler = DPMSolverMultistepScheduler.from_config(DDIMScheduler(**SD2_SCHEDULER).config)
    model = InpaintModel(unet, vae, text_encoder, tokenizer, scheduler, torch.device(device), dtype, "random SD2-inpainting")
    for module in (unet, vae, text_encoder):
        module.to(device=device, dtype=dtype).eval().requires_grad_(False)
    return model


def build_tiny_model(device, workdir: Path):
    from pipeline.inpaint import load_inpaint_model
    from pipeline.inpaint.testing import build_tiny_components

    folder = build_tiny_components(workdir / "tiny")
    return load_inpaint_model(folder, device=device, dtype="fp32")


class Timer:
    def __init__(self, torch, device):
        self.torch, self.device = torch, device

    def sync(self):
        if self.device.type == "cuda":
            self.torch.cuda.synchronize()

    def reset_peak(self):
        if self.device.type == "cuda":
            self.torch.cuda.reset_peak_memory_stats()

    def peak_gb(self):
        if self.device.type == "cuda":
            return self.torch.cuda.max_memory_allocated() / 1e9
        return None


def requests_for(batch, size):
    import numpy as np

    from pipeline.inpaint import InpaintRequest

    rng = np.random.default_rng(0)
    return [
        InpaintRequest(f"view{i:02d}", rng.integers(0, 256, (size, size, 3), dtype=np.uint8), sample=i % 4, seed=i)
        for i in range(batch)
    ]


def fixed_mask(size):
    import numpy as np

    mask = np.zeros((size, size), bool)
    mask[size // 4 : 3 * size // 4, size // 3 : 2 * size // 3] = True
    return mask


def run_ours(model, settings, batch, size, fixed: bool, reencode: float | None = None):
    """Our loop; ``reencode`` overrides the dynamic mask's re-encode rule (-1: every step, the paper's)."""
    from dataclasses import replace

    from pipeline.inpaint import Inpainter

    reqs = requests_for(batch, size)
    if fixed:
        for r in reqs:
            r.fixed_mask = fixed_mask(size)
    if reencode is not None:
        settings = replace(settings, mask_reencode_fraction=reencode)
    return Inpainter(model).run(reqs, replace(settings, batch_size=batch))


def mask_iou(results, reference) -> dict:
    """IoU of each image's final mask and of every kept mask snapshot with the reference run's."""
    import numpy as np

    def iou(a, b):
        return float((a & b).sum() / max(1, (a | b).sum()))

    finals = [iou(r.mask, q.mask) for r, q in zip(results, reference)]
    steps = [iou(r.mask_history[k], q.mask_history[k]) for r, q in zip(results, reference) for k in q.mask_history
             if k in r.mask_history]  # fmt: skip
    return {"final_mean": round(float(np.mean(finals)), 4), "final_min": round(min(finals), 4),
            "steps_min": round(min(steps), 4) if steps else None}


def make_stock(model):
    from diffusers import StableDiffusionInpaintPipeline

    pipe = StableDiffusionInpaintPipeline(
        vae=model.vae,
        text_encoder=model.text_encoder,
        tokenizer=model.tokenizer,
        unet=model.unet,
        scheduler=model.new_scheduler(),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipe.set_progress_bar_config(disable=True)
    return pipe


def run_stock(pipe, settings, batch, size):
    import numpy as np
    import torch
    from PIL import Image

    reqs = requests_for(batch, size)
    images = [Image.fromarray(r.image) for r in reqs]
    masks = [Image.fromarray(fixed_mask(size).astype(np.uint8) * 255)] * batch
    generators = [torch.Generator("cpu").manual_seed(r.seed) for r in reqs]
    return pipe(
        prompt=[settings.prompt] * batch,
        negative_prompt=[settings.negative_prompt or "blurry"] * batch,
        image=images,
        mask_image=masks,
        height=size,
        width=size,
        num_inference_steps=settings.steps,
        guidance_scale=settings.guidance_scale,
        generator=generators,
        output_type="np",
    ).images


def time_call(timer, fn, repeats, keep: list | None = None):
    """(best seconds, peak GB); ``keep`` receives the last call's result."""
    times, peak = [], None
    for _ in range(repeats):
        timer.reset_peak()
        timer.sync()
        start = time.perf_counter()
        out = fn()
        timer.sync()
        times.append(time.perf_counter() - start)
        peak = timer.peak_gb()
    if keep is not None:
        keep.append(out)
    return min(times), peak


def unet_step_ms(model, batch, size, timer, divisor, capture_on=False, repeats=10):
    """Mean time of one guided UNet call; with ``capture_on`` the capturing processors record maps."""
    import torch

    from pipeline.inpaint.attention import AttentionCapture

    capture = AttentionCapture(model.unet, divisor // model.vae_scale_factor) if capture_on else None
    if capture is not None:
        capture.install()
        capture.enabled, capture.cond_rows = True, slice(batch, 2 * batch)
    try:
        return _unet_step_ms(model, batch, size, timer, repeats, capture)
    finally:
        if capture is not None:
            capture.remove()


def _unet_step_ms(model, batch, size, timer, repeats, capture):
    import torch

    lat = size // model.vae_scale_factor
    x = torch.randn(2 * batch, 9, lat, lat, device=model.device, dtype=model.dtype)
    ctx = torch.randn(2 * batch, 77, model.text_encoder.config.hidden_size, device=model.device, dtype=model.dtype)
    t = torch.tensor(500, device=model.device)
    with torch.inference_mode():
        for _ in range(2):
            model.unet(x, t, encoder_hidden_states=ctx)
            if capture is not None:
                capture.collect()
        timer.sync()
        start = time.perf_counter()
        for _ in range(repeats):
            model.unet(x, t, encoder_hidden_states=ctx)
            if capture is not None:
                capture.collect()
        timer.sync()
    return (time.perf_counter() - start) / repeats * 1000


def write_report(out: Path, common: dict, cases: list[dict], batches: list[int], unet_step, tiny: bool) -> None:
    """Write the results so far; ``unet_step`` is (batch, plain ms, capture ms) once measured."""

    def find(batch, mode):
        return next((c for c in cases if c["batch"] == batch and c["mode"] == mode and "seconds" in c), None)

    summary = {}
    for batch in batches:
        dyn, fixed, ref = find(batch, "dynamic"), find(batch, "fixed"), find(batch, "stock")
        if dyn and ref:
            summary[f"dynamic_vs_stock_pct_b{batch}"] = round(100 * (dyn["seconds"] / ref["seconds"] - 1), 2)
        if fixed and ref:
            summary[f"fixed_vs_stock_pct_b{batch}"] = round(100 * (fixed["seconds"] / ref["seconds"] - 1), 2)
    report = dict(common, cases=cases, complete=unet_step is not None, when=time.strftime("%Y-%m-%d %H:%M:%S"))
    capture_pct = None
    if unet_step is not None:
        big, plain_ms, capture_ms = unet_step
        capture_pct = 100 * (capture_ms / plain_ms - 1)
        summary["capture_overhead_pct_unet_step"] = round(capture_pct, 2)
        report["unet_step_ms"] = {f"batch{big}_plain": round(plain_ms, 2), f"batch{big}_capture": round(capture_ms, 2)}
    report["summary"] = summary
    if not tiny and 16 in batches:
        dyn16 = find(16, "dynamic")
        report["targets_met"] = dict(
            batch16_seconds=bool(dyn16 and dyn16["seconds"] <= TARGETS["batch16_seconds_max"]),
            peak_gb=bool(dyn16 and dyn16["peak_gb"] is not None and dyn16["peak_gb"] <= TARGETS["peak_gb_max"]),
            capture_overhead=None if capture_pct is None else capture_pct <= TARGETS["capture_overhead_pct_max"],
        )
    out.write_text(json.dumps(report, indent=2) + "\n")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tiny", action="store_true", help="tiny random model on any device (smoke test)")
    parser.add_argument("--batches", default=None, help="comma-separated batch sizes (default 1,4,16; tiny 1,2,4)")
    parser.add_argument("--steps", type=int, default=None, help="denoising steps (default 50; tiny 6)")
    parser.add_argument("--repeats", type=int, default=2, help="timed repetitions per case (best is kept)")
    parser.add_argument("--compile", action="store_true", help="torch.compile the UNet (inductor cache on disk)")
    parser.add_argument("--skip-stock", action="store_true", help="do not time the stock diffusers pipeline")
    parser.add_argument("--channels-last", action="store_true", help="UNet and VAE in channels-last memory format")
    parser.add_argument("--vae-batch", type=int, default=None, help="images per VAE call in our loop (default 4)")
    parser.add_argument("--out", default=None, help="output JSON path")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads for torch (tiny default: 1)")
    parser.add_argument("--paper-mask", action="store_true",
                        help="also time the paper's mask (re-encoded every update) and report the masks' IoU")
    args = parser.parse_args(argv)

    import torch

    if not args.tiny and not torch.cuda.is_available():
        print("inpaint_gpu: no CUDA GPU available - skipped. Run with --tiny for a CPU smoke run of this script.")
        return 0
    compile_cold = None
    if args.compile:
        from pipeline.core.user_cache import configure_compile_caches

        cache = configure_compile_caches()  # the app's own inductor cache: a warm second run
        compile_cold = not any(Path(os.environ["TORCHINDUCTOR_CACHE_DIR"]).rglob("*"))

    import diffusers

    from pipeline.inpaint.testing import TINY_IMAGE_SIZE, tiny_settings
    from pipeline.inpaint import InpaintSettings

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if args.threads or (args.tiny and device.type == "cpu"):
        torch.set_num_threads(args.threads or 1)
    timer = Timer(torch, device)
    workdir = Path(tempfile.mkdtemp(prefix="inpaint-bench-"))
    t0 = time.perf_counter()
    if args.tiny:
        model = build_tiny_model(device, workdir)
        size, batches = TINY_IMAGE_SIZE, [1, 2, 4]
        settings = tiny_settings(steps=args.steps or 6, dynamic_stop=(args.steps or 6) // 2, preview_every=5,
                                 mask_history_every=5)
    else:
        dtype = torch.float16
        model = build_full_model(device, dtype, workdir)
        size, batches = 512, [1, 4, 16]
        settings = InpaintSettings(prompt="a woman reading a book, sitting on the sofa", steps=args.steps or 50)
        assert settings.attention_divisor == 32 and settings.dynamic_stop == 25 and settings.guidance_scale == 7.5
    if args.batches:
        batches = [int(b) for b in args.batches.split(",")]
    if args.vae_batch:
        from dataclasses import replace

        settings = replace(settings, vae_batch=args.vae_batch)
    if args.channels_last:
        model.unet.to(memory_format=torch.channels_last)
        model.vae.to(memory_format=torch.channels_last)
    build_s = time.perf_counter() - t0
    print(f"model built in {build_s:.1f} s on {device} ({model.dtype})")

    compile_s = None
    if args.compile:
        t0 = time.perf_counter()
        model.unet.compile()
        run_ours(model, settings, max(batches), size, fixed=False)  # warm-up compiles (or loads the cache)
        timer.sync()
        compile_s = time.perf_counter() - t0
        print(f"compile warm-up {compile_s:.1f} s")
    else:
        run_ours(model, settings, 1, size, fixed=False)  # warm-up (kernels, allocator)

    name = torch.cuda.get_device_name(0) if device.type == "cuda" else platform.processor() or "cpu"
    slug = re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_") or "device"
    default = f"inpaint_tiny_{device.type}.json" if args.tiny else f"inpaint_gpu_{slug}{'_compiled' if args.compile else ''}{'_cl' if args.channels_last else ''}.json"
    out = Path(args.out) if args.out else ROOT / "benchmarks" / "results" / default
    out.parent.mkdir(parents=True, exist_ok=True)
    common = dict(
        gpu=name,
        device=str(device),
        tiny=args.tiny,
        dtype=str(model.dtype),
        image_size=size,
        steps=settings.steps,
        guidance=settings.guidance_scale,
        dynamic_steps=[settings.dynamic_start, settings.dynamic_stop],
        compiled=args.compile,
        channels_last=args.channels_last,
        vae_batch=settings.vae_batch,
        compile_warmup_s=compile_s,
        cold=compile_cold,  # True: the compile warm-up found no kernel cache (a fresh machine)
        build_s=round(build_s, 2),
        torch=torch.__version__,
        diffusers=diffusers.__version__,
        targets=TARGETS,
        note=("tiny random model: proves the script runs; CPU timings on a shared machine are not meaningful"
              if args.tiny else "random weights with the real SD 2 inpainting architecture; timings only"),
    )
    cases: list[dict] = []
    stock = None if args.skip_stock else make_stock(model)
    modes = ("dynamic", "dynamic_paper", "fixed", "stock") if args.paper_mask else ("dynamic", "fixed", "stock")
    for batch in batches:
        kept: dict[str, list] = {}
        for mode in modes:
            if mode == "stock" and stock is None:
                continue
            if mode == "stock":
                fn = lambda: run_stock(stock, settings, batch, size)  # noqa: E731
            elif mode == "dynamic_paper":  # every mask update re-encoded: today's masks, the reference
                fn = lambda: run_ours(model, settings, batch, size, False, reencode=-1.0)  # noqa: E731
            else:
                fn = lambda fixed=(mode == "fixed"): run_ours(model, settings, batch, size, fixed)  # noqa: E731
            try:
                kept[mode] = []
                seconds, peak = time_call(timer, fn, args.repeats, kept[mode])
            except Exception as exc:  # record failures (e.g. out of memory) instead of losing the run
                print(f"batch {batch:>2} {mode:<8} FAILED: {exc}")
                cases.append(dict(batch=batch, mode=mode, error=str(exc)[:300]))
            else:
                cases.append(dict(batch=batch, mode=mode, seconds=round(seconds, 4),
                                  images_per_s=round(batch / seconds, 3),
                                  peak_gb=None if peak is None else round(peak, 3)))
                print(f"batch {batch:>2} {mode:<8} {seconds:8.3f} s  {batch / seconds:7.3f} img/s  peak {peak} GB")
                if mode == "dynamic_paper" and kept.get("dynamic"):
                    cases[-1]["mask_iou_vs_dynamic"] = mask_iou(kept["dynamic"][0], kept[mode][0])
                    print(f"           masks of 'dynamic' vs these: {cases[-1]['mask_iou_vs_dynamic']}")
            write_report(out, common, cases, batches, None, args.tiny)  # a run cut short keeps what it measured

    big = max(batches)
    step_ms = unet_step_ms(model, big, size, timer, settings.attention_divisor)
    step_capture_ms = unet_step_ms(model, big, size, timer, settings.attention_divisor, capture_on=True)
    print(f"one guided UNet step, {big} images ({2 * big} rows): {step_ms:.1f} ms plain, "
          f"{step_capture_ms:.1f} ms with capture ({100 * (step_capture_ms / step_ms - 1):+.1f} %)")
    write_report(out, common, cases, batches, (big, step_ms, step_capture_ms), args.tiny)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
