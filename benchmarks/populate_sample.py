"""The populated sample: 8 people in the sample room, checked, exported, and shown in the app.

Runs the 8-person plan of ``benchmarks/populate.py`` with the known-body painter (no
diffusion weights are needed: a posed body is rendered into each view, then the real
keypoints, fit with the earlier people as obstacles, ranking and export run), on Ray with 2
workers or here. Then checks every body with exact distances: how deep it reaches into the
furniture and into the other bodies. Writes ``benchmarks/results/populate_sample.json``,
the job folder (with ``populated.glb``) and, with ``--screenshot``, a picture of the window
with the Populate dock and all 8 people (needs a display, e.g. ``xvfb-run``).

    nice python benchmarks/populate_sample.py --out /tmp/sample [--ray] [--screenshot docs/populate.png]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.populate import SCENE, eight_people  # noqa: E402

SETTINGS = {"num_views": 4, "image_size": 320, "inpaints_round1": 1, "rounds": 1, "fit_iterations": 300,
            "sdf_cell": 0.04, "ranking": "fit"}


def check(out: Path, count: int) -> list[dict]:
    from pipeline.core.obj_mesh import read_obj
    from pipeline.generation.obstacles import body_signed_distance
    from pipeline.scene.scene import load_scene
    from pipeline.scene.sdf import sdf_at

    scene = load_scene(SCENE)
    meshes = [read_obj(out / "people" / f"person_{i:03d}" / "body_0.obj") for i in range(count)]
    rows = []
    for i, (vertices, _) in enumerate(meshes):
        d = sdf_at(scene, vertices)
        b = body_signed_distance(vertices, [m for j, m in enumerate(meshes) if j != i])
        spec = json.loads((out / "people" / f"person_{i:03d}" / "person.json").read_text())["person"]
        rows.append({"person": i, "prompt": spec["prompt"], "surface": spec["surface"],
                     "target": [round(v, 3) for v in spec["target"]],
                     "furniture_penetration_max_m": round(float(max(0.0, -d.min())), 4),
                     "vertices_deeper_than_1cm_in_furniture": int((d < -0.01).sum()),
                     "nearest_other_body_m": round(float(b.min()), 3),
                     "vertices_inside_other_bodies": int((b < 0).sum())})
    return rows


def screenshot(out: Path, path: Path) -> None:
    from PySide6 import QtWidgets

    from genzi_desktop.app import configure_application
    from genzi_desktop.model.populate_store import add_finished_person
    from genzi_desktop.window.main_window import MainWindow
    from pipeline.populate.placement import PersonSpec
    from pipeline.populate.plan import PopulatePlan
    from pipeline.scene.scene import load_scene
    from pipeline.views.geometry import camera_from_view

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    configure_application(app)
    window = MainWindow(interactive=False)
    window.resize(1600, 1000)
    window.show()
    app.processEvents()
    window.set_scene(load_scene(SCENE), SCENE)
    c = window.populate
    saved = json.loads((out / "people.json").read_text())
    c.panel.set_plan(PopulatePlan.from_dict(saved["plan"]))
    people = [PersonSpec.from_dict(p) for p in saved["people"]]
    c.out_dir = out
    c.on_placed(people)
    for p in people:
        outcome = json.loads((out / "people" / f"person_{p.index:03d}" / "person.json").read_text())
        c.panel.set_cell(p.index, "Stage", "finished")
        c.panel.set_cell(p.index, "Time", f"{outcome['seconds']:.0f} s")
        c.panel.set_cell(p.index, "Status", outcome["status"])
        add_finished_person(c.project, out / "people" / f"person_{p.index:03d}", outcome)
    c.project.active_person = 0
    window.generation.results.show_results()
    c.panel.set_message(f"{len(people)} of {len(people)} people have a body. The scene with everyone: populated.glb")
    window.docks["Populate"].raise_()
    c.panel.select_person(len(people) - 1)  # its Accept / Reject buttons enabled
    camera = camera_from_view((2.6, 3.4, 2.6), (-0.2, -0.9, 0.6), (0, 0, 1), 55.0, 1000, 800, name="overview")
    window.viewport.look_through(camera)
    for _ in range(20):
        app.processEvents()
        time.sleep(0.05)
    window.save_screenshot(path)
    window.shutdown()
    window.close()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="job folder (run again to reuse finished people)")
    parser.add_argument("--ray", action="store_true", help="run on a local Ray instance with 2 workers")
    parser.add_argument("--screenshot", type=Path, default=None)
    args = parser.parse_args(argv)
    from pipeline.populate.runner import populate

    backend = None
    if args.ray:
        import ray

        from pipeline.populate.ray_backend import RayBackend

        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        backend = RayBackend(workers=2)
    plan = eight_people(None, SETTINGS, painter="known_body")
    t0 = time.perf_counter()
    result = populate(plan, SCENE, args.out, backend=backend, device="cpu")
    rows = check(Path(args.out), len(result.people))
    report = {"benchmark": "populate_sample", "people": len(result.people), "with_body": len(result.finished),
              "seconds": round(time.perf_counter() - t0, 1), "backend": "ray, 2 workers" if args.ray else "local",
              "settings": SETTINGS, "painter": "known body (posture from the prompt, placed at the target)",
              "glb": "populated.glb in the job folder", "bodies": rows}
    path = ROOT / "benchmarks" / "results" / "populate_sample.json"
    path.write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps(report, indent=1))
    if args.screenshot:
        screenshot(Path(args.out), args.screenshot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
