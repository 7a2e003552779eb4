"""What the Prompt and Models panels ask for, as the pipeline's request and settings.

Both the run and the window's view selection read the settings from here, so a preset, the
Advanced values and the region radius mean the same in both."""

from __future__ import annotations

from pathlib import Path

from genzi_desktop.model.project import PromptSettings
from pipeline.generation.config import GenerationRequest, GenerationSettings, settings_for
from pipeline.scene.targets import Target


def overrides_of(prompt: PromptSettings) -> dict:
    """The panel's Advanced overrides plus its number of results (round-1 inpaintings)."""
    overrides = dict(prompt.overrides)
    overrides.setdefault("inpaints_round1", int(prompt.num_results))
    return overrides


def settings_from_prompt(prompt: PromptSettings) -> GenerationSettings:
    """The run's settings: the preset with the panel's overrides (ValueError for bad values)."""
    return settings_for(prompt.preset, overrides_of(prompt))


def region_radius(target: Target) -> float | None:
    """The view-selection patch radius: the target's region, or None for the stage's default."""
    return target.radius if target.is_region else None


def request_from_panels(prompt: PromptSettings, models: dict, scene_path: Path, target: Target,
                        seed: int) -> GenerationRequest:
    """The request for a run; ValueError with advice when SMPL-X is chosen without its file."""
    smplx = models["body_model"] == "smplx"
    if smplx and not models["smplx_path"]:
        raise ValueError("SMPL-X is chosen but no model file: choose your SMPLX_NEUTRAL.npz (or its folder) "
                         "in the Models panel, or choose Anny.")
    return GenerationRequest(
        scene=str(scene_path), target=list(target.point), normal=list(target.normal),
        radius=region_radius(target), prompt=prompt.prompt,
        negative_prompt=prompt.negative_prompt or None,
        subject_words=[prompt.subject_word] if prompt.subject_word else None,
        seed=int(seed), preset=prompt.preset, overrides=overrides_of(prompt),
        model=models["model"], device=models["device"], dtype=models["dtype"], body_model=models["body_model"],
        body_model_path=models["smplx_path"] if smplx else None, allow_pickle=bool(smplx and models["allow_pickle"]),
        fixed_shape=None if smplx else models["fixed_shape"],  # the shape controls are Anny's
    )
