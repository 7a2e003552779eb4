"""Hold-out lifting benchmark: cases the fit was never tuned on (``holdout_cases.py``).

    python benchmarks/lifting_holdout.py [--cases a,b] [--conditions clean,outliers,clothed]
        [--seeds 0] [--report-seeds 0,1,2,3,4] [--iterations 1600] [--bias-only] [--floor-only]

Every case goes through the ``genzi views`` / ``genzi fit`` path with default settings:
``select_views`` with the prompt, the default BlazePose detector, an SDF grid around the
views' target (1.5 m, 2 cm, as ``genzi fit``), ``fit_hypothesis_sets`` with
``LiftingSettings()``. A seed > 0 moves the fit's start (the target the start pelvis is
placed from) by a random 10 cm horizontally: the fit itself is deterministic, so the spread
over seeds measures how much the result depends on where it starts.

Conditions: ``clean`` (the styled renders of the true body, ``hyp/set_0``), ``outliers``
(30 % of those views show another person, ``set_1``) and ``clothed`` (the clean views with
the true body dressed in the app's own CC0 clothes, shoes and hair in case-specific colours,
``set_2``; held to the clean targets).

Written to ``benchmarks/results/lifting_holdout.json`` (after every fit): per fit the MPJPE,
PA-MPJPE, per-keypoint errors, mean 3D offset (fit - truth, x y z), non-collision and
contact; a summary per half (tuning / report) and condition, checked against the targets.
``--bias-only`` measures BlazePose against the projected true keypoints on the prepared
clean views and writes ``benchmarks/results/blazepose_bias.json`` (no fits). ``--floor-only``
measures the points where the views' detections meet (the fit's consensus points) against
the true keypoints, beside the recorded seed-0 fits on the same keypoints, and writes
``benchmarks/results/lifting_holdout_floor.json`` (no fits): how close the detections alone
come, a floor that a fit to these detections can pass only where the body model's shape
and the scene fill in what the detections get wrong.
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

import holdout_cases as hc  # noqa: E402
from lifting_cases import add_start_arguments, starts_from_arguments  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "lifting_holdout.json"
BIAS_RESULTS = Path(__file__).resolve().parent / "results" / "blazepose_bias.json"
FLOOR_RESULTS = Path(__file__).resolve().parent / "results" / "lifting_holdout_floor.json"
CONDITIONS = {"clean": "set_0", "outliers": "set_1", "clothed": hc.CLOTHED_SET}
# clothed renders are held to the clean targets (none are set for them)
TARGETS = {"clean": (20.0, 35.0), "outliers": (30.0, 45.0), "clothed": (20.0, 35.0), "spread_mm": 10.0, "vertical_offset_mm": 5.0,
           "keypoint_median_mm": 30.0}  # fmt: skip
START_JITTER_M = 0.10


def _median(xs):
    xs = [x for x in xs if x is not None and np.isfinite(x)]
    return float(statistics.median(xs)) if xs else None


def jittered_target(target: np.ndarray, seed: int) -> np.ndarray:
    if seed == 0:
        return target
    rng = np.random.default_rng(1000 + seed)
    d = rng.normal(size=2)
    d = START_JITTER_M * d / max(np.linalg.norm(d), 1e-9)
    return target + np.array([d[0], d[1], 0.0])


def summarise(records: list[dict], names: list[str]) -> dict:
    halves = hc.split()
    out = {}
    for half, members in halves.items():
        for cond in CONDITIONS:
            rs = [r for r in records if r["condition"] == cond and r["case"] in members and "error" not in r]
            if not rs:
                continue
            seed0 = [r for r in rs if r["seed"] == 0]
            offsets = np.array([r["mean_offset_mm"] for r in seed0]) if seed0 else np.zeros((0, 3))
            per_kp = {n: _median([r["per_keypoint_mm"][n] for r in seed0]) for n in names}
            spreads = {}
            for c in members:
                vals = [r["mpjpe_mm"] for r in rs if r["case"] == c]
                if len(vals) > 1:
                    spreads[c] = {"seeds": len(vals), "max_minus_min_mm": float(max(vals) - min(vals))}
            s = {
                "cases": len(seed0),
                "median_mpjpe_mm": _median([r["mpjpe_mm"] for r in seed0]),
                "worst_mpjpe_mm": float(max(r["mpjpe_mm"] for r in seed0)) if seed0 else None,
                "worst_case": max(seed0, key=lambda r: r["mpjpe_mm"])["case"] if seed0 else None,
                "median_pa_mpjpe_mm": _median([r["pa_mpjpe_mm"] for r in seed0]),
                "mean_offset_mm": offsets.mean(0).round(1).tolist() if len(offsets) else None,
                "median_offset_mm": np.median(offsets, axis=0).round(1).tolist() if len(offsets) else None,
                "per_keypoint_median_mm": {k: (round(v, 1) if v is not None else None) for k, v in per_kp.items()},
                "keypoints_over_target": [k for k, v in per_kp.items() if v is not None and v > TARGETS["keypoint_median_mm"]],
                "spread_over_seeds": spreads,
                "min_non_collision": float(min(r["non_collision"] for r in rs)),
                "contact_rate_seated_standing": float(np.mean([r["contact"] for r in rs if r["kind"] in ("seated", "standing")] or [np.nan])),
                "median_seconds": _median([r["seconds"] for r in rs]),
            }  # fmt: skip
            if cond == "outliers":
                s["outliers_all_lowest_rate"] = float(np.mean([r["outliers_all_lowest"] for r in seed0])) if seed0 else None
            med_t, worst_t = TARGETS[cond]
            s["meets"] = {
                "median": s["median_mpjpe_mm"] is not None and s["median_mpjpe_mm"] <= med_t,
                "worst": s["worst_mpjpe_mm"] is not None and s["worst_mpjpe_mm"] <= worst_t,
                "vertical_offset": s["mean_offset_mm"] is not None and abs(s["mean_offset_mm"][2]) <= TARGETS["vertical_offset_mm"],
                "keypoints": not s["keypoints_over_target"],
                "spread": (all(v["max_minus_min_mm"] <= TARGETS["spread_mm"] for v in spreads.values()) if spreads else None),
            }  # fmt: skip
            out[f"{half}/{cond}"] = s
    return out


def load_case(case, work: Path, body, scenes: dict, detector, silhouettes: bool = False):
    """Prepared case: meta, cameras, target, SDF, hypothesis sets and their observations (cached)."""
    from pipeline.generation.fit_sets import find_hypothesis_sets, observations_for_set
    from pipeline.scene.scene import load_scene
    from pipeline.scene.sdf_cache import cached_sdf_grid
    from pipeline.views.views_io import load_views

    if case.layout not in scenes:
        scenes[case.layout] = load_scene(hc.build_layout(case.layout, work / f"{case.layout}.glb"))
    scene = scenes[case.layout]
    cdir = work / case.name
    meta = hc.prepare(case, cdir, body, scene)
    hc.prepare_clothed(case, cdir, body, scene)
    cameras, vmeta = load_views(cdir / "views")
    target = np.asarray(vmeta["target"], dtype=np.float64)
    sdf, _ = cached_sdf_grid(scene, target, 1.5, 0.02)
    sets = {s.name: s for s in find_hypothesis_sets(cdir / "hyp", [c.name for c in cameras])}
    obs = {name: observations_for_set(hset, cameras, detector, target)[0] for name, hset in sets.items()}
    if silhouettes:
        attach_silhouettes(cdir, scene, cameras, sets, obs)
    return meta, cameras, target, sdf, sets, obs


def attach_silhouettes(cdir: Path, scene, cameras, sets, obs) -> None:
    """Each valid view's person mask (segmented around its keypoints) and the scene's depth (cached)."""
    from pipeline.generation.fit_sets import load_image
    from pipeline.keypoints.person_mask import person_mask
    from pipeline.lifting.silhouette import silhouette_from_mask
    from pipeline.views.render import SceneRenderer

    depth_file = cdir / "scene_depth.npz"
    if not depth_file.exists():
        with SceneRenderer(scene) as r:
            np.savez_compressed(depth_file, **{c.name: r.depth(c) for c in cameras})
    depths = dict(np.load(depth_file))
    for name, hset in sets.items():
        mask_file = cdir / f"masks_{name}.npz"
        if mask_file.exists():
            masks = dict(np.load(mask_file))
        else:
            masks = {}
            for o in obs[name]:
                if o.valid:
                    m = person_mask(load_image(hset.images[o.name]), o.keypoints, o.conf)
                    if m is not None:
                        masks[o.name] = m
            np.savez_compressed(mask_file, **masks)
        for i, o in enumerate(obs[name]):
            if o.name in masks:
                o.silhouette = silhouette_from_mask(masks[o.name], depths[o.name], seed=i)


def keypoint_bias(prepared: dict, body, names: list[str], set_name: str = "set_0") -> dict:
    """BlazePose minus the projected true keypoints in the views of ``set_name`` (a set showing
    only the true body), per keypoint, in pixels and in metres at the keypoint's depth
    (back-projected onto the image plane through it, in world axes)."""
    import torch

    from pipeline.keypoints.blazepose import BLAZEPOSE_INDEX

    rows = {n: [] for n in names}
    per_case = {}
    for cname, (meta, cameras, _t, _s, _sets, obs) in prepared.items():
        with torch.no_grad():
            kp = body(body.params_from_json(meta["gt_params"])).keypoints[0].numpy().astype(np.float64)
        by = {c.name: c for c in cameras}
        case_rows = {n: [] for n in names}
        for o in obs[set_name]:
            if not o.valid:
                continue
            cam = by[o.name]
            uv, depth = cam.project(kp)
            r = cam.rotation
            for i, n in enumerate(names):
                if BLAZEPOSE_INDEX.get(n) is None or not np.isfinite(o.keypoints[i]).all() or o.conf[i] < 0.5:
                    continue
                du, dv = o.keypoints[i] - uv[i]
                world = r.T @ np.array([du * depth[i] / cam.K[0, 0], dv * depth[i] / cam.K[1, 1], 0.0])
                row = {"px": float(np.hypot(du, dv)), "world_m": world, "conf": float(o.conf[i])}
                rows[n].append(row)
                case_rows[n].append(row)
        per_case[cname] = {n: (round(float(np.median([x["px"] for x in v])), 2) if v else None) for n, v in case_rows.items()}
    out = {}
    for n, v in rows.items():
        if not v:
            continue
        w = np.array([x["world_m"] for x in v]) * 1000.0
        out[n] = {
            "views": len(v),
            "median_px": round(float(np.median([x["px"] for x in v])), 2),
            "p90_px": round(float(np.percentile([x["px"] for x in v], 90)), 2),
            "median_mm_at_depth": round(float(np.median(np.linalg.norm(w, axis=1))), 1),
            "mean_world_offset_mm": w.mean(0).round(1).tolist(),
            "median_world_offset_mm": np.median(w, axis=0).round(1).tolist(),
            "mean_conf": round(float(np.mean([x["conf"] for x in v])), 3),
        }
    return {"per_keypoint": out, "per_case_median_px": per_case}


def detection_floor(prepared: dict, body, names: list[str], recorded: list[dict]) -> list[dict]:
    """Per case and condition: the error (mm) of the set's trusted triangulated keypoints
    (:func:`pipeline.lifting.triangulated_start.trusted_points`) against the true keypoints, and
    the recorded seed-0 fit's error on the same keypoints (None where not recorded); the MPJPE
    of the triangulated start (the body posed onto the points, before the multi-view fit) and
    of the recorded fit."""
    import torch

    from pipeline.lifting.fit import FitProblem
    from pipeline.lifting.metrics import mpjpe
    from pipeline.lifting.schedule import LiftingSettings
    from pipeline.lifting.starts import DEFAULT_STARTS, named_starts

    split = hc.split()
    fits = {(r["case"], r["condition"]): r for r in recorded if r.get("seed") == 0 and "per_keypoint_mm" in r}
    rows = []
    for cname, (meta, _cams, target, _s, _sets, obs) in prepared.items():
        with torch.no_grad():
            truth = body(body.params_from_json(meta["gt_params"])).keypoints[0].numpy().astype(np.float64)
        for cond, set_name in CONDITIONS.items():
            row = {"case": cname, "condition": cond, "half": "report" if cname in split["report"] else "tuning"}
            problem = FitProblem(obs[set_name], set_name, None, jittered_target(target, 0), meta["prompt"])
            starts, trusted = named_starts(body, problem, LiftingSettings(), DEFAULT_STARTS)
            if trusted is None:
                rows.append({**row, "trusted": False})
                continue
            points, ok = trusted
            err = 1000 * np.linalg.norm(points - truth, axis=1)
            fit = fits.get((cname, cond))
            with torch.no_grad():
                posed_kp = body(starts["triangulated"]).keypoints[0].numpy().astype(np.float64)
            row.update({
                "trusted": True, "keypoints": int(ok.sum()),
                "points_mm": round(float(err[ok].mean()), 1),
                "fit_mm": round(float(np.mean([fit["per_keypoint_mm"][n] for n, k in zip(names, ok) if k])), 1) if fit else None,
                "posed_onto_points_mpjpe_mm": round(1000 * mpjpe(posed_kp, truth), 1),
                "fit_mpjpe_mm": round(float(fit["mpjpe_mm"]), 1) if fit else None,
                "points_per_keypoint_mm": {n: round(float(e), 1) for n, e, k in zip(names, err, ok) if k},
            })  # fmt: skip
            rows.append(row)
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", default=",".join(c.name for c in hc.CASES))
    ap.add_argument("--conditions", default="clean,outliers,clothed")
    ap.add_argument("--seeds", default="0", help="start seeds for every case and condition")
    ap.add_argument("--report-seeds", default="", help="extra seeds for the report half's clean fits (e.g. 1,2,3,4)")
    ap.add_argument("--iterations", type=int, default=None, help="default: LiftingSettings' own (1600)")
    ap.add_argument("--work", default="/tmp/genzi_holdout_bench", help="cache of layouts, views, renders, SDF grids")
    ap.add_argument("--out", default=str(RESULTS))
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="change a LiftingSettings default")
    ap.add_argument("--keypoints", default="detector", help="body keypoint regressor of the fit (detector or coco)")
    ap.add_argument("--silhouette", type=float, default=0.0,
                    help="weight of the silhouette term in segments 2-4 (0: off, the default fit)")
    add_start_arguments(ap)
    ap.add_argument("--bias-only", action="store_true", help="write blazepose_bias.json from the clean views, no fits")
    ap.add_argument("--floor-only", action="store_true",
                    help="write lifting_holdout_floor.json: the detections' meeting points against the truth, no fits")
    args = ap.parse_args(argv)

    import torch

    torch.set_num_threads(args.threads)
    from pipeline.body import load_body_model
    from pipeline.body.base import KEYPOINT_NAMES
    from pipeline.generation.fit_sets import fit_hypothesis_sets
    from pipeline.keypoints.blazepose import KeypointDetector
    from pipeline.lifting.metrics import mpjpe, pa_mpjpe, scene_metrics
    from pipeline.lifting.schedule import LiftingSettings

    overrides = {k: json.loads(v) for k, v in (item.split("=", 1) for item in args.set)}
    if args.silhouette > 0:
        w = args.silhouette
        overrides["weights"] = {**overrides.get("weights", LiftingSettings().weights), "silhouette": (0.0, 0.0, w, w, w)}
    with_silhouettes = any(overrides.get("weights", {}).get("silhouette", ()))
    body = load_body_model("anny", keypoints=args.keypoints)
    gt_body = load_body_model("anny")  # truth always from the default (detector-matched) regressor
    names = list(KEYPOINT_NAMES)
    detector = KeypointDetector()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    cases = [hc.case_by_name(n) for n in args.cases.split(",") if n]
    scenes: dict = {}
    prepared = {}
    for case in cases:
        prepared[case.name] = load_case(case, work, gt_body, scenes, detector, silhouettes=with_silhouettes)
        obs = prepared[case.name][5]
        print(f"{case.name}: {len(prepared[case.name][1])} views, valid clean {sum(o.valid for o in obs['set_0'])}, "
              f"outlier set {sum(o.valid for o in obs['set_1'])}, clothed {sum(o.valid for o in obs[hc.CLOTHED_SET])}",
              flush=True)
    if args.bias_only:
        doc = {"what": "BlazePose detections minus the projected true keypoints on the hold-out cases' clean "
                       "views (styled renders); world offsets are the pixel error back-projected at the "
                       "keypoint's depth (x, y, z; z up), i.e. only the part across each view's ray; "
                       "'clothed': the same on the clothed renders of the same views",
               "cases": list(prepared), **keypoint_bias(prepared, gt_body, names),
               "clothed": keypoint_bias(prepared, gt_body, names, hc.CLOTHED_SET)}  # fmt: skip
        BIAS_RESULTS.write_text(json.dumps(doc, indent=1))
        print(json.dumps(doc["per_keypoint"], indent=0)[:4000])
        return 0
    if args.floor_only:
        rows = detection_floor(prepared, gt_body, names, json.loads(RESULTS.read_text())["records"])
        FLOOR_RESULTS.write_text(json.dumps({"what": detection_floor.__doc__, "records": rows}, indent=1))
        for r in rows:
            print(r["case"], r["condition"], r.get("points_mm"), r.get("fit_mm"), r.get("posed_onto_points_mpjpe_mm"),
                  r.get("fit_mpjpe_mm"))
        return 0

    out_path = Path(args.out)
    records: list[dict] = []
    doc = {"benchmark": "lifting_holdout", "machine": {"cpus": os.cpu_count(), "torch_threads": args.threads},
           "iterations": args.iterations or LiftingSettings().total_iterations, "settings_changed": overrides,
           "keypoints": args.keypoints, "pipeline": str(Path(__import__("pipeline").__file__).parent), "split": hc.split(), "targets": TARGETS, "start_jitter_m": START_JITTER_M,
           "started": time.strftime("%Y-%m-%d %H:%M:%S"), "records": records}  # fmt: skip

    def save():
        doc["summary"] = summarise(records, names)
        out_path.parent.mkdir(parents=True, exist_ok=True)
        out_path.write_text(json.dumps(doc, indent=1))

    report = set(hc.split()["report"])
    starts, doc["starts"] = starts_from_arguments(args)
    seeds = [int(s) for s in args.seeds.split(",") if s]
    extra = [int(s) for s in args.report_seeds.split(",") if s]
    jobs = [(cond, case, seed) for cond in args.conditions.split(",") for seed in seeds for case in cases]
    jobs += [("clean", case, seed) for seed in extra for case in cases if case.name in report and seed not in seeds]
    for cond, case, seed in jobs:
        meta, cameras, target, sdf, sets, obs = prepared[case.name]
        set_name = CONDITIONS[cond]
        settings = replace(LiftingSettings(num_threads=args.threads), **overrides)
        if args.iterations:
            settings = settings.with_iterations(args.iterations)
        t0 = time.perf_counter()
        fit = fit_hypothesis_sets(body, cameras, [sets[set_name]], sdf, settings, target=jittered_target(target, seed),
                                  prompt=meta["prompt"], observations={set_name: obs[set_name]}, starts=starts)[0]
        rec = {"case": case.name, "kind": meta["kind"], "condition": cond, "seed": seed,
               "half": "report" if case.name in report else "tuning", "load_avg": round(os.getloadavg()[0], 2)}
        if fit.result is None:
            rec["error"] = fit.error
            records.append(rec)
            save()
            continue
        r = fit.result
        with torch.no_grad():
            gt_kp = gt_body(gt_body.params_from_json(meta["gt_params"])).keypoints[0].numpy()
            fit_kp = gt_body(r.params).keypoints[0].numpy()  # the same regressor on both meshes
        valid = [o.name for o in obs[set_name] if o.valid]
        bad = [v for v in meta["outlier_views"] if v in valid] if cond == "outliers" else []
        ranked = sorted(valid, key=lambda v: r.view_weights[v])
        per_kp = 1000 * np.linalg.norm(fit_kp - gt_kp, axis=1)
        rec.update({
            "mpjpe_mm": 1000 * mpjpe(fit_kp, gt_kp),
            "pa_mpjpe_mm": 1000 * pa_mpjpe(fit_kp, gt_kp),
            "per_keypoint_mm": {n: round(float(e), 1) for n, e in zip(names, per_kp)},
            "mean_offset_mm": (1000 * (fit_kp - gt_kp).mean(0)).round(1).tolist(),
            "per_keypoint_offset_mm": {n: (1000 * d).round(1).tolist() for n, d in zip(names, fit_kp - gt_kp)},
            "non_collision": fit.metrics["non_collision"],
            "contact": fit.metrics["contact"],
            "gt_non_collision": scene_metrics(sdf, gt_body(gt_body.params_from_json(meta["gt_params"])).vertices[0].detach().numpy())["non_collision"],
            "phenotypes_fit": [round(float(x), 3) for x in gt_body.phenotypes(r.params)[0]],
            "seconds": r.seconds,
            "wall_seconds": time.perf_counter() - t0,
            "views": len(cameras),
            "valid_views": len(valid),
            "outliers_all_lowest": bool(set(ranked[: len(bad)]) == set(bad)) if bad else True,
            "reprojection_px_median": _median(list(r.reprojection_error_px.values())),
        })  # fmt: skip
        records.append(rec)
        save()
        print(f"{cond:9s} {case.name:20s} seed {seed} mpjpe {rec['mpjpe_mm']:6.1f} pa {rec['pa_mpjpe_mm']:5.1f} "
              f"off {rec['mean_offset_mm']} nc {rec['non_collision']:.3f} contact {rec['contact']} "
              f"{r.seconds:5.1f}s", flush=True)
    doc["finished"] = time.strftime("%Y-%m-%d %H:%M:%S")
    save()
    print(json.dumps({k: {kk: v[kk] for kk in ("median_mpjpe_mm", "worst_mpjpe_mm", "mean_offset_mm", "meets")}
                      for k, v in doc["summary"].items()}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
