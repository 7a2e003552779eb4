"""Finding the prompt tokens that name the person, whose attention map becomes the mask.

The paper hand-set token positions per scene; we find them: the prompt is tokenised
exactly as the text encoder sees it (start token first), tokens are grouped back into
words (CLIP's BPE marks word ends with ``</w>``), and every token of a subject word
(person, man, women, kids, ...) is selected. A user list of words or token indices
(negative = from the end, start and end tokens included, as in the paper) overrides it.
"""

from __future__ import annotations

import re
from typing import Sequence

from pipeline.inpaint.errors import InpaintSettingsError

_SINGULAR_PLURAL = {
    "person": "people",
    "man": "men",
    "woman": "women",
    "child": "children",
    "kid": "kids",
    "boy": "boys",
    "girl": "girls",
    "lady": "ladies",
    "gentleman": "gentlemen",
    "human": "humans",
    "guy": "guys",
    "adult": "adults",
    "teenager": "teenagers",
    "teen": "teens",
    "baby": "babies",
    "toddler": "toddlers",
    "worker": "workers",
    "student": "students",
    "athlete": "athletes",
    "customer": "customers",
    "visitor": "visitors",
    "figure": "figures",
}
SUBJECT_WORDS = frozenset(
    list(_SINGULAR_PLURAL) + list(_SINGULAR_PLURAL.values()) + ["persons", "someone", "somebody"]
)


def prompt_words(text: str) -> list[str]:
    """Lower-case words of a prompt (letters only), for subject checks without a tokenizer."""
    return re.findall(r"[a-z]+", text.lower())


def has_subject(text: str) -> bool:
    return any(word in SUBJECT_WORDS for word in prompt_words(text))


def token_words(tokenizer, prompt: str) -> tuple[list[tuple[str, list[int]]], int]:
    """(word, token indices) pairs of the tokenised prompt, and its length with start/end tokens."""
    ids = tokenizer(prompt, truncation=True, max_length=tokenizer.model_max_length).input_ids
    pieces = tokenizer.convert_ids_to_tokens(ids)
    special = {tokenizer.bos_token, tokenizer.eos_token, tokenizer.pad_token}
    words: list[tuple[str, list[int]]] = []
    current, indices = "", []
    for index, piece in enumerate(pieces):
        if piece in special:
            continue
        ends = piece.endswith("</w>")
        current += piece[:-4] if ends else piece
        indices.append(index)
        if ends:
            words.append((current.lower(), indices))
            current, indices = "", []
    if indices:
        words.append((current.lower(), indices))
    return words, len(ids)


def find_subject_tokens(tokenizer, prompt: str, override: Sequence[int | str] | None = None) -> list[int]:
    """Token positions (in the padded 77-token sequence) whose attention defines the person mask."""
    words, length = token_words(tokenizer, prompt)
    if override:
        chosen: set[int] = set()
        for item in override:
            if isinstance(item, int) or (isinstance(item, str) and item.lstrip("-").isdigit()):
                index = int(item)
                resolved = index + length if index < 0 else index
                if not 0 <= resolved < length:
                    raise InpaintSettingsError(
                        f"Token index {index} is outside the tokenised prompt (length {length} with start/end tokens)."
                    )
                chosen.add(resolved)
            else:
                matches = [idx for word, idx in words if word == str(item).lower()]
                if not matches:
                    raise InpaintSettingsError(
                        f"The word {item!r} is not in the prompt {prompt!r}; choose a word that appears in it."
                    )
                for idx in matches:
                    chosen.update(idx)
        return sorted(chosen)
    found = sorted(i for word, idx in words if word in SUBJECT_WORDS for i in idx)
    if not found:
        raise InpaintSettingsError(
            f"No word for the person (such as 'person', 'man', 'woman', 'child') in the prompt {prompt!r}. "
            "Add one, or name the subject words or token indices explicitly."
        )
    return found
