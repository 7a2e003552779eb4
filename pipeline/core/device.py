"""Pick the compute device and precision once, so every component agrees.

CUDA is preferred, then Apple MPS, then the CPU. Half precision only pays off (and only
works reliably) on accelerators, so the CPU always runs in float32.
"""

from __future__ import annotations

import torch

_DTYPES = {
    "fp16": torch.float16,
    "float16": torch.float16,
    "half": torch.float16,
    "bf16": torch.bfloat16,
    "bfloat16": torch.bfloat16,
    "fp32": torch.float32,
    "float32": torch.float32,
    "float": torch.float32,
}


def pick_device(requested: str | torch.device | None = None) -> torch.device:
    """Return the requested device, or the best one available ("auto" or None)."""
    if requested is not None and str(requested) != "auto":
        device = torch.device(requested)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise RuntimeError("CUDA was requested but no CUDA GPU is available; use device='cpu' or 'auto'.")
        if device.type == "mps" and not _mps_available():
            raise RuntimeError("MPS was requested but is not available; use device='cpu' or 'auto'.")
        return device
    if torch.cuda.is_available():
        return torch.device("cuda")
    if _mps_available():
        return torch.device("mps")
    return torch.device("cpu")


def pick_dtype(requested: str | torch.dtype | None, device: torch.device) -> torch.dtype:
    """Return the requested precision, or fp16 on CUDA/MPS and fp32 on the CPU ("auto" or None)."""
    if isinstance(requested, torch.dtype):
        return requested
    if requested is not None and requested != "auto":
        key = str(requested).lower()
        if key not in _DTYPES:
            raise ValueError(f"Unknown precision {requested!r}; use one of fp16, bf16, fp32 or auto.")
        dtype = _DTYPES[key]
        if device.type == "cpu" and dtype == torch.float16:
            raise ValueError("fp16 is not supported on the CPU; use fp32 (or bf16) there.")
        return dtype
    return torch.float16 if device.type in ("cuda", "mps") else torch.float32


def _mps_available() -> bool:
    return bool(torch.backends.mps.is_available())
