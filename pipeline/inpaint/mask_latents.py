"""The masked-image latents of a dynamic mask, without a VAE encode at every mask update.

The inpainting UNet reads the VAE latent of the image with its masked pixels greyed out. The
paper re-encodes that image whenever the mask changes (every step of the first half), which
costs a VAE encoder pass per image and step. The VAE's latent of a cell depends mostly on the
pixels under it, so a cell whose mask state did not change since the last encode keeps its
encoded value, and a cell that did change takes the latent of the plain image (now unmasked)
or of a grey image (now masked), both encoded once. Only when more than
``reencode_fraction`` of an image's latent cells changed since its last encode is that image
encoded again, and once more when the mask freezes if anything changed, so every step after
the dynamic phase sees exactly the paper's latents. ``reencode_fraction`` 0 re-encodes on
every change; below 0 at every update whether the mask changed or not (the paper's way: each
encode also draws a new posterior sample), the reference of the tests and benchmarks.
"""

from __future__ import annotations

from typing import Callable

import torch

# (images (k, 3, H, W), rows) -> latents; rows None: the posterior mean, no random draw
Encoder = Callable[[torch.Tensor, "list[int] | None"], torch.Tensor]


class MaskedLatents:
    """Keeps ``latents`` (B, C, h, w) in step with the masks of the rows it is asked to update.

    ``encode(images, rows)`` returns the sampled VAE latents of ``images`` for batch rows
    ``rows`` (each row draws from its own generator), or with ``rows`` None the posterior
    means (the composition parts draw nothing, so no image's random stream depends on what
    else is in its batch); ``latent_mask(masks)`` maps pixel masks to the latent grid.
    """

    def __init__(self, encode: Encoder, images: torch.Tensor, masks: torch.Tensor, latents: torch.Tensor,
                 latent_mask: Callable[[torch.Tensor], torch.Tensor], reencode_fraction: float) -> None:
        self._encode = encode
        self._latent_mask = latent_mask
        self.images = images
        self.latents = latents  # what the UNet reads; updated in place
        self.encoded = latents.clone()  # each row's latents at its last real encode
        self.encoded_mask = latent_mask(masks)  # (B, 1, h, w) the mask of that encode
        self.fraction = float(reencode_fraction)
        self._plain: torch.Tensor | None = None  # latents of the unmasked images
        self._grey: torch.Tensor | None = None  # latent of an all-grey image (1, C, h, w)
        self.encodes = 0  # images encoded by updates (benchmarks and tests read it)

    def _parts(self) -> tuple[torch.Tensor, torch.Tensor]:
        if self._plain is None:
            # a dynamic mask starts empty, so most rows' first encode already is the plain image
            empty = (self.encoded_mask.flatten(1).amax(1) == 0).tolist()
            plain = self.encoded.clone()
            redo = [i for i, e in enumerate(empty) if not e]
            if redo:
                plain[redo] = self._encode(self.images[redo], None)
            self._plain = plain
            self._grey = self._encode(torch.zeros_like(self.images[:1]), None)
        return self._plain, self._grey

    def update(self, masks: torch.Tensor, rows: list[int], final: bool = False) -> torch.Tensor:
        """The latents after the masks of ``rows`` changed; ``final``: the masks freeze now."""
        from pipeline.inpaint.masks import blank_masked_pixels

        if not rows:
            return self.latents
        new_small = self._latent_mask(masks)
        changed = (new_small[rows] != self.encoded_mask[rows]).flatten(1).sum(1)
        limit = 0.0 if final or self.fraction <= 0 else self.fraction * new_small[0].numel()
        if self.fraction < 0:
            limit = -1.0
        # one host read per mask update decides which rows the VAE encodes again
        flags = (changed > limit).tolist()
        redo = [r for r, f in zip(rows, flags) if f]
        keep = [r for r, f in zip(rows, flags) if not f]
        if redo:
            self.encodes += len(redo)
            fresh = self._encode(blank_masked_pixels(self.images[redo], masks[redo]), redo)
            self.encoded[redo] = fresh
            self.latents[redo] = fresh
            self.encoded_mask[redo] = new_small[redo]
        if keep:
            plain, grey = self._parts()
            m_new = new_small[keep]
            moved = m_new != self.encoded_mask[keep]
            composed = torch.where(m_new > 0, grey.expand_as(plain[keep]), plain[keep])
            self.latents[keep] = torch.where(moved, composed, self.encoded[keep])
        return self.latents
