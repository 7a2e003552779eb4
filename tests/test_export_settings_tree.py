"""The export section of the one settings tree: the CLI's flags, the desktop's dialog and a
run's ``config.json`` all hold that one type, so a copy of it anywhere fails here."""

from __future__ import annotations

import ast
import json
from dataclasses import asdict, fields
from pathlib import Path

import numpy as np
import pytest
import trimesh

from gui_support import gui_settings  # noqa: F401 - fixture
from pipeline.cli.main import build_parser, main as genzi
from pipeline.core.export_settings import ExportSettings
from pipeline.export import ExportError
from pipeline.export.options import recorded_export, resolved
from pipeline.generation.settings import PRESETS, settings_for, settings_from_dict

REPO = Path(__file__).resolve().parents[1]


def _export_parser():
    sub = next(a for a in build_parser()._actions if a.dest == "command")  # noqa: SLF001 - argparse's own API
    return sub.choices["export"]


def test_the_tree_has_an_export_section_every_preset_shares():
    assert {name: settings_for(name).export for name in PRESETS} == {name: ExportSettings() for name in PRESETS}
    tree = settings_for("fast", {"export.app": "rhino", "with_scene": True})  # dotted path or unique last part
    assert (tree.export.app, tree.export.with_scene) == ("rhino", True)
    assert settings_from_dict(json.loads(json.dumps(tree.to_dict()))).export == tree.export
    with pytest.raises(ValueError, match="export.with_scene"):
        settings_for("fast", {"export.with_scene": "yes"})
    with pytest.raises(ValueError, match="export.app 'maya' is not one of"):
        resolved(ExportSettings(app="maya"))


def test_resolved_fills_the_format_from_the_file_and_the_frame_from_the_application():
    assert resolved(ExportSettings(), "people.fbx") == ExportSettings(format="fbx", up="y", units="cm")
    assert resolved(ExportSettings(app="rhino"), "people.obj") == ExportSettings(format="obj", app="rhino",
                                                                                  up="z", units="mm")
    assert resolved(ExportSettings(app="rhino", units="m"), "p.fbx").units == "m"  # a chosen unit wins
    assert resolved(ExportSettings(app="rhino"), "p.glb").up == "y"  # glTF's frame is fixed
    with pytest.raises(ExportError, match="always Y-up"):
        resolved(ExportSettings(format="glb", up="z"))


def test_export_flags_are_the_sections_fields_with_their_help():
    parser = _export_parser()
    flags = {a.dest: a for a in parser._actions if a.dest.startswith("export.")}  # noqa: SLF001
    assert set(flags) == {f"export.{f.name}" for f in fields(ExportSettings)}
    for f in fields(ExportSettings):
        action = flags[f"export.{f.name}"]
        assert action.help == f.metadata["help"] and action.default is None
        assert action.option_strings[0] == "--" + f.name.replace("_", "-")
    args = parser.parse_args(["run", "--out", "x.obj"])
    from pipeline.cli.export import export_settings

    assert export_settings(args) == resolved(ExportSettings(), "x.obj")  # no flags: the tree's defaults


def test_no_command_declares_an_export_option_by_hand():
    """Each export option is declared once, in the section: no ``add_argument("--up", ...)`` elsewhere."""
    names = {"--" + f.name.replace("_", "-") for f in fields(ExportSettings)}
    for path in (REPO / "pipeline" / "cli").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "add_argument" and node.args:
                first = node.args[0]
                assert not (isinstance(first, ast.Constant) and first.value in names), f"{path.name}: {first.value}"


def test_no_second_type_holds_the_export_options():
    """A class with the section's frame fields (up, units, with_scene) is a copy of it."""
    core = {"up", "units", "with_scene"}
    copies = []
    for root in ("pipeline", "genzi_desktop"):
        for path in (REPO / root).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.ClassDef):
                    names = {t.target.id for t in node.body if isinstance(t, ast.AnnAssign)
                             and isinstance(t.target, ast.Name)}
                    if core <= names and node.name != "ExportSettings":
                        copies.append(f"{path.relative_to(REPO)}:{node.name}")
    assert copies == []


def _run_with_a_box(tmp_path: Path, export: dict | None = None, look: dict | None = None) -> tuple[Path, np.ndarray]:
    run = tmp_path / "run"
    run.mkdir()
    box = trimesh.creation.box(extents=(0.4, 0.3, 1.7))
    box.apply_translation((1.0, 2.0, 0.85))
    box.export(run / "body_0.obj")
    (run / "report.json").write_text(json.dumps({"bodies": [{"mesh": "body_0.obj"}]}))
    if export is not None:
        (run / "config.json").write_text(json.dumps({"settings": {"export": export}}))
    if look is not None:
        (run / "appearance.json").write_text(json.dumps(look))
    return run, np.asarray(box.vertices)


def test_genzi_export_writes_with_the_section_the_run_recorded_and_flags_override_it(tmp_path):
    run, vertices = _run_with_a_box(tmp_path, export={"app": "rhino", "style": "bare"})
    assert recorded_export(run) == ExportSettings(app="rhino", style="bare")
    out = tmp_path / "r.obj"
    assert genzi(["export", str(run), "--out", str(out)]) == 0  # Rhino's frame: Z-up millimetres
    mesh = trimesh.load(out, process=False, force="mesh")
    np.testing.assert_allclose(np.sort(mesh.vertices, 0), np.sort(vertices * 1000, 0), atol=1e-2)
    assert genzi(["export", str(run), "--units", "m", "--out", str(out)]) == 0  # a flag wins over the record
    mesh = trimesh.load(out, process=False, force="mesh")
    np.testing.assert_allclose(np.sort(mesh.vertices, 0), np.sort(vertices, 0), atol=1e-5)


def test_the_look_appearance_json_records_is_part_of_the_recorded_section(tmp_path):
    run, _ = _run_with_a_box(tmp_path, export={"app": "blender", "style": "glass"}, look={"style": "white", "hair": "none"})
    assert recorded_export(run) == ExportSettings(app="blender", style="white", hair="none")


def test_a_run_records_the_section_and_a_resume_ignores_export_changes():
    from pipeline.generation.config import GenerationRequest
    from pipeline.generation.run_config import config_differences

    def config(overrides):
        request = GenerationRequest(scene="s.glb", target=(0, 0, 0), prompt="a man sitting", overrides=overrides)
        return {"request": request.to_dict(), "settings": request.settings().to_dict(), "imagination": {}}

    old = config({"export.app": "rhino"})
    assert old["settings"]["export"] == asdict(ExportSettings(app="rhino"))
    assert config_differences(old, config({"export.app": "blender"})) == []
    assert config_differences(old, config({"views.num_views": 4})) == ["settings views.num_views"]


@pytest.mark.gui
def test_the_dialog_starts_from_the_trees_defaults_and_remembers_the_section(qtbot, gui_settings):
    from genzi_desktop.dialogs.export import ExportDialog

    dialog = ExportDialog(None, gui_settings.qs, has_selection=True, has_scene=True)
    qtbot.addWidget(dialog)
    assert dialog.choice() == resolved(settings_for().export)  # a fresh dialog: the tree's defaults
    dialog.set_format("fbx")
    dialog.set_app("unreal")
    dialog.scene_check.setChecked(True)
    chosen = dialog.choice()
    assert chosen == ExportSettings(format="fbx", app="unreal", up="z", units="cm", with_scene=True)
    dialog.accept_choice()
    stored = {k: gui_settings.qs.value(k) for k in gui_settings.qs.allKeys() if k.startswith("exportSettings")}
    assert settings_from_dict({"export": json.loads(stored["exportSettings/fbx"])}).export == chosen
    again = ExportDialog(None, gui_settings.qs, has_selection=True, has_scene=True)
    qtbot.addWidget(again)
    assert again.choice() == chosen  # remembered between sessions, as the same section
