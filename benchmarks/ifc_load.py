"""Opening a large IFC: time and peak memory of ``load_scene`` on a generated ~100 MB IFC4 model.

The model is a tower of storeys, each with extruded walls and slabs (IfcExtrudedAreaSolid,
tessellated by IfcOpenShell's OpenCascade kernel) and furniture as triangulated face sets
(IfcTriangulatedFaceSet, what Revit and ArchiCAD export for families and objects), plus an
IfcSpace per storey that the loader hides. It is written once with IfcOpenShell's low-level
entity API and kept in ``--cache``. Each measurement runs in a fresh process so its peak
resident memory (``ru_maxrss``) is the loader's alone.

Usage (nice it; it takes minutes on a small machine)::

    nice -n 10 python benchmarks/ifc_load.py [--size-mb 100] [--cache /tmp/genzi_bench]

Writes ``benchmarks/results/ifc_load.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _placement(f, origin=(0.0, 0.0, 0.0), relative=None):
    point = f.createIfcCartesianPoint([float(c) for c in origin])
    return f.createIfcLocalPlacement(relative, f.createIfcAxis2Placement3D(point, None, None))


def _chair_mesh(segments: int = 24, rings: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """A rounded furniture-sized blob (0.6 x 0.6 x 0.9 m), ~1000 vertices, in millimetres."""
    u, v = np.meshgrid(np.linspace(0, 2 * np.pi, segments, endpoint=False), np.linspace(0.05, np.pi - 0.05, rings))
    xyz = np.stack([300 * np.sin(v) * np.cos(u), 300 * np.sin(v) * np.sin(u), 450 + 450 * np.cos(v)], -1).reshape(-1, 3)
    faces = []
    for r in range(rings - 1):
        for s in range(segments):
            a, b = r * segments + s, r * segments + (s + 1) % segments
            faces += [(a, b, b + segments), (a, b + segments, a + segments)]
    return xyz, np.asarray(faces) + 1  # IFC indices start at 1


def build_model(path: Path, size_mb: float) -> dict:
    import ifcopenshell
    import ifcopenshell.api as api

    f = ifcopenshell.file(schema="IFC4")
    project = api.run("root.create_entity", f, ifc_class="IfcProject", name="Benchmark tower")
    api.run("unit.assign_unit", f, length={"is_metric": True, "raw": "MILLIMETRE"})
    model = api.run("context.add_context", f, context_type="Model")
    body = api.run("context.add_context", f, context_type="Model", context_identifier="Body",
                   target_view="MODEL_VIEW", parent=model)
    site = api.run("root.create_entity", f, ifc_class="IfcSite", name="Site")
    building = api.run("root.create_entity", f, ifc_class="IfcBuilding", name="Tower")
    api.run("aggregate.assign_object", f, relating_object=project, products=[site])
    api.run("aggregate.assign_object", f, relating_object=site, products=[building])
    vertices, faces = _chair_mesh()
    up = f.createIfcDirection([0.0, 0.0, 1.0])
    counts = {"storeys": 0, "walls": 0, "slabs": 0, "furniture": 0, "spaces": 0}
    storey_index = 0
    while True:
        z = 3500.0 * storey_index
        storey = f.createIfcBuildingStorey(ifcopenshell.guid.new(), None, f"Level {storey_index}", None, None,
                                           _placement(f, (0, 0, z)), None, None, "ELEMENT", z)
        api.run("aggregate.assign_object", f, relating_object=building, products=[storey])
        counts["storeys"] += 1
        contained = []

        def extruded(x, y, zz, dx, dy, dz, ifc_class):
            profile = f.createIfcRectangleProfileDef("AREA", None, None, float(dx), float(dy))
            solid = f.createIfcExtrudedAreaSolid(profile, None, up, float(dz))
            rep = f.createIfcShapeRepresentation(body, "Body", "SweptSolid", [solid])
            element = f.create_entity(ifc_class, ifcopenshell.guid.new(), None, f"{ifc_class[3:]} {len(contained)}",
                                      None, None, _placement(f, (x, y, zz)), f.createIfcProductDefinitionShape(None, None, [rep]))
            contained.append(element)
            return element

        extruded(20000, 20000, z, 40000, 40000, 250, "IfcSlab")
        counts["slabs"] += 1
        for i in range(40):  # a grid of partition walls
            extruded(1000 * i + 500, 20000, z + 250, 200, 38000, 3000, "IfcWall")
            counts["walls"] += 1
        for i in range(60):  # furniture as triangulated face sets
            points = f.createIfcCartesianPointList3D(vertices.tolist())
            mesh = f.createIfcTriangulatedFaceSet(points, None, None, faces.tolist(), None)
            rep = f.createIfcShapeRepresentation(body, "Body", "Tessellation", [mesh])
            element = f.createIfcFurniture(ifcopenshell.guid.new(), None, f"Chair {i}", None, None,
                                           _placement(f, (1000 * (i % 40) + 1000, 600 * (i // 40) + 2000, z + 250)),
                                           f.createIfcProductDefinitionShape(None, None, [rep]))
            contained.append(element)
            counts["furniture"] += 1
        space = extruded(20000, 20000, z + 250, 40000, 40000, 3000, "IfcSpace")
        contained.remove(space)
        f.createIfcRelAggregates(ifcopenshell.guid.new(), None, None, None, storey, [space])
        counts["spaces"] += 1
        f.createIfcRelContainedInSpatialStructure(ifcopenshell.guid.new(), None, None, None, contained, storey)
        storey_index += 1
        if storey_index % 5 == 0:
            f.write(str(path))
            if path.stat().st_size >= size_mb * 1e6:
                break
    return counts


def measure(path: Path) -> dict:
    """Run in a child process: load the scene, report time, peak memory and what it holds."""
    from pipeline.scene.scene import load_scene

    steps = []
    start = time.perf_counter()
    scene = load_scene(path, progress=lambda frac, msg: steps.append((round(time.perf_counter() - start, 2), round(frac, 3), msg)))
    wall = time.perf_counter() - start
    return {
        "load_wall_s": round(wall, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "triangles": scene.triangle_count,
        "parts": len(scene.geometries),
        "size_m": [round(float(s), 2) for s in scene.size],
        "options": scene.options.to_dict(),
        "reasons": scene.options.reasons,
        "notes": scene.notes,
        "hidden_parts": len(scene.hidden_parts),  # spaces and openings: listed, hidden by default
        "progress_callbacks": len(steps),
        # a cancel is honoured at the next progress call: the longest gap is the worst wait
        "longest_gap_between_progress_s": round(max(b[0] - a[0] for a, b in zip([(0.0,)] + steps, steps)), 2),
        "longest_gap_ends_at": max(zip([(0.0,)] + steps, steps), key=lambda ab: ab[1][0] - ab[0][0])[1][2],
        "progress_sample": steps[:: max(1, len(steps) // 8)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=float, default=100.0)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/genzi_bench"))
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # child mode
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return
    args.cache.mkdir(parents=True, exist_ok=True)
    path = args.cache / f"tower_{int(args.size_mb)}mb.ifc"
    counts = None
    if not path.is_file():
        start = time.perf_counter()
        counts = build_model(path, args.size_mb)
        print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - start:.0f} s", flush=True)
    child = subprocess.run([sys.executable, __file__, "--measure", str(path)], capture_output=True, text=True,
                           check=True, cwd=ROOT)
    result = json.loads(child.stdout.strip().splitlines()[-1])
    report = {
        "machine": {"cpu_count": os.cpu_count(), "platform": platform.platform(),
                    "load_average_1min": os.getloadavg()[0]},
        "file": path.name,
        "file_mb": round(path.stat().st_size / 1e6, 1),
        "model": counts,
        **result,
    }
    out = ROOT / "benchmarks" / "results" / "ifc_load.json"
    if counts is None and out.is_file():  # the model was built by an earlier run: keep what it holds
        report["model"] = json.loads(out.read_text()).get("model")
    out.write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps({k: v for k, v in report.items() if k not in ("progress_sample", "reasons")}, indent=1))


if __name__ == "__main__":
    main()
