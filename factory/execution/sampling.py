"""Which candidates run twice for the stability check: a deterministic, seeded sample."""

import hashlib


def in_stability_sample(candidate_id: int, code_sha256: str, rate: float) -> bool:
    """True for about `rate` of candidates; the same candidate is always chosen the same way."""
    if rate <= 0:
        return False
    if rate >= 1:
        return True
    digest = hashlib.sha256(f"stability:{candidate_id}:{code_sha256}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < rate
