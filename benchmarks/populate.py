"""People per minute when populating the sample room: this machine vs Ray with 2 workers.

8 people (3 on the sofa, 1 on the stool, 4 standing in the room) with the tiny random
diffusion model on the CPU: every stage does its real work (views, SDF with the earlier
people folded in, painting with dynamic masks, keypoints); the random model paints nobody,
so each person ends with the "no person" explanation after its keypoints. The local backend
runs the people one after another; Ray runs them on 2 worker processes of a local instance.

    nice python benchmarks/populate.py                       # CPU: local vs Ray, 2 workers
    python benchmarks/populate.py --gpu --model SD2_FOLDER   # one GPU: people per hour, fast, paper and
                                                             # fast with 4 people painting together

For ``--gpu`` give real SD-2-inpainting weights (a local folder): random weights paint nobody,
so every person would stop after its keypoints and the figure would leave out the fits.

Results: ``benchmarks/results/populate_cpu.json`` (``populate_gpu.json`` with ``--gpu``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SCENE = ROOT / "resources" / "scenes" / "living_room.glb"
TINY = {"num_views": 4, "image_size": 64, "steps": 4, "inpaints_round1": 1, "rounds": 1, "sdf_cell": 0.06,
        "inpaint_overrides": {"attention_divisor": 4}, "ranking": "fit"}


def eight_people(model: str | None, overrides: dict, preset: str = "fast", painter: str = "diffusion"):
    from pipeline.populate.plan import Placement, PopulatePlan

    return PopulatePlan(
        name="sample room, 8 people", preset=preset, model=model, painter=painter, overrides=dict(overrides),
        placements=[
            Placement("sofa", "seats", ["a man sitting on the sofa", "a woman sitting on the sofa, reading"], 3, 1,
                      polygon=[[-1.2, -2.75], [1.2, -2.75], [1.2, -1.9], [-1.2, -1.9]]),
            Placement("stool", "seats", ["a child sitting on the stool"], 1, 2,
                      polygon=[[1.4, 1.25], [2.15, 1.25], [2.15, 2.0], [1.4, 2.0]]),
            Placement("room", "region", ["a woman standing", "a man standing, talking"], 4, 3,
                      polygon=[[-2.2, -1.3], [1.6, -1.3], [1.6, 0.9], [-2.2, 0.9]]),
        ],
    )


def timed(plan, out: Path, backend, device: str) -> dict:
    from pipeline.populate.runner import populate

    t0 = time.perf_counter()
    result = populate(plan, SCENE, out, backend=backend, device=device, export=False)
    seconds = time.perf_counter() - t0
    statuses = [o.get("status") for o in result.outcomes.values()]
    return {"people": len(result.people), "seconds": round(seconds, 1),
            "people_per_minute": round(60.0 * len(result.people) / seconds, 2),
            "statuses": {s: statuses.count(s) for s in sorted(set(statuses))}}


def cpu(args) -> dict:
    import ray

    from pipeline.inpaint.testing import build_tiny_components
    from pipeline.populate.ray_backend import RayBackend

    with tempfile.TemporaryDirectory() as tmp:
        model = str(build_tiny_components(Path(tmp) / "tiny-sd"))
        plan = eight_people(model, TINY)
        from pipeline.populate.local_backend import LocalBackend

        local = timed(plan, Path(tmp) / "local", LocalBackend(together=1), "cpu")
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        t0 = time.perf_counter()
        remote = timed(plan, Path(tmp) / "ray", RayBackend(workers=2), "cpu")
        ray.shutdown()
        remote["including_ray_start_s"] = round(time.perf_counter() - t0, 1)
    return {"benchmark": "populate_cpu", "plan": "8 people: 3 sofa, 1 stool, 4 standing",
            "painter": "tiny random diffusion model (paints nobody: every stage up to keypoints runs)",
            "settings": TINY, "local": local, "ray_2_workers": remote,
            "speed_up": round(remote["people_per_minute"] / local["people_per_minute"], 2)}


def gpu(args) -> dict:
    """One card, the local backend: people per hour with ``fast`` and ``paper``."""
    if not args.model:
        raise SystemExit("--gpu needs --model: an SD-2-inpainting folder (real or random weights of the full size)")
    out = {"benchmark": "populate_gpu", "model": args.model, "plan": "8 people: 3 sofa, 1 stool, 4 standing",
           "note": "people per hour counts every person (statuses say how many got a body)"}
    import torch

    out["gpu"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
    with tempfile.TemporaryDirectory() as tmp:
        for preset in ("fast", "paper"):
            run = timed(eight_people(args.model, {"ranking": "fit"}, preset), Path(tmp) / preset, None, "cuda")
            run["people_per_hour"] = round(60 * run["people_per_minute"], 1)
            out[preset] = run
        from pipeline.populate.local_backend import LocalBackend

        # the same fast plan with 4 people at a time painting in shared UNet calls
        shared = timed(eight_people(args.model, {"ranking": "fit"}, "fast"), Path(tmp) / "fast_together",
                       LocalBackend(together=4, device="cuda"), "cuda")
        shared["people_per_hour"] = round(60 * shared["people_per_minute"], 1)
        out["fast_together_4"] = shared
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gpu", action="store_true", help="one GPU, fast and paper presets (needs --model)")
    parser.add_argument("--model", default=None)
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    result = gpu(args) if args.gpu else cpu(args)
    import torch

    result["machine"] = {"cpu": platform.processor() or platform.machine(), "cpu_count": os.cpu_count(),
                         "torch_threads": torch.get_num_threads(), "load_average_at_end": list(os.getloadavg())}
    name = "populate_gpu.json" if args.gpu else "populate_cpu.json"
    path = Path(args.out or ROOT / "benchmarks" / "results" / name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
