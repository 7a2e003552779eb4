"""CPU end-to-end time of one target with the ``fast`` preset and the rendered-known-body double.

No diffusion (it is impractical on a CPU); everything else is real: view selection, renders,
SDF grid, keypoints (mediapipe), fits, ranking, report. The known body sits on the sample
room's sofa; the result's MPJPE against it is recorded as a sanity check.

    python benchmarks/generate_cpu.py [--preset fast] [--set fit_iterations=300]

Results: ``benchmarks/results/generate_cpu.json``.
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
SOFA_SEAT = [0.0, -2.3, 0.567]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", default="fast")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "generate_cpu.json"))
    args = parser.parse_args(argv)

    import numpy as np
    import torch

    from pipeline.cli.generate import parse_overrides
    from pipeline.core.events import StageFinished
    from pipeline.generation import GenerationRequest, RenderedBodyImagination, run_generation, stages

    overrides = {"ranking": "fit", **parse_overrides(args.overrides)}
    request = GenerationRequest(scene=SCENE, target=SOFA_SEAT, prompt="a man sitting on the sofa", preset=args.preset,
                                overrides=overrides, device="cpu")
    known = RenderedBodyImagination(posture="sitting_chair", at=SOFA_SEAT, facing_yaw_deg=180.0)
    t_body = time.perf_counter()
    from pipeline.body.spec import BodySpec, load_body

    body = load_body(BodySpec())
    body_s = time.perf_counter() - t_body
    events = []
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        result = run_generation(request, Path(tmp) / "run", events.append, imagination=known)
        total = time.perf_counter() - t0
    stage_s = {(e.stage + (f"_r{e.round}" if e.round else "")): round(e.seconds, 2)
               for e in events if isinstance(e, StageFinished)}
    truth = stages.body_keypoints(body, known.known_params(body))
    fitted = np.array([result.best.keypoints3d[n] for n in body.keypoint_names])
    from pipeline.generation.settings import flatten

    settings = request.settings()
    out = {
        "benchmark": "generate_cpu",
        "preset": args.preset,
        "imagination": "rendered known body (no diffusion)",
        "settings": {k.rsplit(".", 1)[-1]: v for k, v in flatten(settings.to_dict()).items()
                     if k.rsplit(".", 1)[-1] in ("num_views", "image_size", "rounds", "inpaints_round1", "inpaints_round2", "fit_iterations")},
        "total_s": round(total, 1),
        "stage_s": stage_s,
        "body_model_load_s": round(body_s, 1),
        "bodies": len(result.bodies),
        "best_mpjpe_mm": round(float(1000 * np.linalg.norm(fitted - truth, axis=1).mean()), 1),
        "machine": {"cpu": platform.processor() or platform.machine(), "cpu_count": os.cpu_count(),
                    "torch_threads": torch.get_num_threads(), "load_average_at_end": list(os.getloadavg())},
        "note": "shared 2-core machine; other jobs were running (see load average), so times are pessimistic",
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=1) + "\n")
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
