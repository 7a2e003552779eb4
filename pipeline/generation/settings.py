"""The one settings tree of a run, its presets, and how flags and ``config.json`` address it.

Each stage owns its section (:class:`ViewSettings`, :class:`PaintSettings`,
:class:`KeypointSettings`, :class:`FitSettings`; the export stage's :class:`ExportSettings`
is data in ``core`` because export sits above the run); the tree adds what only the whole run
decides (rounds, seeds for round 2, ranking). Dataclass defaults are the ``paper`` preset;
``fast`` lists only what it changes. A setting is named by its dotted path
(``views.num_views``); the flat names of older run folders still resolve, so their
``config.json`` files keep loading.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, is_dataclass, replace
from typing import Any

from pipeline.core.export_settings import ExportSettings
from pipeline.inpaint.run_settings import PaintSettings
from pipeline.keypoints.run_settings import KeypointSettings
from pipeline.lifting.run_settings import FitSettings
from pipeline.views.run_settings import ViewSettings

DEFAULT_CLIP_MODEL = "openai/clip-vit-base-patch32"
DEFAULT_PRESET = "fast"
SECTIONS = ("views", "inpaint", "keypoints", "lifting", "export")


@dataclass
class GenerationSettings:
    """Every knob of a run, grouped by stage."""

    views: ViewSettings = field(default_factory=ViewSettings)
    inpaint: PaintSettings = field(default_factory=PaintSettings)
    keypoints: KeypointSettings = field(default_factory=KeypointSettings)
    lifting: FitSettings = field(default_factory=FitSettings)
    export: ExportSettings = field(default_factory=ExportSettings)
    rounds: int = 2
    seed_fraction: float = 0.5  # keep floor(fraction * N) round-1 bodies as round-2 seeds (at least 1)
    ranking: str = "auto"  # "auto" (CLIP when available, else fit), "clip", "fit"
    clip_model: str = DEFAULT_CLIP_MODEL

    def validate(self) -> None:
        """Clear messages for values that cannot work."""
        problems = [p for name in SECTIONS for p in section_of(self, name).problems()]
        if self.rounds not in (1, 2):
            problems.append("rounds must be 1 or 2")
        if self.ranking not in ("auto", "clip", "fit"):
            problems.append("ranking must be 'auto', 'clip' or 'fit'")
        if not 0.0 < self.seed_fraction <= 1.0:
            problems.append("seed_fraction must lie in (0, 1]")
        if problems:
            raise ValueError("Invalid generation settings: " + "; ".join(problems) + ".")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def section_of(settings: GenerationSettings, name: str) -> Any:
    """The section ``name`` of the tree (one of :data:`SECTIONS`)."""
    return {"views": settings.views, "inpaint": settings.inpaint, "keypoints": settings.keypoints,
            "lifting": settings.lifting, "export": settings.export}[name]


PRESETS: dict[str, dict[str, Any]] = {
    "paper": {},  # the dataclass defaults: 16 views, 4 then 2 inpaintings, 50 steps, 2 rounds
    # a quick first look; the fit also gets fewer iterations (600 of the paper's 1600)
    "fast": {"views.num_views": 8, "inpaint.inpaints_round1": 2, "inpaint.inpaints_round2": 2,
             "inpaint.steps": 25, "rounds": 1, "lifting.fit_iterations": 600},
}
PRESET_NAMES = tuple(PRESETS)

# the flat names older run folders and flags used -> their dotted path in the tree
_RENAMED = {"inpaint_overrides": "inpaint.extra"}


def setting_paths() -> list[str]:
    """Every dotted path a setting can be addressed by."""
    tree = GenerationSettings()
    paths = []
    for name, value in vars(tree).items():
        if is_dataclass(value):
            paths += [f"{name}.{leaf.name}" for leaf in fields(value)]
        else:
            paths.append(name)
    return paths


def resolve_path(name: str) -> str:
    """The dotted path of ``name``: a dotted path itself, or the flat name of older folders."""
    paths = setting_paths()
    if name in paths:
        return name
    if name in _RENAMED:
        return _RENAMED[name]
    matches = [p for p in paths if p.rsplit(".", 1)[-1] == name]
    if len(matches) == 1:
        return matches[0]
    raise ValueError(f"Unknown setting {name!r}. Settings you can set: {', '.join(paths)}.")


def with_value(settings: GenerationSettings, name: str, value: Any) -> GenerationSettings:
    """A copy of ``settings`` with the setting at ``name`` (dotted or flat) set to ``value``."""
    path = resolve_path(name)
    if "." not in path:
        return replace(settings, **{path: value})
    section, leaf = path.split(".", 1)
    return replace(settings, **{section: replace(section_of(settings, section), **{leaf: value})})


def settings_for(preset: str = DEFAULT_PRESET, overrides: dict[str, Any] | None = None) -> GenerationSettings:
    """The preset's settings with ``overrides`` (dotted paths or flat names) applied."""
    if preset not in PRESETS:
        raise ValueError(f"Unknown preset {preset!r}; choose one of {sorted(PRESETS)}.")
    settings = GenerationSettings()
    for name, value in {**PRESETS[preset], **(overrides or {})}.items():
        settings = with_value(settings, name, value)
    settings.validate()
    return settings


def flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"views": {"num_views": 8}}`` -> ``{"views.num_views": 8}`` (one level per section)."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key in SECTIONS and isinstance(value, dict) and not prefix:
            out.update(flatten(value, key + "."))
        else:
            out[prefix + key] = value
    return out


def recorded_values(data: dict[str, Any]) -> dict[str, Any]:
    """``{dotted path: value}`` of what a ``config.json`` recorded (nested or flat keys);
    names this version no longer knows are left out."""
    out = {}
    for name, value in flatten(dict(data or {})).items():
        try:
            out[resolve_path(name)] = value
        except ValueError:
            continue
    return out


def settings_from_dict(data: dict[str, Any]) -> GenerationSettings:
    """The tree a ``config.json`` recorded: nested sections, or the flat keys of older folders."""
    settings = GenerationSettings()
    for path, value in recorded_values(data).items():
        settings = with_value(settings, path, value)
    return settings
