"""GenZI project files (``.genzi``): the scene, the people to place, their prompts and results.

A project is plain JSON (``project.json``) plus ordinary files (OBJ meshes, PNG images, the
generation run folders, optionally an embedded copy of the scene); no pickles anywhere, so a
project can be opened without trusting its author. On disk it is either a folder or a zip
file with the same content. While the app works on a project the files live in a *working
folder*; :func:`save_project` writes that folder out, :func:`open_project` unpacks one.

Every path stored in ``project.json`` is relative to the project root, except the scene's
original ``path`` (kept absolute so a moved project still finds a referenced scene).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
import uuid
import zipfile
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from pipeline.generation.settings import DEFAULT_PRESET

FORMAT = "genzi-project/1"
PROJECT_JSON = "project.json"
SUFFIX = ".genzi"


class ProjectError(RuntimeError):
    """A project could not be read or written; the message says what to do."""


@dataclass
class PromptSettings:
    """What to paint for one person (the prompt panel's values)."""

    prompt: str = "a person sitting on the sofa"
    negative_prompt: str = ""
    subject_word: str = ""
    seed: int = 0
    num_results: int = 2  # hypothesis sets in round 1
    preset: str = DEFAULT_PRESET
    overrides: dict[str, Any] = field(default_factory=dict)  # advanced settings by name

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "PromptSettings":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (d or {}).items() if k in names})


@dataclass
class ResultEntry:
    """One body the user keeps: where its mesh and images are, and how good it is."""

    id: str
    name: str
    prompt: str
    score: float
    metrics: dict[str, Any] = field(default_factory=dict)
    mesh: str = ""  # OBJ relative to the project root
    run: str = ""  # run folder relative to the project root
    set_name: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    view_weights: dict[str, float] = field(default_factory=dict)
    visible: bool = True
    seed: int = 0
    appearance: dict[str, Any] = field(default_factory=dict)  # style, outfit, hair, colours (see model/appearance.py)

    @property
    def contact(self) -> bool | None:
        """Whether the body touches the scene (``metrics["contact"]`` of pipeline.lifting.metrics)."""
        value = self.metrics.get("contact")
        return None if value is None else bool(value)

    @property
    def penetration(self) -> float | None:
        """Deepest penetration into the scene in metres."""
        value = self.metrics.get("max_penetration_m")
        return float(value) if isinstance(value, (int, float)) else None

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "ResultEntry":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})



@dataclass
class Person:
    """One person to place: a target, the cameras around it, a prompt, and the results so far."""

    name: str = "Person 1"
    target: dict[str, Any] | None = None  # Target.to_dict()
    cameras: list[dict[str, Any]] = field(default_factory=list)  # Camera.to_dict()
    prompt: PromptSettings = field(default_factory=PromptSettings)
    runs: list[str] = field(default_factory=list)  # run folders relative to the project root
    excluded_images: list[str] = field(default_factory=list)
    results: list[ResultEntry] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Person":
        return cls(
            name=str(d.get("name", "Person")),
            target=d.get("target"),
            cameras=list(d.get("cameras", [])),
            prompt=PromptSettings.from_dict(d.get("prompt", {})),
            runs=[str(r) for r in d.get("runs", [])],
            excluded_images=[str(x) for x in d.get("excluded_images", [])],
            results=[ResultEntry.from_dict(r) for r in d.get("results", [])],
        )


@dataclass
class SceneRef:
    """The scene: an absolute path, or an embedded copy inside the project."""

    path: str | None = None
    embedded: str | None = None  # relative to the project root, e.g. "scene/living_room.glb"
    options: dict[str, Any] = field(default_factory=dict)  # import options (up axis, unit)


@dataclass
class Project:
    """Everything a ``.genzi`` file holds, with its working folder."""

    root: Path
    scene: SceneRef = field(default_factory=SceneRef)
    people: list[Person] = field(default_factory=lambda: [Person()])
    active_person: int = 0
    settings: dict[str, Any] = field(default_factory=dict)  # model panel values
    created_at: str = field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%S"))

    # ---- paths ----------------------------------------------------------------------
    def path_of(self, relative: str) -> Path:
        return self.root / relative

    def relative(self, path: str | Path) -> str:
        return Path(os.path.relpath(Path(path).resolve(), self.root.resolve())).as_posix()

    def scene_file(self) -> Path | None:
        """Where the scene is read from: the embedded copy first, else the referenced path."""
        if self.scene.embedded:
            return self.root / self.scene.embedded
        return Path(self.scene.path) if self.scene.path else None

    def new_run_dir(self, person_index: int) -> Path:
        """A fresh, empty run folder for a person (``runs/p<k>_<n>``)."""
        runs = self.root / "runs"
        runs.mkdir(parents=True, exist_ok=True)
        n = 0
        while (runs / f"p{person_index}_{n}").exists():
            n += 1
        path = runs / f"p{person_index}_{n}"
        path.mkdir()
        return path

    @property
    def person(self) -> Person:
        if not self.people:
            self.people.append(Person())
        self.active_person = max(0, min(self.active_person, len(self.people) - 1))
        return self.people[self.active_person]

    def add_person(self, name: str | None = None) -> Person:
        person = Person(name=name or f"Person {len(self.people) + 1}")
        self.people.append(person)
        self.active_person = len(self.people) - 1
        return person

    def embed_scene(self, source: str | Path) -> None:
        """Copy the scene file (and its neighbours with the same stem, e.g. .mtl) into the project."""
        source = Path(source)
        if not source.is_file():
            raise ProjectError(f"Cannot embed the scene: {source} does not exist.")
        dest_dir = self.root / "scene"
        dest_dir.mkdir(parents=True, exist_ok=True)
        for f in source.parent.glob(source.stem + ".*"):
            if f.is_file():
                shutil.copy2(f, dest_dir / f.name)
        self.scene.embedded = f"scene/{source.name}"
        self.scene.path = str(source.resolve())

    def add_result(self, person_index: int, entry: ResultEntry) -> None:
        self.people[person_index].results.append(entry)

    def remove_result(self, person_index: int, result_id: str) -> ResultEntry | None:
        results = self.people[person_index].results
        for i, r in enumerate(results):
            if r.id == result_id:
                return results.pop(i)
        return None

    # ---- JSON -------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "created_at": self.created_at,
            "saved_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "scene": asdict(self.scene),
            "people": [p.to_dict() for p in self.people],
            "active_person": int(self.active_person),
            "settings": dict(self.settings),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any], root: Path) -> "Project":
        if d.get("format") != FORMAT:
            raise ProjectError(
                f"This is not a GenZI project of a known version (format {d.get('format')!r}, expected {FORMAT!r}); "
                "open it with the GenZI Desktop version that saved it."
            )
        scene = d.get("scene") or {}
        people = [Person.from_dict(p) for p in d.get("people", [])] or [Person()]
        return cls(
            root=Path(root),
            scene=SceneRef(path=scene.get("path"), embedded=scene.get("embedded"), options=dict(scene.get("options") or {})),
            people=people,
            active_person=int(d.get("active_person", 0)),
            # consent to open a pickle is the user's, never a file's: old files' flag is dropped
            settings={k: v for k, v in dict(d.get("settings") or {}).items() if k != "allow_pickle"},
            created_at=str(d.get("created_at", "")),
        )

    def write_json(self) -> Path:
        """Write ``project.json`` into the working folder (atomically)."""
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / PROJECT_JSON
        tmp = path.with_name(f".{PROJECT_JSON}.{uuid.uuid4().hex}.tmp")
        tmp.write_text(json.dumps(self.to_dict(), indent=1, default=_json_default) + "\n", encoding="utf-8")
        os.replace(tmp, path)
        return path


def _json_default(obj: Any) -> Any:
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"cannot write {type(obj).__name__} to a project file")


def new_project(workspace: str | Path) -> Project:
    """An empty project whose working folder is a new folder under ``workspace``."""
    root = Path(workspace) / f"project-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
    root.mkdir(parents=True, exist_ok=False)
    return Project(root=root)


# ---- save / open --------------------------------------------------------------------------
_SKIPPED = {".DS_Store"}


def _files(root: Path):
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.name not in _SKIPPED and not path.name.endswith(".tmp"):
            yield path


def save_project(project: Project, destination: str | Path, *, as_folder: bool | None = None,
                 json_written: bool = False) -> Path:
    """Write the project to ``destination``: a zip file, or a folder when ``as_folder``
    (default: a folder if ``destination`` already is one). Written beside and then moved into
    place, so a failed save never destroys the previous file. ``json_written``: the caller
    has just written ``project.json`` (e.g. before copying the files in a background thread)."""
    destination = Path(destination).expanduser()
    if destination.suffix != SUFFIX:
        destination = destination.with_name(destination.name + SUFFIX)
    if as_folder is None:
        as_folder = destination.is_dir()
    if not json_written:
        project.write_json()
    parent = destination.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        if as_folder:
            if destination.resolve() == project.root.resolve():
                return destination
            tmp = Path(tempfile.mkdtemp(dir=parent, prefix=f".{destination.name}."))
            for f in _files(project.root):
                target = tmp / f.relative_to(project.root)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(f, target)
            if destination.exists():
                old = destination.with_name(f".{destination.name}.old-{uuid.uuid4().hex[:6]}")
                destination.rename(old)
                tmp.rename(destination)
                shutil.rmtree(old, ignore_errors=True)
            else:
                tmp.rename(destination)
        else:
            fd, tmp_name = tempfile.mkstemp(dir=parent, prefix=f".{destination.name}.", suffix=".tmp")
            os.close(fd)
            try:
                with zipfile.ZipFile(tmp_name, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
                    zf.write(project.root / PROJECT_JSON, PROJECT_JSON)
                    for f in _files(project.root):
                        rel = f.relative_to(project.root).as_posix()
                        if rel != PROJECT_JSON:
                            zf.write(f, rel)
                os.replace(tmp_name, destination)
            finally:
                if os.path.exists(tmp_name):
                    os.unlink(tmp_name)
    except OSError as exc:
        raise ProjectError(f"Could not save the project to {destination}: {exc.strerror or exc}. "
                           "Choose a folder you can write to and enough free disk space.") from exc
    return destination


def open_project(source: str | Path, workspace: str | Path) -> Project:
    """Read a ``.genzi`` zip or folder into a new working folder under ``workspace``."""
    source = Path(source).expanduser()
    if not source.exists():
        raise ProjectError(f"The project {source} does not exist; check the name or pick it again with File > Open project.")
    root = Path(workspace) / f"opened-{source.stem}-{uuid.uuid4().hex[:6]}"
    root.mkdir(parents=True)
    try:
        if source.is_dir():
            if not (source / PROJECT_JSON).is_file():
                raise ProjectError(f"{source} is a folder without {PROJECT_JSON}, so it is not a GenZI project.")
            shutil.copytree(source, root, dirs_exist_ok=True)
        else:
            try:
                with zipfile.ZipFile(source) as zf:
                    for member in zf.namelist():
                        dest = (root / member).resolve()
                        if not str(dest).startswith(str(root.resolve()) + os.sep):
                            raise ProjectError(f"{source} contains an unsafe path {member!r}; it was not opened.")
                    zf.extractall(root)
            except zipfile.BadZipFile as exc:
                raise ProjectError(f"{source.name} is not a GenZI project (not a zip file or folder).") from exc
        json_path = root / PROJECT_JSON
        if not json_path.is_file():
            raise ProjectError(f"{source.name} has no {PROJECT_JSON}; it is not a GenZI project.")
        try:
            data = json.loads(json_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ProjectError(f"{source.name}: {PROJECT_JSON} is damaged ({exc.msg} at line {exc.lineno}).") from exc
        project = Project.from_dict(data, root)
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    return project


# ---- autosave and crash recovery ------------------------------------------------------------
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
        self.lock_path.write_text(json.dumps({"pid": os.getpid(), "started": time.time()}))

    def save(self, project: Project, *, json_written: bool = False) -> Path:
        path = save_project(project, self.project_path, as_folder=False, json_written=json_written)
        meta = {"pid": os.getpid(), "saved": time.time(), "scene": project.scene.path,
                "people": len(project.people), "results": sum(len(p.results) for p in project.people)}
        self.lock_path.write_text(json.dumps(meta))
        return path

    def release(self) -> None:
        """A clean exit: nothing to recover."""
        for p in (self.project_path, self.lock_path):
            if p.exists():
                p.unlink()


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def recoverable_autosaves(folder: str | Path) -> list[Path]:
    """Autosaved projects left by sessions that did not exit cleanly (newest first)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = []
    for project_path in folder.glob(f"*{SUFFIX}"):
        lock = project_path.with_suffix(".lock")
        pid = 0
        if lock.exists():
            try:
                pid = int(json.loads(lock.read_text()).get("pid", 0))
            except (ValueError, OSError):
                pid = 0
        if pid and pid != os.getpid() and _pid_alive(pid):
            continue  # another running window owns it
        if pid == os.getpid():
            continue
        found.append(project_path)
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)


def discard_autosave(project_path: str | Path) -> None:
    project_path = Path(project_path)
    for p in (project_path, project_path.with_suffix(".lock")):
        if p.exists():
            p.unlink()


def new_session_id() -> str:
    return f"session-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
