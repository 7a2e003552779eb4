"""Off-screen renders without a display pick EGL at once: no "bad X server connection" warning,
and the render still has the scene in it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from pipeline.views.gl_window import WINDOW_VARIABLE, choose_offscreen_window

REPO = Path(__file__).resolve().parent.parent


def test_the_window_class_is_chosen_only_without_a_display():
    assert choose_offscreen_window({}, "linux") == "vtkEGLRenderWindow"
    assert choose_offscreen_window({"DISPLAY": ":99"}, "linux") is None
    assert choose_offscreen_window({WINDOW_VARIABLE: "vtkOSOpenGLRenderWindow"}, "linux") is None
    assert choose_offscreen_window({}, "win32") is None


def test_genzi_views_without_a_display_prints_no_x_warning(tmp_path):
    from PIL import Image

    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", WINDOW_VARIABLE)}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    done = subprocess.run([sys.executable, "-m", "pipeline.cli", "views", "--scene",
                           str(REPO / "resources" / "scenes" / "living_room.glb"), "--at", "0", "-2.41", "0.566",
                           "--out", str(tmp_path), "--views", "1", "--size", "64"],
                          env=env, capture_output=True, text=True, timeout=300, cwd=REPO)
    screen = done.stdout + done.stderr
    assert done.returncode == 0, screen
    assert "bad X server" not in screen and "Traceback" not in screen, screen
    image = np.asarray(Image.open(tmp_path / "view_00.png"))
    assert image.shape == (64, 64, 3) and image.std() > 10  # the room, not a blank frame
