"""Exact and near-duplicate detection, within a batch and against every earlier batch.

Exact: sha256 of the language and the normalised prompt text. Near: MinHash signatures of
shingles of code-aware tokens (factory.intake.shingle_tokens: spacing, punctuation attached to
words, code formatting and renamed identifiers do not matter) in a MinHashLSH index
(datasketch); a candidate found by LSH counts as a duplicate when
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

from factory.intake.shingle_tokens import shingle_tokens
from factory.settings import IntakeSettings
from factory.vocab import Language

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
    key = f"{language}\n{normalise(prompt)}"
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def signature(text: str, settings: IntakeSettings, *, language: str = Language.PYTHON) -> MinHash:
    """The MinHash of `text`'s shingles: runs of `intake.shingle_size` code-aware tokens."""
    return minhash_of(
        text,
        language=language,
        num_perm=settings.minhash_permutations,
        shingle_size=settings.shingle_size,
    )


def minhash_of(text: str, *, language: str, num_perm: int, shingle_size: int) -> MinHash:
    # Punctuation is made of tokens too: "<>" and "()" still make two bracket problems differ.
    tokens = shingle_tokens(text, language)
    # A text shorter than one shingle is a single shingle of all its tokens.
    starts = range(max(1, len(tokens) - shingle_size + 1))
    shingles = {" ".join(tokens[i : i + shingle_size]) for i in starts}
    minhash = MinHash(num_perm=num_perm, scheme=MINHASH_SCHEME)
    minhash.update_batch([shingle.encode("utf-8", "surrogatepass") for shingle in shingles])
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
