"""Fetching a diffusers model from the Hugging Face hub, with progress and offline support.

Only the files the inpainting stage needs are fetched (configs, tokenizer and one weights
file per component, the fp16 variant when half precision is wanted and the repository has
one), so a first run downloads about 2.6 GB for SD 2 inpainting in fp16 instead of every
variant the repository holds.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from typing import Callable, Iterable

from tqdm import tqdm as _tqdm

from pipeline.inpaint.errors import InpaintError, ModelNotFoundError, ModelOfflineError

COMPONENTS_WITH_WEIGHTS = ("unet", "vae", "text_encoder")


@dataclass
class DownloadProgress:
    """Bytes fetched so far; ``total`` grows while file sizes become known."""

    description: str
    done: int
    total: int


DownloadCallback = Callable[[DownloadProgress], None]


def hub_offline_by_environment() -> bool:
    """True when the user switched the hub off (HF_HUB_OFFLINE=1)."""
    try:
        from huggingface_hub import constants

        return bool(constants.HF_HUB_OFFLINE)
    except Exception:  # pragma: no cover - very old huggingface_hub
        return os.environ.get("HF_HUB_OFFLINE", "0").lower() in ("1", "true", "yes", "on")


def progress_bar_class(callback: DownloadCallback) -> type:
    """A silent tqdm class that forwards byte counts to ``callback`` (for ``snapshot_download``)."""

    class _Reporter(_tqdm):
        def __init__(self, *args, **kwargs):
            kwargs["disable"] = False
            kwargs["file"] = io.StringIO()
            kwargs.pop("name", None)
            super().__init__(*args, **kwargs)

        def update(self, n=1):
            result = super().update(n)
            if self.unit == "B":
                callback(DownloadProgress(str(self.desc or "download"), int(self.n), int(self.total or 0)))
            return result

    return _Reporter


def choose_files(repo_files: Iterable[str], want_fp16: bool) -> list[str]:
    """The repository files needed for inference: configs, tokenizer, one weights file per component.

    Prefers ``.safetensors`` over pickled ``.bin`` files and, when ``want_fp16``, the
    ``.fp16.`` variant. Raises when a component has no weights at all.
    """
    files = list(repo_files)
    chosen = [f for f in files if f == "model_index.json" or f.startswith(("scheduler/", "tokenizer/"))]
    chosen += [f for f in files if f.split("/")[0] in COMPONENTS_WITH_WEIGHTS and f.endswith(".json")]
    for component in COMPONENTS_WITH_WEIGHTS:
        weights = [f for f in files if f.startswith(component + "/") and f.endswith((".safetensors", ".bin"))]
        if not weights:
            raise ModelNotFoundError(
                f"The repository has no weights for '{component}'; is it a Stable Diffusion inpainting "
                "model in diffusers format?"
            )

        def rank(name: str) -> tuple[int, int]:
            is_fp16 = ".fp16." in name
            variant_rank = 0 if is_fp16 == want_fp16 else 1
            format_rank = 0 if name.endswith(".safetensors") else 1
            return (format_rank, variant_rank)

        best = min(weights, key=rank)
        # sharded weights come with an index file and several parts that share a stem
        stem = best.split("-00001-of-")[0] if "-00001-of-" in best else None
        if stem:
            chosen += [f for f in weights if f.startswith(stem)]
        else:
            chosen.append(best)
    return sorted(set(chosen))


def _gated_message(repo_id: str) -> str:
    return (f"'{repo_id}' needs you to accept its licence on huggingface.co and to log in "
            "(huggingface-cli login) before it can be downloaded.")


def _not_found_message(repo_id: str) -> str:
    return (f"No model '{repo_id}' on the Hugging Face hub (or it is private). Check the spelling, "
            "or give a local diffusers folder or a .safetensors file instead.")


def hub_problem(repo_id: str, timeout: float = 10.0) -> str | None:
    """Why ``repo_id`` cannot be downloaded from the hub now, or None when it can (one request,
    so a run learns it before its views are rendered, not when painting starts)."""
    from huggingface_hub import HfApi
    from huggingface_hub.errors import GatedRepoError, RepositoryNotFoundError

    try:
        # HF_ENDPOINT read now, not at import: the hub library fixes it when first imported
        HfApi(endpoint=os.environ.get("HF_ENDPOINT") or None).model_info(repo_id, timeout=timeout)
    except GatedRepoError:
        return _gated_message(repo_id)
    except RepositoryNotFoundError:
        return _not_found_message(repo_id)
    except Exception as exc:  # noqa: BLE001 - DNS, refused, timeout, proxy: all mean "offline" here
        return (f"The model '{repo_id}' is not downloaded yet and the Hugging Face hub cannot be reached "
                f"({type(exc).__name__}: {exc}). Connect to the internet once so it can be downloaded, or give "
                "a local diffusers folder or .safetensors file (`genzi generate --model PATH`, or the model "
                "panel in the app).")
    return None


def fetch_from_hub(
    repo_id: str,
    *,
    want_fp16: bool,
    local_files_only: bool,
    cache_dir: str | None = None,
    progress: DownloadCallback | None = None,
) -> str:
    """Return a local folder with the model, downloading what is missing (unless offline)."""
    from huggingface_hub import HfApi, snapshot_download
    from huggingface_hub.errors import (
        GatedRepoError,
        LocalEntryNotFoundError,
        OfflineModeIsEnabled,
        RepositoryNotFoundError,
    )

    offline_hint = (
        f"The model '{repo_id}' is not in the local cache and downloading is switched off. "
        "Connect to the internet once (without HF_HUB_OFFLINE=1) so it can be downloaded, or point the "
        "app at a local diffusers folder or a .safetensors checkpoint."
    )
    if local_files_only:
        try:
            return snapshot_download(repo_id, cache_dir=cache_dir, local_files_only=True)
        except (LocalEntryNotFoundError, OfflineModeIsEnabled, FileNotFoundError) as exc:
            raise ModelOfflineError(offline_hint) from exc
    try:
        files = HfApi().list_repo_files(repo_id)
        patterns = choose_files(files, want_fp16)
        kwargs = {"tqdm_class": progress_bar_class(progress)} if progress else {}
        return snapshot_download(repo_id, cache_dir=cache_dir, allow_patterns=patterns, **kwargs)
    except InpaintError:
        raise
    except GatedRepoError as exc:
        raise ModelNotFoundError(_gated_message(repo_id)) from exc
    except RepositoryNotFoundError as exc:
        raise ModelNotFoundError(_not_found_message(repo_id)) from exc
    except (LocalEntryNotFoundError, OfflineModeIsEnabled) as exc:
        raise ModelOfflineError(offline_hint) from exc
    except Exception as exc:  # connection problems (httpx/requests/OS errors): try the cache

        try:
            return snapshot_download(repo_id, cache_dir=cache_dir, local_files_only=True)
        except Exception:
            raise ModelOfflineError(
                f"Could not reach the Hugging Face hub to download '{repo_id}' ({exc}), and it is not in the "
                "local cache. Connect to the internet once so it can be downloaded, or give a local diffusers "
                "folder or a .safetensors checkpoint (`genzi generate --model PATH`, or the model panel in the app)."
            ) from exc
