"""Nothing lost: a process killed with SIGKILL in the middle of a save leaves a readable project
(the old one or the new one) and no hidden temporary after the next save; a desktop killed with
SIGKILL offers its autosaved design at the next start."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import pytest

from genzi_desktop.model.autosave import recoverable_autosaves
from genzi_desktop.model.project import Person, new_project
from genzi_desktop.model.project_files import open_project, save_project

SAMPLE = Path(__file__).resolve().parent.parent / "resources" / "scenes" / "living_room.glb"


def _temporaries(folder: Path, name: str) -> list[Path]:
    return [p for p in folder.iterdir() if p.name.startswith(f".{name}.")]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork to kill a saving process at a chosen moment")
def test_kill_9_during_a_real_save_leaves_a_readable_project(tmp_path):
    project = new_project(tmp_path / "work")
    project.scene.path = str(SAMPLE)
    (project.root / "runs" / "p0_0").mkdir(parents=True)
    for k in range(2):  # 16 MB that does not compress: a save takes a moment
        (project.root / "runs" / "p0_0" / f"view_{k:02d}.png").write_bytes(os.urandom(8 * 1024**2))
    dest = tmp_path / "shared" / "room.genzi"
    project.people[0] = Person(name="version 0")
    save_project(project, dest)

    def save_in_child(version: int) -> int:
        pid = os.fork()
        if pid == 0:  # the child: one real save, then leave without any clean-up
            try:
                project.people[0] = Person(name=f"version {version}")
                save_project(project, dest)
            finally:
                os._exit(0)
        return pid

    start = time.perf_counter()
    os.waitpid(save_in_child(0), 0)
    duration = time.perf_counter() - start
    rng = random.Random(7)
    readable, mid_write, names = 0, 0, set()
    for trial in range(1, 21):
        pid = save_in_child(trial)
        time.sleep(rng.uniform(0.0, 1.3 * duration))  # mostly inside the save, sometimes after
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        mid_write += bool(_temporaries(dest.parent, dest.name))
        opened = open_project(dest, tmp_path / "opened")
        names.add(opened.people[0].name)
        assert opened.people[0].name in {f"version {k}" for k in range(trial + 1)}
        readable += 1
    print(f"\nkill -9 during save: {readable}/20 readable, {mid_write} killed mid-write "
          f"(save takes {duration:.2f} s), versions seen: {len(names)}")
    assert readable == 20
    assert mid_write >= 5, "the kills should land inside the save"
    # the killed writers' temporaries go with the next save
    project.people[0] = Person(name="final")
    save_project(project, dest)
    assert _temporaries(dest.parent, dest.name) == []
    assert open_project(dest, tmp_path / "opened").people[0].name == "final"


_APP = textwrap.dedent("""
    import sys
    from PySide6 import QtCore, QtWidgets
    from genzi_desktop.app import configure_application
    from genzi_desktop.settings import AppSettings
    from genzi_desktop.window.main_window import MainWindow
    from pipeline.scene.targets import Target

    app = QtWidgets.QApplication(sys.argv[:1])
    configure_application(app)
    QtCore.QSettings.setPath(QtCore.QSettings.Format.IniFormat, QtCore.QSettings.Scope.UserScope, sys.argv[2])
    win = MainWindow(AppSettings(QtCore.QSettings()), interactive=False)
    win.show()

    def edit(*_):
        win.set_target(Target((0.25, -2.41, 0.566)))  # an edit the user makes after opening
        print("edited", flush=True)

    win.sceneLoaded.connect(edit)
    win.open_scene(sys.argv[1])
    app.exec()
""")


def _autosaved_target(folder: Path):
    for path in folder.glob("*.genzi") if folder.is_dir() else []:
        try:
            with zipfile.ZipFile(path) as zf:
                data = json.loads(zf.read("project.json"))
        except (zipfile.BadZipFile, KeyError, OSError, ValueError):
            continue
        target = (data["people"][0].get("target") or {}).get("point")
        if target:
            return path, target
    return None, None


@pytest.mark.gui
def test_the_desktop_offers_its_autosave_after_kill_9(tmp_path, qtbot, monkeypatch):
    data = Path(os.environ["GENZI_DESKTOP_DATA"])
    script = tmp_path / "app.py"
    script.write_text(_APP)
    repo = Path(__file__).resolve().parent.parent
    env = dict(os.environ, GENZI_AUTOSAVE_SECONDS="1",
               PYTHONPATH=os.pathsep.join([str(repo), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.Popen([sys.executable, str(script), str(SAMPLE), str(tmp_path / "settings-a")], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            cwd=repo)
    try:
        deadline = time.monotonic() + 180
        path = target = None
        while time.monotonic() < deadline and proc.poll() is None:
            path, target = _autosaved_target(data / "autosave")
            if target:
                break
            time.sleep(0.5)
        assert target == pytest.approx([0.25, -2.41, 0.566]), "the edit was not autosaved"
    finally:
        proc.send_signal(signal.SIGKILL)
        out = proc.communicate(timeout=30)[0]
    assert "Traceback" not in out, out
    assert recoverable_autosaves(data / "autosave") == [path]

    from PySide6 import QtCore

    from genzi_desktop.app import configure_application
    from genzi_desktop.settings import AppSettings
    from genzi_desktop.window.main_window import MainWindow

    configure_application(QtCore.QCoreApplication.instance())
    QtCore.QSettings.setPath(QtCore.QSettings.Format.IniFormat, QtCore.QSettings.Scope.UserScope,
                             str(tmp_path / "settings-b"))
    win = MainWindow(AppSettings(QtCore.QSettings()), interactive=False)
    win.show()
    offered = []
    try:
        projects = win.generation.projects
        projects.recovery_provider = lambda p: offered.append(p) or "restore"
        with qtbot.waitSignal(projects.projectOpened, timeout=180_000):
            assert projects.check_recovery()
        assert offered == [path]
        assert win.design.target is not None and win.design.target.point == pytest.approx((0.25, -2.41, 0.566))
        assert not path.exists()  # restored: not offered again
    finally:
        win.shutdown()
        win.close()
        win.deleteLater()
