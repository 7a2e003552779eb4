"""File > Export bodies… and File > Export image…: ask, then write through ``pipeline.export``.

Bodies are rebuilt and written in a worker thread (a rigged export loads the body model, which
takes seconds). Presentation images render in the GUI thread on purpose: VTK off-screen
rendering from worker threads has frozen this app before, so the window shows a "Rendering…"
message and a wait cursor instead.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from pipeline.export import FORMATS, ExportBody, ExportError, export_bodies

from genzi_desktop.dialogs.errors import show_error
from pipeline.core.export_settings import ExportSettings

from genzi_desktop.dialogs.export import ExportDialog, ImageChoice, ImageExportDialog
from genzi_desktop.export_memory import migrate_old_keys
from genzi_desktop.window.actions import name_actions
from genzi_desktop.workers.tasks import TaskHandle, start_task

log = logging.getLogger("genzi_desktop.export")


class ExportController(QtCore.QObject):
    """Owns the export actions; the generation controller's project supplies the bodies."""

    exported = QtCore.Signal(list)  # the files written
    exportFailed = QtCore.Signal(str)
    imageExported = QtCore.Signal(str)

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.qs = window.settings.qs
        migrate_old_keys(self.qs)  # an earlier version's export choices, once
        self.task: TaskHandle | None = None
        #: Hooks for tests and scripts: run a dialog (True = accepted), ask for a file name.
        self.run_dialog = lambda dialog: dialog.exec() == QtWidgets.QDialog.DialogCode.Accepted
        self.save_path_provider = self._ask_save_path
        w = window
        self.act_export_bodies = w.add_action("&Export bodies…", self.export_bodies_dialog, "Ctrl+E",
                                           "Write the selected or all bodies to OBJ, PLY, GLB, FBX, USD, "
                                           "Collada, or into a copy of the opened IFC or Rhino design")
        self.act_export_image = w.add_action("Export &image…", self.export_image_dialog, "Ctrl+Shift+E",
                                          "Render the viewport or a camera to a high-resolution PNG")
        name_actions(self)
        file_menu = w.menus["file"]
        before = w.act_screenshot if w.act_screenshot in file_menu.actions() else None
        if before is not None:
            file_menu.insertAction(before, self.act_export_bodies)
            file_menu.insertAction(before, self.act_export_image)
        else:
            file_menu.addAction(self.act_export_bodies)
            file_menu.addAction(self.act_export_image)
        w.generation.results_panel.exportRequested.connect(self.export_bodies_dialog)

    # ------------------------------------------------------------------ which bodies
    def _generation(self):
        return self.window.generation

    def body_entries(self, all_bodies: bool) -> list:
        """(name, mesh path, params, run folder, appearance) of the chosen results: the selected row's (a person row
        means all of that person's bodies) or every result of the project."""
        c = self._generation()
        project = c.project
        kind, person, rid = c.results_panel.current()
        out = []
        for pi, p in enumerate(project.people):
            for r in p.results:
                if all_bodies or (kind == "result" and (pi, r.id) == (person, rid)) or (kind == "person" and pi == person):
                    look = {"choices": dict(r.appearance), "prompt": r.prompt, "seed": r.seed, "person": pi,
                            "set": r.set_name, "default_style": self.window.settings.figure_style()}
                    out.append((r.name, project.path_of(r.mesh), dict(r.params), project.path_of(r.run) if r.run else None,
                                look))
        return out

    def has_selection(self) -> bool:
        kind, person, _rid = self._generation().results_panel.current()
        if kind == "result":
            return True
        return kind == "person" and bool(self._generation().project.people[person].results)

    def _body_specs(self, entries) -> dict | None:
        """entry index -> (body model spec, trusted pickle hashes) for rebuilding rigged bodies: the
        model each run recorded (the Models panel's for results without a run folder); the
        user is asked before a pickled SMPL-X model is opened. None when that cannot be done."""
        from pipeline.body.spec import BodySpec
        from pipeline.generation.body_record import body_spec_of_run

        panel = self._generation().model_panel
        models = panel.values()
        fallback = BodySpec.of(models["body_model"], models["smplx_path"] or None)
        out = {}
        for index, (name, _mesh, params, run_dir, _look) in enumerate(entries):
            if not params:
                continue
            spec = (body_spec_of_run(run_dir) if run_dir is not None else None) or fallback
            try:
                trusted = panel.pickle_consent(spec.path) if spec.kind == "smplx" and spec.path else frozenset()
            except (OSError, ValueError) as exc:
                show_error(self.window, "SMPL-X model not found", f"{name} was fitted with SMPL-X: {exc}",
                           "Put the model file back where it was, or choose it again in the Models panel.")
                return None
            if trusted is None:
                show_error(self.window, "Export stopped", f"You did not allow opening the pickle {spec.path}.",
                           "Use the .npz version of the SMPL-X model.")
                return None
            out[index] = (spec, trusted)
        return out

    def _anny_specs(self, entries) -> dict:
        """Rigs for a static format, where clothes and styles need them: Anny bodies only
        (no file to ask for); other bodies keep their posed mesh, as before."""
        from pipeline.body.spec import BodySpec
        from pipeline.generation.body_record import body_spec_of_run

        fallback = self._generation().model_panel.values()["body_model"]
        out = {}
        for index, (_name, _mesh, params, run_dir, _look) in enumerate(entries):
            spec = body_spec_of_run(run_dir) if run_dir is not None else None
            if params and (spec.kind if spec is not None else fallback) == "anny":
                out[index] = (BodySpec.of("anny"), frozenset())
        return out

    # ------------------------------------------------------------------ bodies
    def _ask(self, dialog, answer=lambda dialog: dialog.choice()):
        """``answer(dialog)``, or None when the user cancelled; the dialog is disposed of."""
        self.dialog = dialog
        try:
            return answer(dialog) if self.run_dialog(dialog) else None
        finally:
            self.dialog = None
            dialog.deleteLater()

    @QtCore.Slot()
    def export_bodies_dialog(self) -> bool:
        """Ask for the options and the file, then export in the background; False if nothing started."""
        if self.task is not None:
            self.window.statusBar().showMessage("An export is already running.", 5000)
            return False
        if not self.body_entries(all_bodies=True):
            show_error(self.window, "Nothing to export", "There are no bodies yet.",
                       "Generate bodies (Generate > Generate) or import your own images first.")
            return False
        project = self._generation().project
        dialog = ExportDialog(self.window, self.qs, has_selection=self.has_selection(),
                              has_scene=self.window.scene is not None, design_suffix=self._design_suffix(),
                              project_section=project.export)
        answer = self._ask(dialog, lambda d: (d.choice(), d.all_bodies()))
        if answer is None:
            return False
        choice, all_bodies = answer
        project.export = choice  # saved with the project: it reopens with these choices
        path = self.save_path_provider(choice.format)
        if not path:
            return False
        return self.export_bodies(choice, path, all_bodies=all_bodies)

    def export_bodies(self, choice: ExportSettings, path: str | Path, *, all_bodies: bool = False) -> bool:
        """Export the selected (or all) bodies with the export section ``choice`` to ``path`` in
        a worker; ``exported``/``exportFailed`` follow."""
        from pipeline.export.options import resolved

        try:
            choice = resolved(choice, path)  # the format from the file name when unset, the frame filled in
        except (ExportError, ValueError) as exc:
            show_error(self.window, "Export settings not usable", str(exc))
            return False
        info = FORMATS[choice.format]
        path = Path(path)
        if path.suffix.lower() != info.suffix:
            path = path.with_name(path.name + info.suffix)
        entries = self.body_entries(all_bodies)
        if not entries:
            show_error(self.window, "Nothing to export", "No body is selected.",
                       "Select a body in the Results panel, or choose All bodies.")
            return False
        scene = self.window.scene if choice.with_scene else None
        bodies_of = self._body_specs(entries) if info.rigged else self._anny_specs(entries)
        if bodies_of is None:
            return False
        up = None if info.frame_fixed else choice.up
        units = None if info.frame_fixed else choice.units
        into = self.window.scene_path if info.into_original else None
        if info.into_original and (into is None or Path(into).suffix.lower() != info.suffix):
            show_error(self.window, "No design to write into",
                       f"{info.label} copies the opened design with the people added.",
                       f"Open the {info.suffix} design first (File > Open), then export again.")
            return False

        def work(report, cancel):
            bodies = _build_bodies(entries, bodies_of)
            report(f"Writing {path.name}", 0, 0)
            return export_bodies(bodies, path, format=choice.format, up=up, units=units, scene=scene, into=into)

        self.window.show_progress(f"Exporting {len(entries)} bod{'y' if len(entries) == 1 else 'ies'} to {path.name}…")
        self.window.settings.set_last_folder(path.parent)
        self.task = start_task(self, work, name="export", on_finished=self._exported, on_failed=self._export_failed)
        self.task.done.connect(self._task_done)
        return True

    def _exported(self, files) -> None:
        files = [str(f) for f in files]
        self.window.statusBar().showMessage(f"Exported {Path(files[0]).name}"
                                            + (f" (+{len(files) - 1} files)" if len(files) > 1 else ""), 10000)
        log.info("Exported %s", ", ".join(files))
        self._finish()
        self.exported.emit(files)

    def _export_failed(self, exc: BaseException) -> None:
        message = str(exc) if isinstance(exc, (ExportError, ValueError, FileNotFoundError)) else \
            f"The export stopped: {exc}"
        self._finish()
        show_error(self.window, "Export failed", message)
        self.window.statusBar().showMessage("Export failed — " + message[:160], 10000)
        self.exportFailed.emit(message)

    def _finish(self) -> None:
        msg = self.window.statusBar().currentMessage()
        self.window.hide_progress()
        if msg:
            self.window.statusBar().showMessage(msg, 10000)

    def _task_done(self) -> None:
        self.task = None

    def _design_suffix(self) -> str | None:
        path = self.window.scene_path
        return Path(path).suffix.lower() if path is not None else None

    def _ask_save_path(self, fmt: str) -> str | None:
        info = FORMATS[fmt]
        folder = self.window.settings.last_folder() or str(Path.home())
        stem = "bodies"
        if info.into_original and self.window.scene_path is not None:
            stem = f"{Path(self.window.scene_path).stem}_people"  # a copy beside the design, never the design
        path, _ = QtWidgets.QFileDialog.getSaveFileName(
            self.window, "Export bodies", str(Path(folder) / f"{stem}{info.suffix}"), f"{info.label} (*{info.suffix})")
        return path or None

    # ------------------------------------------------------------------ image
    @QtCore.Slot()
    def export_image_dialog(self) -> bool:
        w = self.window
        if w.scene is None:
            show_error(w, "Nothing to render", "Open a scene first (File > Open).")
            return False
        cams = w.design.cameras
        dialog = ImageExportDialog(w, self.qs, [c.name for c in cams], w.camera_panel.current_index())
        choice = self._ask(dialog)
        if choice is None:
            return False
        folder = w.settings.last_folder() or str(Path.home())
        path, _ = QtWidgets.QFileDialog.getSaveFileName(w, "Export image", str(Path(folder) / "view.png"),
                                                        "PNG image (*.png)")
        if not path:
            return False
        return self.export_image(choice, path)

    def export_image(self, choice: ImageChoice, path: str | Path) -> bool:
        """Render the chosen view with the scene and the visible bodies to a PNG (GUI thread)."""
        from pipeline.export.image import render_presentation_image

        w = self.window
        path = Path(path)
        if path.suffix.lower() != ".png":
            path = path.with_name(path.name + ".png")
        if choice.camera >= 0:
            camera = w.design.cameras[choice.camera]
        else:
            camera = w.viewport.current_camera("viewport")
        bodies = self.visible_bodies()
        bar = w.statusBar()
        bar.showMessage(f"Rendering {path.name} at {choice.width} px…")
        QtWidgets.QApplication.setOverrideCursor(QtGui.QCursor(QtCore.Qt.CursorShape.WaitCursor))
        QtWidgets.QApplication.processEvents(QtCore.QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)
        try:
            render_presentation_image(camera, path, scene=w.scene, bodies=bodies, width=choice.width,
                                      supersample=choice.supersample,
                                      cull_back_faces=w.viewport.backface_culling)
        except (ExportError, ValueError) as exc:
            show_error(w, "Image not exported", str(exc))
            bar.showMessage("Image not exported", 8000)
            return False
        finally:
            QtWidgets.QApplication.restoreOverrideCursor()
        w.settings.set_last_folder(path.parent)
        bar.showMessage(f"Saved {path.name}", 10000)
        self.imageExported.emit(str(path))
        return True

    def visible_bodies(self) -> list[tuple[np.ndarray, np.ndarray]]:
        from pipeline.core.obj_mesh import read_obj

        project = self._generation().project
        out = []
        for p in project.people:
            for r in p.results:
                mesh = project.path_of(r.mesh)
                if r.visible and mesh.exists():
                    out.append(read_obj(mesh))
        return out

    def wait(self, ms: int = 60000) -> bool:
        return self.task is None or self.task.wait(ms)


def _build_bodies(entries, bodies_of: dict) -> list[ExportBody]:
    """ExportBody per (name, mesh, params, run folder): rebuilt with its skeleton from the body
    model that made it when ``bodies_of`` has one (rigged formats, parameters known),
    otherwise the kept posed mesh."""
    from pipeline.body.spec import load_body
    from pipeline.core.obj_mesh import read_obj
    from pipeline.export.run_appearance import appearance_for_result
    from pipeline.export.styling import styled_body

    out = []
    for index, (name, mesh, params, run_dir, look) in enumerate(entries):
        safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name) or "body"
        if index in bodies_of:
            spec, trusted = bodies_of[index]
            model = load_body(spec, "cpu", trusted)  # a small cache: one model for many bodies
            skin = model.skinned_mesh(model.params_from_json(params))
            body = ExportBody.from_skin(skin, name=safe)
            hm08 = model.hm08_vertex_indices()
            appearance = appearance_for_result(look["choices"], prompt=look["prompt"], seed=look["seed"],
                                               person_index=look["person"], body=body, hm08_index=hm08,
                                               run_dir=run_dir, set_name=look["set"],
                                               default_style=look["default_style"])
            out.append(styled_body(body, appearance, hm08)[0])
            continue
        if not Path(mesh).exists():
            raise FileNotFoundError(f"The mesh of {name} ({mesh}) is missing; generate or re-fit it again.")
        vertices, faces = read_obj(Path(mesh))
        out.append(ExportBody(safe, np.asarray(vertices, float), np.asarray(faces)))
    return out
