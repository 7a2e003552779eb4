"""What the Prompt and Models panels ask for, as the pipeline's request and settings, and
the user's consent before a pickled SMPL-X model is opened.

Both the run and the window's view selection read the settings from here, so a preset, the
Advanced values and the region radius mean the same in both."""

from __future__ import annotations

from pathlib import Path

from genzi_desktop.dialogs.errors import show_error
from genzi_desktop.model.project import PromptSettings
from pipeline.generation.config import GenerationRequest, GenerationSettings, settings_for
from pipeline.generation.run_folder import read_json
from pipeline.scene.targets import Target


def overrides_of(prompt: PromptSettings) -> dict:
    """The panel's Advanced overrides plus its number of results (round-1 inpaintings)."""
    overrides = dict(prompt.overrides)
    overrides.setdefault("inpaint.inpaints_round1", int(prompt.num_results))
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
        body_model_path=models["smplx_path"] if smplx else None,
        fixed_shape=None if smplx else models["fixed_shape"],  # the shape controls are Anny's
    )


def consent_to_pickles(job, model_panel, window) -> bool:
    """Ask (naming the file) before a pickled SMPL-X model is opened; the run or project only
    names it. Sets ``job.trusted_pickles``; False when the user said no or the file is gone."""
    request = job.request
    if request is None:
        try:
            request = GenerationRequest.from_dict(read_json(Path(job.run_dir) / "config.json")["request"])
        except (OSError, ValueError, KeyError, TypeError):
            return True  # not a readable run: the re-fit itself says so
    if request.body_model != "smplx" or not request.body_model_path:
        return True
    try:
        trusted = model_panel.pickle_consent(request.body_model_path)
    except (OSError, ValueError) as exc:
        show_error(window, "SMPL-X model not found", str(exc))
        return False
    if trusted is None:
        show_error(window, "SMPL-X model not opened",
                   f"You did not allow opening the pickle {request.body_model_path}.",
                   "Use the .npz version of the SMPL-X model, or choose Anny in the Models panel.")
        return False
    job.trusted_pickles = trusted
    return True
