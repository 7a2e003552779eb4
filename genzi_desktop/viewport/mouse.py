"""Mouse plumbing of the viewport: raw mouse events on the interactor become clicks, target
drags and camera drags (the viewport turns them into its signals); VTK's own keys are eaten.

While a floor region is drawn (``sketching``), a click adds a corner (``sketchClicked``), a
double-click or Enter closes it, Backspace or Ctrl+Z removes the last corner and Esc cancels;
dragging still orbits the view."""

from __future__ import annotations

from PySide6 import QtCore

CLICK_TOLERANCE_PX = 4


class MouseFilter(QtCore.QObject):
    """Turns raw mouse events on the interactor into clicks and target drags."""

    #: While sketching: a click at VTK display pixel (x, y) adds a corner there.
    sketchClicked = QtCore.Signal(int, int)
    sketchClosed = QtCore.Signal()
    sketchUndo = QtCore.Signal()
    sketchCancelled = QtCore.Signal()

    def __init__(self, viewport) -> None:  # the SceneViewport it reports to
        super().__init__(viewport)
        self.viewport = viewport
        self._press_pos: QtCore.QPointF | None = None
        self._dragging = False
        self.sketching = False

    def _sketch_key(self, event) -> QtCore.SignalInstance | None:
        key, mods = event.key(), event.modifiers()
        if key in (QtCore.Qt.Key.Key_Return, QtCore.Qt.Key.Key_Enter):
            return self.sketchClosed
        if key == QtCore.Qt.Key.Key_Escape:
            return self.sketchCancelled
        if key == QtCore.Qt.Key.Key_Backspace or (key == QtCore.Qt.Key.Key_Z
                                                  and mods & QtCore.Qt.KeyboardModifier.ControlModifier):
            return self.sketchUndo
        return None

    def eventFilter(self, obj, event):  # noqa: N802 - Qt API
        et = event.type()
        if self.sketching and et in (QtCore.QEvent.Type.ShortcutOverride, QtCore.QEvent.Type.KeyPress):
            signal = self._sketch_key(event)
            if signal is not None:
                event.accept()  # ShortcutOverride: the key is ours, not Edit > Undo's
                if et == QtCore.QEvent.Type.KeyPress:
                    signal.emit()
                return True
        if self.sketching and et == QtCore.QEvent.Type.MouseButtonDblClick:
            self._press_pos = None  # the corner under the double-click counts (a repeat of the last is dropped)
            self.sketchClicked.emit(*self.viewport.to_display(event.position()))
            self.sketchClosed.emit()
            return True
        if et in (QtCore.QEvent.Type.KeyPress, QtCore.QEvent.Type.KeyRelease):
            # VTK's one-letter keys (w = wireframe, j = joystick, 3 = stereo, f = fly to ...)
            # would change the view behind the app's back; the app's own shortcuts still work
            # because Qt resolves shortcuts before the widget sees the key.
            return True
        if et in (QtCore.QEvent.Type.MouseButtonPress, QtCore.QEvent.Type.Wheel):
            self.viewport.leave_camera()  # the view moves away from the camera looked through
        if et == QtCore.QEvent.Type.MouseButtonPress and event.button() == QtCore.Qt.MouseButton.LeftButton:
            self._press_pos = event.position()
            mods = event.modifiers()
            if mods & QtCore.Qt.KeyboardModifier.ShiftModifier:
                self._dragging = "target"
                self.viewport.begin_drag(*self.viewport.to_display(event.position()))
                return True
            if mods & QtCore.Qt.KeyboardModifier.ControlModifier:
                self._dragging = "camera"
                self.viewport.camera_drag(event.position() - self._press_pos, begin=True)
                return True
        elif et == QtCore.QEvent.Type.MouseMove and self._dragging:
            if self._dragging == "camera":
                self.viewport.camera_drag(event.position() - self._press_pos)
            else:
                self.viewport.continue_drag(*self.viewport.to_display(event.position()))
            return True
        elif et == QtCore.QEvent.Type.MouseButtonRelease and event.button() == QtCore.Qt.MouseButton.LeftButton:
            press, self._press_pos = self._press_pos, None
            if self._dragging:
                kind, self._dragging = self._dragging, False
                if kind == "camera" and press is not None:
                    moved = event.position() - press
                    if abs(moved.x()) + abs(moved.y()) <= CLICK_TOLERANCE_PX:  # Ctrl+click: pick a camera
                        self.viewport.cameraClicked.emit(*self.viewport.to_display(event.position()))
                    else:
                        self.viewport.camera_drag(moved, finished=True)
                else:
                    self.viewport.end_drag(*self.viewport.to_display(event.position()))
                return True
            if press is not None:
                moved = event.position() - press
                if abs(moved.x()) + abs(moved.y()) <= CLICK_TOLERANCE_PX:
                    x, y = self.viewport.to_display(event.position())
                    (self.sketchClicked if self.sketching else self.viewport.surfaceClicked).emit(x, y)
        return False
