"""Opens the architects' formats with a frozen build (dist/genzi-desktop), headless.

Writes a small design in each format with the format's own library (IFC 4 in millimetres,
USDZ, Rhino 3dm, SketchUp-style Collada, as tests/arch_files.py does), then, inside the bundle:
  1. ``genzi views --scene FILE`` renders views of each (the pipeline's loaders and renderer);
  2. the desktop opens the IFC and the USDZ and saves a window screenshot (under xvfb-run).
Records the outcome in benchmarks/results/desktop_build_formats.json. Not part of the test
suite (it needs a build, which takes many minutes); run after scripts/build_desktop.sh:

    python scripts/check_frozen_formats.py [--dist DIST_FOLDER] [--out OUT_FOLDER]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

#: (file name, target point on a surface, its normal) for each design
DESIGNS = {
    "house.ifc": ((2.0, 3.2, 1.25), (0.0, 1.0, 0.0)),
    "room.usdz": ((0.5, 0.2, 0.75), (0.0, 0.0, 1.0)),
    "room.3dm": ((0.5, 0.2, 0.75), (0.0, 0.0, 1.0)),
    "room.dae": ((0.5, 0.2, 0.75), (0.0, 0.0, 1.0)),
}


def write_designs(folder: Path) -> dict[str, Path]:
    from pxr import UsdUtils

    from tests.arch_files import write_3dm, write_collada, write_ifc, write_usd

    folder.mkdir(parents=True, exist_ok=True)
    stage = write_usd(folder / "room_stage.usdc", up="y", metres_per_unit=0.01)
    assert UsdUtils.CreateNewUsdzPackage(str(stage), str(folder / "room.usdz"))
    return {
        "house.ifc": write_ifc(folder / "house.ifc", opening=True),
        "room.usdz": folder / "room.usdz",
        "room.3dm": write_3dm(folder / "room.3dm", brep_without_mesh=False),
        "room.dae": write_collada(folder / "room.dae"),
    }


def run(args: list[str], timeout: float = 600.0) -> tuple[bool, float, str]:
    start = time.perf_counter()
    proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    return proc.returncode == 0, round(time.perf_counter() - start, 1), (proc.stdout + proc.stderr)[-1500:]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=REPO / "dist" / "genzi-desktop")
    parser.add_argument("--out", type=Path, default=REPO / "build" / "frozen_formats")
    parser.add_argument("--build-seconds", type=float, help="how long the build took (recorded as given)")
    args = parser.parse_args()
    exe = args.dist / "genzi-desktop"
    if not exe.is_file():
        print(f"no build at {args.dist}; run scripts/build_desktop.sh first")
        return 2
    shutil.rmtree(args.out, ignore_errors=True)
    files = write_designs(args.out / "designs")
    xvfb = ["xvfb-run", "-a", "-s", "-screen 0 1920x1080x24 -noreset"] if shutil.which("xvfb-run") else []
    results: dict[str, dict] = {}
    for name, path in files.items():
        (x, y, z), (nx, ny, nz) = DESIGNS[name]
        views = args.out / f"views_{path.stem}_{path.suffix[1:]}"
        ok, seconds, log = run([str(exe), "genzi", "views", "--scene", str(path), "--at", str(x), str(y), str(z),
                                "--normal", str(nx), str(ny), str(nz), "--views", "2", "--size", "256",
                                "--out", str(views)])
        pngs = sorted(p.name for p in views.glob("view_*.png"))
        results[name] = {"views_ok": ok and len(pngs) >= 1, "views_seconds": seconds, "views_png": pngs}
        if not results[name]["views_ok"]:
            results[name]["views_log"] = log
        if name in ("house.ifc", "room.usdz"):
            shot = args.out / f"window_{path.stem}.png"
            ok, seconds, log = run(xvfb + [str(exe), "--scene", str(path), "--screenshot", str(shot), "--quit"])
            results[name].update(window_ok=ok and shot.is_file() and shot.stat().st_size > 10_000,
                                 window_seconds=seconds, window_png=str(shot))
            if not results[name]["window_ok"]:
                results[name]["window_log"] = log
        print(name, json.dumps(results[name]))
    files_in_dist = [p for p in args.dist.rglob("*") if p.is_file() and not p.is_symlink()]
    report = {"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "dist": str(args.dist),
              "build_seconds": args.build_seconds, "file_count": len(files_in_dist),
              "folder_size_mb": round(sum(p.stat().st_size for p in files_in_dist) / 2**20, 1),
              "designs": results, "all_ok": all(r["views_ok"] and r.get("window_ok", True) for r in results.values())}
    out = REPO / "benchmarks" / "results" / "desktop_build_formats.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written {out}")
    return 0 if report["all_ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
