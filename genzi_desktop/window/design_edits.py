"""Editing the design in the window: target placement and dragging, camera add/move/delete,
looking through a camera. Every change is an undoable ``genzi_desktop.model.edits.Edit``."""

from __future__ import annotations

import numpy as np
from PySide6 import QtCore

from genzi_desktop.model.edits import ChangeCamera, Edit, SetCameras, SetTarget
from genzi_desktop.window.undo import EditCommand
from pipeline.scene.picking import pick_part
from pipeline.scene.targets import Target
from pipeline.views.cameras import Camera
from pipeline.views.geometry import camera_under_ray, orbit_camera

NEW_CAMERA_SIZE = 512
CAMERA_DRAG_DEG_PER_PX = 0.4


class DesignEditing:
    """Main-window part: the slots that turn clicks, drags and panel edits into edits."""

    def apply_edit(self, edit: Edit) -> None:
        """Run ``edit`` through the undo stack (merging drags into one step)."""
        self.undo_stack.push(EditCommand(self.design, edit, self.design_changed))

    def design_changed(self, kind: str) -> None:
        if kind == "target":
            self.viewport.set_target(self.design.target)
            self.target_panel.set_target(self.design.target)
        elif kind == "cameras":
            self.camera_panel.set_cameras(self.design.cameras)
            self.viewport.set_cameras(self.design.cameras, self.camera_panel.current_index())
            self._render_thumbnails()
        elif kind == "outline":
            self.outline_changed()
        self.update_actions()

    def set_target(self, target: Target | None, text: str = "Place target", merge_key=None) -> None:
        if target != self.design.target:
            self.apply_edit(SetTarget(self.design.target, target, text, merge_key))

    @QtCore.Slot()
    def clear_target(self) -> None:
        if self.design.target is not None:
            self.set_target(None, "Clear target")

    @QtCore.Slot(object, object)
    def on_target_edited(self, target: Target, merge_key) -> None:
        self.set_target(target, "Edit target", merge_key)

    # ------------------------------------------------------------------ picking
    def pick_at(self, x: int, y: int):
        """(point, normal) under VTK display pixel (x, y), or None for the sky."""
        hit = self.pick_part_at(x, y)
        return None if hit is None else hit[:2]

    def pick_part_at(self, x: int, y: int):
        """(point, normal, part index) under VTK display pixel (x, y); hidden elements and
        back faces (when culled) are passed through, as the viewport does not show them."""
        origin, direction = self.viewport.ray_at(x, y)
        return pick_part(self.scene, origin, direction, front_faces_only=self.viewport.backface_culling,
                         skip_parts=self.hidden_surfaces())

    @QtCore.Slot(int, int)
    def on_surface_clicked(self, x: int, y: int) -> None:
        if self.scene is None:
            self.statusBar().showMessage("Open a scene first (File > Open).", 5000)
            return
        hit = self.pick_part_at(x, y)
        if hit is None:
            self.statusBar().showMessage("No surface under the cursor (sky or empty space): click on a surface to place the target.", 6000)
            return
        point, normal, part = hit
        old = self.design.target
        radius = old.radius if old is not None else 0.0
        self.set_target(Target(point, normal, radius), "Place target")
        self.select_part_row(part)
        p = np.round(point, 3)
        self.statusBar().showMessage(f"Target at ({p[0]:.3f}, {p[1]:.3f}, {p[2]:.3f}) m on {self.scene.names[part]}",
                                     5000)

    @QtCore.Slot(int, int, int, bool)
    def on_target_dragged(self, x: int, y: int, drag_id: int, finished: bool) -> None:
        if self.scene is None:
            return
        hit = self.pick_at(x, y)
        if hit is None:
            return
        old = self.design.target
        radius = old.radius if old is not None else 0.0
        self.set_target(Target(hit[0], hit[1], radius), "Move target", ("drag", drag_id))

    # ------------------------------------------------------------------ cameras
    def _camera_name(self, existing: list[Camera]) -> str:
        names = {c.name for c in existing}
        i = len(existing)
        while f"view_{i:02d}" in names:
            i += 1
        return f"view_{i:02d}"

    @QtCore.Slot()
    def add_camera_from_view(self) -> None:
        if self.scene is None:
            return
        cams = self.design.cameras
        camera = self.viewport.current_camera(name=self._camera_name(cams), width=NEW_CAMERA_SIZE,
                                              height=NEW_CAMERA_SIZE)
        self.apply_edit(SetCameras(cams, cams + [camera], "Add camera"))
        self.camera_panel.list.setCurrentRow(len(self.design.cameras) - 1)

    @QtCore.Slot(int, int)
    def on_camera_clicked(self, x: int, y: int) -> None:
        """Ctrl+click on a frustum selects that camera."""
        if not self.design.cameras:
            return
        origin, direction = self.viewport.ray_at(x, y)
        index = camera_under_ray(self.design.cameras, origin, direction, self.viewport.frustum_depth)
        if index is None:
            self.statusBar().showMessage("No camera there: Ctrl+click on a camera's frustum to select it.", 5000)
            return
        self.camera_panel.list.setCurrentRow(index)
        self.statusBar().showMessage(f"Selected {self.design.cameras[index].name}; Ctrl+drag swings it.", 5000)

    @QtCore.Slot(float, float, int, bool)
    def on_camera_dragged(self, dx: float, dy: float, drag_id: int, finished: bool) -> None:
        """Ctrl+drag swings the selected camera around its look-at point; one drag = one undo step."""
        index = self.camera_panel.current_index()
        if not 0 <= index < len(self.design.cameras):
            if finished:
                self.statusBar().showMessage("Select a camera in the Cameras panel, then Ctrl+drag to move it.", 5000)
            return
        if dx == 0 and dy == 0:
            return
        start = self._camera_drag_start
        if start is None or start[0] != drag_id or start[1] != index:
            start = self._camera_drag_start = (drag_id, index, self.design.cameras[index])
        camera = start[2]
        pivot = camera.look_at if camera.look_at is not None else (
            self.design.target.point_array if self.design.target is not None else None)
        if pivot is None:
            return
        moved = orbit_camera(camera, pivot, -CAMERA_DRAG_DEG_PER_PX * dx, CAMERA_DRAG_DEG_PER_PX * dy)
        self.apply_edit(ChangeCamera(index, self.design.cameras[index], moved, f"Move {camera.name or 'camera'}",
                                     ("camera-drag", drag_id)))
        if finished:
            self._camera_drag_start = None

    @QtCore.Slot()
    def set_current_camera_from_view(self) -> None:
        """Look through a camera, orbit/pan/zoom, then take the new pose (one undo step)."""
        index = self.camera_panel.current_index()
        if not 0 <= index < len(self.design.cameras):
            return
        old = self.design.cameras[index]
        new = self.viewport.current_camera(name=old.name, width=old.width, height=old.height)
        new.fov_y_deg = old.fov_y_deg
        new.extra = {k: v for k, v in (old.extra or {}).items() if k != "visibility"}
        self.apply_edit(ChangeCamera(index, old, new, f"Move {old.name or 'camera'} to the view"))

    @QtCore.Slot(int)
    def delete_camera(self, index: int) -> None:
        cams = self.design.cameras
        if 0 <= index < len(cams):
            self.apply_edit(SetCameras(cams, cams[:index] + cams[index + 1:], f"Delete {cams[index].name or 'camera'}"))

    @QtCore.Slot()
    def delete_current_camera(self) -> None:
        self.delete_camera(self.camera_panel.current_index())

    @QtCore.Slot(int, object, object)
    def on_camera_edited(self, index: int, camera: Camera, merge_key) -> None:
        if 0 <= index < len(self.design.cameras):
            self.apply_edit(ChangeCamera(index, self.design.cameras[index], camera, "Edit camera", merge_key))

    @QtCore.Slot(int)
    def look_through(self, index: int) -> None:
        if 0 <= index < len(self.design.cameras):
            self.viewport.look_through(self.design.cameras[index], index)
            self.statusBar().showMessage(f"Looking through {self.design.cameras[index].name}", 4000)

    @QtCore.Slot()
    def look_through_current(self) -> None:
        self.look_through(self.camera_panel.current_index())

