"""The one module that touches pyvistaqt's internals (tests/test_pyvistaqt_adapter.py fails
loudly when a pyvistaqt release changes them).

After ``close()`` pyvistaqt keeps Python wrappers of the widget's GL context and surface. Qt
deletes those C++ objects with the widget, and a later Qt object allocated at the same address
(a new QMenu, say) would come back from shiboken as the stale wrapper; forgetting them after
closing prevents that.
"""

from __future__ import annotations

from pyvistaqt import QtInteractor
from pyvistaqt.rwi import QVTKRenderWindowInteractor

__all__ = ["QtInteractor", "forget_gl_context"]


def forget_gl_context(interactor: QVTKRenderWindowInteractor) -> None:
    """Drop the closed interactor's references to its (deleted) GL context and surface."""
    interactor._forget_context()
