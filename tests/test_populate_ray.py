"""Populating through a real local Ray instance (2 CPUs) against the local backend.

Each person runs the real stages at a small size with the known-body painter (the tiny random
diffusion model paints nobody, so it would give no bodies to compare): renders, SDF with the
earlier people folded in, keypoints, fit, ranking. Same seeds must give the same bodies
whichever backend ran them, a killed worker or a lost cluster must not lose or change any.
"""

from __future__ import annotations

import os
import signal
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

from pipeline.core.events import Cancelled, CancelToken, StageStarted
from pipeline.populate.events import PersonEvent, PersonFinished, PopulateNotice
from pipeline.populate.runner import populate
from tests.populate_helpers import SCENE, body_of, four_people

ray = pytest.importorskip("ray")
pytestmark = [pytest.mark.ray, pytest.mark.slow]


@pytest.fixture(scope="module")
def local_run(tmp_path_factory):
    import torch

    out = tmp_path_factory.mktemp("populate") / "local"
    events = []
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # like a Ray worker with one CPU; on a shared 2-core machine also faster
    try:
        result = populate(four_people(), SCENE, out, emit=events.append, device="cpu")
    finally:
        torch.set_num_threads(threads)
    return out, result, events


@pytest.fixture()
def ray_instance():
    if not ray.is_initialized():
        ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray


def _same_bodies(a, b):
    for i in range(4):
        assert np.allclose(body_of(a, i), body_of(b, i), atol=1e-5), f"person {i} differs"


def test_local_backend_places_four_people_apart_from_each_other_and_the_furniture(local_run):
    out, result, events = local_run
    assert result.finished == [0, 1, 2, 3]
    stages = [e.event.stage for e in events if isinstance(e, PersonEvent) and isinstance(e.event, StageStarted)]
    assert stages.count("lifting") == 4 and stages.count("sdf") == 4
    assert result.outcomes[1]["obstacles"] == [0]  # sofa neighbours: the second keeps out of the first
    from pipeline.scene.sdf import SDFGrid

    assert SDFGrid.load(out / "people" / "person_001" / "scene_sdf.npz").info["obstacle_bodies"] == 1
    assert "obstacle_bodies" not in SDFGrid.load(out / "people" / "person_000" / "scene_sdf.npz").info
    from pipeline.generation.obstacles import body_signed_distance
    from pipeline.core.obj_mesh import read_obj

    meshes = [read_obj(out / "people" / f"person_{i:03d}" / "body_0.obj") for i in range(4)]
    for i in range(4):
        others = [m for j, m in enumerate(meshes) if j != i]
        assert body_signed_distance(meshes[i][0], others).min() > -0.01  # no body inside another
        assert result.outcomes[i]["metrics"]["max_penetration_m"] < 0.03  # nor deep in the furniture
    import trimesh

    glb = trimesh.load(result.export_path)
    names = " ".join(glb.geometry)
    assert all(f"person_{i:03d}" in names for i in range(4)) and len(glb.geometry) > 4  # bodies + scene


def test_ray_with_two_workers_gives_the_local_results(local_run, ray_instance, tmp_path):
    from pipeline.populate.ray_backend import RayBackend

    events = []
    scratch_before = set(Path(tempfile.gettempdir()).glob("genzi-worker-*"))
    result = populate(four_people(), SCENE, tmp_path / "ray", backend=RayBackend(workers=2), emit=events.append,
                      device="cpu")
    assert result.finished == [0, 1, 2, 3]
    assert set(Path(tempfile.gettempdir()).glob("genzi-worker-*")) <= scratch_before  # the workers cleaned up
    _same_bodies(local_run[0], tmp_path / "ray")
    streamed = {(e.person, e.event.stage) for e in events if isinstance(e, PersonEvent) and isinstance(e.event, StageStarted)}
    assert {(i, "lifting") for i in range(4)} <= streamed  # progress came back from the workers
    from pipeline.core.events import InpaintDone

    thumbs = [e.event.image for e in events if isinstance(e, PersonEvent) and isinstance(e.event, InpaintDone)]
    assert len(thumbs) >= 4 * 3 and max(t.shape[0] for t in thumbs) <= 96 and thumbs[0].std() > 5
    config = (tmp_path / "ray" / "people" / "person_000" / "config.json").read_text()
    assert str(SCENE) in config  # the run folder names this machine's scene, not the worker's copy


def test_a_killed_worker_is_replaced_and_the_plan_completes_unchanged(local_run, ray_instance, tmp_path):
    from pipeline.populate.ray_backend import RayBackend

    backend = RayBackend(workers=2)
    killed = []

    def emit(event):
        if not killed and isinstance(event, PersonEvent) and isinstance(event.event, StageStarted) \
                and event.event.stage == "inpaint":
            pid = backend.running_pids()[event.person]
            os.kill(pid, signal.SIGKILL)  # a worker process this test's Ray instance started
            killed.append((event.person, pid))

    result = populate(four_people(), SCENE, tmp_path / "killed", backend=backend, emit=emit, device="cpu")
    assert killed and result.finished == [0, 1, 2, 3]
    _same_bodies(local_run[0], tmp_path / "killed")


def test_cancel_stops_every_remote_task(ray_instance, tmp_path):
    from pipeline.populate.ray_backend import CANCEL_GRACE_S, RayBackend

    backend = RayBackend(workers=2)
    cancel = CancelToken()
    started = set()
    late = []

    def emit(event):
        if isinstance(event, PersonEvent) and isinstance(event.event, StageStarted):
            if cancel.cancelled:
                late.append(event)
            started.add(event.person)
            if len(started) == 2:
                cancel.cancel()

    t0 = time.monotonic()
    with pytest.raises(Cancelled):
        populate(four_people(), SCENE, tmp_path / "cancel", backend=backend, emit=emit, cancel=cancel, device="cpu")
    assert time.monotonic() - t0 < 60
    assert set(backend.cancel_report) == started  # both running people heard the cancel ...
    assert set(backend.cancel_report.values()) == {"stopped"}  # ... and stopped by themselves
    assert not list((tmp_path / "cancel").rglob("person.json"))
    assert CANCEL_GRACE_S >= 10


def test_a_wrong_cluster_address_fails_fast_and_the_job_then_runs_here(local_run, tmp_path, capsys):
    from pipeline.cli.main import main
    from pipeline.populate.ray_backend import ClusterError, RayBackend

    t0 = time.monotonic()
    with pytest.raises(ClusterError) as info:
        RayBackend(address="ray://127.0.0.1:1").connect()
    assert time.monotonic() - t0 < 10
    assert "Cannot reach the Ray cluster at ray://127.0.0.1:1" in str(info.value) and "This machine" in str(info.value)
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(four_people().to_json())
    code = main(["populate", str(plan_file), "--scene", str(SCENE), "--out", str(tmp_path / "cli"),
                 "--cluster", "nohost.invalid:6379"])
    err = capsys.readouterr().err
    assert code == 2 and "Cannot reach the Ray cluster at nohost.invalid:6379" in err and "leave out --cluster" in err
    assert not (tmp_path / "cli").exists()
    # the same job then runs here; the folder of the local run resumes with everything kept
    assert main(["populate", str(plan_file), "--scene", str(SCENE), "--out", str(local_run[0]), "--device", "cpu"]) == 0
    assert "4 of 4 people have a body" in capsys.readouterr().out


def test_a_lost_cluster_keeps_finished_people_and_the_rest_finish_here(local_run, ray_instance, tmp_path):
    from pipeline.populate.ray_backend import RayBackend

    out = tmp_path / "lost"
    first = {}
    notices = []

    def emit(event):
        if isinstance(event, PersonFinished) and not first:
            first["person"] = event.person
            first["mtime"] = (out / "people" / f"person_{event.person:03d}" / "person.json").stat().st_mtime_ns
            ray.shutdown()  # the cluster goes away mid-job
        if isinstance(event, PopulateNotice):
            notices.append(event.message)

    result = populate(four_people(), SCENE, out, backend=RayBackend(workers=2), emit=emit, device="cpu")
    assert result.finished == [0, 1, 2, 3]
    assert any("kept" in n and "run on this machine" in n for n in notices), notices
    kept = out / "people" / f"person_{first['person']:03d}" / "person.json"
    assert kept.stat().st_mtime_ns == first["mtime"]  # not run again
    _same_bodies(local_run[0], out)


@pytest.fixture()
def ray_head():
    """A real Ray head in its own process group (so the test can kill exactly it), 2 CPUs."""
    from tests.populate_helpers import start_ray_head

    address, kill = start_ray_head()
    yield address, kill
    kill()


def _finished(out: Path) -> list[Path]:
    """The people whose folder is in place: a folder still arriving from a worker is staged as
    NAME.incoming and renamed when complete, so its person.json can vanish under the reader."""
    return [p for p in out.glob("people/*/person.json") if not p.parent.name.endswith(".incoming")]


def test_a_killed_cluster_keeps_finished_people_and_resume_finishes_them_here(local_run, ray_head, tmp_path):
    import subprocess
    import sys

    from pipeline.cli.main import main

    address, kill_cluster = ray_head
    plan_file, out = tmp_path / "plan.json", tmp_path / "job"
    plan_file.write_text(four_people().to_json())
    driver = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "populate", str(plan_file), "--scene", str(SCENE),
                               "--out", str(out), "--cluster", address, "--workers", "2", "--device", "cpu",
                               "--stop-if-cluster-lost", "--quiet"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while not _finished(out) and driver.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    kill_cluster()  # the whole cluster goes away mid-job
    _, err = driver.communicate(timeout=240)
    kept = {p.parent.name: p.stat().st_mtime_ns for p in _finished(out)}
    assert driver.returncode == 4, err[-2000:]
    assert "Lost the connection to the Ray cluster" in err and f"genzi populate --resume {out}" in err
    assert 1 <= len(kept) < 4  # some finished on the cluster, some did not

    assert main(["populate", "--resume", str(out), "--device", "cpu", "--quiet"]) == 0
    for name, mtime in kept.items():
        assert (out / "people" / name / "person.json").stat().st_mtime_ns == mtime  # kept, not run again
    _same_bodies(local_run[0], out)


def test_a_killed_cluster_without_stop_finishes_the_rest_here(local_run, ray_head, tmp_path):
    """The CLI driver outlives the cluster (Ray ends only its child) and runs the others here."""
    import subprocess
    import sys

    address, kill_cluster = ray_head
    plan_file, out = tmp_path / "plan.json", tmp_path / "job"
    plan_file.write_text(four_people().to_json())
    driver = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "populate", str(plan_file), "--scene", str(SCENE),
                               "--out", str(out), "--cluster", address, "--workers", "2", "--device", "cpu", "--quiet"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while not _finished(out) and driver.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    kept = {p.parent.name: p.stat().st_mtime_ns for p in _finished(out)}
    kill_cluster()
    stdout, err = driver.communicate(timeout=300)
    assert driver.returncode == 0, err[-2000:]
    assert "Lost the connection to the Ray cluster" in err and "the others run on this machine" in err
    assert "4 of 4 people have a body" in stdout
    for name, mtime in kept.items():
        assert (out / "people" / name / "person.json").stat().st_mtime_ns == mtime  # kept, not run again
    _same_bodies(local_run[0], out)


def test_the_next_worker_removes_the_scratch_of_a_killed_one(tmp_path, monkeypatch):
    import subprocess
    import sys

    from pipeline.populate.ray_worker import PersonWorker

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    stale = tmp_path / f"genzi-worker-{gone.pid}-x1"  # a worker killed mid-job: its scene copy stayed
    (stale / "scenes").mkdir(parents=True)
    running = tmp_path / f"genzi-worker-{os.getpid()}-x2"  # a worker still at work
    running.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    worker = PersonWorker()
    assert not stale.exists() and running.exists()
    assert worker.scratch.parent == tmp_path and worker.scratch.name.startswith(f"genzi-worker-{os.getpid()}-")
    worker.close()
    assert not worker.scratch.exists()
