"""Batched against sequential lifting, side by side in one process (``lifting.py --sets N``).

The sets are the lifting benchmark's sofa cases (clean set_0 and 30 %-outlier set_1 of
sofa_left, sofa_middle, sofa_right, floor_against_sofa, ...), each with its own views, all
around one target region so one scene distance grid (the run's default box: 1.6 m half
extent, 3 cm cells) serves the batch. Every set is fitted alone (the sequential path) and
then all together in one :func:`pipeline.lifting.fit.fit_bodies` call (repeated), with one
torch thread; the one-set time is the median over the N single fits. Times are process CPU seconds (the machine is shared,
so wall-clock seconds, also recorded, include other users' load); the ratio R is the batched
fit of N sets over one fit of one set (the median over the N single fits).
"""

from __future__ import annotations

import json
import os
import statistics
import time
from pathlib import Path

import numpy as np

from lifting_cases import SCENE, case_by_name, gt_keypoints, prepare_case

SOFA_CASES = ("sofa_left", "sofa_middle", "sofa_right", "floor_against_sofa", "lying_sofa")
GRID_CENTRE = (0.0, -2.0, 0.6)
RESULTS = Path(__file__).resolve().parent / "results" / "lifting_batch.json"


def _timed(fn):
    c0, w0 = time.process_time(), time.perf_counter()
    out = fn()
    return out, time.process_time() - c0, time.perf_counter() - w0


def run(n_sets: int, iterations: int, repeat: int, work: Path, out_path: Path = RESULTS, device: str = "cpu") -> dict:
    import torch

    t_run = time.perf_counter()
    started = time.strftime("%Y-%m-%d %H:%M:%S")
    torch.set_num_threads(1)
    from pipeline.body import load_body_model
    from pipeline.generation.fit_sets import find_hypothesis_sets, observations_for_set
    from pipeline.keypoints.blazepose import KeypointDetector
    from pipeline.lifting.fit import FitProblem, fit_bodies
    from pipeline.lifting.metrics import mpjpe
    from pipeline.lifting.schedule import LiftingSettings
    from pipeline.scene.scene import load_scene
    from pipeline.scene.sdf_cache import cached_sdf_grid
    from pipeline.views.views_io import load_views

    body = load_body_model("anny")  # CPU: case renders and ground truth
    fit_body_model = body if device == "cpu" else load_body_model("anny", device=device)
    scene = load_scene(SCENE)
    detector = KeypointDetector()
    sdf, _ = cached_sdf_grid(scene, np.asarray(GRID_CENTRE), 1.6, 0.03)
    problems, truths = [], []
    for k in range(n_sets):
        case = case_by_name(SOFA_CASES[(k // 2) % len(SOFA_CASES)])
        set_name = f"set_{k % 2}"
        cdir = work / case.name
        meta = prepare_case(case, cdir, body, scene)
        cameras, vmeta = load_views(cdir / "views")
        hset = {s.name: s for s in find_hypothesis_sets(cdir / "hyp", [c.name for c in cameras])}[set_name]
        obs, _ = observations_for_set(hset, cameras, detector, np.asarray(vmeta["target"]))
        problems.append(FitProblem(obs, f"{case.name}/{set_name}", target=np.asarray(vmeta["target"]),
                                   prompt=meta["prompt"]))  # fmt: skip
        truths.append(gt_keypoints(body, meta))
        print(f"set {k}: {case.name} {set_name}, {sum(o.valid for o in obs)} valid views", flush=True)
    settings = LiftingSettings(num_threads=1).with_iterations(iterations)
    if device != "cpu":
        sdf.to(device)
        fit_bodies(fit_body_model, problems[:1], sdf, LiftingSettings().with_iterations(8))  # kernels, allocator

    single = []  # per set: its outcome and time alone; t1 is the median over the N sets
    for p in problems:
        (outcome,), cpu, wall = _timed(lambda p=p: fit_bodies(fit_body_model, [p], sdf, settings))
        single.append({"outcome": outcome, "cpu": [cpu], "wall": [wall]})
        print(f"  alone {p.name}: {cpu:.1f} s cpu, {wall:.1f} s wall", flush=True)
    batched_cpu, batched_wall, batched = [], [], None
    for rep in range(repeat):
        batched, cpu, wall = _timed(lambda: fit_bodies(fit_body_model, problems, sdf, settings))
        batched_cpu.append(cpu)
        batched_wall.append(wall)
        print(f"  batch of {n_sets}: {cpu:.1f} s cpu, {wall:.1f} s wall", flush=True)

    records = []
    for k, p in enumerate(problems):
        a, b = single[k]["outcome"].result, batched[k].result
        rec = {"set": p.name, "single_cpu_s": single[k]["cpu"], "single_wall_s": single[k]["wall"]}
        if a is None or b is None:
            rec["error"] = single[k]["outcome"].error or batched[k].error
        else:
            rec.update({
                "mpjpe_single_mm": 1000 * mpjpe(a.keypoints3d, truths[k]),
                "mpjpe_batched_mm": 1000 * mpjpe(b.keypoints3d, truths[k]),
                "max_keypoint_gap_mm": 1000 * float(np.linalg.norm(a.keypoints3d - b.keypoints3d, axis=1).max()),
            })  # fmt: skip
            rec["mpjpe_difference_mm"] = abs(rec["mpjpe_single_mm"] - rec["mpjpe_batched_mm"])
        records.append(rec)
    t1_cpu = statistics.median(statistics.median(s["cpu"]) for s in single)
    t1_wall = statistics.median(statistics.median(s["wall"]) for s in single)
    diffs = [r["mpjpe_difference_mm"] for r in records if "mpjpe_difference_mm" in r]
    doc = {
        "benchmark": "lifting_batch",
        "started": started,
        "finished": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": {"cpus": os.cpu_count(), "torch_threads": 1, "load_avg_end": os.getloadavg(),
                    "note": "shared machine (several users); CPU seconds are the fair figure"},
        "device": device,
        "sets": n_sets,
        "iterations": iterations,
        "repeat": repeat,
        "single_fit_cpu_s_median": t1_cpu,
        "single_fit_wall_s_median": t1_wall,
        "batched_fit_cpu_s": batched_cpu,
        "batched_fit_wall_s": batched_wall,
        "ratio_cpu": statistics.median(batched_cpu) / t1_cpu,
        # on a GPU the CPU seconds miss the device's work: there the wall-clock ratio counts
        "ratio": (statistics.median(batched_cpu) / t1_cpu) if device == "cpu" else statistics.median(batched_wall) / t1_wall,
        "batched_ms_per_iteration": round(1000 * statistics.median(batched_wall) / iterations, 2),
        "single_ms_per_iteration": round(1000 * t1_wall / iterations, 2),
        "ratio_wall": statistics.median(batched_wall) / t1_wall,
        "sequential_over_batched_cpu": sum(statistics.median(s["cpu"]) for s in single) / statistics.median(batched_cpu),
        "max_mpjpe_difference_mm": max(diffs) if diffs else None,
        "records": records,
        "run_wall_s": round(time.perf_counter() - t_run, 1),  # model load, case renders (cached after the first run), all fits
    }
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(doc, indent=1))
    return doc
