"""The Results panel's appearance choices: undoable, remembered, shown in the viewport."""

from __future__ import annotations

import uuid

import pytest
import trimesh

from gui_support import SOFA_SEAT, gui_settings, message_boxes, sample_scene, window  # noqa: F401 - fixtures

pytestmark = pytest.mark.gui


def _add_result(window):
    from genzi_desktop.model.project import ResultEntry

    c = window.generation
    body = trimesh.creation.capsule(height=1.2, radius=0.2, count=[16, 16])
    body.apply_translation(SOFA_SEAT - [0.0, 0.0, body.bounds[0][2]])
    rid = uuid.uuid4().hex[:8]
    path = c.project.root / "results" / f"{rid}.obj"
    path.parent.mkdir(parents=True, exist_ok=True)
    body.export(path)
    c.project.person.results.append(ResultEntry(id=rid, name="Sitter", prompt="a man in a suit", score=0.9,
                                                mesh=c.project.relative(path)))
    c.results.show_results(select=(0, rid))
    return rid


def _pick(box, key, value):
    combo = box.combos[key]
    combo.setCurrentIndex(combo.findData(value))
    combo.activated.emit(combo.currentIndex())


def test_style_outfit_and_hair_choices_are_undoable_remembered_and_shown(window, qtbot):
    rid = _add_result(window)
    c = window.generation
    box = c.results_panel.appearance
    c.results_panel.select_result(0, rid)
    assert box.isEnabled() and box.combos["style"].currentData() == "clothed"
    entry = c.results.find_result(0, rid)

    _pick(box, "style", "glass")
    _pick(box, "outfit", "male_worksuit01")
    _pick(box, "hair", "none")
    assert entry.appearance == {"style": "glass", "outfit": "male_worksuit01", "hair": "none", "colours": "paintings"}
    actor = window.viewport.plotter.actors[f"body-p0-{rid}"]
    assert actor.prop.opacity < 0.5  # glass is see-through in the viewport too
    assert window.settings.figure_style() == "glass"  # the next body starts in the last style

    window.undo_stack.undo()
    assert entry.appearance.get("hair") is None and entry.appearance["outfit"] == "male_worksuit01"
    assert box.combos["hair"].currentData() == ""  # the panel follows undo
    window.undo_stack.undo()
    window.undo_stack.undo()
    assert entry.appearance == {}
    assert box.combos["style"].currentData() == "glass"  # no own choice left: the remembered default
    window.settings.set_figure_style("white")
    c.appearance.show_selected()
    assert actor.prop.opacity == pytest.approx(1.0) and actor.prop.color[0] > 0.9
    window.undo_stack.redo()
    assert entry.appearance["style"] == "glass"

    saved = window.generation.project.to_dict()  # the choice is part of the project file
    assert saved["people"][0]["results"][-1]["appearance"]["style"] == "glass"


TOP = (0.75, 0.10, 0.10)  # the painted shirt: a red the bare body's colour never shows


def _painted_run(window, tmp_path):
    """A kept Anny result with a run folder: views and 'paintings' of the person in a red top
    (lit renders of the dressed body; the tiny test models paint nobody)."""
    import json

    import numpy as np
    from PIL import Image

    from genzi_desktop.model.project import ResultEntry
    from pipeline.appearance import Material
    from pipeline.appearance.pieces import dressed_pieces
    from pipeline.body import load_body_model
    from pipeline.body.garments import fit_outfit, outfit_for_prompt
    from pipeline.views.cameras import Camera
    from pipeline.views.render import BodyRenderer
    from pipeline.views.views_io import write_views

    c = window.generation
    anny = load_body_model("anny")
    params = anny.init_params()
    anny.set_bone_anatomical(params, "upperarm01.R", [40, 0, 0])
    skin = anny.skinned_mesh(params)
    prompt, seed = "a man reading", 3
    outfit = outfit_for_prompt(prompt, seed)
    dressed = fit_outfit(skin, anny.hm08_vertex_indices(), outfit)
    colours = {"skin": (0.8, 0.6, 0.5), "top": TOP, "bottom": (0.1, 0.2, 0.5), "shoes": (0.1, 0.1, 0.1),
               "hair": (0.4, 0.3, 0.1)}
    pieces = dressed_pieces(dressed, {r: Material(r, v) for r, v in colours.items()})
    centre = skin.rest_vertices.mean(0)
    cams = [Camera.looking_at(centre + [2.6 * np.cos(a), 2.6 * np.sin(a), 0.3], centre, fov_y_deg=50, width=160,
                              height=200, name=f"view_{k:02d}")
            for k, a in enumerate(np.linspace(0, 2 * np.pi, 6, endpoint=False))]
    run = c.project.root / "runs" / "painted"
    write_views(run / "views", cams, target=centre, normal=[0, 0, 1])
    images = run / "round_1" / "images" / "set_0"
    images.mkdir(parents=True)
    with BodyRenderer() as r:
        for cam in cams:
            rgb = r.render_bodies(cam, [(p.vertices, p.faces) for p in pieces], colors=[p.material.rgb for p in pieces]).rgb
            Image.fromarray(rgb).save(images / f"{cam.name}.png")
    (run / "report.json").write_text(json.dumps({"bodies": [{"set": "set_0", "round": 1}]}))
    mesh = c.project.root / "results" / "painted.obj"
    mesh.parent.mkdir(parents=True, exist_ok=True)
    from pipeline.export.bodies import posed_vertices

    trimesh.Trimesh(posed_vertices(skin), skin.faces, process=False).export(mesh)
    entry = ResultEntry(id="painted", name="Reader", prompt=prompt, score=0.9, mesh=c.project.relative(mesh),
                        run=c.project.relative(run), set_name="set_0", params=anny.params_to_json(params), seed=seed)
    c.project.person.results.append(entry)
    return entry, cams


def _red_pixels(window) -> int:
    rgb = window.viewport.grab_rgb().astype(int)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    return int(((r > 60) & (r > 1.8 * g) & (r > 1.8 * b)).sum())


def test_the_viewport_shows_the_dressed_textured_person_and_follows_changes_with_undo(window, qtbot, tmp_path):
    c = window.generation
    entry, cams = _painted_run(window, tmp_path)
    c.results.show_results(select=(0, entry.id))  # what happens when a run ends
    assert c.appearance.wait(240000)
    vp, key = window.viewport, "p0-painted"
    actors = vp.people.actors(key)
    assert len(actors) >= 5  # body, suit top and bottom, shoes, hair
    assert all(a.texture is not None for a in actors)  # baked from the paintings
    assert not vp.plotter.actors[f"body-{key}"].visibility  # the plain body makes way
    vp.look_through(cams[0])
    red_dressed = _red_pixels(window)
    assert red_dressed > 300, red_dressed  # the painted red top is on the person
    points = sum(a.mapper.dataset.n_points for a in actors)

    box = c.results_panel.appearance
    c.results_panel.select_result(0, entry.id)
    _pick(box, "outfit", "male_worksuit01")
    assert c.appearance.wait(240000)
    work_suit = sum(a.mapper.dataset.n_points for a in vp.people.actors(key))
    assert work_suit != points  # another suit
    _pick(box, "style", "white")
    assert c.appearance.wait(240000)
    assert all(a.texture is None and min(a.prop.color) > 0.9 for a in vp.people.actors(key))
    assert _red_pixels(window) < red_dressed / 10

    window.undo_stack.undo()  # back to clothed with the work suit, textured again
    assert c.appearance.wait(240000)
    assert all(a.texture is not None for a in vp.people.actors(key))
    window.undo_stack.undo()  # the first suit again, in the style picked last (white)
    assert c.appearance.wait(240000)
    assert entry.appearance == {}
    assert all(a.texture is None for a in vp.people.actors(key))
    first_suit_white = sum(a.mapper.dataset.n_points for a in vp.people.actors(key))
    window.undo_stack.redo()
    assert c.appearance.wait(240000)
    assert sum(a.mapper.dataset.n_points for a in vp.people.actors(key)) not in (first_suit_white, points)
    from PIL import Image

    Image.fromarray(vp.grab_rgb()).save(tmp_path / "gui_dressed.png")
    c.results.set_result_visible(0, entry.id, False)
    assert not any(a.visibility for a in vp.people.actors(key)) and not vp.plotter.actors[f"body-{key}"].visibility
