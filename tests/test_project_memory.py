"""What a project and the app remember beyond the design: the export section and the rows the
user hid in the outline go through a real save and reopen; an older version's loose export
keys in QSettings move into the per-format sections once."""

from __future__ import annotations

import json
import types
import zipfile
from dataclasses import replace

import numpy as np
import pytest
import trimesh

from genzi_desktop.model.outline_state import apply_visibility, row_paths, visibility_changes
from genzi_desktop.model.project import ProjectError, new_project
from genzi_desktop.model.project_files import open_project, save_project
from pipeline.core.export_settings import ExportSettings
from pipeline.scene.outline import Outline
from pipeline.scene.scene import load_scene
from tests.arch_files import write_ifc
from tests.gui_support import SAMPLE


def _row(outline, label_start):
    return next(n.node_id for n in outline.nodes if n.label.startswith(label_start))


def test_export_section_and_hidden_rows_survive_save_and_reopen(tmp_path):
    ifc = write_ifc(tmp_path / "house.ifc", opening=True)
    outline = Outline(load_scene(ifc))
    outline.set_visible(_row(outline, "Wall 2 #"), False)
    outline.set_visible(_row(outline, "IfcSpace"), True)
    p = new_project(tmp_path / "work")
    p.scene.path = str(ifc)
    p.scene.outline = visibility_changes(outline)
    p.export = ExportSettings(format="obj", app="blender", up="y", units="cm", with_scene=True, style="bare")
    saved = save_project(p, tmp_path / "house.genzi")

    with zipfile.ZipFile(saved) as zf:
        data = json.loads(zf.read("project.json"))
    assert data["format"] == "genzi-project/1"  # additive keys: the previous loader still reads it
    assert data["scene"]["outline"]["hidden"] == [["Level 1", "IfcWall", outline.nodes[_row(outline, "Wall 2 #")].label]]
    assert data["scene"]["outline"]["shown"] == [["Level 1", "IfcSpace"]]

    q = open_project(saved, tmp_path / "work2")
    assert q.export == p.export
    again = Outline(load_scene(ifc))  # a fresh load: row numbers are rebuilt, paths match
    assert apply_visibility(again, q.scene.outline) == []
    np.testing.assert_array_equal(again.visible, outline.visible)
    assert not again.visible[2] and again.visible[0] and again.visible[1]
    assert list(again.shown_extras()) == [1]


def test_project_without_the_new_keys_opens_with_defaults_and_bad_ones_are_named(tmp_path):
    p = new_project(tmp_path / "work")
    p.scene.path = str(SAMPLE)
    saved = save_project(p, tmp_path / "old.genzi", as_folder=True)
    data = json.loads((saved / "project.json").read_text())
    assert "export" not in data  # nothing chosen: nothing written
    q = open_project(saved, tmp_path / "w2")
    assert q.export is None and q.scene.outline == {}

    # a format a newer version added is dropped, the rest of the section kept
    data["export"] = {"format": "gltf-next", "units": "mm", "app": "rhino", "with_scene": True}
    (saved / "project.json").write_text(json.dumps(data))
    q = open_project(saved, tmp_path / "w3")
    assert q.export == ExportSettings(format=None, units="mm", app="rhino", with_scene=True)

    for bad, where in (({"with_scene": "yes"}, "export.with_scene"), ({"units": 3}, "export.units")):
        data["export"] = bad
        (saved / "project.json").write_text(json.dumps(data))
        with pytest.raises(ProjectError, match=where.replace(".", r"\.")):
            open_project(saved, tmp_path / "w4")
    data.pop("export")
    data["view"] = {"position": [0, 0, 5], "focal_point": [0, 0, 0], "up": [0, 1, 0], "view_angle": 200}
    (saved / "project.json").write_text(json.dumps(data))
    with pytest.raises(ProjectError, match=r"view\.view_angle"):
        open_project(saved, tmp_path / "w6")
    data["view"]["view_angle"] = 30
    (saved / "project.json").write_text(json.dumps(data))
    assert open_project(saved, tmp_path / "w7").view["position"] == [0, 0, 5]
    data["scene"]["outline"] = {"hidden": [["Level 1", 5]]}
    (saved / "project.json").write_text(json.dumps(data))
    with pytest.raises(ProjectError, match=r"scene\.outline\.hidden\[0\]\[1\]"):
        open_project(saved, tmp_path / "w5")


def _boxes_scene(names, groups):
    meshes = [trimesh.creation.box(extents=(1, 1, 1)) for _ in names]
    for i, m in enumerate(meshes):
        m.apply_translation((2.0 * i, 0, 0))
    return types.SimpleNamespace(geometries=meshes, names=list(names), groups=[tuple(g) for g in groups],
                                 hidden_parts=[])


def test_same_named_rows_keep_their_own_visibility_and_a_whole_group_is_one_entry():
    scene = _boxes_scene(["chair", "chair", "table", "lamp"], [("room",), ("room",), ("room",), ("hall",)])
    outline = Outline(scene)
    assert row_paths(outline)[_row(outline, "chair")] == ("room", "chair")
    second = [n.node_id for n in outline.nodes if n.label == "chair"][1]
    assert row_paths(outline)[second] == ("room", "chair [2]")
    outline.set_visible(second, False)
    outline.set_visible(_row(outline, "hall"), False)
    changes = visibility_changes(outline)
    assert changes == {"hidden": [["room", "chair [2]"], ["hall"]], "shown": []}
    fresh = Outline(scene)
    apply_visibility(fresh, changes)
    assert list(fresh.visible) == [True, False, True, False]
    # a path the scene no longer has is reported, the rest applied
    missing = apply_visibility(fresh, {"hidden": [["room", "sofa"], ["room", "table"]]})
    assert missing == ["room > sofa"] and list(fresh.visible) == [True, True, False, True]


def test_an_older_versions_export_keys_move_into_sections_once(tmp_path):
    from PySide6 import QtCore

    from genzi_desktop import export_memory

    ini = tmp_path / "GenZI Desktop.ini"
    qs = QtCore.QSettings(str(ini), QtCore.QSettings.Format.IniFormat)
    # what the export dialog of the version before the export section wrote
    qs.setValue("export/format", "obj")
    qs.setValue("export/app", "blender")
    qs.setValue("export/obj/up", "y")
    qs.setValue("export/obj/units", "cm")
    qs.setValue("export/obj/with_scene", True)
    qs.setValue("export/ply/up", "z")
    qs.setValue("export/ply/units", "furlong")  # a unit this version does not know: its default
    qs.setValue("export/ply/with_scene", False)
    qs.setValue("exportImage/width", 2560)
    qs.sync()
    del qs

    qs = QtCore.QSettings(str(ini), QtCore.QSettings.Format.IniFormat)  # as the next start reads the file
    assert sorted(export_memory.migrate_old_keys(qs)) == ["obj", "ply"]
    assert not [k for k in qs.allKeys() if k.startswith("export/")]
    assert int(qs.value("exportImage/width")) == 2560  # other keys untouched
    assert export_memory.last_format(qs) == "obj"
    obj = export_memory.remembered(qs, "obj")
    assert (obj.format, obj.app, obj.up, obj.units, obj.with_scene) == ("obj", "blender", "y", "cm", True)
    ply = export_memory.remembered(qs, "ply")
    assert (ply.app, ply.up, ply.units, ply.with_scene) == ("blender", "z", "m", False)

    # once: a later choice is not overwritten by a second run, and nothing is left to migrate
    export_memory.remember(qs, replace(obj, units="mm"))
    assert export_memory.migrate_old_keys(qs) == []
    assert export_memory.remembered(qs, "obj").units == "mm"
    qs.setValue("export/obj/units", "m")  # an older version run again beside this one
    assert export_memory.migrate_old_keys(qs) == []
    assert export_memory.remembered(qs, "obj").units == "mm" and not qs.contains("export/obj/units")
