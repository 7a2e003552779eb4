"""Body model speed: forward + backward of AnnyBody as the lifting uses it (CPU, and CUDA if any).

The lifting runs ~1600 iterations per hypothesis set, so the per-iteration cost of
``body(params)`` plus the backward pass bounds its runtime. Timed cases: batch 1 with the
shape frozen (rest model cached) and with the shape optimised, and batch 4.

    python benchmarks/body.py [--iters 30]   -> benchmarks/results/body.json
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import torch

OUT = Path(__file__).resolve().parent / "results" / "body.json"


def time_case(body, batch: int, shape_grad: bool, iters: int, device: str) -> dict:
    from pipeline.body.presets import preset_params

    p = preset_params(body, "sitting_chair", batch=batch)
    p = {k: v.to(device) for k, v in p.items()}
    for k, v in p.items():
        v.requires_grad_(k != "shape" or shape_grad)

    def step():
        out = body(p)
        loss = out.keypoints.square().sum() + 1e-3 * out.vertices.square().mean() + body.pose_prior(p)
        if shape_grad:
            loss = loss + body.shape_prior(p)
        loss.backward()
        for v in p.values():
            v.grad = None

    def sync():
        if device.startswith("cuda"):
            torch.cuda.synchronize()

    for _ in range(3):
        step()
    sync()
    t = time.perf_counter()
    for _ in range(iters):
        step()
    sync()
    fb = (time.perf_counter() - t) / iters
    with torch.no_grad():
        body(p)
        sync()
        t = time.perf_counter()
        for _ in range(iters):
            body(p)
        sync()
        fwd = (time.perf_counter() - t) / iters
    return {"batch": batch, "shape_optimised": shape_grad, "forward_backward_ms": round(fb * 1e3, 2),
            "forward_ms": round(fwd * 1e3, 2), "iters_1600_s": round(1600 * fb, 1)}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--iters", type=int, default=30)
    ap.add_argument("--out", default=str(OUT))
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    import os
    from pipeline.body.anny_body import AnnyBody

    results = {"machine": platform.processor() or platform.machine(), "torch_threads": torch.get_num_threads(),
               "torch": torch.__version__, "cpu_count": os.cpu_count(),
               "load_average_at_start": [round(x, 2) for x in os.getloadavg()], "cases": {}}  # fmt: skip
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    for device in devices:
        body = AnnyBody(device=device)
        if device == "cuda":
            results["gpu"] = torch.cuda.get_device_name(0)
        rows = [time_case(body, 1, False, args.iters, device), time_case(body, 1, True, args.iters, device),
                time_case(body, 4, True, max(5, args.iters // 3), device)]  # fmt: skip
        results["cases"][device] = rows
        for r in rows:
            print(device, r)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
