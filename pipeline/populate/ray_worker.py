"""What runs on the cluster: a worker actor per GPU (or CPU slot) and the job's event bus.

A worker keeps the scene file it was sent (once per worker) and runs people with the same
:func:`run_person` as this machine, in a scratch folder that travels back zipped. Progress
events go to the bus actor, which the driver drains; the bus also carries the cancel flag
that a worker's cancel token polls between steps.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
import time
import zipfile
from pathlib import Path

import ray

from pipeline.core.atomic import process_alive
from pipeline.core.events import (
    Cancelled, CancelToken, Error, InpaintDone, Progress, StageFinished, StageSkipped, StageStarted, Warning,
)
from pipeline.populate.jobs import PersonJob, run_person
from pipeline.populate.person_cancel import PersonCancelled

LIGHT_EVENTS = (StageStarted, StageFinished, StageSkipped, Progress, Warning, Error)
THUMBNAIL = 96  # painted images travel back as thumbnails of at most this many pixels a side


def thumbnail_event(event: InpaintDone) -> InpaintDone:
    """The painted image, shrunk by striding, without its mask: a few kB instead of a few hundred."""
    step = max(1, -(-max(event.image.shape[:2]) // THUMBNAIL))
    return InpaintDone(event.view, event.sample, event.image[::step, ::step].copy(), None, event.round)


@ray.remote(num_cpus=0)
class EventBus:
    """Events from the workers to the driver, and the cancel flag from the driver to the workers."""

    def __init__(self) -> None:
        self.events: list = []
        self.cancelled = False
        self.people: set[int] = set()

    def push(self, person: int, event) -> None:
        self.events.append((person, event))

    def drain(self) -> list:
        out, self.events = self.events, []
        return out

    def cancel(self) -> None:
        self.cancelled = True

    def is_cancelled(self) -> bool:
        return self.cancelled

    def cancel_person(self, person: int) -> None:
        self.people.add(person)

    def state(self, person: int) -> str:
        """"job" when everything stops, "person" when only this person does, "" to go on."""
        return "job" if self.cancelled else ("person" if person in self.people else "")


class RemoteCancel(CancelToken):
    """A person's cancel token that also asks the bus (at most every ``interval`` seconds)
    whether the job, or this person alone, was cancelled."""

    def __init__(self, bus, person: int, interval: float = 0.3) -> None:
        super().__init__()
        self.bus, self.person, self.interval = bus, person, interval
        self.last = 0.0
        self.person_stopped = False

    @property
    def cancelled(self) -> bool:
        return super().cancelled or self.person_stopped

    def check(self) -> None:
        now = time.monotonic()
        if not self.cancelled and now - self.last > self.interval:
            self.last = now
            try:
                state = ray.get(self.bus.state.remote(self.person), timeout=10)
            except Exception:  # noqa: BLE001 - a slow bus must not stop the person
                state = ""
            if state == "job":
                self.cancel()
            self.person_stopped = state == "person"
        super().check()
        if self.person_stopped:
            raise PersonCancelled(f"person {self.person + 1} cancelled by the user")


SCRATCH_PREFIX = "genzi-worker-"


def remove_stale_scratch(parent: Path) -> None:
    """Remove the scratch folders of workers whose process is gone (killed with their node or
    by a cancel, so they never ran :meth:`PersonWorker.close`)."""
    for folder in parent.glob(f"{SCRATCH_PREFIX}*-*"):
        pid = folder.name[len(SCRATCH_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and not process_alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


class PersonWorker:
    """One worker: holds the scene file and runs people one at a time."""

    def __init__(self) -> None:
        self.scenes: dict[str, str] = {}
        remove_stale_scratch(Path(tempfile.gettempdir()))
        self.scratch = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-"))

    def pid(self) -> int:
        return os.getpid()

    def close(self) -> None:
        """Remove this worker's scratch folder (its scene copy); the backend calls it before the kill."""
        shutil.rmtree(self.scratch, ignore_errors=True)

    def scene_file(self, name: str, data: bytes) -> str:
        if name not in self.scenes:
            path = self.scratch / "scenes" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            self.scenes[name] = str(path)
        return self.scenes[name]

    def run(self, job: dict, scene_name: str, scene_data: bytes, obstacles: list, bus) -> tuple[dict, bytes]:
        """(outcome, zipped run folder) of one person; status ``cancelled`` when the bus says stop."""
        person = PersonJob.from_dict(job)
        index = person.person.index
        scene = self.scene_file(scene_name, scene_data)
        folder = Path(tempfile.mkdtemp(dir=self.scratch)) / "run"

        def emit(event) -> None:
            if isinstance(event, LIGHT_EVENTS):
                bus.push.remote(index, event)
            elif isinstance(event, InpaintDone):
                bus.push.remote(index, thumbnail_event(event))

        try:
            outcome = run_person(person, scene, folder, obstacles, emit, RemoteCancel(bus, index))
        except Cancelled:
            shutil.rmtree(folder.parent, ignore_errors=True)
            return {"index": index, "status": "cancelled", "message": "stopped on the worker"}, b""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    archive.write(path, path.relative_to(folder).as_posix())
        shutil.rmtree(folder.parent, ignore_errors=True)
        return outcome, buffer.getvalue()


def worker_class(gpus: float, retries: int):
    """The actor class with the resources and the restart policy of this job."""
    # two threads: one runs a person, the other answers pid() while it does
    return ray.remote(num_cpus=1, num_gpus=gpus, max_restarts=retries, max_task_retries=retries,
                      max_concurrency=2)(PersonWorker)
