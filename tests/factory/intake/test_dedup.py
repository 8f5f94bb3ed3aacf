"""Exact and MinHash near-duplicate detection (factory.intake.dedup)."""

import pytest

from factory.intake.dedup import DuplicateIndex, exact_key, normalise, signature, stored_signature
from factory.settings import IntakeSettings

SETTINGS = IntakeSettings()
LONG = (
    "Write flatten(nested) that takes a list which may contain lists nested to any depth and "
    "returns a flat list of all the non-list items in their original left-to-right order."
)
# A rewording sharing 97% of its shingles with LONG, which LSH finds with near certainty; one
# nearer the threshold (0.85) is found only with some probability, by the hashes' luck.
NEAR = "Please w" + LONG[1:]


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("Add two numbers", "  add   TWO\nnumbers ", True),
        ("Add two numbers", "Add three numbers", False),
        ("ﬁnd x", "find x", True),  # NFKC folds the ligature
    ],
)
def test_exact_key_ignores_case_and_whitespace(a: str, b: str, same: bool) -> None:
    assert (exact_key("python", a) == exact_key("python", b)) is same


def test_exact_key_depends_on_language() -> None:
    assert exact_key("python", "Add") != exact_key("javascript", "Add")
    assert normalise("  A\tB ") == "a b"


def test_index_finds_exact_then_near_then_nothing() -> None:
    index = DuplicateIndex(SETTINGS)
    index.add(1, exact_key("python", LONG), signature(LONG, SETTINGS))
    exact = index.find(exact_key("python", LONG.upper()), signature(LONG.upper(), SETTINGS))
    assert exact is not None and (exact.kind, exact.prompt_id, exact.similarity) == (
        "exact",
        1,
        1.0,
    )
    near_text = NEAR
    near = index.find(exact_key("python", near_text), signature(near_text, SETTINGS))
    assert near is not None and near.kind == "near" and near.prompt_id == 1
    assert SETTINGS.near_duplicate_threshold <= near.similarity < 1.0
    other = "Return the number of vowels in a string, counting upper and lower case letters."
    assert index.find(exact_key("python", other), signature(other, SETTINGS)) is None


def test_stored_signatures_round_trip_through_json_lists() -> None:
    values = stored_signature(signature(LONG, SETTINGS))
    assert len(values) == SETTINGS.minhash_permutations and all(isinstance(v, int) for v in values)
    index = DuplicateIndex(SETTINGS)
    index.add_stored([(7, "sha-of-something-else", values)])
    near_text = NEAR
    match = index.find("another-sha", signature(near_text, SETTINGS))
    assert match is not None and (match.kind, match.prompt_id) == ("near", 7)


def test_signatures_of_another_permutation_count_only_match_exactly() -> None:
    index = DuplicateIndex(SETTINGS)
    index.add_stored([(3, "abc", [1, 2, 3])])
    assert index.find("abc", signature("x", SETTINGS)).kind == "exact"
    assert index.find("zzz", signature(LONG, SETTINGS)) is None
