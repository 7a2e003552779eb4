"""The user's per-file consent to open pickled SMPL-X models, remembered by content hash.

A pickle can run any code when opened, so consent is never taken from data (a project, a run's
``config.json``, saved settings): the user answers a question that names the file, and the
answer is kept here, in the user's own app data folder, as the SHA-256 of the file's bytes.
A changed file has another hash and is asked about again.
"""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.generation.run_folder import write_json_atomic

STORE_FORMAT = "genzi-trusted-pickles/1"


class PickleConsentStore:
    """SHA-256s of the pickled model files this user agreed to open (a JSON file, written atomically)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def _hashes(self) -> set[str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return set()
        if not isinstance(data, dict) or data.get("format") != STORE_FORMAT or not isinstance(data.get("sha256"), list):
            return set()
        return {h for h in data["sha256"] if isinstance(h, str) and len(h) == 64}

    def trusts(self, sha256: str) -> bool:
        return sha256 in self._hashes()

    def remember(self, sha256: str) -> None:
        hashes = self._hashes() | {sha256}
        write_json_atomic(self.path, {"format": STORE_FORMAT, "sha256": sorted(hashes)})
