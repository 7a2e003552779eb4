"""``genzi-desktop --scene FILE --screenshot OUT.png --quit`` as a user would run it."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from gui_support import ARTIFACTS, SAMPLE

pytestmark = [pytest.mark.gui, pytest.mark.slow]


def _run(args, tmp_path, timeout=400):
    env = dict(os.environ)
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")  # keep the user's settings out of it
    env["HOME"] = str(tmp_path)
    code = "import sys; from genzi_desktop.app import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


def test_screenshot_of_sample_scene_and_quit(tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    out = ARTIFACTS / "cli_screenshot_sample.png"
    out.unlink(missing_ok=True)
    proc = _run(["--scene", str(SAMPLE), "--screenshot", str(out), "--quit"], tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    rgb = np.asarray(Image.open(out).convert("RGB"))
    assert rgb.shape[0] > 400 and rgb.shape[1] > 600
    assert rgb.mean() > 40 and rgb.reshape(-1, 3).std(axis=0).mean() > 20
    r, g, b = (rgb[..., i].astype(int) for i in range(3))
    assert ((r > g + 25) & (g > b) & (r > 80)).mean() > 0.02  # the wooden floor shows
    assert "Traceback" not in proc.stderr


def test_missing_scene_exits_with_error_and_no_traceback(tmp_path):
    proc = _run(["--scene", str(tmp_path / "nope.glb"), "--quit"], tmp_path)
    assert proc.returncode == 1
    assert "does not exist" in proc.stderr
    assert "Traceback" not in proc.stderr
