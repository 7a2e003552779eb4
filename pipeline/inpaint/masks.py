"""Mask arithmetic of GenZI's inpainting, on torch tensors.

Round 1 ("dynamic"): the mask starts empty and, at every step of ``[start, stop)``, is
rebuilt from the last few steps' subject-token attention maps: average over steps, sum
over tokens, 3x3 box blur, bicubic up-sampling to the image size, and a quantile
threshold (the top 30 % of pixels at q = 0.7). Round 2: a fixed mask, the silhouette of
the round-1 body grown by repeated 11x11 dilation.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F


def box_blur3(maps: torch.Tensor) -> torch.Tensor:
    """3x3 mean filter, stride 1, zero padding of 1 (borders are darkened, as a conv with ones/9 does)."""
    return F.avg_pool2d(maps, kernel_size=3, stride=1, padding=1, count_include_pad=True)


def combine_token_maps(history: Sequence[torch.Tensor]) -> torch.Tensor:
    """Average the per-step (B, K, h, w) maps, then sum over the K tokens: (B, 1, h, w)."""
    stacked = torch.stack([m.float() for m in history])
    return stacked.mean(0).sum(1, keepdim=True)


def linear_quantile(flat: torch.Tensor, quantile: float) -> torch.Tensor:
    """Per-row quantile with linear interpolation (as numpy/torch "linear"), by sorting.

    Written out because ``torch.quantile`` is missing on some backends (MPS) and limited in size.
    """
    ordered = flat.sort(dim=1).values
    position = quantile * (ordered.shape[1] - 1)
    low = int(math.floor(position))
    high = min(low + 1, ordered.shape[1] - 1)
    fraction = position - low
    return ordered[:, low] + fraction * (ordered[:, high] - ordered[:, low])


def quantile_mask(values: torch.Tensor, quantile: float) -> torch.Tensor:
    """1 where a pixel is above the per-image ``quantile`` of its image (linear interpolation), else 0."""
    threshold = linear_quantile(values.flatten(1).float(), quantile)
    return (values > threshold.view(-1, *([1] * (values.ndim - 1)))).to(values.dtype)


def mask_from_attention(history: Sequence[torch.Tensor], size: tuple[int, int], quantile: float = 0.7) -> torch.Tensor:
    """The dynamic mask (B, 1, H, W) in {0, 1} from the recent steps' token attention maps."""
    combined = box_blur3(combine_token_maps(history))
    upsampled = F.interpolate(combined, size=size, mode="bicubic", align_corners=False)
    return quantile_mask(upsampled, quantile)


def quantile_schedule(start: float, end: float, update: int, updates: int) -> float:
    """Cosine ramp of the threshold quantile from ``start`` to ``end`` over the update steps."""
    if updates <= 1 or start == end:
        return start
    progress = min(max(update / (updates - 1), 0.0), 1.0)
    return end + (start - end) * 0.5 * (1.0 + math.cos(math.pi * progress))


def latent_mask(mask: torch.Tensor, latent_size: tuple[int, int]) -> torch.Tensor:
    """Nearest-neighbour down-sampling of the pixel mask to the latent grid."""
    return F.interpolate(mask, size=latent_size, mode="nearest")


def blank_masked_pixels(image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Image in [-1, 1] with masked pixels set to 0 (mid-grey), the inpainting model's input."""
    return image * (1.0 - mask.to(image.dtype))


def silhouette_mask(silhouette: np.ndarray, kernel: int = 11, iterations: int = 8) -> np.ndarray:
    """Round-2 mask: the body silhouette dilated ``iterations`` times with a ``kernel`` x ``kernel`` square.

    Each 11x11 pass grows the region by 5 px, so the defaults grow it by 40 px all round.
    Accepts a boolean mask or an alpha image (>= 0.5 counts as body).
    """
    from scipy.ndimage import binary_dilation

    sil = np.asarray(silhouette)
    if sil.ndim == 3:
        sil = sil[..., -1]
    if sil.dtype != bool:
        scale = 255.0 if sil.dtype == np.uint8 else 1.0
        sil = sil.astype(np.float32) / scale >= 0.5
    if iterations <= 0 or kernel <= 1 or not sil.any():
        return sil.copy()
    return binary_dilation(sil, structure=np.ones((kernel, kernel), bool), iterations=iterations)
