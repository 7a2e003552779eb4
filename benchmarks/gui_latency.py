"""Event-loop latency of the desktop window while the generation worker fits a body.

The real window imports renders of a known Anny body (sitting on the sample sofa) as the
user's images for a few selected views, so the worker detects keypoints and fits the body
(LiftingStep events stream the live body into the viewport). Meanwhile a 10 ms QTimer
measures how late the event loop serves it, and the viewport orbits (one render every
100 ms, as a user dragging the view would cause). Latency = actual interval - 10 ms.

Run under a display (``xvfb-run -a -s "-screen 0 1920x1080x24" python benchmarks/gui_latency.py``).
Writes ``benchmarks/results/gui_latency.json``; the goal is p99 <= 50 ms during fitting.
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

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

TICK_MS = 10
ORBIT_EVERY_MS = 100


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--views", type=int, default=3)
    parser.add_argument("--image-size", type=int, default=384)
    parser.add_argument("--fit-iterations", type=int, default=600)  # the fast preset's count
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "gui_latency.json")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="genzi-gui-latency-"))
    os.environ["GENZI_DESKTOP_DATA"] = str(work / "appdata")
    from PySide6 import QtCore, QtWidgets

    from genzi_desktop.app import configure_application
    from genzi_desktop.window.main_window import MainWindow
    from genzi_desktop.settings import AppSettings
    from genzi_desktop.model.edits import SetCameras, SetTarget
    from genzi_desktop.model.project import PromptSettings
    from pipeline.scene.scene import load_scene
    from pipeline.scene.targets import Target
    from pipeline.views.selection import select_views

    from gen_gui_support import quick_overrides, render_known_body

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    configure_application(app)
    QtCore.QSettings.setPath(QtCore.QSettings.Format.IniFormat, QtCore.QSettings.Scope.UserScope, str(work / "settings"))
    window = MainWindow(AppSettings(QtCore.QSettings()), interactive=False)
    window.resize(1280, 800)
    window.show()
    sample = ROOT / "resources" / "scenes" / "living_room.glb"
    scene = load_scene(sample)
    window.set_scene(scene, sample)
    seat = np.array([0.0, -2.41, 0.566])
    window.apply_edit(SetTarget(None, Target(seat, (0, 0, 1), 0.0)))
    cameras = select_views(scene, seat, normal=(0, 0, 1)).cameras[: args.views]
    window.apply_edit(SetCameras([], cameras))
    c = window.generation
    c.prompt_panel.set_values(PromptSettings(prompt="a man sitting on the sofa", num_results=1, preset="fast",
                                             overrides=quick_overrides(args.image_size, args.fit_iterations)))
    render_known_body(scene, cameras, args.image_size, work / "images")

    def idle_render_ms(n: int = 5) -> float:
        times = []
        for _ in range(n):
            t = time.perf_counter()
            window.viewport.plotter.camera.azimuth += 1.0
            window.viewport.plotter.render()
            times.append((time.perf_counter() - t) * 1000)
        return float(np.median(times))

    def measure(orbit_on: bool, live_body: bool = True) -> dict:
        c.feed.show_live_body = live_body
        lateness: list[float] = []
        render_ms: list[float] = []
        phase = {"fitting": False, "steps": 0, "live": 0}
        last = [time.perf_counter()]

        spikes: list[tuple[float, str]] = []

        def tick():
            now = time.perf_counter()
            if phase["fitting"]:
                late = max(0.0, (now - last[0]) * 1000 - TICK_MS)
                lateness.append(late)
                if late > 30:
                    spikes.append((round(late, 1), f"after step event {phase['steps']}, {phase['live']} live renders, "
                                                   f"stage {getattr(c, '_stage', '?')}"))
            last[0] = now

        def orbit():
            if phase["fitting"] and orbit_on:
                t = time.perf_counter()
                window.viewport.plotter.camera.azimuth += 2.0
                window.viewport.plotter.render()
                render_ms.append((time.perf_counter() - t) * 1000)

        plain_set_body = window.viewport.set_body

        def counted_set_body(*a, **k):
            phase["live"] += 1
            return plain_set_body(*a, **k)

        window.viewport.set_body = counted_set_body

        def on_step(*_a):
            phase["fitting"] = True
            phase["steps"] += 1

        timer = QtCore.QTimer()
        timer.setTimerType(QtCore.Qt.TimerType.PreciseTimer)
        timer.timeout.connect(tick)
        timer.start(TICK_MS)
        orbiter = QtCore.QTimer()
        orbiter.timeout.connect(orbit)
        orbiter.start(ORBIT_EVERY_MS)
        loop = QtCore.QEventLoop()
        outcome = {}

        def finished(n):
            outcome["bodies"] = n
            loop.quit()

        def failed(msg):
            outcome["error"] = msg
            loop.quit()

        c.generationFinished.connect(finished)
        c.generationFailed.connect(failed)
        t0 = time.perf_counter()
        c.import_images(work / "images")
        c.runner.worker.liftingStep.connect(on_step)
        QtCore.QTimer.singleShot(900_000, loop.quit)
        loop.exec()
        seconds = time.perf_counter() - t0
        timer.stop()
        orbiter.stop()
        window.viewport.set_body = plain_set_body
        c.generationFinished.disconnect(finished)
        c.generationFailed.disconnect(failed)
        while c.is_busy():
            app.processEvents()
        lat = np.asarray(lateness)
        out = {
            "samples": int(lat.size),
            "p50_ms": float(np.percentile(lat, 50)) if lat.size else None,
            "p95_ms": float(np.percentile(lat, 95)) if lat.size else None,
            "p99_ms": float(np.percentile(lat, 99)) if lat.size else None,
            "max_ms": float(lat.max()) if lat.size else None,
            "lifting_step_events": phase["steps"],
            "viewport_body_updates": phase["live"],
            "spikes_over_30ms": sorted(spikes, reverse=True)[:12],
            "orbit_renders": len(render_ms),
            "orbit_render_mean_ms": float(np.mean(render_ms)) if render_ms else None,
            "run_seconds": round(seconds, 1),
            "outcome": outcome,
        }
        if lat.size:
            out["passes_goal"] = bool(out["p99_ms"] <= 50.0)
        return out

    for _ in range(20):
        app.processEvents()
    render_before = idle_render_ms()
    scenarios = {"still_viewport_no_live_body": measure(False, live_body=False),
                 "still_viewport": measure(False), "orbiting_viewport": measure(True)}
    result = {
        "what": "event-loop lateness of a 10 ms timer while the worker fits a body from imported images; "
                "live body updates (<= 10/s) in the viewport; 'orbiting' also renders the viewport every 100 ms",
        "goal": "p99 <= 50 ms",
        "scenarios": scenarios,
        "viewport_render_ms_idle": render_before,
        "note": "every viewport frame and every repaint of another widget is composed by OpenGL in the GUI "
                "thread (a QOpenGLWidget makes Qt compose the whole window with GL); with software OpenGL "
                "(llvmpipe) on 2 cores one live body update blocks the loop for 100-250 ms, so the controller "
                "spaces them by their cost (LIVE_RENDER_SHARE); an orbit render every 100 ms cannot be spaced "
                "(the user asked for it) and saturates the loop; spikes_over_30ms says when each late tick happened",
        "settings": {"views": args.views, "image_size": args.image_size, "fit_iterations": args.fit_iterations,
                     "window": [window.width(), window.height()]},
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                    "display": "Xvfb (software OpenGL, llvmpipe)" if "xvfb" in " ".join(sys.argv).lower() or
                    os.environ.get("DISPLAY", "").startswith(":9") else os.environ.get("DISPLAY", ""),
                    "load_average_at_end": os.getloadavg()},
        "date": time.strftime("%Y-%m-%d %H:%M"),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))
    window.shutdown()
    window.close()
    return 0 if all("error" not in sc["outcome"] for sc in scenarios.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
