"""Code extraction from replies: one block, several blocks, no block, and the edge cases."""

import pytest

from factory.generation.extraction import extract_code

FENCE = "```"
ONE_BLOCK = f"Here you go:\n{FENCE}python\ndef add(a, b):\n    return a + b\n{FENCE}\nDone."
HELPER_THEN_MAIN_THEN_USAGE = (
    f"{FENCE}python\ndef _twice(x):\n    return 2 * x\n{FENCE}\n"
    f"Then:\n{FENCE}py\ndef add(a, b):\n    return _twice(a) - a + b\n{FENCE}\n"
    f"Usage:\n{FENCE}python\nprint(add(1, 2))\n{FENCE}\n"
)
TWO_BLOCKS_NO_ENTRY = f"{FENCE}python\nimport math\n{FENCE}\n{FENCE}\nx = math.pi\n{FENCE}\n"


@pytest.mark.parametrize(
    ("reply", "language", "expected_code", "expected_method"),
    [
        (ONE_BLOCK, "python", "def add(a, b):\n    return a + b\n", "fenced"),
        (
            HELPER_THEN_MAIN_THEN_USAGE,
            "python",
            "def _twice(x):\n    return 2 * x\n\ndef add(a, b):\n    return _twice(a) - a + b\n",
            "multiple",
        ),
        (TWO_BLOCKS_NO_ENTRY, "python", "import math\n\nx = math.pi\n", "multiple"),
        (
            "def add(a, b):\n    return a + b",
            "python",
            "def add(a, b):\n    return a + b\n",
            "bare",
        ),
        ("I am sorry, I cannot help with that.", "python", "", "none"),
        ("add", "python", "", "none"),  # parses, but is not a program
        (f"{FENCE}bash\npip install numpy\n{FENCE}", "python", "", "none"),
        (f"{FENCE}python\n\n{FENCE}", "python", "", "none"),  # an empty block is no code
        (
            f"{FENCE}python\ndef add(a, b):\n    return a +",
            "python",
            "def add(a, b):\n    return a +\n",
            "fenced",
        ),
        (
            f"{FENCE}js\nfunction add(a, b) {{ return a + b; }}\n{FENCE}",
            "javascript",
            "function add(a, b) { return a + b; }\n",
            "fenced",
        ),
        ("function add(a, b) { return a + b; }", "javascript", "", "none"),
    ],
    ids=[
        "one-block",
        "helper-main-usage",
        "several-blocks-without-entry-point",
        "bare-code",
        "prose",
        "bare-expression",
        "other-language-block",
        "empty-block",
        "cut-off-by-token-limit",
        "javascript-alias",
        "bare-non-python",
    ],
)
def test_extract_code(reply: str, language: str, expected_code: str, expected_method: str) -> None:
    extraction = extract_code(reply, language=language, entry_point="add")

    assert extraction.code == expected_code
    assert extraction.method == expected_method
