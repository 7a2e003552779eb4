"""Before a project's work is dropped (File > New project, Open project, Quit, opening another
scene, which starts a new project): when it holds
bodies changed since it was last saved, ask Save, Discard or Cancel. The working folder goes with
the project, so without this question File > New or Quit silently lost every unsaved body."""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtWidgets


def has_unsaved_bodies(projects) -> bool:
    """The project has kept bodies and differs from what was last saved or opened."""
    projects.store_window()
    return any(p.results for p in projects.project.people) and projects.state_text() != projects.saved_state


def confirm_discard(projects, doing: str) -> bool:
    """True when it is fine to go on with ``doing`` ("quitting"): nothing unsaved, saved now, or
    the user chose to discard. Scripted windows never ask."""
    window = projects.window
    if not window.interactive or not has_unsaved_bodies(projects):
        return True
    buttons = QtWidgets.QMessageBox.StandardButton
    box = QtWidgets.QMessageBox(QtWidgets.QMessageBox.Icon.Question, "Save the project?",
                                f"The project has bodies that are not saved. Save it before {doing}?",
                                buttons.Save | buttons.Discard | buttons.Cancel, window)
    box.setDefaultButton(buttons.Save)
    answer = box.exec()
    if answer == buttons.Save:
        return projects.save_project_action()
    return answer == buttons.Discard


def confirm_scene_change(projects, path) -> bool:
    """Opening ``path`` starts a new project when the open one has bodies of another scene."""
    current = projects.project.scene.path
    if current is None or Path(current) == Path(path).resolve():
        return True
    return confirm_discard(projects, "opening another scene")
