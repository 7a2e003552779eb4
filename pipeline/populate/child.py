"""A cluster populate job in a child process, so a dying cluster cannot end the caller.

When the Ray head (or this machine's raylet) dies, Ray ends its driver's process. The
desktop must survive that with its unsaved work, so it drives the cluster from a child
process: events, the placed people and the result come back through a queue; cancel and
per-person cancels go the other way. If the child ends without a result, the job raises
:class:`ClusterLost` and the finished people are on disk as always.
"""

from __future__ import annotations

import multiprocessing
import queue as queue_module
import signal
import threading
from pathlib import Path

from pipeline.core.events import Cancelled, CancelToken, EventSink, null_sink
from pipeline.populate.person_cancel import PersonCancels
from pipeline.populate.placement import PersonSpec
from pipeline.populate.plan import PlanError, PopulatePlan
from pipeline.populate.runner import ClusterLost, PopulateResult

ERRORS = {"ClusterLost": ClusterLost, "PlanError": PlanError, "Cancelled": Cancelled}


def _child(job: dict, events, control) -> None:
    """The child's side: run the job on the cluster, report everything through ``events``."""
    from pipeline.generation.errors import GenerationError
    from pipeline.populate.ray_backend import ClusterError, RayBackend
    from pipeline.populate.runner import plan_people, populate

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the caller, which cancels this job
    cancel, cancels = CancelToken(), PersonCancels()

    def listen() -> None:
        while True:
            message = control.get()
            if message[0] == "cancel":
                cancel.cancel()
            elif message[0] == "cancel_person":
                cancels.cancel(message[1])
            else:
                return

    threading.Thread(target=listen, daemon=True).start()
    plan = PopulatePlan.from_dict(job["plan"])
    try:
        backend = RayBackend(address=job["address"], workers=job["workers"])
        backend.connect()
        events.put(("placed", [p.to_dict() for p in plan_people(plan, job["scene"], job["out"])]))
        result = populate(plan, job["scene"], job["out"], backend=backend, emit=lambda e: events.put(("event", e)),
                          cancel=cancel, device=job["device"], cancels=cancels, only=job["only"],
                          on_cluster_lost="stop")
        events.put(("result", {"people": [p.to_dict() for p in result.people], "outcomes": result.outcomes,
                               "export": str(result.export_path) if result.export_path else None,
                               "notices": result.notices}))
    except Cancelled as exc:
        events.put(("error", "Cancelled", str(exc)))
    except (ClusterError, ClusterLost, PlanError, GenerationError, OSError, ValueError) as exc:
        kind = "ClusterError" if isinstance(exc, ClusterError) else type(exc).__name__
        events.put(("error", kind if kind in ERRORS or kind == "ClusterError" else "GenerationError", str(exc)))


def populate_on_cluster(plan: PopulatePlan, scene: str | Path, out_dir: str | Path, *, address: str,
                        workers: int | None = None, device: str = "auto", emit: EventSink | None = None,
                        placed=None, cancel: CancelToken | None = None, cancels: PersonCancels | None = None,
                        only: list[int] | None = None) -> PopulateResult:
    """Run ``plan`` on the Ray cluster at ``address`` from a child process (see the module doc).

    ``placed(people)`` is called once the people are placed. Errors come back as the
    same types (``ClusterError``, ``ClusterLost``, ``PlanError``, ``Cancelled``).
    """
    from pipeline.generation.errors import GenerationError
    from pipeline.populate.ray_backend import ClusterError

    emit, cancel, cancels = emit or null_sink, cancel or CancelToken(), cancels or PersonCancels()
    context = multiprocessing.get_context("spawn")  # no fork of a process with Qt or Ray threads
    events, control = context.Queue(), context.Queue()
    job = {"plan": plan.to_dict(), "scene": str(scene), "out": str(out_dir), "address": address, "workers": workers,
           "device": device, "only": only}
    process = context.Process(target=_child, args=(job, events, control), name="genzi-populate-cluster", daemon=True)
    process.start()
    told: set[int] = set()
    cancel_sent = False
    outcome = None
    try:
        while outcome is None:
            if cancel.cancelled and not cancel_sent:
                control.put(("cancel",))
                cancel_sent = True
            for index in cancels.people() - told:
                control.put(("cancel_person", index))
                told.add(index)
            try:
                message = events.get(timeout=0.2)
            except queue_module.Empty:
                if not process.is_alive():
                    try:  # what it sent just before it ended
                        message = events.get(timeout=1.0)
                    except queue_module.Empty:
                        raise ClusterLost(f"Lost the connection to the Ray cluster (Ray ended the job's process, "
                                          f"exit code {process.exitcode}).") from None
                else:
                    continue
            if message[0] == "placed" and placed is not None:
                placed([PersonSpec.from_dict(p) for p in message[1]])
            elif message[0] == "event":
                emit(message[1])
            elif message[0] in ("result", "error"):
                outcome = message
    finally:
        if outcome is None:  # the caller stopped (e.g. Ctrl-C) or the child died: end the job now
            control.put(("cancel",))
        control.put(("stop",))
        process.join(timeout=30 if outcome is not None else 5)
        if process.is_alive():
            process.kill()
    if outcome[0] == "error":
        kind, text = outcome[1], outcome[2]
        raise {"ClusterError": ClusterError, **ERRORS}.get(kind, GenerationError)(text)
    data = outcome[1]
    return PopulateResult(Path(out_dir), [PersonSpec.from_dict(p) for p in data["people"]],
                          {int(k): v for k, v in data["outcomes"].items()},
                          Path(data["export"]) if data["export"] else None, list(data["notices"]))
