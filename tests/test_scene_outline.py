"""The scene outline model (no Qt): rows as the file names and nests its elements, visibility,
and clicks that pass through what the user hid.

Files are written by each format's own library (tests/arch_files.py); the expected rows are
the names the writers gave, so a reader that dropped or mangled them fails here.
"""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.scene.outline import OFF, ON, PARTIAL, Outline
from pipeline.scene.picking import pick_part, pick_surface
from pipeline.scene.scene import load_scene
from tests.arch_files import write_3dm, write_collada, write_ifc, write_usd
from tests.gui_support import SAMPLE


def _rows(outline: Outline, node_ids=None, depth=0) -> list[tuple[int, str]]:
    out = []
    for node_id in outline.roots if node_ids is None else node_ids:
        node = outline.nodes[node_id]
        out.append((depth, node.label))
        out += _rows(outline, node.children, depth + 1)
    return out


def _find(outline: Outline, label: str) -> int:
    return next(n.node_id for n in outline.nodes if n.label == label)


def test_ifc_rows_are_storey_class_element_with_spaces_and_openings_listed_but_hidden(tmp_path):
    scene = load_scene(write_ifc(tmp_path / "walls.ifc", opening=True))
    outline = Outline(scene)
    rows = _rows(outline)
    assert rows[0] == (0, "Level 1")
    assert [label for depth, label in rows if depth == 1] == ["IfcWall", "IfcOpeningElement", "IfcSpace"]
    walls = [label.split(" #")[0] for depth, label in rows if depth == 2][:3]
    assert walls == ["Wall 0", "Wall 1", "Wall 2"]
    assert any(label.startswith("Door opening #") for _, label in rows)
    # spaces and openings: listed, off by default, not part of the surfaces a click or a fit meets
    assert outline.state(_find(outline, "IfcSpace")) == OFF
    assert outline.state(_find(outline, "IfcOpeningElement")) == OFF
    assert outline.state(_find(outline, "IfcWall")) == ON
    assert outline.state(_find(outline, "Level 1")) == PARTIAL
    assert len(scene.hidden_parts) == 2 and len(scene.geometries) == 3
    np.testing.assert_allclose(scene.bounds, [[0.0, 0.0, 0.0], [4.0, 6.2, 2.5]], atol=1e-6)
    space = scene.hidden_parts[outline.nodes[_find(outline, "IfcSpace")].parts[0] - outline.surface_count]
    np.testing.assert_allclose(space.mesh.bounds, [[0.0, 0.0, 0.0], [4.0, 3.0, 2.5]], atol=1e-6)
    outline.set_visible(_find(outline, "IfcSpace"), True)
    assert list(outline.shown_extras()) == [1] and outline.state(_find(outline, "Level 1")) == PARTIAL


def test_a_click_passes_through_hidden_elements_and_names_the_row_it_lands_on(tmp_path):
    scene = load_scene(write_ifc(tmp_path / "walls.ifc"))
    outline = Outline(scene)
    origin, direction = [2.0, 8.0, 1.0], [0.0, -1.0, 0.0]  # from beyond wall 2 towards walls 1 and 0
    point, _, part = pick_part(scene, origin, direction)
    assert outline.nodes[outline.node_of_part(part)].label.startswith("Wall 2 #")
    assert point[1] == pytest.approx(6.2)
    wall_2 = outline.node_of_part(part)
    outline.set_visible(wall_2, False)
    point, _, part = pick_part(scene, origin, direction, skip_parts=outline.hidden_surfaces())
    assert outline.path_labels(outline.node_of_part(part))[:2] == ["Level 1", "IfcWall"]
    assert outline.nodes[outline.node_of_part(part)].label.startswith("Wall 1 #")
    assert point[1] == pytest.approx(3.2)
    outline.set_visible(_find(outline, "IfcWall"), False)
    assert pick_surface(scene, origin, direction, skip_parts=outline.hidden_surfaces()) is None
    assert outline.state(_find(outline, "Level 1")) == OFF


def test_rhino_rows_are_layers_with_their_colours(tmp_path):
    outline = Outline(load_scene(write_3dm(tmp_path / "room.3dm")))
    assert _rows(outline) == [(0, "Architecture"), (1, "Room"), (2, "Room shell")]
    room = outline.nodes[_find(outline, "Room")]
    np.testing.assert_allclose(room.colour, np.array([20, 200, 40]) / 255.0)
    np.testing.assert_allclose(outline.nodes[_find(outline, "Room shell")].colour, np.array([20, 200, 40]) / 255.0)


def test_usd_and_collada_rows_are_their_node_names(tmp_path):
    usd = Outline(load_scene(write_usd(tmp_path / "room.usda")))
    assert _rows(usd) == [(0, "World"), (1, "Room")]
    dae = Outline(load_scene(write_collada(tmp_path / "room.dae")))
    assert [label for _, label in _rows(dae)] == ["Room"]


def test_glb_rows_group_the_sample_rooms_parts_by_object():
    scene = load_scene(SAMPLE)
    outline = Outline(scene)
    top = [outline.nodes[r].label for r in outline.roots]
    assert top == ["curtains", "stool", "sofa", "tall_cabinet", "bookshelf", "cabinet", "room"]
    sofa = outline.nodes[_find(outline, "sofa")]
    assert sorted(outline.nodes[c].label for c in sofa.children) == ["sofa_03_7c8028", "sofa_03_96e9fc"]
    assert sorted(int(p) for p in sofa.parts) == [2, 3]
    assert sum(len(outline.nodes[r].parts) for r in outline.roots) == len(scene.geometries) == 27
    for part in range(len(scene.geometries)):
        assert part in outline.nodes[outline.node_of_part(part)].parts
