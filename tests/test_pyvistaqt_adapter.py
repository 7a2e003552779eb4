"""The pyvistaqt internals the viewport relies on are still there and still do what the
adapter assumes; a pyvistaqt release that changes them fails here, not in a user's window."""

from __future__ import annotations

import inspect

import pytest

from gui_support import gui_settings  # noqa: F401 - fixture

pytestmark = pytest.mark.gui


def test_the_interactor_still_has_the_private_member_the_adapter_calls():
    from pyvistaqt import QtInteractor
    from pyvistaqt.rwi import QVTKRenderWindowInteractor

    assert issubclass(QtInteractor, QVTKRenderWindowInteractor)
    forget = inspect.getattr_static(QVTKRenderWindowInteractor, "_forget_context", None)
    assert callable(forget), "pyvistaqt no longer has QVTKRenderWindowInteractor._forget_context: update " \
                             "genzi_desktop/viewport/pyvistaqt_adapter.py"
    assert list(inspect.signature(forget).parameters) == ["self"]


def test_forgetting_the_context_of_a_closed_interactor_drops_its_gl_wrappers(qtbot):
    from genzi_desktop.viewport.pyvistaqt_adapter import QtInteractor, forget_gl_context

    interactor = QtInteractor(None, auto_update=False, multi_samples=0)
    qtbot.addWidget(interactor)
    interactor.show()
    qtbot.waitExposed(interactor)
    interactor.render()
    assert interactor._ctx is not None and interactor._surface is not None
    interactor.close()
    forget_gl_context(interactor)
    assert interactor._ctx is None and interactor._surface is None
