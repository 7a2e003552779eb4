"""Camera panel: the list of cameras with thumbnails, buttons, and a small camera editor.

The editor shows position, look-at point and vertical field of view; a change proposes a new
``Camera`` (built with ``Camera.looking_at``) through ``cameraEdited`` with a merge key shared
by repeated changes of one field, so holding an arrow or dragging a value is one undo step.
"""

from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from pipeline.views.cameras import Camera
from pipeline.views.geometry import viewer_pose

from genzi_desktop.panels.widgets import Vec3Edit

THUMB_SIZE = 96


def rgb_to_pixmap(rgb: np.ndarray) -> QtGui.QPixmap:
    """(H, W, 3) uint8 -> QPixmap (GUI thread only)."""
    rgb = np.ascontiguousarray(rgb[..., :3], dtype=np.uint8)
    h, w, _ = rgb.shape
    image = QtGui.QImage(rgb.data, w, h, 3 * w, QtGui.QImage.Format.Format_RGB888).copy()
    return QtGui.QPixmap.fromImage(image)


class CameraEditor(QtWidgets.QGroupBox):
    """Numbers of one camera: position, look-at, field of view."""

    #: (new camera, merge key)
    edited = QtCore.Signal(object, object)

    def __init__(self, parent=None) -> None:
        super().__init__("Selected camera", parent)
        form = QtWidgets.QFormLayout(self)
        self.position = Vec3Edit(self)
        self.look_at = Vec3Edit(self)
        self.fov = QtWidgets.QDoubleSpinBox(self)
        self.fov.setRange(5.0, 150.0)
        self.fov.setDecimals(1)
        self.fov.setSuffix(" °")
        self.fov.setKeyboardTracking(False)
        form.addRow("Position", self.position)
        form.addRow("Look at", self.look_at)
        form.addRow("Field of view (vertical)", self.fov)
        self._camera: Camera | None = None
        self._session = 0
        self._quiet = False
        self.position.edited.connect(lambda i: self._changed(("position", i)))
        self.look_at.edited.connect(lambda i: self._changed(("look_at", i)))
        self.fov.valueChanged.connect(lambda _v: self._changed(("fov", 0)))
        for box in self.position.boxes + self.look_at.boxes + [self.fov]:
            box.editingFinished.connect(self._new_session)
        self.set_camera(None)

    @QtCore.Slot()
    def _new_session(self) -> None:
        self._session += 1

    def set_camera(self, camera: Camera | None) -> None:
        self._camera = camera
        self._quiet = True
        try:
            self.setEnabled(camera is not None)
            if camera is not None:
                position, focal, _ = viewer_pose(camera, distance=2.0)
                self.position.set_value(position)
                self.look_at.set_value(camera.look_at if camera.look_at is not None else focal)
                self.fov.setValue(camera.fov_y_deg)
            else:  # show empty boxes, not a made-up camera at the origin with a 5 degree lens
                for box in self.position.boxes + self.look_at.boxes + [self.fov]:
                    box.clear()
        finally:
            self._quiet = False

    def _changed(self, field) -> None:
        if self._quiet or self._camera is None:
            return
        cam = self._camera
        try:
            new = Camera.looking_at(self.position.value(), self.look_at.value(), fov_y_deg=self.fov.value(),
                                    width=cam.width, height=cam.height, name=cam.name)
        except Exception:  # position == look-at: put the numbers back
            self.set_camera(cam)
            return
        new.extra = dict(cam.extra)
        if not np.isfinite(new.world_to_camera).all():
            self.set_camera(cam)
            return
        self.edited.emit(new, ("camera-editor", field, self._session))


class CameraPanel(QtWidgets.QWidget):
    selectionChanged = QtCore.Signal(int)
    lookThroughRequested = QtCore.Signal(int)
    selectViewsRequested = QtCore.Signal()
    addFromViewRequested = QtCore.Signal()
    deleteRequested = QtCore.Signal(int)
    #: (index, new camera, merge key)
    cameraEdited = QtCore.Signal(int, object, object)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        layout = QtWidgets.QVBoxLayout(self)
        buttons = QtWidgets.QGridLayout()
        self.select_button = QtWidgets.QPushButton("Select views", self)
        self.select_button.setToolTip("Pick cameras around the target automatically (GenZI view selection)")
        self.add_button = QtWidgets.QPushButton("Add from view", self)
        self.add_button.setToolTip("Add a camera where the viewport's camera is now")
        self.look_button = QtWidgets.QPushButton("Look through", self)
        self.delete_button = QtWidgets.QPushButton("Delete", self)
        buttons.addWidget(self.select_button, 0, 0)
        buttons.addWidget(self.add_button, 0, 1)
        buttons.addWidget(self.look_button, 1, 0)
        buttons.addWidget(self.delete_button, 1, 1)
        layout.addLayout(buttons)
        self.list = QtWidgets.QListWidget(self)
        self.list.setIconSize(QtCore.QSize(THUMB_SIZE, THUMB_SIZE))
        self.list.setViewMode(QtWidgets.QListView.ViewMode.ListMode)
        self.list.setUniformItemSizes(True)
        layout.addWidget(self.list, 1)
        self.editor = CameraEditor(self)
        layout.addWidget(self.editor)
        self._cameras: list[Camera] = []
        self._quiet = False
        self.list.currentRowChanged.connect(self._row_changed)
        self.list.itemDoubleClicked.connect(lambda item: self.lookThroughRequested.emit(self.list.row(item)))
        self.select_button.clicked.connect(self.selectViewsRequested)
        self.add_button.clicked.connect(self.addFromViewRequested)
        self.look_button.clicked.connect(lambda: self._emit_for_current(self.lookThroughRequested))
        self.delete_button.clicked.connect(lambda: self._emit_for_current(self.deleteRequested))
        self.editor.edited.connect(self._editor_edited)
        self._update_buttons()

    def _emit_for_current(self, signal) -> None:
        row = self.list.currentRow()
        if 0 <= row < len(self._cameras):
            signal.emit(row)

    def current_index(self) -> int:
        return self.list.currentRow()

    def set_cameras(self, cameras: list[Camera], keep_row: int | None = None,
                    visibility: dict[str, float] | None = None) -> None:
        """Show ``cameras`` (thumbnails are set separately); keeps the selection if possible."""
        row = self.list.currentRow() if keep_row is None else keep_row
        old_icons = {}
        for i in range(self.list.count()):
            item = self.list.item(i)
            old_icons[item.data(QtCore.Qt.ItemDataRole.UserRole)] = item.icon()
        self._quiet = True
        try:
            self.list.clear()
            self._cameras = list(cameras)
            for i, cam in enumerate(cameras):
                name = cam.name or f"camera {i + 1}"
                text = f"{name}\n{cam.width}×{cam.height}, {cam.fov_y_deg:.0f}°"
                vis = cam.extra.get("visibility") if cam.extra else None
                if vis is not None:
                    text += f", sees {100 * float(vis):.0f}%"
                item = QtWidgets.QListWidgetItem(text)
                key = cam.to_json()
                item.setData(QtCore.Qt.ItemDataRole.UserRole, key)
                if key in old_icons:  # unchanged camera: keep its thumbnail
                    item.setIcon(old_icons[key])
                item.setSizeHint(QtCore.QSize(THUMB_SIZE + 140, THUMB_SIZE + 6))
                self.list.addItem(item)
            if cameras:
                self.list.setCurrentRow(min(max(row, 0), len(cameras) - 1) if row >= 0 else -1)
        finally:
            self._quiet = False
        self._sync_editor()
        self._update_buttons()

    def needs_thumbnail(self, index: int) -> bool:
        item = self.list.item(index)
        return item is not None and item.icon().isNull()

    def set_thumbnail(self, index: int, camera_json: str, rgb: np.ndarray) -> None:
        """Set a thumbnail if the camera at ``index`` is still the one it was rendered for."""
        item = self.list.item(index)
        if item is None or item.data(QtCore.Qt.ItemDataRole.UserRole) != camera_json:
            return
        item.setIcon(QtGui.QIcon(rgb_to_pixmap(rgb)))

    def _row_changed(self, row: int) -> None:
        self._sync_editor()
        self._update_buttons()
        if not self._quiet:
            self.selectionChanged.emit(row)

    def _sync_editor(self) -> None:
        row = self.list.currentRow()
        self.editor.set_camera(self._cameras[row] if 0 <= row < len(self._cameras) else None)

    def _update_buttons(self) -> None:
        has = 0 <= self.list.currentRow() < len(self._cameras)
        self.look_button.setEnabled(has)
        self.delete_button.setEnabled(has)

    def _editor_edited(self, camera: Camera, key) -> None:
        row = self.list.currentRow()
        if 0 <= row < len(self._cameras):
            self.cameraEdited.emit(row, camera, key)

    def set_select_label(self, again: bool) -> None:
        self.select_button.setText("Select views again" if again else "Select views")
