"""Populating on a Ray cluster: one worker actor per GPU, the scene sent once, results zipped back.

Connecting checks the address first, so a wrong one fails in seconds with a message that
says what to try. A worker that dies is restarted by Ray and its person retried (and once
more on a fresh worker); a cluster that goes away mid-job raises :class:`ClusterLost` with
everything finished so far already on disk.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import shutil
import socket
import time
import zipfile
from pathlib import Path

from pipeline.core.atomic import replace_folder, write_json_atomic
from pipeline.core.events import Cancelled, CancelToken, EventSink, null_sink
from pipeline.generation.errors import GenerationError
from pipeline.populate.events import PersonEvent, PersonFinished, PopulateNotice
from pipeline.populate.jobs import OUTCOME_FILE
from pipeline.populate.runner import ClusterLost
from pipeline.populate.schedule import Schedule

log = logging.getLogger("pipeline.populate")
CANCEL_GRACE_S = 20.0  # how long workers get to stop by themselves before they are killed
CLOSE_GRACE_S = 10.0  # how long workers get to remove their scratch folders when the job ends


class ClusterError(GenerationError):
    """The cluster cannot be reached or used; the message says what to try."""


def _advice(address: str) -> str:
    return (f"Check the address (ray://HEAD:10001, HEAD:6379 or auto), that `ray start --head` runs on the head and "
            "that the port is open from here; or run on this machine (desktop: Populate > Run on > This machine; "
            "CLI: leave out --cluster).")


def check_reachable(address: str, timeout: float = 3.0) -> None:
    """Fail fast with :class:`ClusterError` when nothing listens at ``address``'s host and port."""
    if address in ("auto", "local", ""):
        return
    hostport = address.split("://", 1)[-1]
    host, _, port = hostport.rpartition(":")
    if not host or not port.isdigit():
        raise ClusterError(f"{address!r} is not a cluster address. {_advice(address)}")
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            pass
    except OSError as exc:
        raise ClusterError(f"Cannot reach the Ray cluster at {address}: {exc.strerror or exc}. {_advice(address)}") from exc


class RayBackend:
    """Runs people on Ray workers; ``address`` None starts a private local instance."""

    name = "ray"

    def __init__(self, address: str | None = "auto", workers: int | None = None, gpus_per_worker: float | None = None,
                 retries: int = 2) -> None:
        self.address = address
        self.workers = workers
        self.gpus_per_worker = gpus_per_worker
        self.retries = retries
        self.owns_ray = False
        self.actors: list = []
        self.flight: dict = {}  # ref -> (person, actor) while it runs
        self.cancel_report: dict[int, str] = {}  # person -> "stopped" / "killed" after a cancel

    def describe(self) -> str:
        return f"Ray cluster {self.address or '(local instance)'}"

    # ---- connection --------------------------------------------------------------------
    def connect(self) -> None:
        try:
            import ray
        except ImportError as exc:
            raise ClusterError("Ray is not installed: install the cluster extra (pip install 'genzi-desktop[cluster]') "
                               "or run on this machine.") from exc
        check_reachable(self.address or "local")
        if ray.is_initialized():  # this process is already connected (a notebook, a test): use it
            return
        try:
            if self.address is None:
                # "local" starts a fresh instance even when an earlier head left its address behind
                ray.init(address="local", num_cpus=self.workers or None, include_dashboard=False, log_to_driver=False)
            else:
                ray.init(address=self.address, log_to_driver=False)
        except Exception as exc:  # noqa: BLE001 - every failure to connect becomes one message
            raise ClusterError(f"Could not connect to the Ray cluster at {self.address}: {exc}. "
                               f"{_advice(str(self.address))}") from exc
        self.owns_ray = True

    def _start_workers(self) -> None:
        import ray

        from pipeline.populate.ray_worker import worker_class

        resources = ray.cluster_resources()
        gpus = self.gpus_per_worker if self.gpus_per_worker is not None else (1.0 if resources.get("GPU", 0) >= 1 else 0.0)
        count = self.workers or max(1, int(resources.get("GPU", 0)) if gpus else int(resources.get("CPU", 1)))
        cls = worker_class(gpus, self.retries)
        self.actors = [cls.remote() for _ in range(count)]

    # ---- the job -----------------------------------------------------------------------
    def run(self, schedule: Schedule, scene: str, emit: EventSink | None = None, cancel: CancelToken | None = None) -> None:
        emit = emit or null_sink
        cancel = cancel or CancelToken()
        self.connect()
        import ray

        from pipeline.populate.ray_worker import EventBus

        try:
            data = Path(scene).read_bytes()
            scene_name = hashlib.sha256(data).hexdigest()[:16] + Path(scene).suffix.lower()
            scene_ref = ray.put(data)  # once; every worker reads it from the object store
            bus = EventBus.remote()
            self._start_workers()
        except Exception as exc:  # noqa: BLE001
            raise ClusterLost(f"The Ray cluster failed while the job was starting ({exc}).") from exc
        free = list(self.actors)
        self.flight.clear()
        flight = self.flight
        attempts: dict[int, int] = {}
        told: set[int] = set()  # running people whose worker was told to stop them
        try:
            while not schedule.done:
                if cancel.cancelled:
                    self._cancel(bus, flight, emit)
                    raise Cancelled("cancelled by the user")
                for stopped in schedule.take_cancelled():
                    emit(PersonFinished(stopped, schedule.outcomes[stopped]))
                for index, _ in flight.values():
                    if index in schedule.cancels and index not in told:
                        told.add(index)
                        bus.cancel_person.remote(index)
                for index in schedule.ready():
                    if not free:
                        break
                    actor = free.pop(0)
                    job = schedule.start(index)
                    ref = actor.run.remote(job.to_dict(), scene_name, scene_ref, schedule.obstacles(index), bus)
                    flight[ref] = (index, actor)
                done, _ = ray.wait(list(flight), num_returns=1, timeout=0.2) if flight else ([], [])
                self._forward(bus, emit)
                for ref in done:
                    index, actor = flight.pop(ref)
                    try:
                        outcome, archive = ray.get(ref)
                    except ray.exceptions.RayActorError as exc:
                        attempts[index] = attempts.get(index, 0) + 1
                        schedule.stop(index)
                        emit(PopulateNotice(f"person {index}: its worker died ({exc.__class__.__name__}); retrying on a new worker"))
                        if attempts[index] > 1:
                            schedule.finish({"index": index, "status": "failed", "message": f"worker died twice: {exc}"})
                        actor = self._replace(actor)
                        free.append(actor)
                        continue
                    except ray.exceptions.RayTaskError as exc:
                        outcome, archive = {"index": index, "status": "failed", "message": str(exc.cause or exc)}, b""
                    free.append(actor)
                    self._store(schedule, index, outcome, archive, scene)
                    emit(PersonFinished(index, schedule.outcomes[index]))
                if not ray.is_initialized():
                    raise ClusterLost("The connection to the Ray cluster was closed.")
        except (Cancelled, ClusterLost):
            raise
        except Exception as exc:  # noqa: BLE001 - anything else from Ray here means the cluster is gone
            for index, _ in flight.values():
                schedule.stop(index)
            raise ClusterLost(f"Lost the connection to the Ray cluster ({exc.__class__.__name__}: {exc}).") from exc
        self._forward(bus, emit)

    def running_pids(self) -> dict[int, int]:
        """{person: process id of the worker running it} (to watch or stop a worker from outside)."""
        import ray

        items = list(self.flight.values())
        pids = ray.get([actor.pid.remote() for _, actor in items], timeout=30)
        return {index: pid for (index, _), pid in zip(items, pids)}

    def _forward(self, bus, emit) -> None:
        import ray

        for person, event in ray.get(bus.drain.remote(), timeout=30):
            emit(PersonEvent(person, event))

    def _replace(self, actor):
        import ray

        try:
            ray.kill(actor, no_restart=True)
        except Exception:  # noqa: BLE001
            pass
        from pipeline.populate.ray_worker import worker_class

        resources = ray.cluster_resources()
        gpus = self.gpus_per_worker if self.gpus_per_worker is not None else (1.0 if resources.get("GPU", 0) >= 1 else 0.0)
        new = worker_class(gpus, self.retries).remote()
        self.actors = [new if a is actor else a for a in self.actors]
        return new

    def _store(self, schedule: Schedule, index: int, outcome: dict, archive: bytes, scene: str) -> None:
        """Unpack a person's folder next to its final place, then swap it in (never half a folder)."""
        folder = schedule.folder(index)
        if archive:
            staging = folder.with_name(folder.name + ".incoming")
            shutil.rmtree(staging, ignore_errors=True)
            with zipfile.ZipFile(io.BytesIO(archive)) as zf:
                zf.extractall(staging)
            config = staging / "config.json"
            if config.is_file():  # the worker's scratch copy of the scene -> this machine's scene
                data = json.loads(config.read_text())
                data["scene"] = scene
                data.setdefault("request", {})["scene"] = scene
                write_json_atomic(config, data)
            replace_folder(staging, folder)
        else:
            folder.mkdir(parents=True, exist_ok=True)
            write_json_atomic(folder / OUTCOME_FILE, outcome)
        schedule.finish(outcome)

    def _cancel(self, bus, flight: dict, emit) -> None:
        """Tell every worker to stop, wait for them, kill the ones that do not."""
        import ray

        bus.cancel.remote()
        for ref in flight:
            ray.cancel(ref)
        deadline = time.monotonic() + CANCEL_GRACE_S
        pending = dict(flight)
        while pending and time.monotonic() < deadline:
            done, _ = ray.wait(list(pending), num_returns=len(pending), timeout=0.5)
            for ref in done:
                index, _ = pending.pop(ref)
                try:
                    status = ray.get(ref)[0].get("status")
                except Exception:  # noqa: BLE001 - a cancelled or failed task is stopped too
                    status = "cancelled"
                self.cancel_report[index] = "stopped" if status == "cancelled" else status
        for index, actor in pending.values():
            ray.kill(actor, no_restart=True)
            self.cancel_report[index] = "killed"
        emit(PopulateNotice(f"cancelled: {len(flight)} running people stopped on the cluster"))

    def close(self) -> None:
        try:
            import ray
        except ImportError:
            return
        if ray.is_initialized():
            try:  # a worker that does not answer in time keeps its scratch folder, nothing else
                ray.wait([a.close.remote() for a in self.actors], num_returns=len(self.actors), timeout=CLOSE_GRACE_S)
            except Exception:  # noqa: BLE001 - a dead worker has nothing left to clean
                pass
            for actor in self.actors:
                try:
                    ray.kill(actor, no_restart=True)
                except Exception:  # noqa: BLE001
                    pass
            if self.owns_ray:
                ray.shutdown()
        self.actors = []
