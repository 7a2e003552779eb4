"""One person of a populate plan as a self-contained job, and the function that runs it.

A job is plain JSON (the person, the generation request, the painter), so the same job runs
in this process or on a Ray worker and gives the same result for the same seed. Bodies of
people finished earlier nearby come along as obstacles the fit keeps out of.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from pipeline.core.atomic import read_json, write_json_atomic
from pipeline.core.events import CancelToken, EventSink
from pipeline.generation import GenerationError, GenerationRequest, NothingUsableError, RenderedBodyImagination, run_generation
from pipeline.generation.obstacles import penetration_into_bodies
from pipeline.populate.person_cancel import CANCELLED, PersonCancelled
from pipeline.populate.placement import PersonSpec
from pipeline.populate.plan import PopulatePlan

OUTCOME_FILE = "person.json"
REACH = 1.6  # metres: people closer than this (in plan) may touch, so the later one avoids the earlier


@dataclass
class PersonJob:
    person: PersonSpec
    request: dict  # GenerationRequest.to_dict(), scene path left for the runner to fill in
    painter: str  # "diffusion" or "known_body"
    obstacles: list[int]  # earlier people whose bodies this one must keep out of

    def to_dict(self) -> dict:
        return {"person": self.person.to_dict(), "request": dict(self.request), "painter": self.painter,
                "obstacles": list(self.obstacles)}

    @classmethod
    def from_dict(cls, data: dict) -> "PersonJob":
        return cls(PersonSpec.from_dict(data["person"]), dict(data["request"]), data["painter"], list(data["obstacles"]))


def person_dir_name(index: int) -> str:
    return f"person_{index:03d}"


def make_jobs(plan: PopulatePlan, people: Sequence[PersonSpec], *, device: str = "auto", dtype: str = "auto") -> list[PersonJob]:
    """Jobs in plan order; each lists the earlier people within :data:`REACH` as obstacles."""
    jobs = []
    for person in people:
        request = GenerationRequest(
            scene="", target=person.target, prompt=person.prompt, normal=[0.0, 0.0, 1.0], seed=person.seed,
            preset=plan.preset, overrides=dict(plan.overrides), device=device, dtype=dtype,
            **({"model": plan.model} if plan.model else {}),
        )
        here = np.asarray(person.target[:2])
        near = [p.index for p in people[: person.index]
                if np.linalg.norm(np.asarray(p.target[:2]) - here) < REACH]
        jobs.append(PersonJob(person, request.to_dict(), plan.painter, near))
    return jobs


def read_outcome(folder: Path) -> dict | None:
    """The finished person's record, or None when the person has not finished."""
    path = Path(folder) / OUTCOME_FILE
    return read_json(path) if path.is_file() else None


def best_body(folder: Path) -> tuple[np.ndarray, np.ndarray] | None:
    """(vertices, faces) of a finished person's best body, None when it has none."""
    from pipeline.core.obj_mesh import read_obj

    path = Path(folder) / "body_0.obj"
    outcome = read_outcome(folder)
    if outcome is None or outcome.get("status") != "done" or not path.is_file():
        return None
    return read_obj(path)


def run_person(job: PersonJob, scene: str, folder: Path, obstacles: Sequence = (), emit: EventSink | None = None,
               cancel: CancelToken | None = None, painter=None) -> dict:
    """Run (or resume) one person into ``folder``; returns and writes its outcome record.

    A person the method cannot make (no painted image shows anyone) is an outcome with status
    ``no_body`` and the explanation, a person whose inputs fail (no view of the spot can be
    rendered, a missing model) one with status ``failed``: one person never stops the plan.
    A person stopped on its own (``cancel`` is a :class:`PersonToken`) is status ``cancelled``.
    A rerun of the job keeps ``done`` and ``no_body`` people and retries the others.
    ``painter``: the diffusion imagination to use (one that paints together with other people).
    """
    folder = Path(folder)
    (folder / OUTCOME_FILE).unlink(missing_ok=True)  # the last try's record; rewritten below
    if folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()  # a person cancelled before it started left only that record
    request = GenerationRequest.from_dict({**job.request, "scene": scene})
    imagination = painter if job.painter == "diffusion" else None
    if job.painter == "known_body":
        imagination = RenderedBodyImagination(posture=job.person.posture, at=job.person.target,
                                              facing_yaw_deg=job.person.facing_yaw_deg)
    t0 = time.perf_counter()
    outcome = {"index": job.person.index, "person": job.person.to_dict(), "obstacles": list(job.obstacles)}
    try:
        result = run_generation(request, folder, emit, cancel, imagination=imagination, obstacles=list(obstacles))
    except PersonCancelled:  # only this person: the folder resumes when it is run again
        outcome.update(status=CANCELLED, message="cancelled by the user while it ran")
    except NothingUsableError as exc:
        outcome.update(status="no_body", message=str(exc))
    except GenerationError as exc:  # this person's spot or inputs; the others go on, a rerun retries it
        outcome.update(status="failed", message=str(exc))
    else:
        best = result.best
        outcome.update(status="done", message=f"{len(result.bodies)} bodies, best score {best.score:.3f}",
                       mesh="body_0.obj", metrics={k: v for k, v in best.metrics.items() if k != "reprojection_px"},
                       **penetration_into_bodies(best.vertices, obstacles))
    outcome["seconds"] = round(time.perf_counter() - t0, 2)
    write_json_atomic(folder / OUTCOME_FILE, outcome)
    return outcome
