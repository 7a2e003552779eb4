"""The denoising loop with GenZI's dynamic mask, for one batch of same-sized images.

Per step: classifier-free-guided UNet call on [noisy latent | mask | masked-image latent],
DPM-Solver++ update, then (for steps in ``[start, stop)``) a new mask from the recent
subject-token attention maps and the masked image's latent for the next step (re-encoded only
when the mask moved enough, :mod:`pipeline.inpaint.mask_latents`).
After ``stop`` the mask stays as it is. The final latents are decoded once; a cancel
request is honoured at the start of every step and before the decode, so cancelling
costs at most one more step and never a decode.

Every image owns a CPU ``torch.Generator`` seeded with its request's seed; its initial
noise and every VAE posterior sample it needs come from that generator, in the same
order whatever else is in the batch. So an image comes out the same alone or batched.
A batch may mix prompts (several people's views painted together): each image then has its
own text rows and its own subject tokens.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import torch

from pipeline.core.events import CancelToken, EventSink, InpaintDone, InpaintStep
from pipeline.inpaint.attention import AttentionCapture
from pipeline.inpaint.loading import InpaintModel
from pipeline.inpaint.mask_latents import MaskedLatents
from pipeline.inpaint.masks import blank_masked_pixels, latent_mask, mask_from_attention, quantile_schedule
from pipeline.inpaint.preview import latent_preview, predicted_clean_latents
from pipeline.inpaint.schema import InpaintRequest, InpaintResult, InpaintSettings

# hook(step, maps) -> maps: lets tests inject known attention maps, or tools inspect them.
AttentionHook = Callable[[int, torch.Tensor], torch.Tensor]


@dataclass
class PreparedPrompt:
    """Text embeddings computed once per run and shared by every batch."""

    text: str
    negative: str
    token_indices: list[int]
    cond: torch.Tensor  # (1, 77, D)
    uncond: torch.Tensor  # (1, 77, D)


def encode_text(model: InpaintModel, text: str) -> torch.Tensor:
    tokenizer = model.tokenizer
    ids = tokenizer(
        text, padding="max_length", max_length=tokenizer.model_max_length, truncation=True, return_tensors="pt"
    ).input_ids.to(model.device)
    out = model.text_encoder(ids)
    hidden = out[0] if isinstance(out, (tuple, list)) else out.last_hidden_state
    return hidden.to(model.dtype)


def images_to_tensor(images: Sequence[np.ndarray], device, dtype) -> torch.Tensor:
    """uint8 (H, W, 3) images -> (B, 3, H, W) in [-1, 1]."""
    array = np.stack([np.asarray(img, dtype=np.uint8)[..., :3] for img in images])
    tensor = torch.from_numpy(array).to(device).permute(0, 3, 1, 2).float()
    return (tensor / 127.5 - 1.0).to(dtype)


def tensor_to_images(tensor: torch.Tensor) -> np.ndarray:
    """(B, 3, H, W) in [-1, 1] -> (B, H, W, 3) uint8."""
    scaled = ((tensor.float().clamp(-1, 1) + 1.0) * 127.5).round().to(torch.uint8)
    return scaled.permute(0, 2, 3, 1).cpu().numpy()


def cpu_noise(shape, generators: list[torch.Generator], device, dtype) -> torch.Tensor:
    """Standard normal noise, one (1, ...) draw per image from its own CPU generator.

    Drawn on the CPU so results do not depend on the device; copied to a GPU without a
    host-device synchronisation (pinned memory), so the GPU queue keeps running.
    """
    noise = torch.cat([torch.randn((1, *shape[1:]), generator=g, dtype=torch.float32) for g in generators])
    if torch.device(device).type == "cuda":
        return noise.pin_memory().to(device, dtype, non_blocking=True)
    return noise.to(device, dtype)


def vae_encode(model: InpaintModel, images: torch.Tensor, generators: list[torch.Generator] | None,
               chunk: int) -> torch.Tensor:
    """Sampled, scaled VAE latents; image i draws its posterior sample from ``generators[i]``
    (``generators`` None: the posterior means)."""
    parts = []
    for start in range(0, images.shape[0], max(1, chunk)):
        dist = model.vae.encode(images[start : start + chunk]).latent_dist
        if generators is None:
            parts.append(dist.mean)
            continue
        noise = cpu_noise(dist.mean.shape, generators[start : start + chunk], dist.mean.device, dist.mean.dtype)
        parts.append(dist.mean + dist.std * noise)
    return torch.cat(parts) * model.vae.config.scaling_factor


def vae_decode(model: InpaintModel, latents: torch.Tensor, chunk: int) -> torch.Tensor:
    parts = []
    for start in range(0, latents.shape[0], max(1, chunk)):
        piece = latents[start : start + chunk] / model.vae.config.scaling_factor
        parts.append(model.vae.decode(piece).sample)
    return torch.cat(parts)


def _per_image(prompt: PreparedPrompt | Sequence[PreparedPrompt], n: int) -> list[PreparedPrompt]:
    prompts = [prompt] * n if isinstance(prompt, PreparedPrompt) else list(prompt)
    if len(prompts) != n:
        raise ValueError(f"{len(prompts)} prompts for {n} images")
    return prompts


def _text_rows(prompts: list[PreparedPrompt], guided: bool, device):
    """(text embeddings of the UNet rows, subject token indices, which indices are real).

    With one prompt the indices are a flat list and the mask None (the single-prompt path,
    unchanged); with several they are (n, K) padded with token 0 and a 0/1 mask.
    """
    n = len(prompts)
    if all(p is prompts[0] for p in prompts):
        p = prompts[0]
        rows = torch.cat([p.uncond.expand(n, -1, -1), p.cond.expand(n, -1, -1)]) if guided else p.cond.expand(n, -1, -1)
        return rows, torch.tensor(p.token_indices, device=device), None
    cond = torch.cat([p.cond for p in prompts])
    rows = torch.cat([torch.cat([p.uncond for p in prompts]), cond]) if guided else cond
    width = max(len(p.token_indices) for p in prompts)
    index = torch.zeros((n, width), dtype=torch.long)
    keep = torch.zeros((n, width))
    for i, p in enumerate(prompts):
        index[i, : len(p.token_indices)] = torch.tensor(p.token_indices, dtype=torch.long)
        keep[i, : len(p.token_indices)] = 1.0
    return rows, index.to(device), keep.to(device)


def sample_batch(
    model: InpaintModel,
    requests: Sequence[InpaintRequest],
    prompt: PreparedPrompt | Sequence[PreparedPrompt],
    settings: InpaintSettings,
    capture: AttentionCapture | None,
    emit: EventSink,
    cancel: CancelToken | None = None,
    attention_hook: AttentionHook | None = None,
    sinks: Sequence[EventSink] | None = None,
) -> list[InpaintResult]:
    """Paint every request of the batch (all the same size) and return their results.

    ``prompt``: one prompt for all, or one per request (they may differ). ``sinks``: where each
    request's step and done events go (default ``emit``), so painting together keeps each
    job's events apart.
    """
    device, dtype = model.device, model.dtype
    n = len(requests)
    height, width = requests[0].image.shape[:2]
    scale = model.vae_scale_factor
    lat_size = (height // scale, width // scale)
    guided = settings.guidance_scale > 1.0
    generators = [torch.Generator("cpu").manual_seed(int(r.seed)) for r in requests]

    images = images_to_tensor([r.image for r in requests], device, dtype)
    masks = torch.zeros((n, 1, height, width), device=device, dtype=dtype)
    for i, request in enumerate(requests):
        if request.fixed_mask is not None:
            masks[i, 0] = torch.from_numpy(np.asarray(request.fixed_mask, dtype=bool)).to(device, dtype)
    dynamic = [r.fixed_mask is None for r in requests]
    dynamic_idx = [i for i, d in enumerate(dynamic) if d]
    start, stop = settings.dynamic_start, min(settings.dynamic_stop, settings.steps)
    updates = max(0, stop - start)

    scheduler = model.new_scheduler()
    scheduler.set_timesteps(settings.steps, device=device)
    latents = cpu_noise((n, model.latent_channels, *lat_size), generators, device, dtype)
    latents = latents * scheduler.init_noise_sigma
    masked_latents = vae_encode(model, blank_masked_pixels(images, masks), generators, settings.vae_batch)
    mask_small = latent_mask(masks, lat_size)
    reuse = MaskedLatents(
        lambda imgs, rows: vae_encode(model, imgs, None if rows is None else [generators[i] for i in rows], settings.vae_batch),
        images, masks, masked_latents, lambda m: latent_mask(m, lat_size), settings.mask_reencode_fraction,
    )

    prompts = _per_image(prompt, n)
    sinks = list(sinks) if sinks is not None else [emit] * n
    embeddings, token_index, token_keep = _text_rows(prompts, guided, device)
    grid = (height // settings.attention_divisor, width // settings.attention_divisor)
    history: deque[torch.Tensor] = deque(maxlen=max(1, settings.average_steps))
    mask_np = [m[0].bool().cpu().numpy() for m in masks]
    snapshots: list[dict[int, np.ndarray]] = [dict() for _ in requests]
    alphas_cumprod = getattr(scheduler, "alphas_cumprod", None)
    total = len(scheduler.timesteps)
    timesteps_host = scheduler.timesteps.cpu()
    sel = torch.tensor(dynamic_idx, device=device, dtype=torch.long)
    every = settings.mask_history_every
    stale = False

    for step, t in enumerate(scheduler.timesteps):
        if cancel is not None:
            cancel.check()
        capturing = capture is not None and bool(dynamic_idx) and start <= step < stop
        if capture is not None:
            capture.enabled = capturing
            capture.cond_rows = slice(n, 2 * n) if guided else slice(None)
        model_in = torch.cat([latents, latents]) if guided else latents
        model_in = scheduler.scale_model_input(model_in, t)
        extra = torch.cat([mask_small, masked_latents], dim=1)
        model_in = torch.cat([model_in, torch.cat([extra, extra]) if guided else extra], dim=1)
        noise = model.unet(model_in, t, encoder_hidden_states=embeddings, return_dict=False)[0]
        if guided:
            uncond, cond = noise.chunk(2)
            noise = uncond + settings.guidance_scale * (cond - uncond)
        previews = None
        if settings.preview_every and alphas_cumprod is not None and (step % settings.preview_every == 0 or step == total - 1):
            clean = predicted_clean_latents(latents, noise, alphas_cumprod[int(timesteps_host[step])], model.prediction_type)
            previews = latent_preview(clean)
        latents = scheduler.step(noise, t, latents, return_dict=False)[0]

        if capturing:
            maps = capture.collect()
            if maps is None:
                raise RuntimeError("attention capture recorded nothing; is the UNet running its attention processors?")
            if token_keep is None:  # one prompt: the same tokens for every image
                token_maps = maps[:, :, token_index].permute(0, 2, 1).reshape(n, -1, *grid)
            else:  # each image its own tokens, padded with zero maps (the mask sums over tokens)
                picked = torch.gather(maps, 2, token_index[:, None, :].expand(-1, maps.shape[1], -1))
                token_maps = (picked * token_keep[:, None, :]).permute(0, 2, 1).reshape(n, -1, *grid)
            if attention_hook is not None:
                token_maps = attention_hook(step, token_maps)
            history.append(token_maps)
            quantile = quantile_schedule(settings.quantile_start, settings.quantile_end, step - start, updates)
            new_masks = mask_from_attention(list(history), (height, width), quantile).to(dtype)
            masks[sel] = new_masks[sel]
            masked_latents = reuse.update(masks, dynamic_idx, final=step == stop - 1)
            mask_small = latent_mask(masks, lat_size)
            stale = True
        # Masks are copied to the host only every few steps (a copy waits for the GPU queue).
        history_step = bool(every) and step % every == 0
        if stale and (history_step or step == stop - 1 or step == total - 1):
            host = masks[:, 0].bool().cpu().numpy()
            mask_np = [host[i] for i in range(n)]
            stale = False
        if history_step:
            for i in range(n):
                snapshots[i][step] = mask_np[i]
        for i, request in enumerate(requests):
            sinks[i](
                InpaintStep(
                    view=request.view_name,
                    sample=request.sample,
                    step=step + 1,
                    total=total,
                    mask=mask_np[i],
                    preview=None if previews is None else previews[i],
                    round=settings.round,
                )
            )

    if capture is not None:
        capture.enabled = False
    if cancel is not None:
        cancel.check()
    decoded = tensor_to_images(vae_decode(model, latents, settings.vae_batch))
    results = []
    for i, request in enumerate(requests):
        result = InpaintResult(
            view_name=request.view_name,
            sample=request.sample,
            seed=int(request.seed),
            image=decoded[i],
            mask=mask_np[i],
            mask_history=snapshots[i],
            prompt=prompts[i].text,
            token_indices=list(prompts[i].token_indices),
        )
        sinks[i](InpaintDone(view=request.view_name, sample=request.sample, image=decoded[i], mask=mask_np[i], round=settings.round))
        results.append(result)
    return results
