"""The dynamic-mask denoising loop on a tiny random model (CPU, 32 px, a few steps)."""

import numpy as np
import pytest
import torch

from inpaint_fixtures import one_cpu_thread, tiny_model, tiny_model_dir  # noqa: F401
from pipeline.core.events import CancelToken, Cancelled, InpaintDone, InpaintStep, Warning as WarningEvent
from pipeline.inpaint import Inpainter, InpaintRequest, InpaintSettingsError, silhouette_mask
from pipeline.inpaint.attention import AttentionCapture, CapturingAttnProcessor
from pipeline.inpaint.testing import TINY_ATTENTION_DIVISOR, TINY_IMAGE_SIZE, tiny_settings, tiny_view

GRID = TINY_IMAGE_SIZE // TINY_ATTENTION_DIVISOR  # 8x8 attention maps
CELL = TINY_ATTENTION_DIVISOR


def blob_maps(n, k, cy, cx, sigma=1.0):
    ys, xs = torch.meshgrid(torch.arange(GRID).float(), torch.arange(GRID).float(), indexing="ij")
    blob = torch.exp(-((ys - cy) ** 2 + (xs - cx) ** 2) / (2 * sigma**2))
    return blob.expand(n, k, GRID, GRID).clone()


def requests(count=3, seed0=10):
    return [InpaintRequest(f"view{i}", tiny_view(i), sample=i % 2, seed=seed0 + i) for i in range(count)]


class CallCounter:
    def __init__(self, monkeypatch, obj, name):
        self.calls = 0
        self.rows = []
        original = getattr(obj, name)

        def wrapped(*args, **kwargs):
            self.calls += 1
            if args and hasattr(args[0], "shape"):
                self.rows.append(args[0].shape[0])
            return original(*args, **kwargs)

        monkeypatch.setattr(obj, name, wrapped)


def test_mask_follows_injected_maps_and_freezes_after_stop(tiny_model):
    hook_steps = []

    def hook(step, maps):  # blob top-left for steps 0-1, bottom-right for steps 2-4
        hook_steps.append(step)
        n, k = maps.shape[:2]
        return blob_maps(n, k, 1.5, 1.5) if step < 2 else blob_maps(n, k, 6.0, 6.0)

    settings = tiny_settings(steps=8, dynamic_stop=5)
    events = []
    (result,) = Inpainter(tiny_model, attention_hook=hook).run(requests(1), settings, emit=events.append)
    assert hook_steps == [0, 1, 2, 3, 4]
    first, final = result.mask_history[0], result.mask
    # step 0 follows the top-left blob, the final mask (maps of steps 2-4) the bottom-right one
    assert first[int(1.5 * CELL) + 2, int(1.5 * CELL) + 2] and not first[-3, -3]
    assert final[int(6 * CELL) + 2, int(6 * CELL) + 2] and not final[2, 2]
    for mask in (first, final):
        assert abs(mask.mean() - 0.3) < 0.01  # the top 30 % of the pixels
    for step in range(5, 8):  # frozen after stop
        assert np.array_equal(result.mask_history[step], final)
    step_masks = [e.mask for e in events if isinstance(e, InpaintStep)]
    assert len(step_masks) == 8 and all(np.array_equal(m, final) for m in step_masks[4:])
    assert not np.array_equal(step_masks[0], final)


def test_real_captured_maps_give_a_quantile_mask(tiny_model):
    (result,) = Inpainter(tiny_model).run(requests(1), tiny_settings())
    assert result.mask.shape == (TINY_IMAGE_SIZE, TINY_IMAGE_SIZE) and result.mask.dtype == bool
    assert abs(result.mask.mean() - 0.3) < 0.02
    assert result.image.shape == (TINY_IMAGE_SIZE, TINY_IMAGE_SIZE, 3) and result.image.dtype == np.uint8
    assert result.token_indices and "person" in result.prompt


def test_same_seed_same_image_other_seed_other_image(tiny_model):
    inpainter = Inpainter(tiny_model)
    a = inpainter.run(requests(1, seed0=5), tiny_settings())[0]
    b = inpainter.run(requests(1, seed0=5), tiny_settings())[0]
    c = inpainter.run(requests(1, seed0=6), tiny_settings())[0]
    assert np.array_equal(a.image, b.image) and np.array_equal(a.mask, b.mask)
    assert np.abs(a.image.astype(int) - c.image.astype(int)).mean() > 1.0


def test_batched_images_equal_images_painted_alone(tiny_model):
    reqs = requests(3)
    inpainter = Inpainter(tiny_model)
    batched = inpainter.run(reqs, tiny_settings(batch_size=3))
    for request, together in zip(reqs, batched):
        (alone,) = inpainter.run([request], tiny_settings(batch_size=1))
        assert together.view_name == alone.view_name == request.view_name
        assert np.abs(together.image.astype(int) - alone.image.astype(int)).max() <= 1
        assert (together.mask == alone.mask).mean() > 0.99


def test_cancel_stops_within_one_step_without_decoding(tiny_model, monkeypatch):
    unet_calls = CallCounter(monkeypatch, tiny_model.unet, "forward")
    decodes = CallCounter(monkeypatch, tiny_model.vae, "decode")
    token = CancelToken()

    def emit(event):
        if isinstance(event, InpaintStep) and event.step == 2:
            token.cancel()

    with pytest.raises(Cancelled):
        Inpainter(tiny_model).run(requests(2), tiny_settings(steps=10), emit=emit, cancel=token)
    assert unet_calls.calls == 2
    assert decodes.calls == 0


def test_cancel_before_start_runs_nothing(tiny_model, monkeypatch):
    unet_calls = CallCounter(monkeypatch, tiny_model.unet, "forward")
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        Inpainter(tiny_model).run(requests(1), tiny_settings(), cancel=token)
    assert unet_calls.calls == 0


def test_round_two_fixed_masks_stay_fixed(tiny_model):
    sil = np.zeros((TINY_IMAGE_SIZE, TINY_IMAGE_SIZE), bool)
    sil[12:20, 14:18] = True
    fixed = silhouette_mask(sil, kernel=3, iterations=2)
    fixed_request = InpaintRequest("view0", tiny_view(0), sample=0, seed=3, fixed_mask=fixed)
    calls = []
    inpainter = Inpainter(tiny_model, attention_hook=lambda step, maps: calls.append(step) or maps)
    (alone,) = inpainter.run([fixed_request], tiny_settings(round=1))
    assert calls == []  # nothing to capture when every mask is fixed
    assert np.array_equal(alone.mask, fixed)
    assert all(np.array_equal(m, fixed) for m in alone.mask_history.values())
    mixed = inpainter.run([fixed_request, requests(1)[0]], tiny_settings(round=1))
    assert np.array_equal(mixed[0].mask, fixed)
    assert np.abs(mixed[0].image.astype(int) - alone.image.astype(int)).max() <= 1
    assert not np.array_equal(mixed[1].mask, fixed) and calls


def test_capture_only_on_coarse_cross_attention_and_unchanged_outputs(tiny_model):
    unet = tiny_model.unet
    before = {name: type(p) for name, p in unet.attn_processors.items()}
    capture = AttentionCapture(unet, latent_scale=2)
    # tiny UNet: the 1/2-scale level is down block 1, the mid block and up block 0
    assert capture.layer_names and all(".attn2." in n for n in capture.layer_names)
    assert all(n.startswith(("down_blocks.1.", "mid_block.", "up_blocks.0.")) for n in capture.layer_names)
    torch.manual_seed(0)
    x = torch.randn(4, 9, 16, 16)
    context = torch.randn(4, 77, 32)
    with torch.inference_mode():
        plain = unet(x, 10, encoder_hidden_states=context).sample
        with capture:
            installed = {n: type(p) for n, p in unet.attn_processors.items()}
            capture.enabled, capture.cond_rows = True, slice(2, 4)
            captured = unet(x, 10, encoder_hidden_states=context).sample
            maps = capture.collect()
    assert sum(t is CapturingAttnProcessor for t in installed.values()) == len(capture.layer_names)
    assert {n: type(p) for n, p in unet.attn_processors.items()} == before  # removed again
    assert torch.allclose(plain, captured, atol=1e-5)
    assert maps.shape == (2, 8 * 8, 77)  # text rows only, queries of the 8x8 grid, 77 tokens
    assert torch.allclose(maps.sum(-1), torch.ones(2, 64), atol=1e-5)


def test_out_of_memory_halves_the_batch_and_keeps_results(tiny_model, monkeypatch):
    reqs = requests(3)
    reference = Inpainter(tiny_model).run(reqs, tiny_settings(batch_size=1))
    forward = tiny_model.unet.forward

    def picky_forward(sample, *args, **kwargs):
        if sample.shape[0] > 2:  # more than one image (two CFG rows) "does not fit"
            raise torch.cuda.OutOfMemoryError("CUDA out of memory (simulated)")
        return forward(sample, *args, **kwargs)

    monkeypatch.setattr(tiny_model.unet, "forward", picky_forward)
    events = []
    results = Inpainter(tiny_model).run(reqs, tiny_settings(batch_size=4), emit=events.append)
    warnings = [e.message for e in events if isinstance(e, WarningEvent)]
    assert warnings == [
        "GPU memory full with 3 images per batch; continuing with 1.",
    ]
    for got, want in zip(results, reference):
        assert np.abs(got.image.astype(int) - want.image.astype(int)).max() <= 1


def test_events_stream_masks_and_previews(tiny_model):
    events = []
    Inpainter(tiny_model).run(requests(2), tiny_settings(steps=4, preview_every=2, round=1), emit=events.append)
    steps = [e for e in events if isinstance(e, InpaintStep) and e.view == "view0"]
    assert [e.step for e in steps] == [1, 2, 3, 4] and all(e.total == 4 and e.round == 1 for e in steps)
    previews = [e.preview for e in steps]
    assert previews[0].shape == (16, 16, 3) and previews[0].dtype == np.uint8
    assert previews[1] is None and previews[2] is not None and previews[3] is not None  # every 2nd + last
    done = [e for e in events if isinstance(e, InpaintDone)]
    assert sorted(e.view for e in done) == ["view0", "view1"]


def test_bad_inputs_give_clear_errors(tiny_model):
    inpainter = Inpainter(tiny_model)
    odd = InpaintRequest("odd", np.zeros((30, 32, 3), np.uint8))
    with pytest.raises(InpaintSettingsError, match="not a multiple"):
        inpainter.run([odd], tiny_settings())
    gray = InpaintRequest("gray", np.zeros((32, 32), np.uint8))
    with pytest.raises(InpaintSettingsError, match="uint8 array"):
        inpainter.run([gray], tiny_settings())
    with pytest.raises(InpaintSettingsError, match="no cross-attention layer"):
        inpainter.run(requests(1), tiny_settings(attention_divisor=16))


def test_fixed_mask_loop_matches_stock_diffusers_pipeline(tiny_model):
    """With a fixed mask our loop is standard 9-channel inpainting: diffusers' own pipeline agrees."""
    from diffusers import StableDiffusionInpaintPipeline
    from PIL import Image

    mask = np.zeros((TINY_IMAGE_SIZE, TINY_IMAGE_SIZE), bool)
    mask[8:24, 10:22] = True
    reqs = [InpaintRequest(f"v{i}", tiny_view(i), seed=20 + i, fixed_mask=mask) for i in range(2)]
    settings = tiny_settings(steps=5)
    inpainter = Inpainter(tiny_model)
    ours = inpainter.run(reqs, settings)
    prompt = inpainter.prepare_prompt(settings)
    pipe = StableDiffusionInpaintPipeline(
        vae=tiny_model.vae, text_encoder=tiny_model.text_encoder, tokenizer=tiny_model.tokenizer,
        unet=tiny_model.unet, scheduler=tiny_model.new_scheduler(), safety_checker=None,
        feature_extractor=None, requires_safety_checker=False,
    )
    pipe.set_progress_bar_config(disable=True)
    stock = pipe(
        prompt=[prompt.text] * 2,
        negative_prompt=[prompt.negative] * 2,
        image=[Image.fromarray(r.image) for r in reqs],
        mask_image=[Image.fromarray(mask.astype(np.uint8) * 255)] * 2,
        height=TINY_IMAGE_SIZE,
        width=TINY_IMAGE_SIZE,
        num_inference_steps=settings.steps,
        guidance_scale=settings.guidance_scale,
        generator=[torch.Generator("cpu").manual_seed(r.seed) for r in reqs],
        output_type="np",
    ).images
    for mine, theirs in zip(ours, stock):
        theirs_u8 = np.round(theirs * 255).astype(int)
        assert np.abs(mine.image.astype(int) - theirs_u8).max() <= 1  # measured: identical


def test_overlong_prompt_is_reported(tiny_model):
    events = []
    long_prompt = "a person " + "sitting on the sofa " * 20
    settings = tiny_settings(prompt=long_prompt, steps=1, global_negatives=[])
    Inpainter(tiny_model).run(requests(1), settings, emit=events.append)
    warnings = [e.message for e in events if isinstance(e, WarningEvent)]
    assert len(warnings) == 1 and "prompt is longer than 77 tokens" in warnings[0]
    events.clear()
    Inpainter(tiny_model).run(requests(1), tiny_settings(steps=1, global_negatives=["blurry"]), emit=events.append)
    assert not [e for e in events if isinstance(e, WarningEvent)]


def test_masks_reach_the_host_every_few_steps_and_when_frozen(tiny_model):
    events = []
    settings = tiny_settings(steps=8, dynamic_stop=4, mask_history_every=5, preview_every=0)
    (result,) = Inpainter(tiny_model).run(requests(1), settings, emit=None)
    assert sorted(result.mask_history) == [0, 5]
    Inpainter(tiny_model).run(requests(1), settings, emit=events.append)
    masks = [e.mask for e in events if isinstance(e, InpaintStep)]
    assert all(e.preview is None for e in events if isinstance(e, InpaintStep))
    # refreshed after step 0 (snapshot step) and step 3 (last dynamic step), unchanged in between
    assert all(m is masks[0] for m in masks[:3])
    assert all(m is masks[3] for m in masks[3:])
    assert np.array_equal(masks[-1], result.mask) and abs(result.mask.mean() - 0.3) < 0.02
