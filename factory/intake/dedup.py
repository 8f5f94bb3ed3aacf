"""Exact and near-duplicate detection, within a batch and against every earlier batch.

Exact: sha256 of the language and the normalised prompt text. Near: MinHash signatures of token
shingles in a MinHashLSH index (datasketch); a candidate found by LSH counts as a duplicate when
its estimated Jaccard similarity reaches `intake.near_duplicate_threshold`. Signatures of
accepted prompts are stored in `Prompt.minhash`, so later batches are compared without
recomputing them.
"""

import hashlib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from datasketch import MinHash, MinHashLSH

from factory.settings import IntakeSettings

# Stored signatures carry no trace of their scheme, so it is fixed here for every batch.
MINHASH_SCHEME = "affine32"


@dataclass(frozen=True, slots=True)
class DuplicateMatch:
    kind: str  # exact | near
    prompt_id: int
    similarity: float


def normalise(text: str) -> str:
    """Case, Unicode form and whitespace do not make two prompts different."""
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def exact_key(language: str, prompt: str) -> str:
    return hashlib.sha256(f"{language}\n{normalise(prompt)}".encode()).hexdigest()


def signature(text: str, settings: IntakeSettings) -> MinHash:
    # Punctuation stays in the tokens: "<>" and "()" make two bracket problems different.
    words = normalise(text).split()
    size = settings.shingle_size
    # A text shorter than one shingle is a single shingle of all its words.
    shingles = {" ".join(words[i : i + size]) for i in range(max(1, len(words) - size + 1))}
    minhash = MinHash(num_perm=settings.minhash_permutations, scheme=MINHASH_SCHEME)
    minhash.update_batch([shingle.encode() for shingle in shingles])
    return minhash


class DuplicateIndex:
    """Every prompt accepted so far; ask it about a new prompt before accepting that one."""

    def __init__(self, settings: IntakeSettings) -> None:
        self._settings = settings
        self._exact: dict[str, int] = {}
        self._signatures: dict[int, MinHash] = {}
        self._lsh = MinHashLSH(
            threshold=settings.near_duplicate_threshold, num_perm=settings.minhash_permutations
        )

    def add_stored(self, rows: Iterable[tuple[int, str, list[int]]]) -> None:
        """Load earlier prompts as (prompt id, normalised sha256, stored signature)."""
        for prompt_id, sha, values in rows:
            self._exact.setdefault(sha, prompt_id)
            # Signatures made with another permutation count cannot be compared; exact still can.
            if len(values) == self._settings.minhash_permutations:
                stored = MinHash(
                    num_perm=self._settings.minhash_permutations,
                    hashvalues=np.array(values, dtype=np.uint32),
                    scheme=MINHASH_SCHEME,
                )
                self._add_signature(prompt_id, stored)

    def add(self, prompt_id: int, sha: str, minhash: MinHash) -> None:
        self._exact.setdefault(sha, prompt_id)
        self._add_signature(prompt_id, minhash)

    def _add_signature(self, prompt_id: int, minhash: MinHash) -> None:
        self._signatures[prompt_id] = minhash
        self._lsh.insert(prompt_id, minhash)

    def find(self, sha: str, minhash: MinHash) -> DuplicateMatch | None:
        """The most similar earlier prompt this one duplicates, if any."""
        if sha in self._exact:
            return DuplicateMatch("exact", self._exact[sha], 1.0)
        best: DuplicateMatch | None = None
        for prompt_id in self._lsh.query(minhash):
            similarity = float(minhash.jaccard(self._signatures[prompt_id]))
            if similarity >= self._settings.near_duplicate_threshold and (
                best is None or similarity > best.similarity
            ):
                best = DuplicateMatch("near", prompt_id, round(similarity, 4))
        return best


def stored_signature(minhash: MinHash) -> list[int]:
    return [int(value) for value in minhash.hashvalues]
