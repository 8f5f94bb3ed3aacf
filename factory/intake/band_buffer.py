"""Band keys written by a batch but not yet in the PromptBand table, kept in key order.

Adding a chunk's few thousand keys to a B-tree of millions puts each on a different page;
adding a few hundred thousand at once, in key order, puts several on each page, so each page is
read and written once instead of several times. Intake keeps the keys of the chunks it has
written here (two sorted arrays, a few megabytes at most) and inserts them together once
`limit` are held; lookups consult this buffer as well as the table, so the buffer changes
nothing but the cost.
"""

from collections.abc import Iterable

import numpy as np

# Keys held before they are inserted: 16 bytes each in memory.
DEFAULT_LIMIT = 320_000


class BandBuffer:
    def __init__(self, limit: int | None = None) -> None:
        self.limit = DEFAULT_LIMIT if limit is None else limit
        self.keys = np.empty(0, dtype=np.int64)  # sorted
        self.owners = np.empty(0, dtype=np.int64)  # the prompt holding keys[i]

    def __len__(self) -> int:
        return len(self.keys)

    @property
    def full(self) -> bool:
        return len(self.keys) >= self.limit

    def add(self, keys: np.ndarray, owners: np.ndarray) -> None:
        """Hold `keys` (sorted, none of them held already) of the prompts `owners`."""
        if not len(keys):
            return
        at = np.searchsorted(self.keys, keys)
        self.keys = np.insert(self.keys, at, keys)
        self.owners = np.insert(self.owners, at, owners)

    def lookup(self, keys: Iterable[int]) -> dict[int, int]:
        """The held keys among `keys`, with the prompt holding each."""
        if not len(self.keys):
            return {}
        query = np.unique(np.fromiter(keys, dtype=np.int64))
        at = np.searchsorted(self.keys, query)
        inside = at < len(self.keys)
        found = np.zeros(len(query), dtype=bool)
        found[inside] = self.keys[at[inside]] == query[inside]
        return dict(zip(query[found].tolist(), self.owners[at[found]].tolist(), strict=True))

    def drain(self) -> list[list[int]]:
        """Every held (key, prompt) in key order, and the buffer empty."""
        rows: list[list[int]] = np.column_stack((self.keys, self.owners)).tolist()
        self.keys = np.empty(0, dtype=np.int64)
        self.owners = np.empty(0, dtype=np.int64)
        return rows
