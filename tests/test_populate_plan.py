"""Populate plans: placement on the sample room's seats and floor, and every bad plan's message."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pipeline.populate.placement import place_people
from pipeline.populate.plan import Placement, PlanError, PopulatePlan, example_plan
from tests.populate_helpers import MIDDLE, SCENE, SOFA, four_people


@pytest.fixture(scope="module")
def scene():
    from pipeline.scene.scene import load_scene

    return load_scene(SCENE)


def _plan(*placements, **kw) -> PopulatePlan:
    return PopulatePlan(placements=list(placements), **kw)


def test_example_plan_round_trips_and_places_everyone_apart_on_seats_and_free_floor(scene):
    plan = example_plan()
    again = PopulatePlan.from_dict(json.loads(plan.to_json()))
    assert again.to_dict() == plan.to_dict()
    kinds = {p.kind for p in plan.placements}
    assert kinds == {"point", "region", "seats"}
    people = place_people(plan, scene)
    assert len(people) == plan.requested == 6
    targets = np.array([p.target for p in people])
    gaps = np.linalg.norm(targets[:, None, :2] - targets[None, :, :2], axis=-1) + np.eye(len(people)) * 9
    assert gaps.min() >= 0.65
    for p in people:
        if p.surface == "seat":  # on the sofa's cushions (top about 0.5-0.6 m), facing the room (+Y)
            assert 0.45 < p.target[2] < 0.65 and -2.8 < p.target[1] < -1.9
            assert abs(abs(p.facing_yaw_deg) - 180) < 30
        else:  # on the floor with nothing within a body's half-width up to head height
            assert abs(p.target[2]) < 0.03
            for h in (0.3, 1.0, 1.7):
                _, d, _ = scene.closest_points(np.array([p.target]) + [0, 0, h])
                assert d[0] > 0.25
    assert [p.surface for p in people if p.placement == "sofa"] == ["seat", "seat"]
    # a sitting prompt in a mixed region goes to a seat, a standing one to the floor
    # and a squatting one crouches on the floor (before crouch words, "squat" meant a seat)
    mixed = _plan(Placement("room", "region", ["a man sitting", "a woman standing", "a child squatting"], 3, 4,
                            polygon=[[-1.5, -2.8], [1.5, -2.8], [1.5, 0.0], [-1.5, 0.0]]))
    a, b, c = place_people(mixed, scene)
    assert (a.surface, b.surface, c.surface) == ("seat", "floor", "floor")
    assert (a.posture, b.posture, c.posture) == ("sitting_chair", "standing", "crouching")


def test_people_placed_earlier_keep_the_next_placements_away(scene):
    people = place_people(four_people(), scene)
    assert [p.surface for p in people] == ["seat", "seat", "floor", "floor"]
    from pipeline.populate.jobs import make_jobs

    jobs = make_jobs(four_people(), people)
    assert jobs[0].obstacles == [] and jobs[1].obstacles == [0]  # neighbours on the sofa
    assert all(j.request["seed"] == p.seed for j, p in zip(jobs, people))


@pytest.mark.parametrize("placement, words", [
    (Placement("sofa", "seats", ["a man sitting"], 0, polygon=SOFA), ["asks for 0 people", "at least 1"]),
    (Placement("hall", "region", ["a man standing"], 10_000, polygon=MIDDLE), ["10000 people", "at most 1000", "Split"]),
    (Placement("nobody", "region", [""], 1, polygon=MIDDLE), ["no prompt", "describe"]),
    (Placement("tiny", "region", ["a man"], 1, polygon=[[0, 0], [0.1, 0], [0.1, 0.1]]), ["almost no floor"]),
    (Placement("spot", "point", ["a man"], 3, point=[0, 0, 0]), ["single point", "radius"]),
])
def test_bad_counts_and_shapes_say_what_to_change(scene, placement, words):
    with pytest.raises(PlanError) as info:
        place_people(_plan(placement), scene)
    for word in words:
        assert word in str(info.value)


def test_overlapping_regions_are_refused(scene):
    plan = _plan(Placement("a", "region", ["a man standing"], 1, polygon=MIDDLE),
                 Placement("b", "point", ["a woman standing"], 1, point=[0.9, 0.4, 0.0], radius=0.5))
    with pytest.raises(PlanError, match="'a' and 'b' overlap.*redraw"):
        place_people(plan, scene)
    side_by_side = _plan(Placement("a", "region", ["a man standing"], 1, polygon=MIDDLE),
                         Placement("b", "point", ["a woman standing"], 1, point=[2.0, 0.0, 0.0], radius=0.5))
    assert len(place_people(side_by_side, scene)) == 2


def test_a_sitting_prompt_without_a_seat_and_more_people_than_fit(scene):
    with pytest.raises(PlanError) as info:
        place_people(_plan(Placement("middle", "region", ["a woman sitting, reading"], 1, polygon=MIDDLE)), scene)
    assert "no seat for the sitting prompt" in str(info.value) and "sofa, chair or bench" in str(info.value)
    with pytest.raises(PlanError) as info:
        place_people(_plan(Placement("sofa", "seats", ["a man sitting"], 6, polygon=SOFA)), scene)
    message = str(info.value)
    assert "asks for 6 people on seats, but only 3 fit" in message and "Lower the count to 3" in message
    # every seat: as many as fit
    assert len(place_people(_plan(Placement("sofa", "seats", ["a man sitting"], None, polygon=SOFA)), scene)) >= 3


def test_plan_files_with_mistakes(tmp_path):
    with pytest.raises(PlanError, match="not found.*--example"):
        PopulatePlan.load(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{ nope")
    with pytest.raises(PlanError, match="not valid JSON"):
        PopulatePlan.load(tmp_path / "bad.json")
    with pytest.raises(PlanError, match="placements"):
        PopulatePlan.from_dict({"people": 3})
    with pytest.raises(PlanError, match="whole numbers"):
        PopulatePlan.from_dict({"placements": [{"kind": "seats", "prompts": "x", "count": "many", "polygon": SOFA}]})


def test_a_person_whose_inputs_fail_is_recorded_not_raised(tmp_path):
    from pipeline.populate.jobs import make_jobs, read_outcome, run_person
    from pipeline.populate.placement import PersonSpec

    plan = four_people()
    person = PersonSpec(0, "sofa", [0.0, 0.0, -2.0], "a man standing", "floor", 1000, 180.0)  # under the floor
    job = make_jobs(plan, [person], device="cpu")[0]
    outcome = run_person(job, str(SCENE), tmp_path / "p0")
    assert outcome["status"] == "failed" and outcome["message"]
    assert read_outcome(tmp_path / "p0") == outcome  # on disk: the rerun of the job retries it


def test_cli_prints_the_example_and_refuses_a_bad_plan_with_its_message(tmp_path, capsys):
    from pipeline.cli.main import main

    assert main(["populate", "--example"]) == 0
    example = PopulatePlan.from_dict(json.loads(capsys.readouterr().out))
    assert example.to_dict() == example_plan().to_dict()
    bad = example_plan()
    bad.placements[0].count = 0
    (tmp_path / "plan.json").write_text(bad.to_json())
    code = main(["populate", str(tmp_path / "plan.json"), "--scene", str(SCENE), "--out", str(tmp_path / "job")])
    err = capsys.readouterr().err
    assert code == 2 and "'sofa' asks for 0 people" in err and "Traceback" not in err
    assert not (tmp_path / "job").exists()
    assert main(["populate", str(tmp_path / "plan.json")]) == 2
    assert "give --scene, --out" in capsys.readouterr().err


def test_a_click_becomes_the_floor_corner_under_it_and_bad_drawings_are_explained():
    from genzi_desktop.model.region_sketch import RegionSketch
    from pipeline.populate.regions import floor_point, polygon_problem

    # a click on the sofa's seat means the floor under it; past every surface, where the ray meets the floor
    assert np.allclose(floor_point([0, 0, 5], [0.1, 0, -1], [0.3, -2.2, 0.55], 0.0), [0.3, -2.2])
    assert np.allclose(floor_point([0, 0, 5], [0.2, 0.1, -1], None, 0.0), [1.0, 0.5])
    assert np.allclose(floor_point([0, 0, 5], [0.2, 0.0, -1], None, 1.0), [0.8, 0.0])
    assert floor_point([0, 0, 1], [1, 0, 0.2], None, 0.0) is None  # looking up: no floor there
    assert "at least 3 corners" in polygon_problem([[0, 0], [1, 0]])
    assert "edges cross (edge 1 and edge 3)" in polygon_problem([[0, 0], [1, 1], [1, 0], [0, 1]])  # a bow tie
    assert "almost no floor" in polygon_problem([[0, 0], [0.1, 0], [0.1, 0.1]])
    assert polygon_problem(MIDDLE) is None

    sketch = RegionSketch("seats", floor_z=0.01)
    assert sketch.add([0, 0]) and sketch.add([1, 0]) and not sketch.add([1.005, 0.0])  # a double-click's repeat
    with pytest.raises(PlanError, match="at least 3"):
        sketch.finish()
    sketch.add([1, 1])
    sketch.add([5, 5])
    assert sketch.undo() and sketch.finish() == [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0]]
    outline = sketch.outline(closed=True)
    assert outline.shape == (4, 3) and np.allclose(outline[:, 2], 0.03) and np.allclose(outline[0], outline[-1])
