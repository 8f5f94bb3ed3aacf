"""Split clusters from the MinHash signatures intake stores: near duplicates stay together.

Signatures are rebuilt from the stored values; with datasketch 2 that needs the scheme intake
signed with, so this runs on real intake signatures rather than hand-made numbers.
"""

from factory.intake.dedup import exact_key, signature
from factory.packaging.splits import PromptKey, cluster_keys
from factory.settings import IntakeSettings

# Long enough that changing its last word leaves most 5-word shingles, far over the threshold.
BASE = " ".join(f"step{i}" for i in range(120))


def _key(prompt_id: int, text: str, settings: IntakeSettings) -> PromptKey:
    stored = [int(value) for value in signature(text, settings).hashvalues]
    return PromptKey(prompt_id, exact_key("python", text), stored)


def test_near_duplicates_share_a_cluster_and_others_do_not() -> None:
    settings = IntakeSettings()
    keys = cluster_keys(
        [
            _key(1, BASE, settings),
            _key(2, BASE.replace("step119", "finish"), settings),
            _key(3, "Parse an ISO date string and return the weekday name.", settings),
        ],
        threshold=settings.near_duplicate_threshold,
    )
    assert keys[1] == keys[2]
    assert keys[3] != keys[1]
