"""A whole populate job: place everyone, run each person on a backend, export the scene.

``OUT/`` holds ``plan.json`` (the plan as run), ``people.json`` (where each person went),
``status.json`` (each person's state, rewritten after every one), ``people/person_NNN/`` (a
full generation run folder per person, with ``person.json`` when it finished) and
``populated.glb`` (the scene with every body but those rejected in ``review.json``). Running
again into the same folder resumes: finished people are kept, the rest are run.
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
from pipeline.populate.person_cancel import PersonCancels
from pipeline.populate.placement import PersonSpec, place_people
from pipeline.populate.plan import PlanError, PopulatePlan
from pipeline.populate.schedule import Schedule

log = logging.getLogger("pipeline.populate")
REVIEW_FILE = "review.json"
VERDICTS = ("accepted", "rejected")


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
             dtype: str = "auto", on_cluster_lost: str = "local", export: bool = True,
             cancels: PersonCancels | None = None, only: list[int] | None = None,
             together: int | str = "auto") -> PopulateResult:
    """Run ``plan`` on ``scene_path`` into ``out_dir`` (resuming what is there).

    ``backend`` defaults to :class:`LocalBackend`. If a cluster backend loses its connection,
    ``on_cluster_lost="local"`` finishes the remaining people here (finished ones are kept);
    ``"stop"`` raises :class:`ClusterLost`. ``cancels``: people the caller may stop one by one
    while the job runs. ``only``: run just these people (and the unfinished ones they wait on),
    e.g. to retry one that failed. ``together``: people run at once on this machine, painting
    together (``"auto"``: several on a GPU, one on a CPU).
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
    schedule = Schedule(jobs, out, outcomes, cancels, only)
    schedule.write_status()
    notices: list[str] = []
    backend = backend or LocalBackend(together, device)
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
        LocalBackend(together, device).run(schedule, scene, emit, cancel)
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
    rejected = {i for i, verdict in read_review(result.out_dir).items() if verdict == "rejected"}
    for i in [i for i in result.finished if i not in rejected]:
        body = bodies_of_run(result.out_dir / "people" / f"person_{i:03d}", [0], rigged=True)[0]
        bodies.append(replace(body, name=f"person_{i:03d}"))
    path = result.out_dir / "populated.glb"
    if not bodies:
        path.unlink(missing_ok=True)  # an earlier export would show people no longer wanted
        (emit or null_sink)(Warning("no person got a body, so there is nothing to export", "export"))
        return None
    export_bodies(bodies, path, scene=scene)
    return path


def read_review(out_dir: str | Path) -> dict[int, str]:
    """{person: "accepted" / "rejected"} as the user judged the finished people."""
    path = Path(out_dir) / REVIEW_FILE
    return {int(k): v for k, v in read_json(path).items()} if path.is_file() else {}


def set_review(out_dir: str | Path, index: int, verdict: str | None) -> dict[int, str]:
    """Record (``None``: forget) the user's verdict on person ``index``; returns all verdicts."""
    if verdict is not None and verdict not in VERDICTS:
        raise ValueError(f"verdict {verdict!r}: choose one of {', '.join(VERDICTS)}")
    review = read_review(out_dir)
    review.pop(int(index), None)
    if verdict is not None:
        review[int(index)] = verdict
    write_json_atomic(Path(out_dir) / REVIEW_FILE, {str(k): v for k, v in sorted(review.items())})
    return review


def saved_job(out_dir: str | Path) -> tuple[PopulatePlan, str]:
    """(plan, scene path) of the job in ``out_dir``, to resume it without its plan file."""
    path = Path(out_dir) / "people.json"
    if not path.is_file():
        raise PlanError(f"{out_dir} holds no populate job (no people.json); give PLAN, --scene and --out to start one.")
    saved = read_json(path)
    return PopulatePlan.from_dict(saved["plan"]), str(saved["scene"])


def reexport(out_dir: str | Path, emit: EventSink | None = None) -> Path | None:
    """Rewrite ``populated.glb`` from the finished people on disk (after a review changed)."""
    plan, scene = saved_job(out_dir)
    people = plan_people(plan, scene, out_dir)
    outcomes = {p.index: o for p in people
                if (o := read_outcome(Path(out_dir) / "people" / f"person_{p.index:03d}")) is not None}
    return export_populated(PopulateResult(Path(out_dir), people, outcomes), scene, emit)
