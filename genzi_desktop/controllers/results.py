"""People and their kept results: the Results panel, the bodies drawn in the viewport,
visibility, highlighting, renaming and deleting (the last three undoable), and the gallery
images a person's fit leaves out (undoable too: an unticked view comes back with Ctrl+Z)."""

from __future__ import annotations

import logging
import shutil
import uuid
from pathlib import Path

from PySide6 import QtCore, QtWidgets

from genzi_desktop.model.project import ResultEntry
from genzi_desktop.model.result_edits import DeleteResult, Rename, SetExcludedImages, SetResultVisible
from genzi_desktop.viewport.view import BODY_COLOR, SELECTED_CAMERA_COLOR
from genzi_desktop.window.undo import ModelCommand
from pipeline.core.obj_mesh import read_obj

log = logging.getLogger("genzi_desktop.generation")


def body_key(person: int, result_id: str) -> str:
    """The viewport key of a person's result body."""
    return f"p{person}-{result_id}"


class ResultsController(QtCore.QObject):
    """The project's people and results as the Results panel and the viewport show them."""

    def __init__(self, generation) -> None:
        super().__init__(generation)
        self.generation = generation
        self.window = generation.window
        self._shown_meshes: dict[str, Path] = {}  # viewport key -> result mesh file it shows
        rp = generation.results_panel
        rp.personActivated.connect(self.activate_person)
        rp.visibilityChanged.connect(self.set_result_visible)
        rp.renameRequested.connect(self.rename)
        rp.deleteRequested.connect(self.delete_result)
        rp.addPersonRequested.connect(self.add_person)
        rp.removePersonRequested.connect(self.remove_person)
        rp.resultSelected.connect(self.highlight_result)
        generation.gallery.exclusionsChanged.connect(self.set_excluded_images)

    @property
    def project(self):
        return self.generation.project

    @QtCore.Slot(int)
    def activate_person(self, index: int) -> None:
        if index == self.project.active_person or not (0 <= index < len(self.project.people)) or self.generation.is_busy():
            return
        self.generation.store_design()
        self.project.active_person = index
        self.generation.restore_design()

    @QtCore.Slot()
    def add_person(self) -> None:
        if self.generation.is_busy():
            return
        self.generation.store_design()
        prompt = self.generation.prompt_panel.values()
        person = self.project.add_person()
        person.prompt = prompt
        self.generation.restore_design()
        self.window.statusBar().showMessage(f"{person.name}: click a surface to place their target.", 6000)

    @QtCore.Slot(int)
    def remove_person(self, index: int) -> None:
        """Remove a person and their bodies; asked first when they have bodies. Not undoable:
        the person's undo history goes with them. The person shown stays shown, with the edits
        made in the window so far (rows after the removed one move up)."""
        if len(self.project.people) <= 1 or self.generation.is_busy():
            return
        if not self._confirm_remove(self.project.people[index]):
            return
        self.generation.store_design()
        shown = self.project.person
        person = self.project.people.pop(index)
        for r in person.results:
            self.window.viewport.set_body(body_key(index, r.id), None)
        self.project.active_person = (min(index, len(self.project.people) - 1) if shown is person
                                      else self._index_of(shown))
        self.generation.restore_design()  # also redraws the bodies, keyed by the new rows

    def _confirm_remove(self, person) -> bool:
        if not person.results or not self.window.interactive:
            return True
        count = len(person.results)
        buttons = QtWidgets.QMessageBox.StandardButton
        answer = QtWidgets.QMessageBox.question(
            self.window, "Remove person?",
            f"Remove {person.name} and their {count} bod{'y' if count == 1 else 'ies'}? This cannot be undone; "
            "to keep a body out of view, untick it instead.", buttons.Yes | buttons.No, buttons.No)
        return answer == buttons.Yes

    def show_results(self, select: tuple[int, str] | None = None) -> None:
        """Results list and every kept body in the viewport. Bodies already shown from the same
        file are only restyled: re-reading every result after each run stalled the window
        (0.3-1 s with three results, growing with every person added)."""
        vp = self.window.viewport
        wanted = {}
        for pi, person in enumerate(self.project.people):
            for r in person.results:
                wanted[body_key(pi, r.id)] = (pi, r, self.project.path_of(r.mesh))
        shown = self._shown_meshes
        with vp.batch():  # one render at the end
            for key in [k for k in list(shown) if k not in wanted or shown[k] != wanted[k][2]]:
                vp.set_body(key, None)
                shown.pop(key)
            for key, (pi, r, mesh) in wanted.items():
                if key in shown and vp.style_body(key, visible=r.visible, selected=select == (pi, r.id)):
                    continue
                if not mesh.exists():
                    log.warning("Result %s: mesh %s is missing", r.name, r.mesh)
                    continue
                vertices, faces = read_obj(mesh)
                vp.set_body(key, vertices, faces, visible=r.visible, selected=select == (pi, r.id))
                shown[key] = mesh
        self.generation.results_panel.show_project(self.project, select)
        appearance = getattr(self.generation, "appearance", None)
        if appearance is not None:  # dressed, coloured people replace the plain bodies when ready
            appearance.dress_shown()

    def find_result(self, person: int, result_id: str) -> ResultEntry | None:
        if not (0 <= person < len(self.project.people)):
            return None
        return next((r for r in self.project.people[person].results if r.id == result_id), None)

    @QtCore.Slot(int, str, bool)
    def set_result_visible(self, person: int, result_id: str, visible: bool) -> None:
        r = self.find_result(person, result_id)
        if r is None or r.visible == bool(visible):
            return
        owner = self.project.people[person]
        self._push(SetResultVisible(r, visible), lambda again: self._show_visible(owner, r, again))

    def _show_visible(self, owner, r: ResultEntry, again: bool) -> None:
        person = self._index_of(owner)
        if person < 0:
            return
        vp = self.window.viewport
        actor = vp.plotter.actors.get(f"body-{body_key(person, r.id)}")
        if actor is not None:
            dressed = vp.people.set_visible(body_key(person, r.id), r.visible)
            actor.visibility = r.visible and not dressed
            vp.plotter.render()
        if again:
            self.generation.results_panel.show_project(self.project)

    @QtCore.Slot(object, object)
    def set_excluded_images(self, before: list[str], after: list[str]) -> None:
        """The user ticked or unticked in the gallery: the selected person's exclusions follow."""
        person = self.project.person
        self._push(SetExcludedImages(person, before, after), lambda again: self._show_excluded(person, again))

    def _show_excluded(self, person, again: bool) -> None:
        """Undo and redo tick the gallery as the person's exclusions say (a click shows itself)."""
        if again and person is self.project.person:
            self.generation.gallery.set_excluded(person.excluded_images)

    def _push(self, edit, changed) -> None:
        self.window.undo_stack.push(ModelCommand(edit, changed))

    def _index_of(self, person) -> int:
        return next((i for i, p in enumerate(self.project.people) if p is person), -1)

    @QtCore.Slot(int, str)
    def highlight_result(self, person: int, result_id: str) -> None:
        vp = self.window.viewport
        for pi, p in enumerate(self.project.people):
            for r in p.results:
                actor = vp.plotter.actors.get(f"body-{body_key(pi, r.id)}")
                if actor is not None:
                    selected = (pi, r.id) == (person, result_id)
                    actor.prop.color = SELECTED_CAMERA_COLOR if selected else BODY_COLOR
        vp.plotter.render()

    @QtCore.Slot(int, str, str)
    def rename(self, person: int, result_id: str, name: str) -> None:
        name = name.strip()
        if not name or not (0 <= person < len(self.project.people)):
            return
        owner = self.find_result(person, result_id) if result_id else self.project.people[person]
        if owner is not None and owner.name != name:
            self._push(Rename(owner, name),
                       lambda again: again and self.generation.results_panel.show_project(self.project))

    @QtCore.Slot(int, str)
    def delete_result(self, person: int, result_id: str) -> None:
        r = self.find_result(person, result_id)
        if r is not None:
            self._push(DeleteResult(self.project.people[person], r), lambda _again: self.show_results())

    def drop_run(self, person_index: int, run_rel: str) -> None:
        """Forget a person's results of one run (a re-fit replaces them)."""
        person = self.project.people[person_index]
        for old in [r for r in person.results if r.run == run_rel]:
            person.results.remove(old)
            self.window.viewport.set_body(body_key(person_index, old.id), None)

    def keep(self, result, person_index: int) -> int:
        """Keep a finished run's bodies as the person's results (meshes copied into the
        project: run folders are rewritten by re-fits); returns how many."""
        person = self.project.people[person_index] if person_index < len(self.project.people) else self.project.person
        run_rel = self.project.relative(result.run_dir)
        prompt = self.generation.prompt_panel.values()
        count = 0
        for body in result.bodies:
            rid = uuid.uuid4().hex[:8]
            keep = self.project.root / "results" / f"{rid}.obj"
            keep.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(body.mesh_path, keep)  # run folders are rewritten by re-fits
            person.results.append(ResultEntry(
                id=rid, name=f"{person.name} #{len(person.results) + 1}", prompt=prompt.prompt,
                score=float(body.score), metrics=dict(body.metrics), mesh=self.project.relative(keep), run=run_rel,
                set_name=body.set_name, params=dict(body.params), view_weights=dict(body.view_weights),
                seed=int(prompt.seed)))
            count += 1
        return count
