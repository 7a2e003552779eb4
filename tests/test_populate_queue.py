"""The populate queue without the desktop: one person stopped while the others go on, a retry
that runs only that person, a rejected result left out of the combined scene, and
``genzi populate --resume`` finishing a job from its folder alone."""

from __future__ import annotations

import json
import re

import pytest

from pipeline.core.events import StageStarted
from pipeline.populate.events import PersonEvent, PersonFinished
from pipeline.populate.person_cancel import PersonCancels
from pipeline.populate.runner import populate, read_review, reexport, set_review
from populate_helpers import SCENE, four_people

pytestmark = pytest.mark.slow


def _glb_people(path) -> set[str]:
    import trimesh

    scene = trimesh.load(str(path), force="scene")
    return {name for name in scene.graph.nodes if re.fullmatch(r"person_\d{3}", str(name))}  # not their bones


def test_cancel_one_person_retry_it_and_reject_another(tmp_path):
    out = tmp_path / "job"
    cancels = PersonCancels()
    cancels.cancel(3)  # before it starts
    finished = []

    def emit(event):
        if isinstance(event, PersonEvent) and event.person == 1 and isinstance(event.event, StageStarted) \
                and event.event.stage == "sdf":
            cancels.cancel(1)  # while it runs
        if isinstance(event, PersonFinished):
            finished.append((event.person, event.outcome["status"]))

    result = populate(four_people(), SCENE, out, emit=emit, device="cpu", cancels=cancels)
    status = {p["index"]: p["status"] for p in json.loads((out / "status.json").read_text())["people"]}
    assert status == {0: "done", 1: "cancelled", 2: "done", 3: "cancelled"}
    assert sorted(finished) == [(0, "done"), (1, "cancelled"), (2, "done"), (3, "cancelled")]
    assert "while it ran" in result.outcomes[1]["message"] and "before it started" in result.outcomes[3]["message"]
    assert not (out / "people" / "person_001" / "body_0.obj").exists()
    assert _glb_people(result.export_path) == {"person_000", "person_002"}

    kept = (out / "people" / "person_000" / "person.json").stat().st_mtime_ns
    ran = []
    retry = populate(four_people(), SCENE, out, device="cpu", only=[1],
                     emit=lambda e: ran.append(e.person) if isinstance(e, PersonFinished) else None)
    assert ran == [1] and retry.outcomes[1]["status"] == "done"
    status = {p["index"]: p["status"] for p in json.loads((out / "status.json").read_text())["people"]}
    assert status == {0: "done", 1: "done", 2: "done", 3: "cancelled"}
    assert (out / "people" / "person_000" / "person.json").stat().st_mtime_ns == kept  # not run again
    assert _glb_people(retry.export_path) == {"person_000", "person_001", "person_002"}

    assert set_review(out, 2, "rejected") == {2: "rejected"} and read_review(out) == {2: "rejected"}
    assert _glb_people(reexport(out)) == {"person_000", "person_001"}
    with pytest.raises(ValueError, match="choose one of"):
        set_review(out, 0, "maybe")

    from pipeline.cli.main import main

    assert main(["populate", "--resume", str(out), "--device", "cpu", "--quiet"]) == 0  # person 3 now runs
    status = {p["index"]: p["status"] for p in json.loads((out / "status.json").read_text())["people"]}
    assert status == {0: "done", 1: "done", 2: "done", 3: "done"}
    assert _glb_people(out / "populated.glb") == {"person_000", "person_001", "person_003"}  # 2 stays rejected
