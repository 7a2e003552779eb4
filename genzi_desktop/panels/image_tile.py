"""One image of the gallery: a view's render or a painted image with its evolving mask,
detected keypoints and, after fitting, the view's confidence; a tick box leaves it out."""

from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from pipeline.body.base import KEYPOINT_NAMES
from pipeline.keypoints.blazepose import SKELETON

TILE = 132
MASK_COLOR = QtGui.QColor(255, 40, 40, 110)



def rgb_to_qimage(rgb: np.ndarray) -> QtGui.QImage:
    """(H, W, 3) uint8 -> an owned QImage (copy, so the array may go away)."""
    arr = np.ascontiguousarray(np.asarray(rgb)[..., :3], dtype=np.uint8)
    h, w = arr.shape[:2]
    return QtGui.QImage(arr.data, w, h, 3 * w, QtGui.QImage.Format.Format_RGB888).copy()


def mask_to_qimage(mask: np.ndarray, alpha: int = MASK_COLOR.alpha()) -> QtGui.QImage:
    """(H, W) bool/float mask -> a tinted ARGB overlay (``alpha`` where the mask is 1)."""
    m = np.asarray(mask, dtype=np.float32)
    if m.max(initial=0) > 1.0:
        m = m / 255.0
    h, w = m.shape[:2]
    argb = np.zeros((h, w, 4), np.uint8)
    argb[..., 0] = MASK_COLOR.blue()
    argb[..., 1] = MASK_COLOR.green()
    argb[..., 2] = MASK_COLOR.red()
    argb[..., 3] = (np.clip(m, 0, 1) * alpha).astype(np.uint8)
    return QtGui.QImage(argb.data, w, h, 4 * w, QtGui.QImage.Format.Format_ARGB32).copy()


class ImageTile(QtWidgets.QFrame):
    """One painted image of one view and set: image, keypoints, mask inset, confidence, a tick."""

    toggled = QtCore.Signal(str, int, bool)  # view, sample, included

    def __init__(self, view: str, sample: int, parent=None) -> None:
        super().__init__(parent)
        self.view, self.sample = view, sample
        self.setFrameShape(QtWidgets.QFrame.Shape.StyledPanel)
        self.image: QtGui.QImage | None = None
        self.mask: QtGui.QImage | None = None
        self.mask_inset: QtGui.QImage | None = None
        self.keypoints: np.ndarray | None = None
        self.valid: bool | None = None
        self.reason = ""
        self.confidence: float | None = None
        self.painted = False
        self.step_text = ""
        self.check = QtWidgets.QCheckBox(self)
        self.check.setChecked(True)
        self.check.setToolTip("Use this image when fitting (untick and press Re-fit to leave it out)")
        self.check.move(3, 3)
        self.check.toggled.connect(self._toggled)
        self.setFixedSize(TILE, TILE + 18)

    def _toggled(self, on: bool) -> None:
        self.toggled.emit(self.view, self.sample, on)
        self.update()

    @property
    def included(self) -> bool:
        return self.check.isChecked()

    def set_image(self, rgb, *, painted: bool) -> None:
        self.image = rgb_to_qimage(rgb)
        self.painted = painted
        self.update()

    def set_mask(self, mask) -> None:
        self.mask = None if mask is None else mask_to_qimage(mask)
        self.mask_inset = None if mask is None else mask_to_qimage(mask, 255)  # opaque, for the corner inset
        self.update()

    def set_keypoints(self, kp, valid: bool, reason: str) -> None:
        self.keypoints = None if kp is None else np.asarray(kp, dtype=float)
        self.valid, self.reason = valid, reason
        self.setToolTip(f"{self.view}, set {self.sample}: " + ("person found" if valid else f"not used: {reason}"))
        self.update()

    def set_confidence(self, value: float | None) -> None:
        self.confidence = value
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802
        super().paintEvent(event)
        p = QtGui.QPainter(self)
        p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        area = QtCore.QRect(2, 2, TILE - 4, TILE - 4)
        if self.image is None:
            p.fillRect(area, QtGui.QColor("#eceff3"))
            p.setPen(QtGui.QColor("#889"))
            p.drawText(area, QtCore.Qt.AlignmentFlag.AlignCenter, "waiting")
        else:
            img = self.image
            scale = min(area.width() / img.width(), area.height() / img.height())
            w, h = int(img.width() * scale), int(img.height() * scale)
            target = QtCore.QRect(area.left() + (area.width() - w) // 2, area.top() + (area.height() - h) // 2, w, h)
            p.drawImage(target, img)
            if self.mask is not None:
                if self.painted:  # small inset in the corner once the image is painted
                    inset = QtCore.QRect(target.right() - w // 3, target.bottom() - h // 3, w // 3, h // 3)
                    p.fillRect(inset, QtGui.QColor("black"))
                    p.drawImage(inset, self.mask_inset)
                    p.setPen(QtGui.QColor("white"))
                    p.drawRect(inset)
                else:
                    p.drawImage(target, self.mask)
            if self.keypoints is not None:
                self._draw_keypoints(p, target, scale)
            if not self.included:
                p.fillRect(target, QtGui.QColor(255, 255, 255, 170))
                p.setPen(QtGui.QPen(QtGui.QColor("#c00"), 3))
                p.drawLine(target.topLeft(), target.bottomRight())
        p.setPen(QtGui.QColor("#333"))
        text = "rendered view" if self.sample < 0 else f"set {self.sample}"
        if self.step_text and not self.painted:
            text += f"  {self.step_text}"
        if self.valid is False:
            text += "  ✗"
        if self.confidence is not None:
            text += f"  conf {self.confidence:.2f}"
        p.drawText(QtCore.QRect(2, TILE - 1, TILE - 4, 18), QtCore.Qt.AlignmentFlag.AlignLeft, text)
        if self.confidence is not None:
            p.fillRect(QtCore.QRect(TILE - 26, TILE + 10, int(22 * max(0.0, min(1.0, self.confidence))), 5),
                       QtGui.QColor("#2a9d3a"))
        p.end()

    def _draw_keypoints(self, p: QtGui.QPainter, target: QtCore.QRect, scale: float) -> None:
        kp = self.keypoints
        if kp.ndim != 2 or kp.shape[1] < 2:
            return
        conf = kp[:, 2] if kp.shape[1] > 2 else np.ones(len(kp))

        def at(i):
            return QtCore.QPointF(target.left() + kp[i, 0] * scale, target.top() + kp[i, 1] * scale)

        def ok(i):
            return i < len(kp) and np.isfinite(kp[i, :2]).all() and conf[i] >= 0.25

        index = {n: i for i, n in enumerate(KEYPOINT_NAMES)}
        color = QtGui.QColor("#30e060") if self.valid else QtGui.QColor("#f0a000")
        for a, b in SKELETON:
            i, j = index.get(a), index.get(b)
            if i is None or j is None or not (ok(i) and ok(j)):
                continue
            side = QtGui.QColor("#ff4040") if (a.startswith("right") or b.startswith("right")) else color
            p.setPen(QtGui.QPen(side, 1.6))
            p.drawLine(at(i), at(j))
        p.setPen(QtCore.Qt.PenStyle.NoPen)
        p.setBrush(QtGui.QColor("#ffff30"))
        for i in range(len(kp)):
            if ok(i):
                p.drawEllipse(at(i), 2.2, 2.2)
