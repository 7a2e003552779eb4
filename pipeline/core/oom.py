"""Retry a batched GPU step with a smaller batch when the GPU runs out of memory."""

from __future__ import annotations

import logging
from typing import Any, Callable

from pipeline.core.events import EventSink, Warning, null_sink

log = logging.getLogger("pipeline.generation")


def is_out_of_memory(exc: BaseException) -> bool:
    try:
        import torch

        if isinstance(exc, torch.cuda.OutOfMemoryError):
            return True
    except Exception:  # pragma: no cover - torch always present in practice
        pass
    text = str(exc).lower()
    return isinstance(exc, (RuntimeError, MemoryError)) and ("out of memory" in text or "mps backend out of memory" in text)


def free_gpu_memory() -> None:
    try:
        import torch

        if torch.cuda.is_available():
            torch.cuda.empty_cache()
    except Exception:  # pragma: no cover
        pass


def run_with_oom_backoff(
    attempt: Callable[[int], Any], batch: int, *, emit: EventSink = null_sink, what: str = "step",
    on_backoff: Callable[[int, int], None] | None = None,
) -> tuple[Any, int]:
    """Call ``attempt(batch)``; on out-of-memory halve the batch and retry (down to 1).

    Returns the result and the batch size that worked, so the caller keeps using it.
    ``on_backoff(old, new)`` is told about every reduction; out of memory at batch 1 is raised.
    """
    batch = max(1, int(batch))
    while True:
        try:
            return attempt(batch), batch
        except Exception as exc:  # noqa: BLE001 - only out-of-memory is retried
            if not is_out_of_memory(exc) or batch == 1:
                raise
            free_gpu_memory()
            smaller = max(1, batch // 2)
            message = f"GPU out of memory during {what} with batch {batch}; retrying with batch {smaller}"
            log.warning(message)
            emit(Warning(message, what))
            if on_backoff is not None:
                on_backoff(batch, smaller)
            batch = smaller
