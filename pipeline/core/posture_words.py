"""The one word list that reads a posture from a prompt ("sitting", "crouching", "standing", "lying").

The view selection frames a standing person for "stand" prompts and the fit starts from a
posture preset; both read the prompt through :func:`posture_from_prompt`, so a prompt
never means "standing" to one stage and "sitting" to the other.
"""

from __future__ import annotations

import re

POSTURE_WORDS = {
    "lie": r"\b(lie|lies|lying|lay|lays|laying|reclin\w*|sleep\w*|nap\w*|asleep|sprawl\w*)\b",
    "sit": r"\b(sit|sits|sitting|sat|seated|perch\w*|kneel\w*|knelt)\b",
    "crouch": r"\b(crouch\w*|squat\w*|hunker\w*)\b",
    "stand": r"\b(stand|stands|standing|stood|upright|on foot|walk\w*|lean\w*|reach\w*)\b",
}


def posture_from_prompt(prompt: str | None) -> str | None:
    """'sit', 'crouch', 'lie' or 'stand' when exactly one of those word families occurs, else None.

    The rule is deliberately simple and documented so a user can predict it: words like
    "sitting", "seated", "kneeling" mean sit; "crouching", "squatting" mean crouch; "lying",
    "reclining", "sleeping" mean lie; "standing", "walking", "leaning", "reaching" mean stand.
    Mixed or no cues: no posture.
    """
    if not prompt:
        return None
    text = prompt.lower()
    hits = [name for name, pattern in POSTURE_WORDS.items() if re.search(pattern, text)]
    return hits[0] if len(hits) == 1 else None
