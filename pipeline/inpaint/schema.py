"""Inputs and outputs of the inpainting stage (plain dataclasses, numpy images)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np


@dataclass
class InpaintSettings:
    """Everything that is shared by all images of one run; defaults are the paper's values."""

    prompt: str = "a person sitting"
    negative_prompt: str = ""  # per-target negative, joined before the global list
    prefix: str | None = None  # None: resources/prompts/prefix.txt
    suffix: str | None = None  # None: resources/prompts/suffix.txt
    global_negatives: Sequence[str] | None = None  # None: resources/prompts/negative_prompts.txt
    ensure_subject: bool = True  # put "a person" in front of a prompt that names nobody
    subject_tokens: Sequence[int | str] | None = None  # override: words or token indices
    steps: int = 50
    guidance_scale: float = 7.5
    dynamic_start: int = 0  # mask rebuilt after steps start..stop-1, frozen afterwards
    dynamic_stop: int = 25
    quantile_start: float = 0.7  # threshold quantile (cosine ramp to quantile_end)
    quantile_end: float = 0.7
    average_steps: int = 3  # attention maps of this many recent steps are averaged
    attention_divisor: int = 32  # maps are captured at image side / divisor (16x16 at 512 px)
    batch_size: int | None = None  # images per UNet call; None: from the memory budget
    memory_budget_gb: float | None = None  # None: most of the free GPU memory
    vae_batch: int = 4  # images per VAE encode/decode call (bounds decode memory)
    preview_every: int = 5  # latent preview in the step event every N steps (0: never)
    # Mask snapshots kept in the result every N steps. The mask in the step events is refreshed
    # at the same steps and when it freezes (copies to the host stall the GPU queue, so not every step).
    mask_history_every: int = 5
    # A dynamic-mask image is VAE-encoded again only when more than this fraction of its latent
    # cells changed since its last encode (and once when the mask freezes); in between, changed
    # cells are composed from encodes of the plain image and of grey (inpaint/mask_latents.py).
    # 0: encode at every change; -1: at every update, the paper's way. Equivalence: tests/test_inpaint_mask_reuse.py.
    mask_reencode_fraction: float = 0.05
    round: int = 0  # copied into the events


@dataclass
class InpaintRequest:
    """One image to paint: a rendered view, which inpainting of it, its own seed, an optional fixed mask."""

    view_name: str
    image: np.ndarray  # (H, W, 3) uint8
    sample: int = 0
    seed: int = 0
    fixed_mask: np.ndarray | None = None  # (H, W) bool: round-2 mask; None: dynamic mask from attention


@dataclass
class InpaintResult:
    view_name: str
    sample: int
    seed: int
    image: np.ndarray  # (H, W, 3) uint8
    mask: np.ndarray  # (H, W) bool, the final mask
    mask_history: dict[int, np.ndarray] = field(default_factory=dict)  # step -> (H, W) bool
    prompt: str = ""
    token_indices: list[int] = field(default_factory=list)
