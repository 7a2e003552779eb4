"""Every input of the bad-input corpus (tests/corpus/make_corpus.py) through the command line and
through the desktop's open/import paths: the expected exit status and kind of message, never a
traceback, no file touched outside the case's output folder, protected files unchanged."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "corpus"))
from make_corpus import NO_RESULT, REFUSED, SAMPLE, WORKS, make_corpus  # noqa: E402

_EXIT = {REFUSED: {2}, NO_RESULT: {1, 3}, WORKS: {0}}
_CASES = make_corpus(Path(os.environ.get("TMPDIR", "/tmp")) / "genzi-corpus-listing", with_slow=False)
_CLI = [c for c in _CASES if c.entry == "cli"]
_DESKTOP = [c for c in _CASES if c.entry != "cli"]


def _params(cases):
    return [pytest.param(c.name, marks=[pytest.mark.slow] if c.slow else [], id=c.name) for c in cases]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    with_slow = os.environ.get("GENZI_CORPUS_SLOW", "1") != "0"
    cases = {c.name: c for c in make_corpus(root, with_slow=with_slow)}
    print(f"\nbad-input corpus: {len(cases)} cases ({len(_CLI)} through the command line, "
          f"{len(_DESKTOP)} through the desktop)")
    return root, cases


def _snapshot(root: Path, skip: Path) -> dict[str, tuple]:
    state = {}
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = [d for d in dirs if Path(folder, d) != skip]
        for name in files:
            path = Path(folder, name)
            st = path.lstat()
            state[str(path)] = (st.st_size, st.st_mtime_ns)
    for extra in (SAMPLE,):
        st = extra.stat()
        state[str(extra)] = (st.st_size, st.st_mtime_ns)
    return state


def _digest(path: str) -> str | None:
    p = Path(path)
    return hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else None


def _check_untouched(root, out, before, protected_before, case):
    after = _snapshot(root, out)
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    assert not changed, f"{case.name} touched files outside its output folder: {changed[:5]}"
    for path, digest in protected_before.items():
        assert _digest(path) == digest, f"{case.name} changed {path}"
    assert not (root / "PWNED").exists(), "a pickle's payload ran"


@pytest.mark.parametrize("name", _params(_CLI))
def test_cli(corpus, name, capfd):
    from pipeline.cli.main import main

    root, cases = corpus
    case = cases[name]
    out = root / "out" / name
    before = _snapshot(root, root / "out")
    protected = {p: _digest(p) for p in case.protected}
    args = [a.replace("{out}", str(out)) for a in case.args]
    handlers = {name: list(logging.getLogger(name).handlers) for name in ("", "pipeline")}
    try:
        status = main(args)
    finally:  # a handler a library added on this case's captured stream must not outlive it
        for name, kept in handlers.items():
            logging.getLogger(name).handlers[:] = kept
    captured = capfd.readouterr()
    screen = captured.out + captured.err
    assert "Traceback" not in screen, screen
    assert status in _EXIT[case.outcome], f"exit {status}, expected {case.outcome}:\n{screen[-2000:]}"
    assert re.search(case.message, screen, re.IGNORECASE), f"message does not match {case.message!r}:\n{screen[-2000:]}"
    if case.outcome != WORKS:
        assert "unexpected" not in screen.lower() and "GENZI_DEBUG" not in screen, screen
    _check_untouched(root, root / "out", before, protected, case)


# ---- the desktop's open and import paths -----------------------------------------------------------
@pytest.fixture(scope="module")
def desktop(qapp, tmp_path_factory):
    from PySide6 import QtCore, QtWidgets

    from genzi_desktop.app import configure_application
    from genzi_desktop.settings import AppSettings
    from genzi_desktop.window.main_window import MainWindow

    base = tmp_path_factory.mktemp("desktop")
    old_env = os.environ.get("GENZI_DESKTOP_DATA")
    os.environ["GENZI_DESKTOP_DATA"] = str(base / "appdata")
    configure_application(qapp)
    QtCore.QSettings.setPath(QtCore.QSettings.Format.IniFormat, QtCore.QSettings.Scope.UserScope, str(base / "settings"))
    shown: list[str] = []
    original_exec = QtWidgets.QMessageBox.exec
    QtWidgets.QMessageBox.exec = lambda box: shown.append(box.text()) or QtWidgets.QMessageBox.StandardButton.Ok
    win = MainWindow(AppSettings(QtCore.QSettings()), interactive=False)
    win.resize(1280, 800)
    win.show()
    try:
        yield win, shown
    finally:
        win.shutdown()
        win.close()
        win.deleteLater()
        QtWidgets.QMessageBox.exec = original_exec
        if old_env is None:
            os.environ.pop("GENZI_DESKTOP_DATA", None)
        else:
            os.environ["GENZI_DESKTOP_DATA"] = old_env


def _loaded_sample(win, qtbot):
    if win.scene_path is None or Path(win.scene_path) != SAMPLE:
        with qtbot.waitSignal(win.sceneLoaded, timeout=120_000):
            win.open_scene(SAMPLE)
    qtbot.waitUntil(lambda: not win.is_busy(), timeout=60_000)


@pytest.mark.gui
@pytest.mark.parametrize("name", _params(_DESKTOP))
def test_desktop(corpus, desktop, name, qtbot):
    root, cases = corpus
    case = cases[name]
    win, shown = desktop
    shown.clear()
    out = root / "out" / name
    before = _snapshot(root, root / "out")
    protected = {p: _digest(p) for p in case.protected}
    _loaded_sample(win, qtbot)
    if case.entry == "scene":
        previous = win.scene
        with qtbot.waitSignal(win.sceneLoadFailed, timeout=120_000):
            win.open_scene(case.path)
        qtbot.waitUntil(lambda: not win.is_busy(), timeout=60_000)
        assert win.scene is previous, "a bad scene replaced the open one"
    elif case.entry == "project":
        ok = win.generation.projects.open_project(case.path)
        if ok:
            qtbot.waitUntil(lambda: not win.is_busy(), timeout=60_000)
        assert ok == (case.outcome == WORKS)
        if ok:  # the links were not followed into the working folder
            work = win.generation.projects.project.root
            assert not any(p.is_symlink() for p in Path(work).rglob("*"))
            assert not (Path(work) / "runs" / "p0_0").exists()
    elif case.entry == "images":
        from pipeline.scene.targets import Target
        from pipeline.views.views_io import load_views

        cameras, _ = load_views(root / "views" / "good")
        win.design.target = Target((0.0, -2.41, 0.566))
        win.design.cameras = cameras
        assert win.generation.import_images(case.path) is False
        assert not win.generation.is_busy()
    if case.outcome != WORKS:
        assert shown, f"{case.name}: no message was shown"
        text = shown[-1]
        assert "Traceback" not in text and "unexpected" not in text.lower(), text
        assert re.search(case.message, text, re.IGNORECASE), f"{text!r} does not match {case.message!r}"
    _check_untouched(root, root / "out", before, protected, case)
