"""Entry point ``genzi-desktop``: the application object, settings and the main window.

    genzi-desktop [--scene FILE] [--project FILE] [--screenshot OUT.png] [--quit]

Without ``--scene`` the bundled sample scene opens. ``--screenshot`` saves the window once
the scene is shown; ``--quit`` then exits (exit status 1 if the scene could not be opened).
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import sys
from pathlib import Path

ORGANIZATION = "GenZI"
APPLICATION = "GenZI Desktop"
SAMPLE_SCENE = Path(__file__).resolve().parent.parent / "resources" / "scenes" / "living_room.glb"

log = logging.getLogger("genzi_desktop")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="genzi-desktop", description="Put people into 3D designs from a sentence.")
    parser.add_argument("--scene", type=Path, help="scene file to open (GLB/glTF, OBJ, PLY, STL, FBX); "
                        "default: the bundled sample living room")
    parser.add_argument("--project", type=Path, help="a .genzi project to open")
    parser.add_argument("--screenshot", type=Path, metavar="OUT.png", help="save a PNG of the window once the scene is shown")
    parser.add_argument("--quit", action="store_true", help="exit after loading (and the screenshot)")
    return parser.parse_args(argv)


def configure_application(app) -> None:
    """Organisation/application names and INI settings, before any QSettings is made."""
    from PySide6 import QtCore

    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    QtCore.QSettings.setDefaultFormat(QtCore.QSettings.Format.IniFormat)


def _setup_logging() -> None:
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    root.setLevel(logging.INFO)


def _log_to_file() -> Path | None:
    """Also keep a rotating log file in the app's data folder (after the app names are set)."""
    from logging.handlers import RotatingFileHandler

    from PySide6 import QtCore

    folder = QtCore.QStandardPaths.writableLocation(QtCore.QStandardPaths.StandardLocation.AppDataLocation)
    if not folder:
        return None
    try:
        path = Path(folder) / "logs" / "genzi-desktop.log"
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = RotatingFileHandler(path, maxBytes=2_000_000, backupCount=3, encoding="utf-8")
    except OSError:
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.getLogger().addHandler(handler)
    return path


class _ScriptedRun:
    """After the scene shows: optional screenshot, optional quit (for tests and scripting)."""

    def __init__(self, app, window, screenshot: Path | None, quit_after: bool) -> None:
        self.app, self.window, self.screenshot, self.quit_after = app, window, screenshot, quit_after
        self.exit_code = 0
        window.sceneLoaded.connect(self.on_loaded)
        window.sceneLoadFailed.connect(self.on_failed)

    def on_loaded(self, _scene) -> None:
        from PySide6 import QtCore

        QtCore.QTimer.singleShot(300, self.finish)

    def on_failed(self, message: str) -> None:
        log.error("%s", message)
        self.exit_code = 1
        if self.quit_after:
            from PySide6 import QtCore

            QtCore.QTimer.singleShot(0, self.finish)

    def finish(self) -> None:
        if self.screenshot is not None and self.exit_code == 0:
            try:
                path = self.window.save_screenshot(self.screenshot)
                print(f"Screenshot saved to {path}")
            except OSError as exc:
                log.error("%s", exc)
                self.exit_code = 1
        if self.quit_after:
            self.window.close()
            self.app.exit(self.exit_code)


def main(argv: list[str] | None = None) -> int:
    multiprocessing.freeze_support()
    args = parse_args(argv)
    _setup_logging()
    from PySide6 import QtWidgets

    from genzi_desktop.dialogs.errors import install_excepthook, set_interactive
    from genzi_desktop.window.main_window import MainWindow

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    configure_application(app)
    log_file = _log_to_file()
    if log_file is not None:
        log.debug("Logging to %s", log_file)
    scripted = args.quit or args.screenshot is not None
    set_interactive(not scripted)
    window = MainWindow(interactive=not scripted)
    install_excepthook(lambda: window)
    runner = _ScriptedRun(app, window, args.screenshot, args.quit) if scripted else None
    window.show()
    projects = window.generation.projects
    if args.project is not None:
        if not projects.open_project(args.project) and runner is not None:
            runner.on_failed(f"Could not open the project {args.project}")
    else:
        recovered = not scripted and projects.check_recovery()  # offered even when a scene was named
        if not recovered:
            window.open_scene(args.scene if args.scene is not None else SAMPLE_SCENE)
    if not scripted:
        window.generation.first_run()  # the model set-up dialog, once (modeless)
    code = app.exec()
    window.shutdown()
    if runner is not None:
        code = code or runner.exit_code
    return int(code)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
