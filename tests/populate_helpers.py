"""A small populate plan on the sample room that runs in seconds per person on a CPU."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pipeline.populate.plan import Placement, PopulatePlan

ROOT = Path(__file__).resolve().parents[1]
SCENE = ROOT / "resources" / "scenes" / "living_room.glb"
SOFA = [[-1.2, -2.75], [1.2, -2.75], [1.2, -1.9], [-1.2, -1.9]]
MIDDLE = [[-1.0, -1.2], [1.0, -1.2], [1.0, 0.5], [-1.0, 0.5]]
# the real stages at a small size: 3 views of 256 px, one hypothesis, a short fit from one start
QUICK = {"num_views": 3, "image_size": 256, "inpaints_round1": 1, "rounds": 1, "fit_iterations": 40,
         "starts": "one", "sdf_cell": 0.06, "ranking": "fit"}


def four_people(**changes) -> PopulatePlan:
    plan = PopulatePlan(
        painter="known_body", overrides=dict(QUICK), min_spacing=0.7,
        placements=[
            Placement(name="sofa", kind="seats", prompts=["a man sitting on the sofa"], count=2, seed=1, polygon=SOFA),
            Placement(name="middle", kind="region", prompts=["a woman standing"], count=2, seed=2, polygon=MIDDLE),
        ],
    )
    for key, value in changes.items():
        setattr(plan, key, value)
    return plan


def body_of(out: Path, index: int) -> np.ndarray:
    from pipeline.core.obj_mesh import read_obj

    return read_obj(Path(out) / "people" / f"person_{index:03d}" / "body_0.obj")[0]


def start_ray_head(cpus: int = 2):
    """A real Ray head in its own process group; returns (address, kill) where kill() ends
    exactly it and everything it started (never another engineer's Ray)."""
    import os
    import signal
    import socket
    import subprocess
    import sys
    import time

    def free_port():
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    port, client = free_port(), free_port()
    head = subprocess.Popen([str(Path(sys.executable).with_name("ray")), "start", "--head", "--block", f"--port={port}",
                             f"--num-cpus={cpus}", "--node-ip-address=127.0.0.1", f"--ray-client-server-port={client}",
                             "--include-dashboard=false", "--disable-usage-stats"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.3)

    def kill():
        try:
            os.killpg(head.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        head.wait(timeout=30)

    return f"127.0.0.1:{port}", kill
