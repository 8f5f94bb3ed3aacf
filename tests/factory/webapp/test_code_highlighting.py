"""The review page highlights code in every language the factory knows by its own name."""

import pytest
from pygments.lexers import TextLexer

from factory.languages import supported_languages
from factory.vocab import Language
from factory.webapp.rendering import _lexer, highlight_code

# A keyword each snippet holds, which a lexer of the right language marks as one (class "k…").
SNIPPETS: dict[str, tuple[str, str]] = {
    "python": ("def add(a, b):\n    return a + b\n", "return"),
    "javascript": ("function add(a, b) {\n  return a + b;\n}\n", "function"),
    "typescript": ("function add(a: number): number {\n  return a;\n}\n", "function"),
    "java": ("class Solution {\n  static int add(int a) { return a; }\n}\n", "class"),
    "go": ("package main\n\nfunc Add(a int) int {\n\treturn a\n}\n", "func"),
    "rust": ("fn add(a: i32) -> i32 {\n    a\n}\n", "fn"),
    "cpp": ("#include <vector>\nauto add(int a) -> int { return a; }\n", "return"),
    "c": ("int add(int a, int b) {\n  return a + b;\n}\n", "return"),
    "csharp": ("class Solution {\n  static int Add(int a) { return a; }\n}\n", "class"),
    "ruby": ("def add(a, b)\n  a + b\nend\n", "def"),
    "php": ("function add($a, $b) {\n    return $a + $b;\n}\n", "function"),
    "kotlin": ("fun add(a: Int): Int {\n    return a\n}\n", "fun"),
    "swift": ("func add(_ a: Int) -> Int {\n    return a\n}\n", "func"),
    "sql": ("SELECT name FROM employees WHERE salary > 10;\n", "SELECT"),
    "bash": ("add() {\n  echo $(( $1 + $2 ))\n}\nif true; then add 1 2; fi\n", "if"),
}


def test_every_language_has_a_snippet_and_every_runnable_one_is_a_language() -> None:
    assert set(SNIPPETS) == {language.value for language in Language}
    assert set(supported_languages()) <= set(SNIPPETS)


@pytest.mark.parametrize("language", sorted(SNIPPETS))
def test_each_language_name_reaches_its_own_lexer(language: str) -> None:
    code, keyword = SNIPPETS[language]

    html = highlight_code(code, language)

    assert not isinstance(_lexer(language), TextLexer)
    assert f'<span class="k">{keyword}</span>' in html or (
        f">{keyword}</span>" in html and '<span class="k' in html
    ), html


def test_php_without_an_opening_tag_is_still_php() -> None:
    html = highlight_code("function add($a) {\n    return $a;\n}\n", "php")
    assert '<span class="k">function</span>' in html


def test_an_unknown_language_falls_back_to_plain_escaped_text() -> None:
    html = highlight_code("<script>x</script>", "brainfork")
    assert isinstance(_lexer("brainfork"), TextLexer)
    assert "&lt;script&gt;" in html and "<script>" not in html
