"""Loading inpainting models: diffusers folder, single file, and the clear errors."""

import numpy as np
import pytest
import torch

from inpaint_fixtures import one_cpu_thread, tiny_model, tiny_model_dir  # noqa: F401
from pipeline.inpaint import (
    Inpainter,
    InpaintRequest,
    ModelNotFoundError,
    ModelOfflineError,
    ModelSpec,
    NotAnInpaintingModelError,
    load_inpaint_model,
)
from pipeline.core.device import pick_device, pick_dtype
from pipeline.inpaint.download import DownloadProgress, choose_files, progress_bar_class
from pipeline.inpaint.testing import build_tiny_components, tiny_settings, tiny_view, write_single_file_checkpoint


def paint(model, seed=7):
    return Inpainter(model).run([InpaintRequest("v", tiny_view(1), seed=seed)], tiny_settings())[0]


def test_folder_load_gives_dpm_solver_pp_and_the_saved_weights(tiny_model_dir, tiny_model):
    from diffusers import DPMSolverMultistepScheduler

    model = ModelSpec(tiny_model_dir, device="cpu", dtype="fp32").load()
    assert isinstance(model.scheduler, DPMSolverMultistepScheduler)
    assert model.scheduler.config.algorithm_type == "dpmsolver++"
    assert model.unet.config.in_channels == 9 and model.vae_scale_factor == 2
    assert model.device.type == "cpu" and model.dtype == torch.float32
    assert np.array_equal(paint(model).image, paint(tiny_model).image)


def test_single_file_round_trip_with_explicit_config(tmp_path, tiny_model_dir, tiny_model):
    checkpoint = write_single_file_checkpoint(tiny_model_dir, tmp_path / "tiny-inpainting.safetensors")
    model = load_inpaint_model(checkpoint, device="cpu", config=tiny_model_dir, local_files_only=True)
    for name in ("unet", "vae", "text_encoder"):
        ours, theirs = getattr(model, name).state_dict(), getattr(tiny_model, name).state_dict()
        assert ours.keys() == theirs.keys()
        assert all(torch.equal(ours[k], theirs[k]) for k in ours), name
    assert np.array_equal(paint(model).image, paint(tiny_model).image)


def test_not_an_inpainting_model_is_refused(tmp_path):
    plain = build_tiny_components(tmp_path / "plain", in_channels=4)
    with pytest.raises(NotAnInpaintingModelError, match="not an inpainting model.*4 input channels"):
        load_inpaint_model(plain, device="cpu")
    checkpoint = write_single_file_checkpoint(plain, tmp_path / "plain.safetensors")
    with pytest.raises(NotAnInpaintingModelError, match="not an inpainting model"):
        load_inpaint_model(checkpoint, device="cpu", config=plain, local_files_only=True)


def test_wrong_paths_give_model_not_found(tmp_path):
    with pytest.raises(ModelNotFoundError, match="No such model file or folder"):
        load_inpaint_model(tmp_path / "missing-folder", device="cpu")
    with pytest.raises(ModelNotFoundError, match="No such model file or folder"):
        load_inpaint_model("models/sd2-inpainting.safetensors", device="cpu")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelNotFoundError, match="not a diffusers model folder"):
        load_inpaint_model(tmp_path / "empty", device="cpu")
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(ModelNotFoundError, match="unsupported checkpoint type"):
        load_inpaint_model(text, device="cpu")


def test_offline_without_cached_copy_says_what_to_do(tmp_path):
    with pytest.raises(ModelOfflineError, match="not in the local cache.*Connect to the internet"):
        load_inpaint_model("stabilityai/stable-diffusion-2-inpainting", device="cpu", local_files_only=True,
                           cache_dir=str(tmp_path / "empty-cache"))


UNPICKLED = []


def _run_on_unpickle():
    UNPICKLED.append(True)
    return torch.zeros(1)


class CodeOnLoad:
    """Unpickling this calls a function: what a malicious .ckpt would do."""

    def __reduce__(self):
        return (_run_on_unpickle, ())


def test_pickled_checkpoint_is_never_unpickled(tmp_path):
    bad = tmp_path / "evil.ckpt"
    torch.save({"state_dict": {"x": CodeOnLoad()}}, bad)
    with pytest.raises(ModelNotFoundError, match="never executed"):
        load_inpaint_model(bad, device="cpu")
    assert UNPICKLED == []


def test_weights_only_ckpt_is_checked_for_inpainting_channels(tmp_path):
    ckpt = tmp_path / "plain.ckpt"
    torch.save({"state_dict": {"model.diffusion_model.input_blocks.0.0.weight": torch.zeros(32, 4, 3, 3)}}, ckpt)
    with pytest.raises(NotAnInpaintingModelError, match="4 input channels"):
        load_inpaint_model(ckpt, device="cpu")


def test_download_file_choice_prefers_safetensors_and_the_wanted_variant():
    repo = [
        "model_index.json", "scheduler/scheduler_config.json", "tokenizer/vocab.json", "tokenizer/merges.txt",
        "unet/config.json", "unet/diffusion_pytorch_model.bin", "unet/diffusion_pytorch_model.safetensors",
        "unet/diffusion_pytorch_model.fp16.safetensors", "vae/config.json", "vae/diffusion_pytorch_model.bin",
        "text_encoder/config.json", "text_encoder/model.safetensors", "text_encoder/model.fp16.safetensors",
        "safety_checker/model.safetensors", "512-inpainting-ema.ckpt",
    ]
    half = choose_files(repo, want_fp16=True)
    assert "unet/diffusion_pytorch_model.fp16.safetensors" in half
    assert "unet/diffusion_pytorch_model.safetensors" not in half
    assert "vae/diffusion_pytorch_model.bin" in half  # the only VAE weights there are
    assert "text_encoder/model.fp16.safetensors" in half and "tokenizer/merges.txt" in half
    assert not any(f.startswith("safety_checker") or f.endswith(".ckpt") for f in half)
    full = choose_files(repo, want_fp16=False)
    assert "unet/diffusion_pytorch_model.safetensors" in full and "text_encoder/model.safetensors" in full
    with pytest.raises(ModelNotFoundError, match="no weights for 'vae'"):
        choose_files([f for f in repo if not f.startswith("vae/")], want_fp16=True)


def test_download_progress_reaches_the_callback():
    seen = []
    bar = progress_bar_class(seen.append)(total=100, unit="B", desc="Downloading bytes")
    bar.update(40)
    bar.update(60)
    bar.close()
    assert [(p.done, p.total) for p in seen] == [(40, 100), (100, 100)]
    assert isinstance(seen[0], DownloadProgress) and seen[0].description == "Downloading bytes"
    files_bar = progress_bar_class(seen.append)(total=5, desc="Fetching 5 files")
    files_bar.update(1)
    assert len(seen) == 2  # only byte counts are reported


def test_device_and_precision_choice():
    assert pick_device("cpu").type == "cpu"
    assert pick_dtype(None, torch.device("cpu")) == torch.float32
    assert pick_dtype("auto", torch.device("cuda")) == torch.float16
    assert pick_dtype("bf16", torch.device("cpu")) == torch.bfloat16
    with pytest.raises(ValueError, match="fp16 is not supported on the CPU"):
        pick_dtype("fp16", torch.device("cpu"))
    with pytest.raises(ValueError, match="Unknown precision"):
        pick_dtype("int8", torch.device("cpu"))
    if not torch.cuda.is_available():
        assert pick_device("auto").type in ("cpu", "mps")
        with pytest.raises(RuntimeError, match="no CUDA GPU"):
            pick_device("cuda")


class FakeHub:
    """Stands in for the hub client: a repository listing and a snapshot that 'downloads' a folder."""

    def __init__(self, folder, files=None, list_error=None, cached=None):
        self.folder, self.files, self.list_error, self.cached = folder, files, list_error, cached
        self.calls = []

    def install(self, monkeypatch):
        import huggingface_hub

        hub = self

        class Api:
            def list_repo_files(self, repo_id):
                if hub.list_error is not None:
                    raise hub.list_error
                return hub.files

        def snapshot_download(repo_id, **kwargs):
            hub.calls.append(kwargs)
            if kwargs.get("local_files_only"):
                if hub.cached is None:
                    from huggingface_hub.errors import LocalEntryNotFoundError

                    raise LocalEntryNotFoundError("not cached")
                return str(hub.cached)
            if "tqdm_class" in kwargs:
                bar = kwargs["tqdm_class"](total=1000, unit="B", desc="Downloading bytes")
                bar.update(250)
                bar.update(750)
            return str(hub.folder)

        monkeypatch.setattr(huggingface_hub, "HfApi", Api)
        monkeypatch.setattr(huggingface_hub, "snapshot_download", snapshot_download)


def test_hub_id_downloads_only_needed_files_and_reports_progress(monkeypatch, tiny_model_dir):
    files = [str(p.relative_to(tiny_model_dir)) for p in tiny_model_dir.rglob("*") if p.is_file()]
    hub = FakeHub(tiny_model_dir, files=files + ["safety_checker/model.safetensors"])
    hub.install(monkeypatch)
    seen = []
    model = load_inpaint_model("someone/tiny-inpainting", device="cpu", local_files_only=False, progress=seen.append)
    assert model.unet.config.in_channels == 9 and model.source == "someone/tiny-inpainting"
    patterns = hub.calls[0]["allow_patterns"]
    assert "unet/diffusion_pytorch_model.safetensors" in patterns and "model_index.json" in patterns
    assert not any(p.startswith("safety_checker") for p in patterns)
    assert [(p.done, p.total) for p in seen] == [(250, 1000), (1000, 1000)]


def test_hub_unreachable_uses_the_cache_or_says_offline(monkeypatch, tiny_model_dir):
    FakeHub(tiny_model_dir, list_error=OSError("Name or service not known"), cached=tiny_model_dir).install(monkeypatch)
    model = load_inpaint_model("someone/tiny-inpainting", device="cpu", local_files_only=False)
    assert model.unet.config.in_channels == 9
    FakeHub(tiny_model_dir, list_error=OSError("Name or service not known"), cached=None).install(monkeypatch)
    with pytest.raises(ModelOfflineError, match="Could not reach the Hugging Face hub"):
        load_inpaint_model("someone/tiny-inpainting", device="cpu", local_files_only=False)


def test_unknown_hub_repository_gives_model_not_found(monkeypatch, tiny_model_dir):
    from huggingface_hub.errors import RepositoryNotFoundError

    error = RepositoryNotFoundError.__new__(RepositoryNotFoundError)
    Exception.__init__(error, "404")
    FakeHub(tiny_model_dir, list_error=error).install(monkeypatch)
    with pytest.raises(ModelNotFoundError, match="No model 'someone/typo' on the Hugging Face hub"):
        load_inpaint_model("someone/typo", device="cpu", local_files_only=False)
