"""Assembling the diffusion prompt and negative prompt.

Defaults live in ``resources/prompts/`` so they can be edited without touching code.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pipeline.inpaint.tokens import has_subject

PROMPTS_DIR = Path(__file__).resolve().parents[2] / "resources" / "prompts"
DEFAULT_SUBJECT = "a person"


def _read_lines(name: str) -> list[str]:
    path = PROMPTS_DIR / name
    if not path.is_file():
        return []
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


@lru_cache(maxsize=1)
def default_prefix() -> str:
    return ", ".join(_read_lines("prefix.txt"))


@lru_cache(maxsize=1)
def default_suffix() -> str:
    return ", ".join(_read_lines("suffix.txt"))


@lru_cache(maxsize=1)
def default_negatives() -> tuple[str, ...]:
    return tuple(_read_lines("negative_prompts.txt"))


def join_nonempty(items) -> str:
    return ", ".join(item.strip() for item in items if item and item.strip())


@dataclass(frozen=True)
class PromptTexts:
    """The three texts one target needs."""

    diffusion: str  # prefix, prompt, suffix
    negative: str  # per-target negative, global negatives
    ranking: str  # prefix, prompt (for CLIP ranking)


def assemble_prompts(
    prompt: str,
    negative: str = "",
    *,
    prefix: str | None = None,
    suffix: str | None = None,
    global_negatives: list[str] | tuple[str, ...] | None = None,
    ensure_subject: bool = True,
) -> PromptTexts:
    """Build the texts from the user's prompt; ``None`` means the resource-file default."""
    prefix = default_prefix() if prefix is None else prefix
    suffix = default_suffix() if suffix is None else suffix
    negatives = default_negatives() if global_negatives is None else tuple(global_negatives)
    body = prompt.strip()
    if ensure_subject and not has_subject(f"{prefix} {body}"):
        body = f"{DEFAULT_SUBJECT} {body}".strip()
    return PromptTexts(
        diffusion=join_nonempty([prefix, body, suffix]),
        negative=join_nonempty([negative, ", ".join(negatives)]),
        ranking=join_nonempty([prefix, body]),
    )
