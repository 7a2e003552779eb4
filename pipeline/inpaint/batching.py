"""Packing many images into few UNet calls, and backing off when the GPU runs out of memory.

With classifier-free guidance every image is two UNet rows (unconditional + text). The
batch size is chosen from a memory budget; if a batch still runs out of memory it is
halved and retried. Because each image owns its seed and random stream, splitting or
re-running a batch does not change any image.
"""

from __future__ import annotations

import logging
from typing import Callable, Sequence, TypeVar

import torch

from pipeline.core.oom import is_out_of_memory, run_with_oom_backoff
from pipeline.inpaint.errors import InpaintError

log = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")

# Measured order of magnitude for SD 2 at 512 px in fp16 with SDPA attention: about 0.3 GB
# of activations per UNet row, plus the VAE working set (decode is chunked). A guess that
# the out-of-memory back-off corrects.
BYTES_PER_ROW_512_FP16 = 0.3e9
MAX_AUTO_IMAGES = 32
CPU_DEFAULT_IMAGES = 4


def auto_batch_size(device: torch.device, height: int, width: int, dtype: torch.dtype, guidance: bool,
                    budget_gb: float | None = None) -> int:
    """Images per UNet call that should fit the budget (default: 85 % of the free GPU memory)."""
    if device.type != "cuda":
        return CPU_DEFAULT_IMAGES
    if budget_gb is None:
        free, _total = torch.cuda.mem_get_info(device)
        budget = 0.85 * free
    else:
        budget = budget_gb * 1e9 - torch.cuda.memory_allocated(device)
    element = torch.finfo(dtype).bits / 16
    per_row = BYTES_PER_ROW_512_FP16 * (height * width) / (512 * 512) * element
    rows = int(budget // per_row)
    images = rows // (2 if guidance else 1)
    return max(1, min(MAX_AUTO_IMAGES, images))


def run_in_batches(
    items: Sequence[T],
    batch_size: int,
    run: Callable[[Sequence[T]], list[R]],
    on_backoff: Callable[[int, int], None] | None = None,
) -> list[R]:
    """Run ``run`` over consecutive chunks of ``items``; halve the chunk size on out-of-memory.

    ``on_backoff(old, new)`` is told about every reduction. The smaller size is kept for
    the remaining chunks. A single image that does not fit raises :class:`InpaintError`.
    """
    results: list[R] = []
    start, size = 0, max(1, int(batch_size))
    while start < len(items):
        remaining = len(items) - start
        try:
            chunk, size = run_with_oom_backoff(lambda n: run(items[start : start + n]), min(size, remaining),
                                               what="inpainting", on_backoff=on_backoff)
        except Exception as exc:
            if is_out_of_memory(exc):
                raise InpaintError(
                    "Not enough GPU memory for even one image. Close other GPU programs, use fp16, "
                    "or render smaller views."
                ) from exc
            raise
        results.extend(chunk)
        start += size
    return results
