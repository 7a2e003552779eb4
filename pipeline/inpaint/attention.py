"""Capturing cross-attention maps on the coarse layers only, for GenZI's dynamic mask.

GenZI reads where the model "puts" the person from the cross-attention between image
queries and prompt tokens at one coarse grid (16x16 for a 512 px image, i.e. 1/32 of the
image side). Only those layers get :class:`CapturingAttnProcessor`; every other attention
layer keeps diffusers' fused scaled-dot-product kernel, so the extra cost is a few small
(queries x 77) softmaxes per step. The processor keeps only the text-conditioned rows of
the classifier-free-guidance batch, averaged over heads; :meth:`AttentionCapture.collect`
averages them over the layers.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from pipeline.inpaint.errors import InpaintSettingsError


def block_scales(unet) -> dict[str, int]:
    """Latent downscale factor of every down/mid/up block, by module-name prefix."""
    scales: dict[str, int] = {}
    factor = 1
    for index, block in enumerate(unet.down_blocks):
        scales[f"down_blocks.{index}."] = factor
        if getattr(block, "downsamplers", None) is not None:
            factor *= 2
    scales["mid_block."] = factor
    for index, block in enumerate(unet.up_blocks):
        scales[f"up_blocks.{index}."] = factor
        if getattr(block, "upsamplers", None) is not None:
            factor //= 2
    return scales


def cross_attention_layers(unet, latent_scale: int) -> list[str]:
    """Processor names of the cross-attention layers working at ``latent_scale``."""
    scales = block_scales(unet)
    names = []
    for name in unet.attn_processors:
        module = unet.get_submodule(name.removesuffix(".processor"))
        if not getattr(module, "is_cross_attention", False):
            continue
        prefix = next((p for p in scales if name.startswith(p)), None)
        if prefix is not None and scales[prefix] == latent_scale:
            names.append(name)
    return names


class AttentionCapture:
    """Installs capturing processors on the chosen layers and gathers their maps per UNet call."""

    def __init__(self, unet, latent_scale: int):
        self.unet = unet
        self.latent_scale = latent_scale
        self.layer_names = cross_attention_layers(unet, latent_scale)
        if not self.layer_names:
            available = sorted({s for s in block_scales(unet).values()})
            raise InpaintSettingsError(
                f"The UNet has no cross-attention layer at latent scale 1/{latent_scale}; "
                f"scales with layers: {available}. Change attention_divisor accordingly."
            )
        self.enabled = False
        self.cond_rows: slice = slice(None)
        self._maps: list[torch.Tensor] = []
        self._original: dict | None = None

    def install(self) -> "AttentionCapture":
        if self._original is None:
            self._original = dict(self.unet.attn_processors)
            processors = dict(self._original)
            for name in self.layer_names:
                processors[name] = CapturingAttnProcessor(self, fallback=self._original[name])
            self.unet.set_attn_processor(processors)
        return self

    def remove(self) -> None:
        if self._original is not None:
            self.unet.set_attn_processor(self._original)
            self._original = None
        self._maps.clear()

    def __enter__(self) -> "AttentionCapture":
        return self.install()

    def __exit__(self, *exc) -> None:
        self.remove()

    def add(self, probs: torch.Tensor) -> None:
        self._maps.append(probs)

    def collect(self) -> torch.Tensor | None:
        """(images, queries, tokens) float32 maps averaged over the captured layers; clears the store."""
        if not self._maps:
            return None
        maps = torch.stack([m.float() for m in self._maps]).mean(0)
        self._maps.clear()
        return maps


class CapturingAttnProcessor:
    """Attention that also records head-averaged softmax probabilities of the text-conditioned rows."""

    def __init__(self, capture: AttentionCapture, fallback):
        self.capture = capture
        self.fallback = fallback

    def __call__(self, attn, hidden_states, encoder_hidden_states=None, attention_mask=None, temb=None, *args, **kwargs):
        if not self.capture.enabled:
            return self.fallback(attn, hidden_states, encoder_hidden_states, attention_mask, temb, *args, **kwargs)
        residual = hidden_states
        if attn.spatial_norm is not None:
            hidden_states = attn.spatial_norm(hidden_states, temb)
        input_ndim = hidden_states.ndim
        if input_ndim == 4:
            batch, channels, height, width = hidden_states.shape
            hidden_states = hidden_states.view(batch, channels, height * width).transpose(1, 2)
        batch = hidden_states.shape[0]
        if attn.group_norm is not None:
            hidden_states = attn.group_norm(hidden_states.transpose(1, 2)).transpose(1, 2)
        query = attn.to_q(hidden_states)
        context = hidden_states if encoder_hidden_states is None else encoder_hidden_states
        if encoder_hidden_states is not None and attn.norm_cross:
            context = attn.norm_encoder_hidden_states(context)
        key = attn.to_k(context)
        value = attn.to_v(context)
        head_dim = key.shape[-1] // attn.heads
        query = query.view(batch, -1, attn.heads, head_dim).transpose(1, 2)
        key = key.view(batch, -1, attn.heads, head_dim).transpose(1, 2)
        value = value.view(batch, -1, attn.heads, head_dim).transpose(1, 2)
        if attn.norm_q is not None:
            query = attn.norm_q(query)
        if attn.norm_k is not None:
            key = attn.norm_k(key)
        scores = torch.matmul(query.float(), key.float().transpose(-1, -2)) * (head_dim**-0.5)
        if attention_mask is not None:
            mask = attn.prepare_attention_mask(attention_mask, key.shape[2], batch)
            scores = scores + mask.view(batch, attn.heads, -1, mask.shape[-1]).float()
        probs = F.softmax(scores, dim=-1)
        self.capture.add(probs[self.capture.cond_rows].mean(dim=1))
        hidden_states = torch.matmul(probs.to(value.dtype), value)
        hidden_states = hidden_states.transpose(1, 2).reshape(batch, -1, attn.heads * head_dim)
        hidden_states = attn.to_out[0](hidden_states)
        hidden_states = attn.to_out[1](hidden_states)
        if input_ndim == 4:
            hidden_states = hidden_states.transpose(-1, -2).reshape(batch, channels, height, width)
        if attn.residual_connection:
            hidden_states = hidden_states + residual
        return hidden_states / attn.rescale_output_factor
