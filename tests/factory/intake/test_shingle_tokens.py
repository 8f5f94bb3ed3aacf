"""Near duplicates survive spacing, punctuation, reformatting and renamed identifiers, and
different prompts stay apart (factory.intake.shingle_tokens through factory.intake.dedup)."""

import gzip
import itertools
import json

import pytest

from factory.intake.dedup import DuplicateIndex, exact_key, signature
from factory.intake.shingle_tokens import CODE_NAME, shingle_tokens
from factory.samples import humaneval_path
from factory.settings import IntakeSettings

SETTINGS = IntakeSettings()
THRESHOLD = SETTINGS.near_duplicate_threshold

ADD_DOC = '''def add(a, b):
    """Return the sum of a and b.

    >>> add(1, 2)
    3
    """
'''
PLUS_DOC = '''def plus(x, y):
    """Return the sum of a and b.

    >>> plus(1, 2)
    3
    """
'''
TOTAL = """def total(values):
    result = 0
    for value in values:
        result += value
    return result
"""
TOTAL_REFORMATTED = (
    "def total( values ) :\n  result=0\n  for value in values :\n"
    "      result+=value\n  return result"
)
TOTAL_RENAMED = "def acc(xs):\n    s = 0\n    for x in xs:\n        s += x\n    return s\n"
LONGEST = """def longest(words):
    best = ''
    for word in words:
        if len(word) > len(best):
            best = word
    return best
"""
FENCED = (
    "Fix the bug:\n```python\ndef mean(xs):\n    return sum(xs) / len(xs) + 1\n```\n"
    "It should return the average."
)
FENCED_RENAMED = (
    "Fix the bug:\n```python\ndef average(values):\n    return sum(values)/len(values)+1\n```\n"
    "It should return the average."
)
FLATTEN = (
    "Write flatten(nested) that takes a list which may contain lists nested to any depth and "
    "returns a flat list of all the non-list items in their original left-to-right order."
)

MATCH = [
    ("Write  add(a,b)  that returns the sum.", "Write add(a, b) that returns the sum."),
    ("Write add(a,b)that returns the sum .", "Write add( a , b ) that returns the sum."),
    ("Return x**2 if x>=0 else -x.", "Return x ** 2 if x >= 0 else - x."),
    (ADD_DOC, PLUS_DOC),  # a function and its parameters renamed
    (TOTAL, TOTAL_REFORMATTED),  # the same code, other spacing and indentation
    (TOTAL, TOTAL_RENAMED),  # the same code, every name changed
    (FENCED, FENCED_RENAMED),  # renamed and reformatted inside a fenced block
    (FLATTEN, FLATTEN.replace("left-to-right", "left - to - right")),
]
DIFFERENT = [
    ("Write add(a, b) that returns the sum.", "Write mul(a, b) that returns the product."),
    ("Return the number of vowels in a string.", "Return the number of consonants in a string."),
    (
        'Return True if every "<" has a matching ">".',
        'Return True if every "(" has a matching ")".',
    ),
    (TOTAL, LONGEST),  # same shape of loop, different code
    (FLATTEN, "Write chunk(items, n) that splits a list into consecutive lists of length n."),
    ("Add x", "Add y"),  # short prose that parses as Python is still prose, names kept
]


def _similarity(a: str, b: str) -> float:
    return float(signature(a, SETTINGS).jaccard(signature(b, SETTINGS)))


@pytest.mark.parametrize(("a", "b"), MATCH)
def test_near_duplicates_match_whatever_the_spacing_punctuation_or_names(a: str, b: str) -> None:
    assert _similarity(a, b) >= THRESHOLD
    index = DuplicateIndex(SETTINGS)
    index.add(1, exact_key("python", a), signature(a, SETTINGS))
    match = index.find(exact_key("python", b), signature(b, SETTINGS))
    assert match is not None and match.prompt_id == 1


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_different_prompts_do_not_match(a: str, b: str) -> None:
    assert _similarity(a, b) < THRESHOLD
    index = DuplicateIndex(SETTINGS)
    index.add(1, exact_key("python", a), signature(a, SETTINGS))
    assert index.find(exact_key("python", b), signature(b, SETTINGS)) is None


def test_tokens_split_punctuation_and_operators_and_ignore_whitespace() -> None:
    assert shingle_tokens("Write  add(a,b)  that returns the sum.") == [
        "write", "add", "(", "a", ",", "b", ")", "that", "returns", "the", "sum", ".",
    ]  # fmt: skip
    assert shingle_tokens("if a<=b and c != 0x1F: x **= 2.5e3") == [
        "if", "a", "<=", "b", "and", "c", "!=", "0x1f", ":", "x", "**=", "2.5e3",
    ]  # fmt: skip


def test_python_code_keeps_keywords_builtins_imports_and_attributes_but_not_its_own_names() -> None:
    code = "import math\ndef area(r):\n    return math.pi * r ** 2 + len([r])  # area of r\n"
    n = CODE_NAME
    assert shingle_tokens(code) == [
        "import", "math", "def", n, "(", n, ")", ":", "return", "math", ".", "pi", "*", n, "**",
        "2", "+", "len", "(", "[", n, "]", ")", "#", n, "of", "r",
    ]  # fmt: skip


def test_other_languages_are_tokenised_without_renaming() -> None:
    assert shingle_tokens("function add(a,b){return a+b;}", "javascript") == [
        "function", "add", "(", "a", ",", "b", ")", "{", "return", "a", "+", "b", ";", "}",
    ]  # fmt: skip


def test_no_two_humaneval_problems_are_near_duplicates() -> None:
    with gzip.open(humaneval_path(), "rt") as handle:
        prompts = [json.loads(line)["prompt"] for line in handle]
    signatures = [signature(prompt, SETTINGS) for prompt in prompts]
    closest = max(a.jaccard(b) for a, b in itertools.combinations(signatures, 2))
    assert closest < THRESHOLD


def test_text_too_deeply_nested_for_the_parser_is_tokenised_as_prose() -> None:
    assert len(shingle_tokens("-" * 50_000 + "1")) == 25_001  # "--" pairs, then the number
