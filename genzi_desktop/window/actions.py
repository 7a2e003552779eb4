"""The main window's actions and menus (built once; controllers add their actions to ``menus``)."""

from __future__ import annotations

from PySide6 import QtGui


def build_actions(w) -> None:
    """The window's own actions as ``w.act_*`` attributes (controllers add theirs)."""
    SK = QtGui.QKeySequence.StandardKey
    w.act_open = w.add_action("&Open scene…", w.open_dialog, SK.Open, "Open a 3D scene file")
    w.act_reopen = w.add_action("Reopen with up axis and &unit…", w.reopen_with_options, None,
                                "Open the scene again in an up axis or unit you choose")
    w.act_screenshot = w.add_action("Save &screenshot…", w.save_screenshot_dialog, "Ctrl+Shift+S")
    w.act_quit = w.add_action("&Quit", w.close, SK.Quit)
    w.act_undo = w.histories.group.createUndoAction(w, "&Undo")  # follows the selected person
    w.act_undo.setShortcut(QtGui.QKeySequence(SK.Undo))
    w.act_redo = w.histories.group.createRedoAction(w, "&Redo")
    w.act_redo.setShortcut(QtGui.QKeySequence(SK.Redo))
    w.addAction(w.act_undo)
    w.addAction(w.act_redo)
    w.act_clear_target = w.add_action("Clear &target", w.clear_target, None)
    w.act_view = {
        "iso": w.add_action("&Isometric", lambda: w.viewport.view_preset("iso"), "Ctrl+0"),
        "top": w.add_action("&Top", lambda: w.viewport.view_preset("top"), "Ctrl+1"),
        "front": w.add_action("&Front", lambda: w.viewport.view_preset("front"), "Ctrl+2"),
        "side": w.add_action("&Side", lambda: w.viewport.view_preset("side"), "Ctrl+3"),
        "reset": w.add_action("&Reset view", lambda: w.viewport.view_preset("reset"), "Ctrl+R"),
    }
    w.act_grid = w.add_action("Floor &grid", w.viewport.set_grid_visible, None, checkable=True)
    w.act_grid.setChecked(True)
    w.act_culling = w.add_action("See into rooms from outside", w.viewport.set_backface_culling,
                                    None, "Hide walls that face away from the view", checkable=True)
    w.act_culling.setChecked(True)
    w.act_antialiasing = w.add_action("Smooth &edges (anti-aliasing)", w.set_antialiasing, None,
                                         "Multisampling: sharp on graphics cards, slow with software OpenGL",
                                         checkable=True)
    w.act_select_views = w.add_action("&Select views", w.select_views, "Ctrl+Shift+V",
                                         "Choose cameras around the target automatically")
    w.act_add_camera = w.add_action("&Add camera from view", w.add_camera_from_view, "Ctrl+Shift+A")
    w.act_delete_camera = w.add_action("&Delete camera", w.delete_current_camera, SK.Delete)
    w.act_camera_from_view = w.add_action(
        "Set camera from &view", w.set_current_camera_from_view, "Ctrl+Shift+U",
        "Move and aim the selected camera to where the viewport looks from now")
    w.act_look_through = w.add_action("&Look through camera", w.look_through_current, "Ctrl+L")
    w.act_generate = w.add_action("&Generate", w.generate, "Ctrl+Return",
                                     "Paint people into the views and lift them to 3D")
    w.act_cancel = w.add_action("&Cancel", w.cancel_running, "Esc")
    w.act_about = w.add_action("&About GenZI Desktop", w.show_about)
    w.act_controls = w.add_action("&Mouse and keys", w.show_controls, SK.HelpContents)

def build_menus(w) -> None:
    """The menu bar; ``w.menus`` holds each menu by name so controllers find them by object."""
    mb = w.menuBar()
    m = w.menus["file"] = mb.addMenu("&File")
    m.addAction(w.act_open)
    w.recent_menu = m.addMenu("Open &recent")
    w.recent_menu.aboutToShow.connect(w.rebuild_recent_menu)
    w.rebuild_recent_menu()
    m.addAction(w.act_reopen)
    m.addSeparator()
    m.addAction(w.act_screenshot)
    m.addSeparator()
    m.addAction(w.act_quit)
    m = w.menus["edit"] = mb.addMenu("&Edit")
    m.addAction(w.act_undo)
    m.addAction(w.act_redo)
    m.addSeparator()
    m.addAction(w.act_clear_target)
    m = w.menus["view"] = mb.addMenu("&View")
    for key in ("iso", "top", "front", "side", "reset"):
        m.addAction(w.act_view[key])
    m.addSeparator()
    m.addAction(w.act_grid)
    m.addAction(w.act_culling)
    m.addAction(w.act_antialiasing)
    m.addSeparator()
    for dock in w.docks.values():
        m.addAction(dock.toggleViewAction())
    m = w.menus["cameras"] = mb.addMenu("&Cameras")
    for a in (w.act_select_views, w.act_add_camera, w.act_look_through, w.act_camera_from_view,
              w.act_delete_camera):
        m.addAction(a)
    m = w.menus["generate"] = mb.addMenu("&Generate")
    m.addAction(w.act_generate)
    m.addAction(w.act_cancel)
    m = w.menus["help"] = mb.addMenu("&Help")
    m.addAction(w.act_controls)
    m.addAction(w.act_about)
    for key, menu in w.menus.items():
        menu.setObjectName(f"menu-{key}")


def name_actions(owner) -> None:
    """Give every ``act_*`` attribute of ``owner`` its attribute name as objectName, so tests
    and scripts find actions by object (``findChild(QAction, "act_generate")``), never by text."""
    for attr, value in vars(owner).items():
        if attr.startswith("act_") and isinstance(value, QtGui.QAction):
            value.setObjectName(attr)
