"""Anti-cheating scrub: remove pointers to where a prompt's real-world fix can be looked up.

Repository links, commit hashes, pull-request and issue references and Gerrit Change-Ids let a
model (or a reviewer) find the upstream answer instead of solving the task. They are replaced in
the prompt text and in the comments of Python tests; code itself is never rewritten, because a
changed string literal could change what the tests check. Every removal is reported.
"""

import io
import re
import tokenize
from dataclasses import dataclass

# Order matters: links go first so the "pull/123" inside a pull-request URL counts as a link.
_PATTERNS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    (
        "repo_url",
        re.compile(
            r"(?:https?://)?(?:www\.)?(?:github\.com|gitlab\.com|bitbucket\.org|"
            r"gitlab\.[\w.-]+|git\.[\w.-]+)/[^\s)\]>\"'`]+",
            re.IGNORECASE,
        ),
        "[link removed]",
    ),
    ("change_id", re.compile(r"\bChange-Id:\s*I[0-9a-f]{40}\b", re.IGNORECASE), "[ref removed]"),
    (
        "fixes_ref",
        re.compile(
            r"\b(?:fix(?:es|ed)?|close[sd]?|resolve[sd]?)\s*:?\s+(?:[\w.-]+/[\w.-]+)?#\d+\b",
            re.IGNORECASE,
        ),
        "[ref removed]",
    ),
    (
        "pr_ref",
        re.compile(
            r"\b(?:pull\s+request|merge\s+request|PR|MR)\s*#?\s*\d+\b|\bpulls?/\d+\b|(?<!\S)!\d{2,}\b",
            re.IGNORECASE,
        ),
        "[ref removed]",
    ),
    (
        "issue_ref",
        re.compile(
            r"\bissues?\s*(?:/|#|\s)\s*\d+\b|\bbug\s*#\s*\d+\b|(?<![\w&#/])#\d{2,}\b",
            re.IGNORECASE,
        ),
        "[ref removed]",
    ),
    (
        "advisory_ref",
        # A security advisory names the fix it was published with.
        re.compile(r"\bGHSA(?:-[23456789cfghjmpqrvwx]{4}){3}\b|\bCVE-\d{4}-\d{4,}\b", re.I),
        "[ref removed]",
    ),
    (
        "commit_hash",
        # Only a hash named as a commit: bare hex strings are too often data (digests, binary
        # literals, expected outputs) that the task itself needs.
        re.compile(
            r"\b(?:commit|sha1?|revision|rev|changeset|cherry[- ]picked\s+from(?:\s+commit)?)"
            r"\s*[:#=]?\s*[0-9a-f]{7,40}\b|(?<=@)[0-9a-f]{7,40}\b",
            re.IGNORECASE,
        ),
        "[commit removed]",
    ),
)


# A necessary condition of every pattern above, for ASCII text once lower-cased: each pattern's
# match contains a match of this (its literal words, and the digit or hex run they need), so
# text this does not match is left as it is without running the patterns. It is case-sensitive
# and free of look-arounds, so it runs fast and a match inside a part of a text is a match in
# the whole text. Keep it a superset when a pattern changes (tests/factory/intake/test_scrub.py
# checks it on every example there).
_MAY_LEAK = re.compile(
    r"""
    git(?:hub\.com/|lab\.|\.) | bitbucket\.org/                    # repo_url
    | change-id:                                                     # change_id
    | \#\s*\d                                                         # fixes, pr, issue refs
    | (?:request|pr|mr)\s*\d | pulls?/\d | !\d                         # pr_ref
    | issue                                                          # issue_ref
    | ghsa- | cve-\d                                                  # advisory_ref
    | (?:commit|sha1?|revision|rev|changeset|from)\s*[:\#=]?\s*[0-9a-f]{7} | @[0-9a-f]{7}
    """,
    re.VERBOSE,
)


def may_leak(text: str) -> bool:
    """False only when no pattern can match `text` (non-ASCII text is always checked whole:
    case-insensitive matching folds some non-ASCII letters, such as the Kelvin sign, to ASCII)."""
    return not text.isascii() or _MAY_LEAK.search(text.lower()) is not None


@dataclass(frozen=True, slots=True)
class Removal:
    field_name: str
    kind: str
    matched: str
    replacement: str


def scrub_text(text: str, field_name: str) -> tuple[str, list[Removal]]:
    """`text` with every leak replaced, and what was replaced."""
    if not may_leak(text):
        return text, []
    return _scrub_all(text, field_name)


def _scrub_all(text: str, field_name: str) -> tuple[str, list[Removal]]:
    """`scrub_text` without the pre-check: every pattern, in order."""
    removals: list[Removal] = []
    for kind, pattern, replacement in _PATTERNS:

        def _replace(match: re.Match[str], kind: str = kind, replacement: str = replacement) -> str:
            removals.append(Removal(field_name, kind, match.group(0), replacement))
            return replacement

        text = pattern.sub(_replace, text)
    return text, removals


def scrub_python_comments(code: str, field_name: str) -> tuple[str, list[Removal]]:
    """`code` with leaks removed from its comments only; unchanged when it does not tokenize."""
    # Comments are parts of the code: when the whole code cannot leak, none of them can.
    if "#" not in code or not may_leak(code):
        return code, []
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(code).readline))
    except (tokenize.TokenError, SyntaxError):
        return code, []
    lines = code.splitlines(keepends=True)
    removals: list[Removal] = []
    # Right to left, so earlier columns stay valid after a replacement changes a line's length.
    for token in reversed(tokens):
        if token.type != tokenize.COMMENT:
            continue
        cleaned, found = scrub_text(token.string, field_name)
        if not found:
            continue
        row, col = token.start
        line = lines[row - 1]
        lines[row - 1] = line[:col] + cleaned + line[col + len(token.string) :]
        removals[:0] = found
    return "".join(lines), removals
