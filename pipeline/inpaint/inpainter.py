"""Public entry point of the inpainting stage: many views x samples in, painted images out."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import Sequence

import numpy as np
import torch

from pipeline.core.events import CancelToken, EventSink, Warning as WarningEvent, null_sink
from pipeline.inpaint.attention import AttentionCapture
from pipeline.inpaint.batching import auto_batch_size, run_in_batches
from pipeline.inpaint.errors import InpaintSettingsError
from pipeline.inpaint.loading import InpaintModel
from pipeline.inpaint.prompts import assemble_prompts
from pipeline.inpaint.sampler import AttentionHook, PreparedPrompt, encode_text, sample_batch
from pipeline.inpaint.schema import InpaintRequest, InpaintResult, InpaintSettings
from pipeline.inpaint.tokens import find_subject_tokens

log = logging.getLogger(__name__)
PROMPT_FIELDS = ("prompt", "negative_prompt", "prefix", "suffix", "global_negatives", "ensure_subject", "subject_tokens")


@dataclass
class PaintJob:
    """One job's images and settings (its prompt): e.g. one person's views in a populate job."""

    requests: list[InpaintRequest]
    settings: InpaintSettings
    emit: EventSink | None = None  # this job's step and done events (default: run_many's emit)


def _sampling(settings: InpaintSettings) -> dict:
    """The settings that shape the sampling itself (all but the prompt's)."""
    return {k: v for k, v in asdict(settings).items() if k not in PROMPT_FIELDS}


class Inpainter:
    """Runs GenZI's dynamic-mask inpainting with one loaded model.

    ``attention_hook(step, maps)`` may replace the (images, tokens, h, w) subject-token maps
    of each dynamic step before they are turned into masks (used by tests to inject known
    maps). The capturing attention processors are installed for a run and removed after it,
    so the UNet is left exactly as it was.
    """

    def __init__(self, model: InpaintModel, *, attention_hook: AttentionHook | None = None):
        self.model = model
        self.attention_hook = attention_hook

    def prepare_prompt(self, settings: InpaintSettings) -> PreparedPrompt:
        texts = assemble_prompts(
            settings.prompt,
            settings.negative_prompt,
            prefix=settings.prefix,
            suffix=settings.suffix,
            global_negatives=settings.global_negatives,
            ensure_subject=settings.ensure_subject,
        )
        tokens = find_subject_tokens(self.model.tokenizer, texts.diffusion, settings.subject_tokens)
        with torch.inference_mode():
            cond = encode_text(self.model, texts.diffusion)
            uncond = encode_text(self.model, texts.negative)
        return PreparedPrompt(texts.diffusion, texts.negative, tokens, cond, uncond)

    def token_count(self, text: str) -> int:
        """Tokens of ``text`` with start and end tokens, before truncation."""
        return len(self.model.tokenizer(text, truncation=False, verbose=False).input_ids)

    def run(
        self,
        requests: Sequence[InpaintRequest],
        settings: InpaintSettings | None = None,
        emit: EventSink | None = null_sink,
        cancel: CancelToken | None = None,
    ) -> list[InpaintResult]:
        """Paint every request; results come back in request order.

        Raises :class:`pipeline.core.events.Cancelled` when ``cancel`` is set (within one step,
        without decoding), :class:`InpaintSettingsError` for unusable inputs.
        """
        return self.run_many([PaintJob(list(requests), settings or InpaintSettings())], emit, cancel)[0]

    def run_many(
        self,
        jobs: Sequence[PaintJob],
        emit: EventSink | None = null_sink,
        cancel: CancelToken | None = None,
    ) -> list[list[InpaintResult]]:
        """Paint several jobs (e.g. several people's views, each with its own prompt) together.

        Images of every job share the UNet calls (same-sized images, as many per call as
        ``batch_size`` or the memory budget allows, halved on out-of-memory). The jobs must agree
        on everything but the prompt; an image comes out as it would in its job alone.
        Returns each job's results in its request order.
        """
        emit = emit or null_sink
        jobs = [j for j in jobs]
        if not any(j.requests for j in jobs):
            return [[] for _ in jobs]
        settings = jobs[0].settings
        for job in jobs:
            if _sampling(job.settings) != _sampling(settings):
                raise InpaintSettingsError("Images painted together must share steps, guidance, mask and batch "
                                           "settings; only the prompts may differ. Paint the others separately.")
            self._validate(job.requests, job.settings)
        prompts = [self._prompt_for(job.settings, emit) for job in jobs]
        flat = [(j, r) for j, job in enumerate(jobs) for r in range(len(job.requests))]
        requests = [jobs[j].requests[r] for j, r in flat]
        per_image = [prompts[j] for j, _ in flat]
        sinks = [jobs[j].emit or emit for j, _ in flat]
        latent_scale = settings.attention_divisor // self.model.vae_scale_factor
        needs_capture = any(r.fixed_mask is None for r in requests) and settings.dynamic_stop > settings.dynamic_start
        capture = AttentionCapture(self.model.unet, latent_scale) if needs_capture else None

        groups: dict[tuple[int, int], list[int]] = defaultdict(list)
        for index, request in enumerate(requests):
            groups[request.image.shape[:2]].append(index)
        results: list[InpaintResult | None] = [None] * len(requests)

        def on_backoff(old: int, new: int) -> None:
            emit(WarningEvent(message=f"GPU memory full with {old} images per batch; continuing with {new}.", stage="inpaint"))

        try:
            if capture is not None:
                capture.install()
            with torch.inference_mode():
                for (height, width), indices in groups.items():
                    size = settings.batch_size or auto_batch_size(
                        self.model.device, height, width, self.model.dtype, settings.guidance_scale > 1.0,
                        settings.memory_budget_gb,
                    )

                    def run_chunk(chunk: Sequence[int]) -> list[tuple[int, InpaintResult]]:
                        done = sample_batch(
                            self.model, [requests[i] for i in chunk], [per_image[i] for i in chunk], settings,
                            capture, emit, cancel, self.attention_hook, [sinks[i] for i in chunk],
                        )
                        return list(zip(chunk, done))

                    for index, result in run_in_batches(indices, size, run_chunk, on_backoff):
                        results[index] = result
        finally:
            if capture is not None:
                capture.remove()
        out: list[list[InpaintResult]] = [[] for _ in jobs]
        for (j, _), result in zip(flat, results):
            if result is not None:
                out[j].append(result)
        return out

    def _prompt_for(self, settings: InpaintSettings, emit: EventSink) -> PreparedPrompt:
        prompt = self.prepare_prompt(settings)
        for label, text in (("prompt", prompt.text), ("negative prompt", prompt.negative)):
            if self.token_count(text) > self.model.tokenizer.model_max_length:
                emit(WarningEvent(
                    message=f"The {label} is longer than {self.model.tokenizer.model_max_length} tokens; "
                    f"the model ignores its end: {text!r}",
                    stage="inpaint",
                ))
        return prompt

    def _validate(self, requests: Sequence[InpaintRequest], settings: InpaintSettings) -> None:
        if settings.steps < 1:
            raise InpaintSettingsError("steps must be at least 1.")
        if not 0.0 < settings.quantile_start < 1.0 or not 0.0 < settings.quantile_end < 1.0:
            raise InpaintSettingsError("The mask quantiles must lie strictly between 0 and 1 (paper: 0.7).")
        if settings.dynamic_start < 0 or settings.dynamic_stop < settings.dynamic_start:
            raise InpaintSettingsError("Need 0 <= dynamic_start <= dynamic_stop (paper: 0 and 25).")
        scale = self.model.vae_scale_factor
        if settings.attention_divisor % scale:
            raise InpaintSettingsError(
                f"attention_divisor ({settings.attention_divisor}) must be a multiple of the VAE factor {scale}."
            )
        for request in requests:
            image = np.asarray(request.image)
            if image.ndim != 3 or image.shape[2] < 3 or image.dtype != np.uint8:
                raise InpaintSettingsError(
                    f"View {request.view_name!r}: the image must be an (H, W, 3) uint8 array, got {image.shape} {image.dtype}."
                )
            height, width = image.shape[:2]
            if height % settings.attention_divisor or width % settings.attention_divisor:
                raise InpaintSettingsError(
                    f"View {request.view_name!r}: {width}x{height} px is not a multiple of "
                    f"{settings.attention_divisor}; render views at e.g. 512x512."
                )
            if request.fixed_mask is not None and np.asarray(request.fixed_mask).shape != (height, width):
                raise InpaintSettingsError(
                    f"View {request.view_name!r}: the fixed mask is {np.asarray(request.fixed_mask).shape}, "
                    f"the image {height}x{width}."
                )
