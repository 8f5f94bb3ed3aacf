"""Exact and near-duplicate detection, within a batch and against every earlier batch.

Exact: sha256 of the language and the normalised prompt text. Near: MinHash signatures of
shingles of code-aware tokens (factory.intake.shingle_tokens: spacing, punctuation attached to
words, code formatting and renamed identifiers do not matter), each shingle hashed from its
tokens' hashes with array operations over a whole chunk (`window_hashes`), under datasketch's
affine32 permutations. Signatures are cut into LSH bands (`Banding`); a candidate a band finds
counts as a duplicate when its estimated Jaccard similarity reaches
`intake.near_duplicate_threshold`. Signatures of accepted prompts are stored in
`Prompt.minhash`, so later batches are compared without recomputing them.
"""

import hashlib
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import chain
from typing import Any

import numpy as np
from datasketch import MinHash, MinHashLSH
from datasketch.lsh import _optimal_param

from factory.intake.shingle_tokens import shingle_tokens
from factory.settings import IntakeSettings
from factory.vocab import Language

# Stored signatures carry no trace of their scheme, so it is fixed here for every batch: the
# permutations of datasketch's affine32 scheme over the shingle hashes of `window_hashes`.
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
    """One datasketch MinHash (for its LSH and Jaccard estimate) holding the values `signatures`
    gives `text`."""
    values = signatures([shingle_tokens(text, language)], num_perm, shingle_size)[0]
    return MinHash(
        num_perm=num_perm,
        scheme=MINHASH_SCHEME,
        permutations=_permutations(num_perm),
        hashvalues=values,
    )


@cache
def _permutations(num_perm: int) -> Any:
    """The scheme's permutations, drawn once per process rather than once per signature."""
    return MinHash(num_perm=num_perm, scheme=MINHASH_SCHEME).permutations


# Shingles whose permuted hashes are held in memory at once by `signatures` (x num_perm x 4 B:
# 2 MiB, which stays in the processor's cache).
_SIGNATURE_BLOCK = 4_096
_POLY = np.uint64(0x100000001B3)  # odd, so no byte's weight (a power of it) is ever 0 mod 2^64
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_WINDOW_SEED = np.uint64(0x243F6A8885A308D3)


def token_hashes(tokens: Sequence[str]) -> np.ndarray:
    """A 64-bit hash of each token, for all tokens at once: the sum of its UTF-8 bytes times
    powers of an odd constant by position (mod 2^64), its byte length mixed in, then
    splitmix64's finalizer."""
    joined = "".join(tokens)
    if joined.isascii():  # one byte per character
        data = joined.encode("ascii")
        lengths = np.fromiter(map(len, tokens), dtype=np.int64, count=len(tokens))
    else:
        encoded = [token.encode("utf-8", "surrogatepass") for token in tokens]
        data = b"".join(encoded)
        lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
    starts = np.cumsum(lengths) - lengths
    positions = np.arange(len(data), dtype=np.int64) - np.repeat(starts, lengths)
    powers = np.cumprod(np.full(int(lengths.max(initial=0)) + 1, _POLY, dtype=np.uint64))
    powers = np.concatenate(([np.uint64(1)], powers[:-1]))  # P^0, P^1, ...
    weighted = np.frombuffer(data, dtype=np.uint8).astype(np.uint64) * powers[positions]
    # reduceat sums weighted[start:next start]; the padding 0 ends the last token's run, and an
    # empty token (which reduceat would give its successor's first byte) is set to 0 below.
    sums = np.add.reduceat(np.append(weighted, np.uint64(0)), starts) if len(tokens) else weighted
    sums[lengths == 0] = 0
    return _splitmix64(sums ^ (lengths.astype(np.uint64) * _GOLDEN))


def window_hashes(
    token_lists: Sequence[Sequence[str]], shingle_size: int
) -> tuple[np.ndarray, np.ndarray]:
    """The 32-bit hash of every shingle of every token list, and how many shingles each list
    has. A shingle is a run of `shingle_size` consecutive tokens (a list of fewer tokens is one
    shingle of them all, an empty list one empty shingle): from a fixed seed, each token's hash
    in turn is xor-ed in and mixed by splitmix64; the hash is the top 32 bits. Equal shingles
    have equal hashes, and a repeated shingle changes no minimum, so this is MinHash over the
    set of shingles."""
    counts = np.fromiter(map(len, token_lists), dtype=np.int64, count=len(token_lists))
    hashes = token_hashes(list(chain.from_iterable(token_lists)))
    shingles = np.maximum(counts - shingle_size + 1, 1)
    firsts = np.repeat(np.cumsum(counts) - counts, shingles)
    firsts += np.arange(len(firsts)) - np.repeat(np.cumsum(shingles) - shingles, shingles)
    widths = np.repeat(np.minimum(counts, shingle_size), shingles)
    padded = np.append(hashes, np.zeros(shingle_size, dtype=np.uint64))  # firsts + j is in range
    state = np.full(len(firsts), _WINDOW_SEED, dtype=np.uint64)
    for j in range(shingle_size):
        mixed = _splitmix64(state ^ padded[firsts + j])
        state = np.where(j < widths, mixed, state)
    return (state >> np.uint64(32)).astype(np.uint32), shingles


def signatures(
    token_lists: Sequence[Sequence[str]], num_perm: int, shingle_size: int
) -> np.ndarray:
    """The MinHash signature of the shingles of each token list (factory.intake.shingle_tokens),
    one uint32 row each: min over its shingles' hashes h (`window_hashes`) of a_k * h + b_k mod
    2^32, with datasketch's affine32 permutations (a_k, b_k). Computed for a whole chunk with
    array operations: no Python call per shingle or token."""
    a, b = (np.asarray(part, dtype=np.uint32)[:, None] for part in _permutations(num_perm))
    hashes, counts = window_hashes(token_lists, shingle_size)
    # One permutation per row and one shingle per column, so that each minimum runs along
    # contiguous memory (many times faster than down the columns).
    out = np.empty((num_perm, len(token_lists)), dtype=np.uint32)
    ends = np.cumsum(counts)
    starts = ends - counts
    row = 0
    while row < len(token_lists):
        # Rows whose shingles fit one block (at least one row, however many shingles it has).
        last = int(np.searchsorted(ends, starts[row] + _SIGNATURE_BLOCK, side="right"))
        last = max(last, row + 1)
        lo, hi = int(starts[row]), int(ends[last - 1])
        permuted = a * hashes[None, lo:hi]
        permuted += b  # uint32 arithmetic wraps: mod 2^32
        out[:, row:last] = np.minimum.reduceat(permuted, starts[row:last] - lo, axis=1)
        row = last
    return np.ascontiguousarray(out.T)


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
