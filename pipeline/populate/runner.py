"""A whole populate job: place everyone, run each person on a backend, export the scene.

``OUT/`` holds ``plan.json`` (the plan as run), ``people.json`` (where each person went),
``status.json`` (each person's state, rewritten after every one), ``people/person_NNN/`` (a
full generation run folder per person, with ``person.json`` when it finished) and
``populated.glb`` (the scene with every body). Running again into the same folder resumes:
finished people are kept, the rest are run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from pathlib import Path

from pipeline.core.atomic import read_json, write_json_atomic
from pipeline.core.events import CancelToken, EventSink, Warning, null_sink
from pipeline.generation.errors import GenerationError
from pipeline.populate.events import PopulateNotice
from pipeline.populate.jobs import make_jobs, read_outcome
from pipeline.populate.local_backend import LocalBackend
from pipeline.populate.placement import PersonSpec, place_people
from pipeline.populate.plan import PlanError, PopulatePlan
from pipeline.populate.schedule import Schedule

log = logging.getLogger("pipeline.populate")


class ClusterLost(GenerationError):
    """The cluster went away mid-job; the people finished so far are on disk."""


@dataclass
class PopulateResult:
    out_dir: Path
    people: list[PersonSpec]
    outcomes: dict[int, dict]
    export_path: Path | None = None
    notices: list[str] = field(default_factory=list)

    @property
    def finished(self) -> list[int]:
        return [i for i, o in sorted(self.outcomes.items()) if o.get("status") == "done"]


def plan_people(plan: PopulatePlan, scene_path: str | Path, out_dir: str | Path | None = None) -> list[PersonSpec]:
    """Where everyone goes; a folder that already holds a job keeps its placements."""
    if out_dir is not None and (Path(out_dir) / "people.json").is_file():
        saved = read_json(Path(out_dir) / "people.json")
        if saved.get("plan") != plan.to_dict():
            raise PlanError(f"{out_dir} holds a job of another plan; choose an empty folder to run this one.")
        return [PersonSpec.from_dict(p) for p in saved["people"]]
    from pipeline.generation.stages import load_scene

    return place_people(plan, load_scene(str(scene_path)))


def populate(plan: PopulatePlan, scene_path: str | Path, out_dir: str | Path, *, backend=None,
             emit: EventSink | None = None, cancel: CancelToken | None = None, device: str = "auto",
             dtype: str = "auto", on_cluster_lost: str = "local", export: bool = True) -> PopulateResult:
    """Run ``plan`` on ``scene_path`` into ``out_dir`` (resuming what is there).

    ``backend`` defaults to :class:`LocalBackend`. If a cluster backend loses its connection,
    ``on_cluster_lost="local"`` finishes the remaining people here (finished ones are kept);
    ``"stop"`` raises :class:`ClusterLost`.
    """
    emit = emit or null_sink
    cancel = cancel or CancelToken()
    out = Path(out_dir)
    scene = str(Path(scene_path).resolve())
    people = plan_people(plan, scene, out)
    out.mkdir(parents=True, exist_ok=True)
    write_json_atomic(out / "plan.json", plan.to_dict())
    write_json_atomic(out / "people.json", {"plan": plan.to_dict(), "scene": scene,
                                            "people": [p.to_dict() for p in people]})
    jobs = make_jobs(plan, people, device=device, dtype=dtype)
    outcomes = {}
    for p in people:
        outcome = read_outcome(out / "people" / f"person_{p.index:03d}")
        if outcome is not None and outcome.get("status") in ("done", "no_body"):  # failed ones are retried
            outcomes[p.index] = outcome
    schedule = Schedule(jobs, out, outcomes)
    schedule.write_status()
    notices: list[str] = []
    backend = backend or LocalBackend()
    try:
        backend.run(schedule, scene, emit, cancel)
    except ClusterLost as exc:
        if on_cluster_lost != "local":
            raise
        message = (f"{exc} {len(schedule.outcomes)} of {len(people)} people had finished and are kept in {out}; "
                   f"the other {len(schedule.pending)} now run on this machine.")
        notices.append(message)
        log.warning("%s", message)
        emit(PopulateNotice(message))
        schedule.running.clear()
        LocalBackend().run(schedule, scene, emit, cancel)
    finally:
        backend.close()
    result = PopulateResult(out, people, dict(schedule.outcomes), notices=notices)
    if export:
        result.export_path = export_populated(result, scene, emit)
    return result


def export_populated(result: PopulateResult, scene: str, emit: EventSink | None = None) -> Path | None:
    """``populated.glb``: the scene plus every person's best body (rigged)."""
    from pipeline.export import export_bodies
    from pipeline.export.run_folder import bodies_of_run

    bodies = []
    for i in result.finished:
        body = bodies_of_run(result.out_dir / "people" / f"person_{i:03d}", [0], rigged=True)[0]
        bodies.append(replace(body, name=f"person_{i:03d}"))
    if not bodies:
        (emit or null_sink)(Warning("no person got a body, so there is nothing to export", "export"))
        return None
    path = result.out_dir / "populated.glb"
    export_bodies(bodies, path, scene=scene)
    return path
