"""The anti-cheating scrub of prompt text and test comments (factory.intake.scrub)."""

import pytest

from factory.intake.scrub import scrub_python_comments, scrub_text


@pytest.mark.parametrize(
    ("text", "kinds", "left"),
    [
        ("See https://github.com/org/repo/pull/12 now", ["repo_url"], "See [link removed] now"),
        ("at gitlab.com/group/proj/-/issues/3.", ["repo_url"], "at [link removed]"),
        ("https://bitbucket.org/team/app/commits/abc", ["repo_url"], "[link removed]"),
        ("Fixes #1234.", ["fixes_ref"], "[ref removed]."),
        ("closes org/repo#77", ["fixes_ref"], "[ref removed]"),
        ("as in PR 12 and PR #13", ["pr_ref", "pr_ref"], "as in [ref removed] and [ref removed]"),
        ("see pull/123", ["pr_ref"], "see [ref removed]"),
        ("see pull request #9", ["pr_ref"], "see [ref removed]"),
        ("tracked in issues/45", ["issue_ref"], "tracked in [ref removed]"),
        ("reported as #1234", ["issue_ref"], "reported as [ref removed]"),
        ("Change-Id: I" + "0123456789" * 4, ["change_id"], "[ref removed]"),
        ("since commit 9fceb02d0ae5", ["commit_hash"], "since [commit removed]"),
        ("pinned at lib@a1b2c3d4", ["commit_hash"], "pinned at lib@[commit removed]"),
    ],
)
def test_leaks_are_replaced_and_reported(text: str, kinds: list[str], left: str) -> None:
    cleaned, removals = scrub_text(text, "prompt")
    assert cleaned == left
    assert [removal.kind for removal in removals] == kinds
    assert all(removal.field_name == "prompt" and removal.matched for removal in removals)


@pytest.mark.parametrize(
    "text",
    [
        "Return the md5 hash, e.g. '3e25960a79dbc69b674cd4ec67a72c62'.",
        "Binary 0b11010 becomes 'db1111db'.",
        "Item #1 of the list and 1234567 apples.",
        "Return x != 10 when x is a decade1 value.",
        "Visit https://docs.python.org/3/ for help.",
    ],
)
def test_ordinary_task_text_is_left_alone(text: str) -> None:
    assert scrub_text(text, "prompt") == (text, [])


def test_only_comments_of_tests_are_scrubbed() -> None:
    code = 'URL = "github.com/a/b"\n\ndef test_x():  # regression for issue #42\n    assert 1\n'
    cleaned, removals = scrub_python_comments(code, "tests")
    assert (
        cleaned
        == 'URL = "github.com/a/b"\n\ndef test_x():  # regression for [ref removed]\n'
        + ("    assert 1\n")
    )
    assert [(r.field_name, r.kind, r.matched) for r in removals] == [
        ("tests", "issue_ref", "issue #42")
    ]


def test_untokenizable_code_is_returned_unchanged() -> None:
    code = 'x = """never closed  # issue #4\n'
    assert scrub_python_comments(code, "tests") == (code, [])
