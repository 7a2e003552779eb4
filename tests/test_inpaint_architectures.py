"""Attention capture picks the right layers of the real SD 1.5 / SD 2 inpainting UNets.

The full-size UNets are built on PyTorch's "meta" device (shapes only, no memory, no
weights), from the configurations written out in benchmarks/inpaint_gpu.py.
"""

import importlib.util
from pathlib import Path

import pytest
import torch

from inpaint_fixtures import one_cpu_thread  # noqa: F401
from pipeline.inpaint.attention import AttentionCapture
from pipeline.inpaint.loading import weights_variant

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "inpaint_gpu.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("inpaint_gpu_bench", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def sd15_config(sd2):
    return dict(sd2, attention_head_dim=8, cross_attention_dim=768, use_linear_projection=False)


@pytest.mark.parametrize("family", ["sd2", "sd15"])
def test_capture_layers_are_the_16x16_cross_attentions_at_512px(bench, family):
    from diffusers import UNet2DConditionModel

    config = bench.SD2_INPAINT_UNET if family == "sd2" else sd15_config(bench.SD2_INPAINT_UNET)
    with torch.device("meta"):
        unet = UNet2DConditionModel(**config)
    if family == "sd2":
        assert sum(p.numel() for p in unet.parameters()) == 865_925_124  # SD 2 UNet + 5 extra input channels
    capture = AttentionCapture(unet, latent_scale=32 // 8)
    assert capture.layer_names == [
        "down_blocks.2.attentions.0.transformer_blocks.0.attn2.processor",
        "down_blocks.2.attentions.1.transformer_blocks.0.attn2.processor",
        "up_blocks.1.attentions.0.transformer_blocks.0.attn2.processor",
        "up_blocks.1.attentions.1.transformer_blocks.0.attn2.processor",
        "up_blocks.1.attentions.2.transformer_blocks.0.attn2.processor",
    ]
    with capture, torch.inference_mode():
        capture.enabled, capture.cond_rows = True, slice(1, 2)
        sample = torch.empty(2, 9, 64, 64, device="meta")
        context = torch.empty(2, 77, config["cross_attention_dim"], device="meta")
        out = unet(sample, 10, encoder_hidden_states=context).sample
        shapes = [tuple(m.shape) for m in capture._maps]
    assert tuple(out.shape) == (2, 4, 64, 64)
    assert shapes == [(1, 256, 77)] * 5  # text row only, 16x16 queries


def test_benchmark_text_encoder_and_vae_configs_match_sd2_sizes(bench):
    from diffusers import AutoencoderKL
    from transformers import CLIPTextConfig, CLIPTextModel

    with torch.device("meta"):
        vae = AutoencoderKL(**bench.SD2_VAE)
        text = CLIPTextModel(CLIPTextConfig(**bench.OPENCLIP_H_TEXT))
    assert sum(p.numel() for p in vae.parameters()) == 83_653_863
    assert sum(p.numel() for p in text.parameters()) == 340_387_840


def test_weights_variant_choice(tmp_path):
    both = tmp_path / "both"
    both.mkdir()
    (both / "model.safetensors").write_bytes(b"")
    (both / "model.fp16.safetensors").write_bytes(b"")
    assert weights_variant(both, torch.float16) == "fp16"
    assert weights_variant(both, torch.float32) is None
    half_only = tmp_path / "half"
    half_only.mkdir()
    (half_only / "diffusion_pytorch_model.fp16.safetensors").write_bytes(b"")
    assert weights_variant(half_only, torch.float32) == "fp16"  # loaded and up-cast
