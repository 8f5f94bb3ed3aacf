"""Train/test splits by prompt, with near-duplicate prompts kept together on one side.

Prompts are grouped into clusters (exact duplicates by normalised hash, near duplicates by MinHash
LSH on the signatures intake stored), and a whole cluster goes to one split, chosen by a seeded
hash of the cluster key: the same prompts land in the same split in every release.
"""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from datasketch import MinHash, MinHashLSH

from factory.intake.dedup import MINHASH_SCHEME

TRAIN, TEST = "train", "test"


@dataclass(frozen=True, slots=True)
class PromptKey:
    prompt_id: int
    normalized_sha256: str
    minhash: list[int]


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, item: int) -> int:
        self.parent.setdefault(item, item)
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def union(self, a: int, b: int) -> None:
        root_a, root_b = self.find(a), self.find(b)
        if root_a != root_b:
            self.parent[max(root_a, root_b)] = min(root_a, root_b)


def cluster_keys(prompts: Iterable[PromptKey], *, threshold: float) -> dict[int, str]:
    """prompt id -> cluster key (the smallest normalised hash in its near-duplicate cluster)."""
    prompts = list(prompts)
    groups = _UnionFind()
    by_hash: dict[str, int] = {}
    lsh_by_perm: dict[int, MinHashLSH] = {}
    for prompt in prompts:
        groups.find(prompt.prompt_id)
        first = by_hash.setdefault(prompt.normalized_sha256, prompt.prompt_id)
        groups.union(first, prompt.prompt_id)
        if not prompt.minhash:
            continue
        num_perm = len(prompt.minhash)
        lsh = lsh_by_perm.setdefault(num_perm, MinHashLSH(threshold=threshold, num_perm=num_perm))
        signature = MinHash(
            num_perm=num_perm,
            hashvalues=np.array(prompt.minhash, dtype=np.uint64),
            scheme=MINHASH_SCHEME,  # datasketch 2 needs the scheme intake signed with
        )
        for other in lsh.query(signature):
            groups.union(int(other), prompt.prompt_id)
        lsh.insert(str(prompt.prompt_id), signature)
    smallest: dict[int, str] = {}
    for prompt in prompts:
        root = groups.find(prompt.prompt_id)
        current = smallest.get(root)
        if current is None or prompt.normalized_sha256 < current:
            smallest[root] = prompt.normalized_sha256
    return {prompt.prompt_id: smallest[groups.find(prompt.prompt_id)] for prompt in prompts}


def hash_fraction(key: str, seed: int) -> float:
    digest = hashlib.sha256(f"{seed}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def split_of(key: str, *, test_fraction: float, seed: int) -> str:
    return TEST if hash_fraction(key, seed) < test_fraction else TRAIN


def assign_splits(keys: Iterable[str], *, test_fraction: float, seed: int) -> dict[str, str]:
    """cluster key -> split; with two or more clusters and a test share, test is never empty."""
    keys = sorted(set(keys))
    splits = {key: split_of(key, test_fraction=test_fraction, seed=seed) for key in keys}
    if test_fraction > 0 and len(keys) >= 2 and TEST not in splits.values():
        # Small releases: the cluster closest to the test side moves there.
        splits[min(keys, key=lambda key: hash_fraction(key, seed))] = TEST
    return splits
