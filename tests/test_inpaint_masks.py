"""Mask arithmetic of the dynamic mask and the round-2 silhouette mask (no model needed)."""

import numpy as np
import pytest
import torch

from pipeline.inpaint.masks import (
    blank_masked_pixels,
    box_blur3,
    combine_token_maps,
    latent_mask,
    linear_quantile,
    mask_from_attention,
    quantile_mask,
    quantile_schedule,
    silhouette_mask,
)


def gaussian_blob(h, w, cy, cx, sigma):
    ys, xs = torch.meshgrid(torch.arange(h).float(), torch.arange(w).float(), indexing="ij")
    return torch.exp(-((ys - cy) ** 2 + (xs - cx) ** 2) / (2 * sigma**2))


def test_mask_covers_injected_blob_and_has_quantile_area():
    blob = gaussian_blob(16, 16, 4.0, 11.0, 2.5)  # off-centre blob on a 16x16 attention grid
    maps = (0.01 * torch.rand(1, 2, 16, 16) + blob[None, None]).repeat(1, 1, 1, 1)
    mask = mask_from_attention([maps, maps, maps], (512, 512), quantile=0.7)
    assert mask.shape == (1, 1, 512, 512)
    area = mask.mean().item()
    assert abs(area - 0.3) < 0.002  # top 30 % of the pixels
    # the blob peak (grid cell (4, 11) -> pixel centre (4.5*32, 11.5*32)) is inside, the far corner is not
    assert mask[0, 0, int(4.5 * 32), int(11.5 * 32)] == 1
    assert mask[0, 0, 500, 10] == 0
    # the mask's centre of mass sits on the blob
    ys, xs = torch.nonzero(mask[0, 0], as_tuple=True)
    assert abs(ys.float().mean().item() / 32 - 4.5) < 1.0
    assert abs(xs.float().mean().item() / 32 - 11.5) < 1.0


@pytest.mark.parametrize("q", [0.5, 0.7, 0.9])
def test_mask_area_follows_the_quantile(q):
    torch.manual_seed(0)
    maps = torch.rand(3, 1, 16, 16)
    mask = mask_from_attention([maps], (256, 256), quantile=q)
    areas = mask.flatten(1).mean(1)
    assert torch.allclose(areas, torch.full((3,), 1 - q), atol=0.01)


def test_history_is_averaged_over_steps_and_summed_over_tokens():
    a = torch.zeros(1, 2, 4, 4)
    a[0, 0, 0, 0] = 3.0
    b = torch.zeros(1, 2, 4, 4)
    b[0, 1, 3, 3] = 6.0
    combined = combine_token_maps([a, b])
    assert combined.shape == (1, 1, 4, 4)
    assert combined[0, 0, 0, 0] == pytest.approx(1.5)
    assert combined[0, 0, 3, 3] == pytest.approx(3.0)
    assert combined.sum() == pytest.approx(4.5)


def test_box_blur_is_a_zero_padded_3x3_mean():
    x = torch.zeros(1, 1, 5, 5)
    x[0, 0, 2, 2] = 9.0
    y = box_blur3(x)
    assert torch.allclose(y[0, 0, 1:4, 1:4], torch.ones(3, 3))
    assert y.sum() == pytest.approx(9.0)
    corner = box_blur3(torch.ones(1, 1, 4, 4))[0, 0, 0, 0]
    assert corner == pytest.approx(4 / 9)  # zero padding darkens borders


def test_quantile_uses_linear_interpolation():
    values = torch.arange(10.0).view(1, 1, 1, 10)  # 0.7-quantile by linear interpolation = 6.3
    assert quantile_mask(values, 0.7).flatten().tolist() == [0] * 7 + [1] * 3
    values = torch.arange(11.0).view(1, 1, 1, 11)  # quantile = 7.0 exactly: strictly above it
    assert quantile_mask(values, 0.7).sum() == 3


@pytest.mark.parametrize("q", [0.0, 0.3, 0.7, 0.95, 1.0])
def test_sorted_quantile_equals_torch_quantile(q):
    torch.manual_seed(1)
    flat = torch.randn(4, 1001)
    assert torch.allclose(linear_quantile(flat, q), torch.quantile(flat, q, dim=1, interpolation="linear"))


def test_quantile_schedule_cosine_ramp():
    assert quantile_schedule(0.7, 0.7, 5, 25) == 0.7
    assert quantile_schedule(0.6, 0.8, 0, 11) == pytest.approx(0.6)
    assert quantile_schedule(0.6, 0.8, 10, 11) == pytest.approx(0.8)
    assert quantile_schedule(0.6, 0.8, 5, 11) == pytest.approx(0.7)


def test_latent_mask_is_nearest_and_blanking_zeroes_masked_pixels():
    mask = torch.zeros(1, 1, 16, 16)
    mask[..., 0:8, 8:16] = 1
    mask[..., 9, 1] = 1  # a pixel that nearest-neighbour sampling (pixels 0 and 8) never reads
    small = latent_mask(mask, (2, 2))
    assert small.flatten().tolist() == [0, 1, 0, 0]
    image = torch.full((1, 3, 16, 16), 0.8)
    blanked = blank_masked_pixels(image, mask)
    assert (blanked[:, :, 0:8, 8:16] == 0).all() and (blanked[:, :, 10:] == 0.8).all()


def test_silhouette_mask_grows_by_40_pixels_with_defaults():
    sil = np.zeros((200, 200), bool)
    sil[90:110, 95:105] = True
    grown = silhouette_mask(sil)
    rows = np.flatnonzero(grown.any(1))
    cols = np.flatnonzero(grown.any(0))
    assert rows[0] == 50 and rows[-1] == 149  # 40 px above and below
    assert cols[0] == 55 and cols[-1] == 144
    assert grown[sil].all()
    assert silhouette_mask(sil, kernel=11, iterations=0).sum() == sil.sum()


def test_silhouette_mask_accepts_alpha_images():
    alpha = np.zeros((64, 64), np.uint8)
    alpha[30:34, 30:34] = 255
    alpha[0, 0] = 100  # below 0.5: not body
    mask = silhouette_mask(alpha, kernel=3, iterations=2)
    assert mask[28, 28] and mask[35, 35] and not mask[0, 0] and not mask[27, 27]
    rgba = np.zeros((64, 64, 4), np.float32)
    rgba[10:12, 10:12, 3] = 1.0
    assert silhouette_mask(rgba, kernel=3, iterations=1).sum() == 16
