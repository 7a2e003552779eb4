"""The Populate dock in the real window: bad plans and a wrong cluster address explained in
the panel, then a real local job whose people stream into the queue and the Results panel,
a cancel that stops it, and the plan kept in the saved project file."""

from __future__ import annotations

import json
import zipfile

import pytest
from PySide6 import QtCore

from gui_support import (  # noqa: F401 - fixtures
    SAMPLE, gui_settings, message_boxes, sample_scene, save_artifact, window,
)
from pipeline.core.events import StageStarted
from pipeline.populate.events import PersonEvent
from pipeline.populate.plan import Placement, PopulatePlan
from populate_helpers import QUICK, SOFA

pytestmark = pytest.mark.gui


def _plan(count=1) -> PopulatePlan:
    return PopulatePlan(name="sofa test", painter="known_body", overrides=dict(QUICK),
                        placements=[Placement("sofa", "seats", ["a man sitting on the sofa"], count, 1, polygon=SOFA)])


def _wait_idle(qtbot, controller, timeout=240_000):
    qtbot.waitUntil(lambda: not controller.is_busy(), timeout=timeout)


def test_bad_plan_and_wrong_cluster_address_are_explained_then_the_job_runs_here(window, qtbot, sample_scene,
                                                                                 message_boxes, tmp_path):
    c = window.populate
    panel = c.panel
    assert "Populate" in window.docks
    window.set_scene(sample_scene, SAMPLE)
    panel.set_plan(_plan(count=0))
    panel.populate_button.click()
    assert "asks for 0 people" in panel.message.text() and not c.is_busy()

    panel.set_plan(_plan())
    panel.set_backend("ray", "ray://127.0.0.1:1")
    panel.populate_button.click()
    _wait_idle(qtbot, c, 30_000)
    text = panel.message.text()
    assert "Cannot reach the Ray cluster at ray://127.0.0.1:1" in text and "This machine" in text
    assert "Traceback" not in text and not message_boxes
    assert window.settings.qs.value("populate/address") == "ray://127.0.0.1:1"  # remembered

    stages = []
    c.feed.event.connect(lambda e: stages.append(e.event.stage) if isinstance(e, PersonEvent)
                         and isinstance(e.event, StageStarted) else None)
    panel.set_backend("local", "ray://127.0.0.1:1")
    people_before = len(c.project.people)
    panel.populate_button.click()
    assert c.is_busy() and not panel.populate_button.isEnabled() and panel.cancel_button.isEnabled()
    _wait_idle(qtbot, c)
    assert {"views", "sdf", "inpaint", "keypoints", "lifting"} <= set(stages)
    assert panel.cell(0, "Status") == "done" and panel.cell(0, "Stage") == "finished" and panel.cell(0, "Time").endswith("s")
    assert not panel.queue.item(0, 0).icon().isNull()  # the painted view as the row's thumbnail
    assert "1 of 1 people have a body" in panel.message.text()
    new = c.project.people[people_before:]
    assert len(new) == 1 and new[0].results and new[0].results[0].prompt == "a man sitting on the sofa"
    assert c.project.active_person < people_before  # the user's own person stays active
    assert c.window.generation.results_panel.findChildren(QtCore.QObject)  # the list was rebuilt
    save_artifact(window.grab_window_image(), "populate_panel.png")

    saved = window.generation.projects.save_project(tmp_path / "populated.genzi")
    with zipfile.ZipFile(saved) as zf:
        names = zf.namelist()
        plan_text = zf.read("populate/plan.json").decode()
    assert any(n.startswith("populate/sofa_test/people/person_000/") for n in names)
    assert PopulatePlan.from_dict(json.loads(plan_text)).to_dict() == c.panel.plan().to_dict()  # genzi populate reads it
    # the reopened project shows the plan again
    window.populate.panel.set_plan(PopulatePlan(placements=[]))
    with qtbot.waitSignal(window.generation.projects.projectOpened, timeout=60_000):
        assert window.generation.projects.open_project(saved)
    assert window.populate.panel.plan().name == "sofa test" and window.populate.panel.table.rowCount() == 1


def test_cancel_all_stops_the_job_and_keeps_the_window_usable(window, qtbot, sample_scene):
    c = window.populate
    window.set_scene(sample_scene, SAMPLE)
    c.panel.set_plan(_plan(count=2))
    c.panel.set_backend("local", "auto")

    def cancel_on_first_stage(event):
        if isinstance(event, PersonEvent) and isinstance(event.event, StageStarted):
            c.panel.cancel_button.click()

    c.feed.event.connect(cancel_on_first_stage)
    c.panel.populate_button.click()
    _wait_idle(qtbot, c, 60_000)
    assert "Stopped" in c.panel.message.text()
    assert c.panel.populate_button.isEnabled() and not c.panel.cancel_button.isEnabled()


def _bodies(window) -> int:
    return sum(1 for key in window.viewport.plotter.actors if str(key).startswith("body-"))


def test_queue_cancels_one_person_retries_it_and_accepts_or_rejects_each_result(window, qtbot, sample_scene):
    from pipeline.populate.events import PersonFinished
    from pipeline.populate.runner import read_review
    from test_populate_queue import _glb_people

    c, panel = window.populate, window.populate.panel
    window.set_scene(sample_scene, SAMPLE)
    panel.set_plan(_plan(count=2))  # person 2 waits for person 1: they sit side by side
    panel.set_backend("local", "auto")
    people_before, bodies_before = len(c.project.people), _bodies(window)
    seen = {}

    def on_event(event):
        if isinstance(event, PersonEvent) and event.person == 0 and "cancelled" not in seen:
            panel.select_person(1)
            seen["cancel enabled"] = panel.person_buttons["cancel"].isEnabled()
            panel.person_buttons["cancel"].click()
            seen["cancelled"] = panel.cell(1, "Status")
        if isinstance(event, PersonFinished) and event.person == 0:  # streamed in while the job still runs
            seen["bodies"], seen["busy"] = _bodies(window), c.is_busy()

    c.feed.event.connect(on_event)  # after the controller's own slot
    panel.populate_button.click()
    _wait_idle(qtbot, c)
    c.feed.event.disconnect(on_event)
    assert seen["cancel enabled"] and seen["cancelled"] == "cancelling…"
    assert seen["busy"] and seen["bodies"] == bodies_before + 1
    assert panel.cell(0, "Status") == "done" and panel.cell(1, "Status").startswith("cancelled")
    assert not panel.queue.item(0, 0).icon().isNull() and panel.cell(0, "Time").endswith(" s")
    assert len(c.project.people) == people_before + 1

    panel.select_person(1)
    assert panel.person_buttons["retry"].isEnabled() and not panel.person_buttons["accept"].isEnabled()
    panel.person_buttons["retry"].click()
    assert c.is_busy()
    _wait_idle(qtbot, c)
    assert panel.cell(1, "Status") == "done" and panel.cell(0, "Status") == "done"
    assert len(c.project.people) == people_before + 2 and _bodies(window) == bodies_before + 2
    window.docks["Populate"].raise_()
    save_artifact(window.grab_window_image(), "populate_queue.png")

    panel.select_person(0)
    panel.person_buttons["reject"].click()
    assert panel.cell(0, "Status") == "rejected" and len(c.project.people) == people_before + 1
    assert _bodies(window) == bodies_before + 1 and read_review(c.out_dir) == {0: "rejected"}
    qtbot.waitUntil(lambda: c.export_task is None, timeout=60_000)
    assert _glb_people(c.out_dir / "populated.glb") == {"person_001"}
    panel.select_person(1)
    panel.person_buttons["accept"].click()
    assert panel.cell(1, "Status") == "accepted" and not panel.person_buttons["accept"].isEnabled()
    qtbot.waitUntil(lambda: c.export_task is None, timeout=60_000)
    assert read_review(c.out_dir) == {0: "rejected", 1: "accepted"}


def test_drawing_regions_on_the_floor_adds_placements_with_undo(window, qtbot, sample_scene):
    import numpy as np
    from PySide6.QtTest import QTest

    from gui_support import display_pixel_of
    from genzi_desktop.viewport.outlines import outline_keys
    from pipeline.populate.placement import place_people
    from populate_helpers import MIDDLE

    c, panel, vp = window.populate, window.populate.panel, window.viewport
    window.set_scene(sample_scene, SAMPLE)
    vp.view_preset("top")
    qtbot.wait(50)
    panel.set_plan(PopulatePlan(placements=[], painter="known_body"))
    window.generation.prompt_panel.prompt_edit.setPlainText("a woman standing")  # the drawn placement's prompt
    widget = vp.plotter

    def click(xy, double=False):
        pos = vp.widget_from_display(*display_pixel_of(window, [xy[0], xy[1], 0.0]))
        (QTest.mouseDClick if double else QTest.mouseClick)(widget, QtCore.Qt.MouseButton.LeftButton,
                                                             QtCore.Qt.KeyboardModifier.NoModifier, pos)

    panel.draw_region_button.click()
    assert vp.mouse.sketching and "Click the corners" in panel.message.text()
    target_before = window.design.target
    for corner in MIDDLE[:3]:
        click(corner)
    click([0.3, 0.1])  # a slip ...
    QTest.keyClick(widget, QtCore.Qt.Key.Key_Backspace)  # ... taken back
    assert len(c.drawing.sketch.corners) == 3 and "sketch" in outline_keys(vp)
    click(MIDDLE[3], double=True)  # the last corner, and close
    assert not vp.mouse.sketching and window.design.target is target_before  # clicks drew, placed no target
    drawn = panel.plan().placements
    assert len(drawn) == 1 and drawn[0].kind == "region"
    assert np.abs(np.asarray(drawn[0].polygon) - np.asarray(MIDDLE)).max() < 0.03
    assert outline_keys(vp) == ["plan-0"]
    people = place_people(panel.plan(), window.scene)  # the drawn region feeds the plan
    assert len(people) == 2 and all(abs(p.target[0]) < 1.0 and -1.2 < p.target[1] < 0.5 for p in people)
    window.docks["Populate"].raise_()
    save_artifact(window.grab_window_image(), "populate_drawn_region.png")

    window.undo_stack.undo()
    assert panel.table.rowCount() == 0 and outline_keys(vp) == []
    window.undo_stack.redo()
    assert panel.table.rowCount() == 1 and outline_keys(vp) == ["plan-0"]

    panel.draw_seats_button.click()
    click([-1.0, -1.0])
    click([1.0, -1.0])
    QTest.keyClick(widget, QtCore.Qt.Key.Key_Return)  # two corners: not a region yet
    assert vp.mouse.sketching and "at least 3 corners" in panel.message.text()
    QTest.keyClick(widget, QtCore.Qt.Key.Key_Escape)
    assert not vp.mouse.sketching and panel.table.rowCount() == 1 and "cancelled" in panel.message.text()
    assert "sketch" not in outline_keys(vp)


@pytest.mark.ray
@pytest.mark.slow
def test_a_killed_cluster_leaves_the_app_running_and_it_offers_to_finish_here(window, qtbot, sample_scene):
    pytest.importorskip("ray")
    from pipeline.populate.events import PersonFinished
    from populate_helpers import start_ray_head

    c, panel = window.populate, window.populate.panel
    window.set_scene(sample_scene, SAMPLE)
    panel.set_plan(_plan(count=2))
    address, kill_cluster = start_ray_head()
    try:
        panel.set_backend("ray", address)
        panel.workers_spin.setValue(2)
        people_before = len(c.project.people)

        def on_event(event):
            if isinstance(event, PersonFinished) and event.outcome.get("status") == "done":
                kill_cluster()  # the whole cluster goes away mid-job

        c.feed.event.connect(on_event)
        panel.populate_button.click()
        _wait_idle(qtbot, c, 400_000)
        c.feed.event.disconnect(on_event)
    finally:
        kill_cluster()
    text = panel.message.text()
    assert "kept" in text and "Resume on this machine" in text and "Traceback" not in text
    assert not panel.resume_button.isHidden()  # offered; and this process (the app) lives on
    finished = [i for i in range(2) if panel.cell(i, "Status") == "done"]
    assert len(finished) == 1 and len(c.project.people) == people_before + 1
    panel.resume_button.click()
    assert c.is_busy() and panel.backend()[0] == "local" and panel.resume_button.isHidden()
    _wait_idle(qtbot, c)
    assert "2 of 2 people have a body" in panel.message.text(), panel.message.text()
    assert [panel.cell(i, "Status") for i in range(2)] == ["done", "done"]
    assert len(c.project.people) == people_before + 2
