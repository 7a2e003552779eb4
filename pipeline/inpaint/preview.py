"""Cheap previews of the image being painted, straight from the latents (no VAE decode).

A fixed linear map from the 4 Stable Diffusion latent channels to RGB gives a recognisable
low-resolution colour picture for the cost of one tiny matrix product. The factors are
the approximate values commonly used for SD 1.x/2.x latents; they are only for display.
"""

from __future__ import annotations

import numpy as np
import torch

LATENT_RGB_FACTORS = torch.tensor(
    [
        [0.298, 0.207, 0.208],
        [0.187, 0.286, 0.173],
        [-0.158, 0.189, 0.264],
        [-0.184, -0.271, -0.473],
    ]
)


def predicted_clean_latents(latents: torch.Tensor, model_output: torch.Tensor, alpha_bar: torch.Tensor, prediction_type: str) -> torch.Tensor:
    """The model's current guess of the noise-free latents (what the preview should show)."""
    a = alpha_bar.to(latents.device, torch.float32)
    x, out = latents.float(), model_output.float()
    if prediction_type == "v_prediction":
        return a.sqrt() * x - (1 - a).sqrt() * out
    if prediction_type == "sample":
        return out
    return (x - (1 - a).sqrt() * out) / a.sqrt()


def latent_preview(latents: torch.Tensor) -> np.ndarray:
    """(B, 4, h, w) latents -> (B, h, w, 3) uint8 preview images."""
    channels = latents.shape[1]
    factors = LATENT_RGB_FACTORS[:channels].to(latents.device, torch.float32)
    rgb = torch.einsum("bchw,cr->bhwr", latents.float(), factors)
    rgb = ((rgb + 1.0) * 127.5).clamp(0, 255).round().to(torch.uint8)
    return rgb.cpu().numpy()
