"""Populate plans and jobs inside a project, without Qt.

The panel's plan lives in ``populate/plan.json`` (the plan format itself) and each job's
people in ``populate/<job>/`` under the project's folder, so a saved project file carries
them like its run folders, and ``genzi populate populate/plan.json`` runs the same plan. Finished people become people of
the project with their body as a result.
"""

from __future__ import annotations

import re
import shutil
import uuid
from pathlib import Path

from pipeline.core.atomic import read_json, write_json_atomic
from pipeline.populate.plan import PopulatePlan

from genzi_desktop.model.project import Person, Project, PromptSettings, ResultEntry

PLAN_FILE = Path("populate") / "plan.json"


def load_plan(project: Project) -> PopulatePlan | None:
    path = project.root / PLAN_FILE
    return PopulatePlan.load(path) if path.is_file() else None


def save_plan(project: Project, plan: PopulatePlan) -> Path:
    return write_json_atomic(project.root / PLAN_FILE, plan.to_dict())


def job_dir(project: Project, plan: PopulatePlan) -> Path:
    """The plan's job folder: the same plan resumes there, another plan gets its own."""
    slug = re.sub(r"[^A-Za-z0-9]+", "_", plan.name).strip("_") or "plan"
    return project.root / "populate" / slug


def add_finished_person(project: Project, folder: Path, outcome: dict) -> Person | None:
    """A finished populate person as a project person with its best body as a result."""
    if outcome.get("status") != "done":
        return None
    spec = outcome["person"]
    report = read_json(folder / "report.json")
    best = report["bodies"][0]
    rid = uuid.uuid4().hex[:8]
    keep = project.root / "results" / f"{rid}.obj"
    keep.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(folder / best["mesh"], keep)
    name = f"{spec['placement']} {spec['index'] + 1}"
    person = project.add_person(name)
    person.target = {"point": list(spec["target"]), "normal": [0.0, 0.0, 1.0], "radius": 0.0}
    person.prompt = PromptSettings(prompt=spec["prompt"], seed=int(spec["seed"]))
    person.runs.append(project.relative(folder))
    person.results.append(ResultEntry(
        id=rid, name=f"{name} #1", prompt=spec["prompt"], score=float(best["score"]),
        metrics={**best.get("metrics", {}), "person_penetration_max_m": outcome.get("person_penetration_max_m", 0.0)},
        mesh=project.relative(keep), run=project.relative(folder), set_name=best.get("set", ""),
        params=dict(best.get("params") or {}), view_weights=dict(best.get("view_weights") or {}),
        seed=int(spec["seed"])))
    return person


def remove_populated_person(project: Project, folder: Path) -> int | None:
    """Drop the project person made from the populate run in ``folder``; returns its index."""
    run = project.relative(folder)
    for index, person in enumerate(project.people):
        if run in person.runs and len(project.people) > 1:
            project.people.pop(index)
            project.active_person = min(project.active_person, len(project.people) - 1)
            return index
    return None
