"""Clothes on the lifting benchmark's bodies: skin seen through cloth and cloth distance.

For every case of benchmarks/lifting_cases.py (its posture and body shape) and every suit
(with shoes and hair), fit the outfit and measure, from 8 directions, the share of the
person's pixels where skin pokes through cloth (target under 1 %), plus the garment
vertices' mean distance from the body and the share inside it. Writes
benchmarks/results/garment_fit.json.

    python benchmarks/garment_fit.py
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.lifting_cases import CASES, gt_params  # noqa: E402
from pipeline.body import load_body_model  # noqa: E402
from pipeline.body.garments import Outfit, fit_outfit, names_of  # noqa: E402
from pipeline.body.garments.metrics import garment_body_distance, skin_through_share  # noqa: E402


def main() -> None:
    body = load_body_model("anny")
    hm08 = body.hm08_vertex_indices()
    rows = []
    start = time.time()
    for case in CASES:
        skin = body.skinned_mesh(gt_params(body, case))
        for k, suit in enumerate(names_of("suit")):
            outfit = Outfit(suit, names_of("shoes")[k % 3], names_of("hair")[k % 3])
            t = time.time()
            dressed = fit_outfit(skin, hm08, outfit)
            fit_s = time.time() - t
            share = skin_through_share(dressed)
            dist, inside = garment_body_distance(dressed)
            rows.append({"case": case.name, "posture": case.posture, "suit": suit, "fit_s": round(fit_s, 3),
                         "skin_through_pct": round(100 * share, 3), "mean_distance_mm": round(1000 * dist, 2),
                         "inside_pct": round(100 * inside, 3)})
            print(rows[-1], flush=True)
    through = np.array([r["skin_through_pct"] for r in rows])
    summary = {
        "cases": len(CASES), "outfits": len(names_of("suit")), "directions": 8,
        "skin_through_pct": {"mean": float(through.mean()), "median": float(np.median(through)),
                             "max": float(through.max()), "target_max": 1.0},
        "mean_distance_mm": float(np.mean([r["mean_distance_mm"] for r in rows])),
        "inside_pct_mean": float(np.mean([r["inside_pct"] for r in rows])),
        "fit_s_median": float(np.median([r["fit_s"] for r in rows])),
        "seconds": round(time.time() - start, 1),
    }
    out = ROOT / "benchmarks" / "results" / "garment_fit.json"
    out.write_text(json.dumps({"summary": summary, "rows": rows}, indent=1))
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
