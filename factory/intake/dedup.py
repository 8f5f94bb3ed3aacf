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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
from datasketch import MinHash, MinHashLSH
from datasketch.lsh import _optimal_param

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


def shingles_of(text: str, *, language: str, shingle_size: int) -> set[str]:
    """The shingles of `text`: every run of `shingle_size` consecutive code-aware tokens."""
    # Punctuation is made of tokens too: "<>" and "()" still make two bracket problems differ.
    tokens = shingle_tokens(text, language)
    if len(tokens) <= shingle_size:  # a text of at most one shingle is one shingle of them all
        return {" ".join(tokens)}
    # The runs tokens[i : i + shingle_size], as tuples of shifted views (no slice per start).
    return set(map(" ".join, zip(*(tokens[i:] for i in range(shingle_size)), strict=False)))


def minhash_of(text: str, *, language: str, num_perm: int, shingle_size: int) -> MinHash:
    """One datasketch MinHash; `signatures` computes the same values for many texts at once."""
    shingles = shingles_of(text, language=language, shingle_size=shingle_size)
    minhash = MinHash(
        num_perm=num_perm, scheme=MINHASH_SCHEME, permutations=_permutations(num_perm)
    )
    minhash.update_batch([shingle.encode("utf-8", "surrogatepass") for shingle in shingles])
    return minhash


@cache
def _permutations(num_perm: int) -> Any:
    """The scheme's permutations, drawn once per process rather than once per signature."""
    return MinHash(num_perm=num_perm, scheme=MINHASH_SCHEME).permutations


# Shingles whose permuted hashes are held in memory at once by `signatures` (x num_perm x 4 B).
_SIGNATURE_BLOCK = 16_384
_MAX_HASH32 = np.uint32(0xFFFFFFFF)


def _fmix32(values: np.ndarray) -> np.ndarray:
    """The MurmurHash3 32-bit finalizer, which the affine32 scheme applies to each input hash."""
    values = values ^ (values >> np.uint32(16))
    values = values * np.uint32(0x85EBCA6B)
    values = values ^ (values >> np.uint32(13))
    values = values * np.uint32(0xC2B2AE35)
    return values ^ (values >> np.uint32(16))


def signatures(shingle_sets: Sequence[Iterable[str]], num_perm: int) -> np.ndarray:
    """The MinHash signature of each set of shingles, one uint32 row each: the very values of
    `minhash_of` (datasketch's affine32 scheme: the first 4 bytes of each shingle's SHA-1,
    little-endian, mixed by fmix32, then min over shingles of a_k * h + b_k mod 2^32), computed
    for many sets with array operations instead of one MinHash object per text."""
    a, b = (np.asarray(part, dtype=np.uint32) for part in _permutations(num_perm))
    sha1 = hashlib.sha1
    digests: list[bytes] = []
    counts = np.zeros(len(shingle_sets), dtype=np.int64)
    for row, shingles in enumerate(shingle_sets):
        before = len(digests)
        digests += [sha1(s.encode("utf-8", "surrogatepass")).digest() for s in shingles]
        counts[row] = len(digests) - before
    out = np.full((len(shingle_sets), num_perm), _MAX_HASH32, dtype=np.uint32)
    if not digests:
        return out
    first_words = np.frombuffer(b"".join(digests), dtype="<u4").reshape(-1, 5)[:, 0]
    hashes = _fmix32(first_words.astype(np.uint32))[:, None]
    ends = np.cumsum(counts)
    starts = ends - counts
    row = 0
    while row < len(shingle_sets):
        # Rows whose shingles fit one block (at least one row, however many shingles it has).
        last = int(np.searchsorted(ends, starts[row] + _SIGNATURE_BLOCK, side="right"))
        last = max(last, row + 1)
        rows = np.arange(row, last)
        rows = rows[counts[rows] > 0]  # an empty set keeps the initial maximum values
        if len(rows):
            lo, hi = int(starts[rows[0]]), int(ends[rows[-1]])
            permuted = hashes[lo:hi] * a + b  # uint32 arithmetic wraps: mod 2^32
            out[rows] = np.minimum.reduceat(permuted, starts[rows] - lo, axis=0)
        row = last
    return out


@dataclass(frozen=True, slots=True)
class Banding:
    """How signatures are cut into LSH bands: two prompts are near-duplicate candidates when
    one band of theirs is equal. Chosen like datasketch's MinHashLSH for the threshold."""

    bands: int
    rows: int
    num_perm: int

    @property
    def scheme(self) -> str:
        return f"{self.num_perm}x{self.bands}x{self.rows}"

    def keys(self, hashvalues: Sequence[int] | np.ndarray) -> list[int]:
        """One signed 64-bit key per band: a hash of the band's values, seeded by the scheme
        and the band's index, so equal values in another band or scheme give another key."""
        return self.keys_of_rows(np.asarray(hashvalues, dtype=np.uint32).reshape(1, -1))[0]

    def keys_of_rows(self, signatures: np.ndarray) -> list[list[int]]:
        """`keys` of each row of a (signatures x num_perm) array, computed for all rows and
        bands at once: from the band's seed, each value in turn is mixed in (xor, then the
        splitmix64 finalizer, a bijection of 64-bit integers that spreads every input bit)."""
        values = np.asarray(signatures, dtype=np.uint32)[:, : self.bands * self.rows]
        values = values.reshape(len(values), self.bands, self.rows).astype(np.uint64)
        state = np.repeat(_band_seeds(self.scheme, self.bands)[None, :], len(values), axis=0)
        for column in range(self.rows):
            state ^= values[:, :, column]
            state = _splitmix64(state)
        keys: list[list[int]] = state.view(np.int64).tolist()
        return keys


_SPLITMIX = (np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB))


def _splitmix64(state: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer on each value (uint64 arithmetic wraps: mod 2^64)."""
    state = state ^ (state >> np.uint64(30))
    state = state * _SPLITMIX[0]
    state = state ^ (state >> np.uint64(27))
    state = state * _SPLITMIX[1]
    return state ^ (state >> np.uint64(31))


@cache
def _band_seeds(scheme: str, bands: int) -> np.ndarray:
    """A 64-bit seed per band: BLAKE2b of the band's index, keyed by the scheme."""
    return np.array(
        [
            int.from_bytes(
                hashlib.blake2b(bytes([band]), digest_size=8, key=scheme.encode()).digest(),
                "little",
            )
            for band in range(bands)
        ],
        dtype=np.uint64,
    )


@cache
def banding_for(threshold: float, num_perm: int) -> Banding:
    bands, rows = _optimal_param(threshold, num_perm, 0.5, 0.5)
    return Banding(bands, rows, num_perm)


def similarity(a: Sequence[int] | np.ndarray, b: Sequence[int] | np.ndarray) -> float:
    """Estimated Jaccard similarity of two signatures of the same length."""
    left, right = np.asarray(a, dtype=np.uint32), np.asarray(b, dtype=np.uint32)
    return float(np.count_nonzero(left == right)) / len(left)


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
