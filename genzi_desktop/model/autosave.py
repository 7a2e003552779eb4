"""Crash recovery: a session keeps a copy of its project in an autosave slot; a slot whose
process is gone (killed, crashed, power cut) is offered for restoring at the next start.

The slots live in the app's data folder, not beside the project: an unsaved project has no
folder of its own, and a saved one may sit on a read-only or synced share where a stray
recovery file would confuse other people.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from pipeline.core.atomic import process_alive, write_json_atomic

from genzi_desktop.model.project import SUFFIX, Project
from genzi_desktop.model.project_files import save_project


@dataclass
class AutosaveSlot:
    """One session's autosave: the project copy and a lock naming the process that writes it."""

    folder: Path
    session: str

    @property
    def project_path(self) -> Path:
        return self.folder / f"{self.session}{SUFFIX}"

    @property
    def lock_path(self) -> Path:
        return self.folder / f"{self.session}.lock"

    def claim(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        write_json_atomic(self.lock_path, {"pid": os.getpid(), "started": time.time()})

    def save(self, project: Project, *, json_written: bool = False) -> Path:
        path = save_project(project, self.project_path, as_folder=False, json_written=json_written)
        meta = {"pid": os.getpid(), "saved": time.time(), "scene": project.scene.path,
                "people": len(project.people), "results": sum(len(p.results) for p in project.people)}
        write_json_atomic(self.lock_path, meta)
        return path

    def release(self) -> None:
        """A clean exit: nothing to recover."""
        for p in (self.project_path, self.lock_path):
            if p.exists():
                p.unlink()


def recoverable_autosaves(folder: str | Path) -> list[Path]:
    """Autosaved projects left by sessions that did not exit cleanly (newest first)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = []
    for project_path in folder.glob(f"*{SUFFIX}"):
        if not project_path.is_file():
            continue
        lock = project_path.with_suffix(".lock")
        pid = 0
        if lock.exists():
            try:
                pid = int(json.loads(lock.read_text()).get("pid", 0))
            except (ValueError, OSError, AttributeError, TypeError):
                pid = 0
        if pid and process_alive(pid):
            continue  # this or another running window owns it
        found.append(project_path)
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)


def discard_autosave(project_path: str | Path) -> None:
    project_path = Path(project_path)
    for p in (project_path, project_path.with_suffix(".lock")):
        if p.exists():
            p.unlink()


def new_session_id() -> str:
    return f"session-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
