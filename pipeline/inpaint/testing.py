"""Tiny random Stable-Diffusion-inpainting models for tests (no download, a few MB, CPU-fast).

Other stages' tests (end-to-end generation, GUI) use this to get a real, loadable model
folder in well under a second::

    from pipeline.inpaint.testing import build_tiny_components, tiny_settings, tiny_view
    folder = build_tiny_components(tmp_path / "tiny-sd")        # a diffusers folder
    model = load_inpaint_model(folder, device="cpu")
    requests = [InpaintRequest("v0", tiny_view(0), seed=1)]     # 32 px views
    results = Inpainter(model).run(requests, tiny_settings())

The model has the real architecture family (9-channel UNet with cross-attention, KL VAE,
CLIP text encoder, CLIP BPE tokenizer, DDIM-style scheduler config converted to
DPM-Solver++ at load time) at toy sizes: VAE factor 2, UNet grids at 1 and 1/2 of the
latent, so with 32 px images the attention maps are 8x8 (``attention_divisor=4``).
The images it paints are noise: tests check mechanics, not pictures.
:func:`write_single_file_checkpoint` writes the same weights in the original (LDM)
single-file layout, which diffusers' ``from_single_file`` reads with ``config=<folder>``.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

TINY_IMAGE_SIZE = 32
TINY_ATTENTION_DIVISOR = 4

# Words the tiny tokenizer knows as whole tokens; anything else is spelled out letter by letter.
TINY_WORDS = (
    "a an the of on in at with and photo picture person people man men woman women child children kid kids "
    "boy boys girl girls lady ladies gentleman human humans someone sitting standing reading book sofa chair "
    "stool lying bed table holding cup cat dog blurry bad anatomy lowres deformed extra limbs text watermark "
    "cropped worst quality ugly realistic high detailed"
).split()

#: The noise schedule of stable-diffusion-2-inpainting's scheduler_config.json (also used by
#: the GPU benchmark's full-size random model).
SD2_SCHEDULER = dict(
    num_train_timesteps=1000,
    beta_start=0.00085,
    beta_end=0.012,
    beta_schedule="scaled_linear",
    clip_sample=False,
    set_alpha_to_one=False,
    steps_offset=1,
    prediction_type="epsilon",
)


def write_tiny_tokenizer(folder: str | Path, words=TINY_WORDS) -> Path:
    """Write a small CLIP BPE tokenizer to ``folder/tokenizer`` (whole-word tokens for ``words``)."""
    folder = Path(folder)
    _write_tokenizer(folder, words)
    return folder / "tokenizer"


def _write_tokenizer(folder: Path, words=TINY_WORDS) -> None:
    from transformers import CLIPTokenizer

    chars = [chr(c) for c in range(ord("a"), ord("z") + 1)] + list(",.'-!?0123456789")
    vocab: dict[str, int] = {}

    def add(token: str) -> None:
        vocab.setdefault(token, len(vocab))

    for c in chars:
        add(c)
    for c in chars:
        add(c + "</w>")
    merges: list[str] = []
    for word in words:  # a chain of merges that builds each word left to right
        pieces = list(word[:-1]) + [word[-1] + "</w>"]
        current = pieces[0]
        for piece in pieces[1:]:
            merge = f"{current} {piece}"
            if merge not in merges:
                merges.append(merge)
            current += piece
            add(current)
    add("<|startoftext|>")
    add("<|endoftext|>")
    raw = folder / "_raw_tokenizer"
    raw.mkdir(parents=True, exist_ok=True)
    (raw / "vocab.json").write_text(json.dumps(vocab))
    (raw / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges) + "\n")
    tokenizer = CLIPTokenizer(str(raw / "vocab.json"), str(raw / "merges.txt"), model_max_length=77)
    tokenizer.save_pretrained(str(folder / "tokenizer"))
    for f in raw.iterdir():
        f.unlink()
    raw.rmdir()


def tiny_components(folder_for_tokenizer: Path, in_channels: int = 9, seed: int = 0) -> dict:
    """Random tiny UNet, VAE, text encoder, tokenizer and scheduler (not saved except the tokenizer)."""
    from diffusers import AutoencoderKL, DDIMScheduler, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    _write_tokenizer(folder_for_tokenizer)
    tokenizer = CLIPTokenizer.from_pretrained(str(folder_for_tokenizer / "tokenizer"))
    torch.manual_seed(seed)
    unet = UNet2DConditionModel(
        sample_size=TINY_IMAGE_SIZE // 2,
        in_channels=in_channels,
        out_channels=4,
        layers_per_block=1,
        block_out_channels=(32, 64),
        down_block_types=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
        cross_attention_dim=32,
        attention_head_dim=(2, 4),
        use_linear_projection=True,
        norm_num_groups=8,
    )
    vae = AutoencoderKL(
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D", "DownEncoderBlock2D"),
        up_block_types=("UpDecoderBlock2D", "UpDecoderBlock2D"),
        block_out_channels=(16, 32),
        layers_per_block=1,
        latent_channels=4,
        norm_num_groups=8,
        sample_size=TINY_IMAGE_SIZE,
    )
    text_config = CLIPTextConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=37,
        num_attention_heads=4,
        num_hidden_layers=2,
        max_position_embeddings=77,
        projection_dim=32,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        hidden_act="gelu",
    )
    text_encoder = CLIPTextModel(text_config)
    scheduler = DDIMScheduler(**SD2_SCHEDULER)
    return dict(unet=unet, vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, scheduler=scheduler)


def build_tiny_components(folder: str | Path, *, in_channels: int = 9, seed: int = 0) -> Path:
    """Write a tiny random inpainting model as a diffusers folder and return its path.

    ``in_channels=4`` makes a plain (non-inpainting) model, for the error-path tests.
    Takes well under a second and about 1 MB on disk.
    """
    from diffusers import StableDiffusionInpaintPipeline

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    parts = tiny_components(folder, in_channels=in_channels, seed=seed)
    pipe = StableDiffusionInpaintPipeline(
        **parts, safety_checker=None, feature_extractor=None, requires_safety_checker=False
    )
    pipe.save_pretrained(str(folder))
    return folder


# --- single-file (original LDM layout) writer ---------------------------------------------


def _unet_to_ldm(state: dict, layers_per_block: int, n_blocks: int) -> dict:
    """Rename diffusers UNet keys to the original LDM names (inverse of diffusers' converter)."""
    renames = {
        "time_embedding.linear_1": "time_embed.0",
        "time_embedding.linear_2": "time_embed.2",
        "conv_in": "input_blocks.0.0",
        "conv_norm_out": "out.0",
        "conv_out": "out.2",
    }
    resnet_parts = {
        "norm1": "in_layers.0",
        "conv1": "in_layers.2",
        "norm2": "out_layers.0",
        "conv2": "out_layers.3",
        "time_emb_proj": "emb_layers.1",
        "conv_shortcut": "skip_connection",
    }
    out = {}
    for key, value in state.items():
        parts = key.split(".")
        head = ".".join(parts[:2])
        if head in renames:
            new = renames[head] + "." + ".".join(parts[2:])
        elif parts[0] in renames:
            new = renames[parts[0]] + "." + ".".join(parts[1:])
        elif parts[0] == "down_blocks":
            block, kind = int(parts[1]), parts[2]
            if kind == "downsamplers":  # down_blocks.i.downsamplers.0.conv.* -> input_blocks.k.0.op.*
                index = (block + 1) * (layers_per_block + 1)
                new = f"input_blocks.{index}.0.op." + ".".join(parts[5:])
            else:
                layer = int(parts[3])
                index = block * (layers_per_block + 1) + layer + 1
                slot = 0 if kind == "resnets" else 1
                rest = parts[4:]
                if kind == "resnets":
                    rest = [resnet_parts.get(rest[0], rest[0])] + rest[1:] if rest[0] in resnet_parts else rest
                new = f"input_blocks.{index}.{slot}." + ".".join(rest)
        elif parts[0] == "mid_block":
            kind, layer = parts[1], int(parts[2])
            index = 1 if kind == "attentions" else 2 * layer
            rest = parts[3:]
            if kind == "resnets" and rest[0] in resnet_parts:
                rest = [resnet_parts[rest[0]]] + rest[1:]
            new = f"middle_block.{index}." + ".".join(rest)
        elif parts[0] == "up_blocks":
            block, kind = int(parts[1]), parts[2]
            last = block * (layers_per_block + 1) + layers_per_block
            if kind == "upsamplers":  # after the resnet (slot 1) or resnet+attention (slot 2)
                has_attention = any(k.startswith(f"up_blocks.{block}.attentions.") for k in state)
                new = f"output_blocks.{last}.{2 if has_attention else 1}.conv." + ".".join(parts[5:])
            else:
                layer = int(parts[3])
                index = block * (layers_per_block + 1) + layer
                slot = 0 if kind == "resnets" else 1
                rest = parts[4:]
                if kind == "resnets" and rest[0] in resnet_parts:
                    rest = [resnet_parts[rest[0]]] + rest[1:]
                new = f"output_blocks.{index}.{slot}." + ".".join(rest)
        else:
            raise ValueError(f"unexpected UNet key {key}")
        out["model.diffusion_model." + new] = value
    return out


def _vae_to_ldm(state: dict, n_blocks: int) -> dict:
    """Rename diffusers VAE keys to the original LDM names; attention projections become 1x1 convs."""
    attention = {"group_norm": "norm", "to_q": "q", "to_k": "k", "to_v": "v", "to_out": "proj_out"}
    out = {}
    for key, value in state.items():
        parts = key.split(".")
        side = parts[0]
        if side in ("quant_conv", "post_quant_conv"):
            new = key
        elif parts[1] == "conv_norm_out":
            new = f"{side}.norm_out." + ".".join(parts[2:])
        elif parts[1] in ("conv_in", "conv_out"):
            new = key
        elif parts[1] in ("down_blocks", "up_blocks"):
            block = int(parts[2])
            ldm_block = block if side == "encoder" else n_blocks - 1 - block
            stage = "down" if side == "encoder" else "up"
            if parts[3] in ("downsamplers", "upsamplers"):
                new = f"{side}.{stage}.{ldm_block}.{'downsample' if side == 'encoder' else 'upsample'}.conv." + ".".join(parts[6:])
            else:
                rest = [p.replace("conv_shortcut", "nin_shortcut") for p in parts[5:]]
                new = f"{side}.{stage}.{ldm_block}.block.{parts[4]}." + ".".join(rest)
        elif parts[1] == "mid_block":
            if parts[2] == "resnets":
                rest = [p.replace("conv_shortcut", "nin_shortcut") for p in parts[4:]]
                new = f"{side}.mid.block_{int(parts[3]) + 1}." + ".".join(rest)
            else:
                name = attention[parts[4]]
                new = f"{side}.mid.attn_1.{name}.{parts[-1]}"
                if name != "norm" and value.ndim == 2:
                    value = value[:, :, None, None]
        else:
            raise ValueError(f"unexpected VAE key {key}")
        out["first_stage_model." + new] = value
    return out


def write_single_file_checkpoint(folder: str | Path, out_path: str | Path) -> Path:
    """Write the model in ``folder`` as one original-layout ``.safetensors`` file (SD 1.x style text encoder).

    Real single-file checkpoints are laid out like this; diffusers cannot guess a tiny
    model's architecture from one, so load it back with ``config=folder``.
    """
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from safetensors.torch import save_file
    from transformers import CLIPTextModel

    folder = Path(folder)
    unet = UNet2DConditionModel.from_pretrained(folder, subfolder="unet")
    vae = AutoencoderKL.from_pretrained(folder, subfolder="vae")
    text_encoder = CLIPTextModel.from_pretrained(folder, subfolder="text_encoder")
    state = {}
    state.update(_unet_to_ldm(unet.state_dict(), unet.config.layers_per_block, len(unet.config.block_out_channels)))
    state.update(_vae_to_ldm(vae.state_dict(), len(vae.config.block_out_channels)))
    for key, value in text_encoder.state_dict().items():
        key = key if key.startswith("text_model.") else "text_model." + key
        state["cond_stage_model.transformer." + key] = value
    out_path = Path(out_path)
    save_file({k: v.contiguous() for k, v in state.items()}, str(out_path))
    return out_path


def tiny_settings(**overrides):
    """Settings sized for the tiny model and 32 px images: 4 steps, mask rebuilt after steps 0-1."""
    from pipeline.inpaint.schema import InpaintSettings

    values = dict(
        prompt="a person sitting on the sofa",
        steps=4,
        dynamic_start=0,
        dynamic_stop=2,
        attention_divisor=TINY_ATTENTION_DIVISOR,
        preview_every=2,
        mask_history_every=1,
        batch_size=4,
        global_negatives=["blurry", "lowres", "watermark"],  # the tiny vocabulary spells long lists out
    )
    values.update(overrides)
    return InpaintSettings(**values)


def tiny_view(seed: int = 0, size: int = TINY_IMAGE_SIZE):
    """A random-but-smooth uint8 test view (H, W, 3)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, size=(4, 4, 3)).astype(np.float32)
    image = np.kron(coarse, np.ones((size // 4, size // 4, 1), np.float32))
    return image.clip(0, 255).astype(np.uint8)
