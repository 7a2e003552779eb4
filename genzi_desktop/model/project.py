"""The GenZI project document: the scene, the people to place, their prompts and results.

A project is plain JSON (``project.json``) plus ordinary files (OBJ meshes, PNG images, the
generation run folders, optionally an embedded copy of the scene); no pickles anywhere, so a
project can be opened without trusting its author. While the app works on a project its files
live in a *working folder* (:attr:`Project.root`); ``project_files`` saves and opens them,
``project_schema`` checks a file before it is used, ``autosave`` keeps a recovery copy.

Every path stored in ``project.json`` is relative to the project root, except the scene's
original ``path`` (kept absolute so a moved project still finds a referenced scene; it is only
ever read, never written).

Keys added since the first version (``export``, ``view``, ``scene.outline``) are ones older loaders skip,
so a project saved now still opens in the previous version, without those choices.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
import uuid
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from pipeline.core.atomic import write_json_atomic
from pipeline.core.export_settings import ExportSettings
from pipeline.generation.settings import DEFAULT_PRESET

from genzi_desktop.model.project_schema import FORMAT, ProjectError, check_format, inside_path, validate_project

log = logging.getLogger("genzi_desktop.project")

PROJECT_JSON = "project.json"
SUFFIX = ".genzi"

__all__ = ["FORMAT", "PROJECT_JSON", "SUFFIX", "Person", "Project", "ProjectError", "PromptSettings",
           "ResultEntry", "SceneRef", "new_project"]


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
    outline: dict[str, Any] = field(default_factory=dict)  # rows hidden/shown (model/outline_state.py)


@dataclass
class Project:
    """Everything a ``.genzi`` file holds, with its working folder."""

    root: Path
    scene: SceneRef = field(default_factory=SceneRef)
    people: list[Person] = field(default_factory=lambda: [Person()])
    active_person: int = 0
    settings: dict[str, Any] = field(default_factory=dict)  # model panel values
    export: ExportSettings | None = None  # the export section last used with this project
    view: dict[str, Any] = field(default_factory=dict)  # where the viewport looked from (viewport/view_state.py)
    created_at: str = field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%S"))

    # ---- paths ----------------------------------------------------------------------
    def path_of(self, relative: str) -> Path:
        """A stored relative path as a file inside the project; refuses one that leads out."""
        try:
            inside_path(relative, "path")
        except ValueError as exc:
            raise ProjectError(f"{exc}.") from None
        path = self.root / relative
        root = self.root.resolve()
        if path.resolve() != root and root not in path.resolve().parents:
            raise ProjectError(f"{relative!r} leads out of the project (through a link); it is not used.")
        return path

    def relative(self, path: str | Path) -> str:
        return Path(os.path.relpath(Path(path).resolve(), self.root.resolve())).as_posix()

    def scene_file(self) -> Path | None:
        """Where the scene is read from: the embedded copy first, else the referenced path."""
        if self.scene.embedded:
            return self.path_of(self.scene.embedded)
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
            **({"export": asdict(self.export)} if self.export is not None else {}),
            **({"view": dict(self.view)} if self.view else {}),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any], root: Path) -> "Project":
        """A project from ``project.json``'s content, checked in full first (ProjectError)."""
        check_format(d)
        validate_project(d)
        scene = d.get("scene") or {}
        people = [Person.from_dict(p) for p in d.get("people", [])] or [Person()]
        return cls(
            root=Path(root),
            scene=SceneRef(path=scene.get("path"), embedded=scene.get("embedded"),
                           options={k: v for k, v in dict(scene.get("options") or {}).items() if k in ("up_axis", "unit")},
                           outline={k: v for k, v in dict(scene.get("outline") or {}).items() if k in ("hidden", "shown")}),
            people=people,
            active_person=int(d.get("active_person", 0)),
            # consent to open a pickle is the user's, never a file's: old files' flag is dropped
            settings={k: v for k, v in dict(d.get("settings") or {}).items() if k != "allow_pickle"},
            created_at=str(d.get("created_at", "")),
            export=export_section(d["export"]) if isinstance(d.get("export"), dict) else None,
            view=dict(d.get("view") or {}),
        )

    def write_json(self) -> Path:
        """Write ``project.json`` into the working folder (atomically)."""
        return write_json_atomic(self.root / PROJECT_JSON, self.to_dict())


def export_section(data: dict[str, Any]) -> ExportSettings:
    """The export section a project recorded (types already checked). A name this version does
    not know, say a format a newer version added, is dropped with a log line; the rest is kept."""
    from pipeline.export.options import problems

    known = {f.name for f in fields(ExportSettings)}
    section = ExportSettings()
    for name, value in data.items():
        if name not in known:
            continue
        candidate = replace(section, **{name: value})
        found = problems(candidate)
        if found:
            log.warning("The project's export setting is not used: %s", "; ".join(found))
        else:
            section = candidate
    return section


def new_project(workspace: str | Path) -> Project:
    """An empty project whose working folder is a new folder under ``workspace``."""
    root = Path(workspace) / f"project-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
    root.mkdir(parents=True, exist_ok=False)
    return Project(root=root)
