"""Lifting benchmark: fit Anny to rendered hypotheses of known bodies in the sample room.

    python benchmarks/lifting.py [--cases sofa_middle,stool] [--iterations 1600]
    python benchmarks/lifting.py --sets 8 --compare-sequential [--iterations 600] [--repeat 2]

The second form times one batched fit of N sets against fits of one set (``lifting_batch.py``)
and prints as its last line ``ratio R, max per-set MPJPE difference D mm``.

For every case (see ``lifting_cases.py``): views selected as ``genzi views`` does, the true
body rendered into them, keypoints detected and the body fitted through the same code path
as ``genzi fit`` (``pipeline.generation.fit_sets``). Conditions:

* ``clean``: set_0, default settings;
* ``outliers``: set_1 (30 % of the views show a differently posed person), default settings;
* ``outliers_no_conf``: set_1 with uniform view weights (no learned confidences);
* ``outliers_rho_tight``: set_1 with a Geman-McClure scale of 20 px instead of ~100 px;
* ``clean_rho_tight``: set_0 with 20 px;
* ``outliers_floor_half`` / ``clean_floor_half``: the hinge floor max(3, half the views);
* ``outliers_paper_lr`` / ``clean_paper_lr``: the paper's constant learning rates (no final
  anneal, view confidences at 0.01).

Results are appended to the JSON file after every fit, so a partial run still records
everything it finished. Timings depend on the machine's load, which is written alongside.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))  # this checkout's pipeline, not an installed one

from lifting_cases import (  # noqa: E402
    CASES, SCENE, add_start_arguments, case_by_name, gt_keypoints, prepare_case, starts_from_arguments)

from pipeline.lifting.schedule import DEFAULT_LEARNING_RATES, PAPER_VIEW_LEARNING_RATES  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "lifting.json"
TIGHT_RHO = 20.0 / 512.0
#: The paper's learning rates: constant within segments, view confidences at 0.01.
PAPER_RATES = {**DEFAULT_LEARNING_RATES, "view": PAPER_VIEW_LEARNING_RATES}

CONDITIONS = {
    "clean": ("set_0", {}),
    "outliers": ("set_1", {}),
    "outliers_no_conf": ("set_1", {"use_view_confidences": False}),
    "outliers_rho_tight": ("set_1", {"rho": TIGHT_RHO}),
    "clean_rho_tight": ("set_0", {"rho": TIGHT_RHO}),
    "outliers_floor_half": ("set_1", {"view_floor_fraction": 0.5}),
    "clean_floor_half": ("set_0", {"view_floor_fraction": 0.5}),
    "outliers_paper_lr": ("set_1", {"final_lr_scale": 1.0, "learning_rates": PAPER_RATES}),
    "clean_paper_lr": ("set_0", {"final_lr_scale": 1.0, "learning_rates": PAPER_RATES}),
}


def _median(xs):
    xs = [x for x in xs if x is not None and np.isfinite(x)]
    return float(statistics.median(xs)) if xs else None


def summarise(records: list[dict]) -> dict:
    out = {}
    for cond in CONDITIONS:
        rs = [r for r in records if r["condition"] == cond and "error" not in r]
        if not rs:
            continue
        s = {
            "fits": len(rs),
            "median_mpjpe_mm": _median([r["mpjpe_mm"] for r in rs]),
            "mean_mpjpe_mm": float(np.mean([r["mpjpe_mm"] for r in rs])),
            "median_pa_mpjpe_mm": _median([r["pa_mpjpe_mm"] for r in rs]),
            "median_mpjpe_coco_regressor_mm": _median([r.get("mpjpe_coco_regressor_mm") for r in rs]),
            "min_non_collision": float(min(r["non_collision"] for r in rs)),
            "median_non_collision": _median([r["non_collision"] for r in rs]),
            "contact_rate": float(np.mean([r["contact"] for r in rs])),
            "median_seconds": _median([r["seconds"] for r in rs]),
        }
        if cond.startswith("outliers"):
            s["outliers_all_lowest_rate"] = float(np.mean([r["outliers_all_lowest"] for r in rs]))
        out[cond] = s
    return out


def write_markdown(doc: dict, path: Path) -> None:
    """A short human-readable table of the summary and the per-case MPJPE."""
    lines = ["# Lifting benchmark", "", f"Iterations per fit: {doc['iterations']}; started {doc['started']}"
             f"{', finished ' + doc['finished'] if doc.get('finished') else ' (partial run)'}.", "",
             "| condition | fits | median MPJPE mm | mean MPJPE mm | median PA-MPJPE mm | median MPJPE mm, COCO regressor | min non-collision | contact rate | outliers lowest | median s |",
             "|---|---|---|---|---|---|---|---|---|---|"]  # fmt: skip

    def f(x, nd=1):
        return "-" if x is None else f"{x:.{nd}f}"

    for cond, s in doc.get("summary", {}).items():
        lines.append(f"| {cond} | {s['fits']} | {f(s['median_mpjpe_mm'])} | {f(s['mean_mpjpe_mm'])} | "
                     f"{f(s['median_pa_mpjpe_mm'])} | {f(s.get('median_mpjpe_coco_regressor_mm'))} | {f(s['min_non_collision'], 3)} | {f(s['contact_rate'], 2)} | "
                     f"{f(s.get('outliers_all_lowest_rate'), 2)} | {f(s['median_seconds'])} |")  # fmt: skip
    lines += ["", "Ablations on matched cases (median MPJPE mm over the cases both conditions ran):", "",
              "| condition | base | cases | median condition | median base | outliers lowest (cond / base) |",
              "|---|---|---|---|---|---|"]  # fmt: skip
    by = {(r["case"], r["condition"]): r for r in doc["records"] if "error" not in r}
    for cond in CONDITIONS:
        base = "clean" if cond.startswith("clean") else "outliers"
        if cond == base:
            continue
        cs = [c for (c, k) in by if k == cond and (c, base) in by]
        if not cs:
            continue
        low_c = sum(by[(c, cond)].get("outliers_all_lowest", True) for c in cs)
        low_b = sum(by[(c, base)].get("outliers_all_lowest", True) for c in cs)
        lines.append(f"| {cond} | {base} | {len(cs)} | {f(_median([by[(c, cond)]['mpjpe_mm'] for c in cs]))} | "
                     f"{f(_median([by[(c, base)]['mpjpe_mm'] for c in cs]))} | {low_c}/{len(cs)} vs {low_b}/{len(cs)} |")
    conds = list(doc.get("summary", {}))
    lines += ["", "MPJPE (mm, world, no alignment) per case:", "", "| case | " + " | ".join(conds) + " |",
              "|---" * (len(conds) + 1) + "|"]  # fmt: skip
    cases = []
    for r in doc["records"]:
        if r["case"] not in cases:
            cases.append(r["case"])
    for c in cases:
        row = []
        for cond in conds:
            r = next((r for r in doc["records"] if r["case"] == c and r["condition"] == cond), None)
            row.append("-" if r is None else r.get("error", f(r.get("mpjpe_mm"))))
        lines.append(f"| {c} | " + " | ".join(row) + " |")
    path.write_text("\n".join(lines) + "\n")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", default=",".join(c.name for c in CASES))
    ap.add_argument("--conditions", default=",".join(CONDITIONS))
    ap.add_argument("--iterations", type=int, default=1600)
    ap.add_argument("--work", default="/tmp/genzi_lifting_bench", help="cache of views, renders and SDF grids")
    ap.add_argument("--out", default=str(RESULTS))
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                    help="change a LiftingSettings default for every condition (e.g. final_lr_scale=1)")
    add_start_arguments(ap)
    ap.add_argument("--markdown-only", action="store_true", help="rewrite the .md summary of --out and stop")
    ap.add_argument("--merge", default="", help="comma-separated result files whose records join --out's")
    ap.add_argument("--sets", type=int, default=0, help="with --compare-sequential: sets in the batch")
    ap.add_argument("--compare-sequential", action="store_true",
                    help="time one batched fit of --sets sets against one-set fits (default 600 iterations)")
    ap.add_argument("--repeat", type=int, default=2, help="repeats of each timing (median taken)")
    ap.add_argument("--device", default="cpu", help="with --compare-sequential: where the fits run (cpu, cuda)")
    ap.add_argument("--results", default=None, help="with --compare-sequential: output JSON")
    args = ap.parse_args(argv)
    if args.compare_sequential:
        from lifting_batch import run

        its = 600 if "--iterations" not in (argv if argv is not None else sys.argv) else args.iterations
        from lifting_batch import RESULTS as BATCH_RESULTS

        out = Path(args.results) if args.results else BATCH_RESULTS
        doc = run(max(1, args.sets or 8), its, max(1, args.repeat), Path(args.work), out, args.device)
        print(f"single set {doc['single_fit_cpu_s_median']:.1f} s cpu, batch of {doc['sets']} "
              f"{min(doc['batched_fit_cpu_s']):.1f}-{max(doc['batched_fit_cpu_s']):.1f} s cpu; "
              f"sequential / batched {doc['sequential_over_batched_cpu']:.2f}x")
        print(f"ratio {doc['ratio']:.2f}, max per-set MPJPE difference {doc['max_mpjpe_difference_mm']:.2f} mm")
        return 0
    if args.markdown_only or args.merge:
        doc = json.loads(Path(args.out).read_text())
        for extra in filter(None, args.merge.split(",")):
            more = json.loads(Path(extra).read_text())["records"]
            have = {(r["case"], r["condition"]) for r in doc["records"]}
            doc["records"] += [r for r in more if (r["case"], r["condition"]) not in have]
        Path(args.out).write_text(json.dumps({**doc, "summary": summarise(doc["records"])}, indent=1))
        doc["summary"] = summarise(doc["records"])
        write_markdown(doc, Path(args.out).with_suffix(".md"))
        return 0

    import torch

    torch.set_num_threads(args.threads)
    from pipeline.body import load_body_model
    from pipeline.generation.fit_sets import find_hypothesis_sets, fit_hypothesis_sets, observations_for_set
    from pipeline.lifting.schedule import LiftingSettings
    from pipeline.lifting.metrics import mpjpe, pa_mpjpe, scene_metrics
    from pipeline.keypoints.blazepose import KeypointDetector
    from pipeline.scene.scene import load_scene
    from pipeline.scene.sdf_cache import cached_sdf_grid
    from pipeline.views.views_io import load_views

    body = load_body_model("anny")
    # A second regressor on the same meshes: MPJPE must not depend on which keypoint
    # definition the fit used (Anny's own COCO one vs the BlazePose-matched default).
    coco_body = load_body_model("anny", keypoints="coco")
    scene = load_scene(SCENE)
    detector = KeypointDetector()
    work = Path(args.work)
    out_path = Path(args.out)
    records: list[dict] = []
    doc = {
        "benchmark": "lifting",
        "machine": {"cpus": os.cpu_count(), "torch_threads": args.threads},
        "iterations": args.iterations,
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "records": records,
    }

    def save():
        doc["summary"] = summarise(records)
        out_path.parent.mkdir(parents=True, exist_ok=True)
        out_path.write_text(json.dumps(doc, indent=1))
        write_markdown(doc, out_path.with_suffix(".md"))

    base_overrides = {k: json.loads(v) for k, v in (item.split("=", 1) for item in args.set)}
    doc["settings_changed"] = base_overrides
    starts, doc["starts"] = starts_from_arguments(args)
    conditions = [c for c in args.conditions.split(",") if c]
    cases = [case_by_name(n) for n in args.cases.split(",") if n]
    prepared = {}
    for case in cases:
        cdir = work / case.name
        meta = prepare_case(case, cdir, body, scene)
        cameras, vmeta = load_views(cdir / "views")
        target = np.asarray(vmeta["target"], dtype=np.float64)
        sdf, _ = cached_sdf_grid(scene, target, 1.5, 0.02)  # as genzi fit: 1.5 m, 2 cm
        sets = {s.name: s for s in find_hypothesis_sets(cdir / "hyp", [c.name for c in cameras])}
        obs = {}
        for name, hset in sets.items():
            obs[name], _ = observations_for_set(hset, cameras, detector, target)
        gt_kp = gt_keypoints(body, meta)
        gt_kp_coco = gt_keypoints(coco_body, meta)
        with torch.no_grad():
            gt_v = body(body.params_from_json(meta["gt_params"])).vertices[0].numpy()
        gt_scene = scene_metrics(sdf, gt_v)
        prepared[case.name] = (meta, cameras, target, sdf, sets, obs, gt_kp, gt_kp_coco, gt_scene)
        print(f"{case.name}: {len(cameras)} views, valid clean {sum(o.valid for o in obs['set_0'])}, "
              f"valid outlier-set {sum(o.valid for o in obs['set_1'])}", flush=True)

    for cond in conditions:
        set_name, overrides = CONDITIONS[cond]
        for case in cases:
            meta, cameras, target, sdf, sets, obs, gt_kp, gt_kp_coco, gt_scene = prepared[case.name]
            settings = replace(LiftingSettings(num_threads=args.threads), **{**base_overrides, **overrides})
            settings = settings.with_iterations(args.iterations)
            load = os.getloadavg()[0]
            t0 = time.perf_counter()
            fits = fit_hypothesis_sets(body, cameras, [sets[set_name]], sdf, settings, target=target,
                                       prompt=meta["prompt"], observations={set_name: obs[set_name]}, starts=starts)
            fit = fits[0]
            rec = {"case": case.name, "kind": meta["kind"], "condition": cond, "load_avg": round(load, 2)}
            if fit.result is None:
                rec["error"] = fit.error
                records.append(rec)
                save()
                continue
            r = fit.result
            valid_views = [o.name for o in obs[set_name] if o.valid]
            bad = [v for v in meta["outlier_views"] if v in valid_views] if set_name == "set_1" else []
            ranked = sorted(valid_views, key=lambda v: r.view_weights[v])
            with torch.no_grad():
                fit_kp_coco = coco_body(r.params).keypoints[0].numpy()
            rec.update({
                "mpjpe_mm": 1000 * mpjpe(r.keypoints3d, gt_kp),
                "mpjpe_coco_regressor_mm": 1000 * mpjpe(fit_kp_coco, gt_kp_coco),
                "pa_mpjpe_mm": 1000 * pa_mpjpe(r.keypoints3d, gt_kp),
                "non_collision": fit.metrics["non_collision"],
                "contact": fit.metrics["contact"],
                "max_penetration_m": fit.metrics["max_penetration_m"],
                "gt_non_collision": gt_scene["non_collision"],
                "seconds": r.seconds,
                "wall_seconds": time.perf_counter() - t0,
                "views": len(cameras),
                "valid_views": len(valid_views),
                "outlier_views_valid": bad,
                "outliers_all_lowest": bool(set(ranked[: len(bad)]) == set(bad)) if bad else True,
                "view_weights": {k: round(v, 4) for k, v in r.view_weights.items()},
                "reprojection_px_median": _median(list(r.reprojection_error_px.values())),
                "warnings": r.warnings,
            })
            records.append(rec)
            save()
            print(f"{cond:22s} {case.name:20s} mpjpe {rec['mpjpe_mm']:6.1f} pa {rec['pa_mpjpe_mm']:5.1f} "
                  f"nc {rec['non_collision']:.3f} contact {rec['contact']} {r.seconds:5.1f}s load {load:.1f} "
                  f"outliers-lowest {rec['outliers_all_lowest']}", flush=True)
    doc["finished"] = time.strftime("%Y-%m-%d %H:%M:%S")
    save()
    print(json.dumps(doc["summary"], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
