"""Cold against warm: what the caches of a second run (or a second person) save.

    python benchmarks/warm_caches.py [--out benchmarks/results/warm_caches_cpu.json]

* scene distance grid of the sample room around the sofa, the run's default box (1.6 m half
  extent, 3 cm cells): built into an empty user cache (cold), then read back (warm, what the
  next run, a re-fit or a second person at the spot pays);
* the inpainting model (the tiny random one on the CPU; the loader's path is the same for
  SD 2): first load in the process (cold), then the kept one (warm);
* the body model: first instance in the process (reading Anny's disk cache), then a second.

Each is timed in this one process; the cache folder is a fresh temporary one.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, round(time.perf_counter() - t0, 3)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "warm_caches_cpu.json"))
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="genzi-warm-"))
    os.environ["GENZI_CACHE_DIR"] = str(tmp / "cache")
    import torch

    torch.set_num_threads(1)
    from pipeline.body import load_body_model
    from pipeline.inpaint.testing import build_tiny_components
    from pipeline.inpaint.warm import warm_inpaint_model
    from pipeline.scene.scene import load_scene
    from pipeline.scene.sdf_cache import cached_sdf_grid

    runs = []
    scene = load_scene(ROOT / "resources" / "scenes" / "living_room.glb")
    target = (0.0, -2.3, 0.567)
    for cold in (True, False):
        (grid, hit), s = _timed(lambda: cached_sdf_grid(scene, target, 1.6, 0.03))
        runs.append({"what": "scene distance grid", "cold": cold, "seconds": s, "from_cache": hit,
                     "shape": list(grid.values.shape)})  # fmt: skip
        print(runs[-1], flush=True)
    folder = build_tiny_components(tmp / "tiny")
    for cold in (True, False):
        (_, warm), s = _timed(lambda: warm_inpaint_model(folder, device="cpu", dtype="fp32"))
        runs.append({"what": "inpainting model (tiny, CPU)", "cold": cold, "seconds": s, "kept": warm})
        print(runs[-1], flush=True)
    for cold in (True, False):
        _, s = _timed(lambda: load_body_model("anny"))
        runs.append({"what": "body model (Anny)", "cold": cold, "seconds": s})
        print(runs[-1], flush=True)
    doc = {"benchmark": "warm_caches", "device": "cpu", "cpus": os.cpu_count(), "load_avg": os.getloadavg(),
           "note": "shared 2-core machine; cold = first in a fresh cache / process", "runs": runs,
           "when": time.strftime("%Y-%m-%d %H:%M:%S")}  # fmt: skip
    Path(args.out).write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
