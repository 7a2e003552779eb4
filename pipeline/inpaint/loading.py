"""Loading a Stable Diffusion inpainting model into the five parts our sampler needs.

Three kinds of source are accepted:

* a hub id such as ``stabilityai/stable-diffusion-2-inpainting`` (downloaded once, with
  progress; ``local_files_only`` or ``HF_HUB_OFFLINE=1`` uses the cache only);
* a local diffusers folder (``model_index.json`` plus ``unet/``, ``vae/``, ...);
* a single-file checkpoint (``.safetensors``; ``.ckpt`` only through torch's weights-only
  loader, so no arbitrary pickled code runs). diffusers needs the layout of the base model
  for a single file: it looks it up on the hub (cached after the first time) or takes
  ``config=<diffusers folder or hub id>``.

SD 1.x and SD 2.x inpainting models both work. Whatever the source, the UNet must take 9
input channels (4 noisy latent + 1 mask + 4 masked-image latent), else
:class:`NotAnInpaintingModelError`. The scheduler is always DPM-Solver++ multistep built from
the model's own scheduler config, as in the paper.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from pipeline.core.device import pick_device, pick_dtype
from pipeline.inpaint.download import DownloadCallback, fetch_from_hub, hub_offline_by_environment
from pipeline.inpaint.errors import ModelNotFoundError, ModelOfflineError, NotAnInpaintingModelError

log = logging.getLogger(__name__)

DEFAULT_MODEL_ID = "stabilityai/stable-diffusion-2-inpainting"
INPAINT_IN_CHANNELS = 9
SINGLE_FILE_SUFFIXES = (".safetensors", ".ckpt", ".pt", ".pth")
_LDM_CONV_IN_KEY = "model.diffusion_model.input_blocks.0.0.weight"


@dataclass
class InpaintModel:
    """The loaded components, on one device in one precision."""

    unet: Any
    vae: Any
    text_encoder: Any
    tokenizer: Any
    scheduler: Any  # DPMSolverMultistepScheduler (a template: runs use fresh copies)
    device: torch.device
    dtype: torch.dtype
    source: str = ""

    @property
    def vae_scale_factor(self) -> int:
        """Image pixels per latent pixel (8 for Stable Diffusion)."""
        return 2 ** (len(self.vae.config.block_out_channels) - 1)

    @property
    def latent_channels(self) -> int:
        return int(self.vae.config.latent_channels)

    @property
    def prediction_type(self) -> str:
        return str(self.scheduler.config.get("prediction_type", "epsilon"))

    def new_scheduler(self):
        """A fresh DPM-Solver++ scheduler (schedulers carry per-run state)."""
        from diffusers import DPMSolverMultistepScheduler

        return DPMSolverMultistepScheduler.from_config(self.scheduler.config)


@dataclass
class ModelSpec:
    """Where the model comes from and how to run it; ``load()`` turns it into an :class:`InpaintModel`.

    ``device``/``dtype`` are ``"auto"`` or explicit ("cuda", "cpu", "mps"; "fp16", "bf16",
    "fp32"). ``local_files_only=None`` follows ``HF_HUB_OFFLINE``. ``config`` is the diffusers
    layout (folder or hub id) for single-file checkpoints.
    """

    source: str | os.PathLike = DEFAULT_MODEL_ID
    device: str = "auto"
    dtype: str = "auto"
    local_files_only: bool | None = None
    config: str | os.PathLike | None = None
    cache_dir: str | None = None

    def load(self, progress: DownloadCallback | None = None) -> InpaintModel:
        return load_inpaint_model(
            self.source,
            device=self.device,
            dtype=self.dtype,
            local_files_only=self.local_files_only,
            config=self.config,
            cache_dir=self.cache_dir,
            progress=progress,
        )


def load_inpaint_model(
    source: str | os.PathLike = DEFAULT_MODEL_ID,
    *,
    device: str | torch.device | None = "auto",
    dtype: str | torch.dtype | None = "auto",
    local_files_only: bool | None = None,
    config: str | os.PathLike | None = None,
    cache_dir: str | None = None,
    progress: DownloadCallback | None = None,
) -> InpaintModel:
    """Load an inpainting model from a hub id, a diffusers folder or a single checkpoint file."""
    torch_device = pick_device(device)
    torch_dtype = pick_dtype(dtype, torch_device)
    if local_files_only is None:
        local_files_only = hub_offline_by_environment()
    text = str(source).strip()
    if not text:
        raise ModelNotFoundError("No model given; use a hub id, a diffusers folder or a .safetensors file.")
    path = Path(text).expanduser()

    if path.is_dir():
        parts = _load_diffusers_folder(path, torch_dtype)
    elif path.is_file():
        parts = _load_single_file(path, torch_dtype, config, local_files_only, cache_dir)
    elif looks_like_path(text):
        raise ModelNotFoundError(
            f"No such model file or folder: {path}. Choose an existing diffusers folder or a "
            ".safetensors checkpoint, or give a hub id such as '{DEFAULT_MODEL_ID}'."
        )
    else:
        folder = fetch_from_hub(
            text,
            want_fp16=torch_dtype == torch.float16,
            local_files_only=local_files_only,
            cache_dir=cache_dir,
            progress=progress,
        )
        parts = _load_diffusers_folder(Path(folder), torch_dtype)

    model = InpaintModel(device=torch_device, dtype=torch_dtype, source=text, **parts)
    for module in (model.unet, model.vae, model.text_encoder):
        module.to(device=torch_device, dtype=torch_dtype)
        module.eval()
        module.requires_grad_(False)
    log.info("loaded inpainting model %s on %s in %s", text, torch_device, torch_dtype)
    return model


def looks_like_path(text: str) -> bool:
    """A file or folder name rather than a hub id (hub ids are exactly "owner/name")."""
    if text.lower().endswith(SINGLE_FILE_SUFFIXES):
        return True
    if text.startswith(("/", ".", "~", "\\")) or (len(text) > 1 and text[1] == ":"):
        return True
    return text.count("/") != 1  # hub ids are exactly "owner/name"


def _check_in_channels(in_channels: int, where: str) -> None:
    if in_channels != INPAINT_IN_CHANNELS:
        raise NotAnInpaintingModelError(
            f"{where} is not an inpainting model: its UNet takes {in_channels} input channels, an "
            f"inpainting UNet takes {INPAINT_IN_CHANNELS} (latent + mask + masked image). Use an "
            f"inpainting checkpoint such as '{DEFAULT_MODEL_ID}'."
        )


def _load_diffusers_folder(folder: Path, dtype: torch.dtype) -> dict:
    from diffusers import AutoencoderKL, DPMSolverMultistepScheduler, UNet2DConditionModel
    from transformers import CLIPTextModel, CLIPTokenizer

    missing = [name for name in ("unet", "vae", "text_encoder", "tokenizer", "scheduler") if not (folder / name).is_dir()]
    if missing:
        raise ModelNotFoundError(
            f"{folder} is not a diffusers model folder (missing sub-folders: {', '.join(missing)}). "
            "Choose the folder that holds model_index.json, unet/, vae/, text_encoder/, tokenizer/ and scheduler/."
        )
    unet_config = UNet2DConditionModel.load_config(folder, subfolder="unet")
    _check_in_channels(int(unet_config.get("in_channels", 4)), str(folder))
    try:
        unet = UNet2DConditionModel.from_pretrained(
            folder, subfolder="unet", torch_dtype=dtype, variant=weights_variant(folder / "unet", dtype)
        )
        vae = AutoencoderKL.from_pretrained(
            folder, subfolder="vae", torch_dtype=dtype, variant=weights_variant(folder / "vae", dtype)
        )
        text_encoder = CLIPTextModel.from_pretrained(
            folder, subfolder="text_encoder", dtype=dtype, variant=weights_variant(folder / "text_encoder", dtype)
        )
    except (OSError, EnvironmentError) as exc:
        raise ModelNotFoundError(f"Could not read the weights in {folder}: {exc}") from exc
    tokenizer = CLIPTokenizer.from_pretrained(folder, subfolder="tokenizer")
    scheduler = DPMSolverMultistepScheduler.from_pretrained(folder, subfolder="scheduler")
    return dict(unet=unet, vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, scheduler=scheduler)


def check_model_path(path: Path) -> None:
    """Cheap checks of a local model before any work (no weights loaded): a diffusers folder has
    its parts and an inpainting UNet; a single file has a known type and a readable header.
    Raises the same errors loading would, minutes earlier."""
    import json

    path = Path(path)
    if path.is_dir():
        missing = [name for name in ("unet", "vae", "text_encoder", "tokenizer", "scheduler") if not (path / name).is_dir()]
        if missing:
            raise ModelNotFoundError(
                f"{path} is not a diffusers model folder (missing sub-folders: {', '.join(missing)}). "
                "Choose the folder that holds model_index.json, unet/, vae/, text_encoder/, tokenizer/ and scheduler/."
            )
        try:
            unet_config = json.loads((path / "unet" / "config.json").read_text(encoding="utf-8"))
            _check_in_channels(int(unet_config.get("in_channels", 4)), str(path))
        except (OSError, ValueError, AttributeError, TypeError) as exc:
            raise ModelNotFoundError(f"{path}/unet/config.json cannot be read ({exc}); the model folder is incomplete.") from None
        return
    if path.suffix.lower() not in SINGLE_FILE_SUFFIXES:
        raise ModelNotFoundError(f"{path.name}: unsupported checkpoint type; use a .safetensors file or a diffusers folder.")
    channels = _read_conv_in_channels(path)
    if channels is not None:
        _check_in_channels(channels, path.name)


def weights_variant(component: Path, dtype: torch.dtype) -> str | None:
    """"fp16" when the half-precision weights are wanted and present, or are the only ones present."""
    weights = [p.name for p in component.glob("*") if p.suffix in (".safetensors", ".bin")]
    has_half = any(".fp16." in name for name in weights)
    has_plain = any(".fp16." not in name for name in weights)
    if has_half and (dtype == torch.float16 or not has_plain):
        return "fp16"
    return None


def _read_conv_in_channels(path: Path) -> int | None:
    """Input channels of the UNet in an original-layout checkpoint, read without loading it all."""
    if path.suffix == ".safetensors":
        from safetensors import SafetensorError, safe_open

        try:
            with safe_open(str(path), framework="pt") as handle:
                if _LDM_CONV_IN_KEY in handle.keys():
                    return int(handle.get_slice(_LDM_CONV_IN_KEY).get_shape()[1])
        except (SafetensorError, OSError) as exc:
            raise ModelNotFoundError(f"{path.name} is damaged or not a safetensors file ({exc}); download it again.") from None
        return None
    state = _load_weights_only(path)
    while isinstance(state, dict) and "state_dict" in state:
        state = state["state_dict"]
    weight = state.get(_LDM_CONV_IN_KEY) if isinstance(state, dict) else None
    return int(weight.shape[1]) if weight is not None else None


def _load_weights_only(path: Path):
    try:
        return torch.load(str(path), map_location="cpu", weights_only=True, mmap=True)
    except Exception as exc:
        raise ModelNotFoundError(
            f"{path.name} could not be read safely: it contains Python objects besides tensors, and "
            "pickled code is never executed here. Convert it to .safetensors (or use a diffusers folder)."
        ) from exc


def _load_single_file(
    path: Path, dtype: torch.dtype, config: str | os.PathLike | None, local_files_only: bool, cache_dir: str | None
) -> dict:
    from diffusers import DPMSolverMultistepScheduler, StableDiffusionInpaintPipeline

    if path.suffix.lower() not in SINGLE_FILE_SUFFIXES:
        raise ModelNotFoundError(f"{path.name}: unsupported checkpoint type; use a .safetensors file or a diffusers folder.")
    channels = _read_conv_in_channels(path)
    if channels is not None:
        _check_in_channels(channels, path.name)
    kwargs: dict = dict(
        torch_dtype=dtype,
        local_files_only=local_files_only,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    if config is not None:
        kwargs["config"] = str(config)
    if cache_dir is not None:
        kwargs["cache_dir"] = cache_dir
    try:
        pipe = StableDiffusionInpaintPipeline.from_single_file(str(path), **kwargs)
    except Exception as exc:
        if _is_connection_problem(exc):
            raise ModelOfflineError(
                f"{path.name} is a single-file checkpoint; building it needs the diffusers layout of its base "
                "model, which is neither cached nor downloadable now. Connect to the internet once, or pass "
                "config=<a diffusers folder of the same architecture>."
            ) from exc
        raise NotAnInpaintingModelError(
            f"{path.name} could not be read as a Stable Diffusion inpainting checkpoint ({exc})."
        ) from exc
    _check_in_channels(int(pipe.unet.config.in_channels), path.name)
    scheduler = DPMSolverMultistepScheduler.from_config(pipe.scheduler.config)
    return dict(unet=pipe.unet, vae=pipe.vae, text_encoder=pipe.text_encoder, tokenizer=pipe.tokenizer, scheduler=scheduler)


def _is_connection_problem(exc: BaseException) -> bool:
    names = {"LocalEntryNotFoundError", "OfflineModeIsEnabled", "ConnectError", "ConnectionError", "ConnectTimeout"}
    seen = 0
    while exc is not None and seen < 10:
        if type(exc).__name__ in names or "offline" in str(exc).lower():
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False
