"""A tiny live line plot drawn with QPainter (no chart library needed).

Used for the fit's loss terms (log scale) and the views' learned confidences (0..1).
"""

from __future__ import annotations

import math
from collections import deque

from PySide6 import QtCore, QtGui, QtWidgets

PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf"]


class LivePlot(QtWidgets.QWidget):
    """Named series of numbers; ``append`` adds a point to each given series and repaints."""

    def __init__(self, title: str, parent: QtWidgets.QWidget | None = None, *, log_scale: bool = False,
                 fixed_range: tuple[float, float] | None = None, max_points: int = 400) -> None:
        super().__init__(parent)
        self.title = title
        self.log_scale = log_scale
        self.fixed_range = fixed_range
        self.series: dict[str, deque] = {}
        self.max_points = max_points
        self.setMinimumHeight(70)
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Preferred)

    def clear(self) -> None:
        self.series.clear()
        self.update()

    def append(self, values: dict[str, float]) -> None:
        for name, value in values.items():
            try:
                v = float(value)
            except (TypeError, ValueError):
                continue
            if not math.isfinite(v):
                continue
            if self.log_scale:
                if v <= 0:
                    continue  # a term that is exactly zero (no contact needed, no penetration) has no log
                v = math.log10(v)
            self.series.setdefault(name, deque(maxlen=self.max_points)).append(v)
        self.update()

    def point_count(self) -> int:
        return max((len(s) for s in self.series.values()), default=0)

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt API
        p = QtGui.QPainter(self)
        p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        rect = self.rect().adjusted(4, 16, -92, -4)
        p.fillRect(self.rect(), QtGui.QColor("#fbfbfc"))
        p.setPen(QtGui.QColor("#444"))
        suffix = " (log10)" if self.log_scale else ""
        p.drawText(6, 12, self.title + suffix)
        p.setPen(QtGui.QColor("#ccc"))
        p.drawRect(rect)
        values = [v for s in self.series.values() for v in s]
        if not values or rect.width() < 10:
            p.setPen(QtGui.QColor("#999"))
            p.drawText(rect, QtCore.Qt.AlignmentFlag.AlignCenter, "waiting for the fit…")
            p.end()
            return
        lo, hi = self.fixed_range if self.fixed_range else (min(values), max(values))
        if hi - lo < 1e-9:
            lo, hi = lo - 0.5, hi + 0.5
        n = max(2, self.point_count())
        for i, (name, s) in enumerate(sorted(self.series.items())):
            color = QtGui.QColor(PALETTE[i % len(PALETTE)])
            p.setPen(QtGui.QPen(color, 1.5))
            path = QtGui.QPainterPath()
            offset = n - len(s)
            for j, v in enumerate(s):
                x = rect.left() + (offset + j) / (n - 1) * rect.width()
                y = rect.bottom() - (min(max(v, lo), hi) - lo) / (hi - lo) * rect.height()
                if j == 0:
                    path.moveTo(x, y)
                else:
                    path.lineTo(x, y)
            p.drawPath(path)
            if i < 9:
                ly = rect.top() + 11 * i + 8
                p.drawLine(rect.right() + 6, ly - 3, rect.right() + 16, ly - 3)
                p.setPen(QtGui.QColor("#333"))
                p.drawText(rect.right() + 19, ly, name[:12])
        p.setPen(QtGui.QColor("#666"))
        p.drawText(rect.left() + 2, rect.top() + 10, f"{hi:.3g}")
        p.drawText(rect.left() + 2, rect.bottom() - 2, f"{lo:.3g}")
        p.end()
