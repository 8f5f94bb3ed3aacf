"""Tokens for near-duplicate shingles: the same text with other spacing or punctuation, or the
same code with other formatting or names, gives the same tokens.

Prose and code are cut alike into words and identifiers, numbers, and operators or punctuation,
each its own token (`add(a,b)` and `add(a, b)` are both `add ( a , b )`); whitespace is never a
token. Python code (a prompt that is a whole module with a def or class, as HumanEval's are, or
a fenced block of a Python prompt) is read with Python's tokenizer, and the names it defines or
uses are replaced by their order of first appearance (`v0`, `v1`, ...), so renamed variables or
functions still match; keywords, builtins and attribute names are kept, since they carry what
the code does. Its strings and comments are prose, in which the names of the functions and
classes it defines are replaced the same way (a docstring's examples call the function).
"""

import ast
import builtins
import io
import keyword
import re
import tokenize
import unicodedata

from factory.vocab import Language

# Words (any script), numbers (with decimals, exponents or a base prefix), the common
# multi-character operators of C-like languages and Python, then any other single character.
_TOKEN = re.compile(
    r"""
    0[xXbBoO][0-9a-fA-F_]+
    | \d[\d_]*(?:\.\d+)?(?:[eE][+-]?\d+)?
    | [^\W\d]\w*
    | \*\*=? | //=? | <<=? | >>=? | \.\.\. | ->  | =>  | ::  | :=  | &&  | \|\|
    | ==     | !=   | <=   | >=   | \+\+   | --  | [-+*/%&|^@]=
    | \S
    """,
    re.VERBOSE,
)
_FENCE = re.compile(r"```[^\n`]*\n(.*?)```", re.DOTALL)
_KEPT_NAMES = frozenset(dir(builtins)) | frozenset(keyword.kwlist) | frozenset(keyword.softkwlist)
_SKIPPED = frozenset(
    {
        tokenize.NEWLINE,
        tokenize.NL,
        tokenize.INDENT,
        tokenize.DEDENT,
        tokenize.ENDMARKER,
        tokenize.ENCODING,
    }
)


def shingle_tokens(text: str, language: str = Language.PYTHON) -> list[str]:
    """The tokens of a prompt, in order, for its shingles."""
    text = unicodedata.normalize("NFKC", text)
    if language == Language.PYTHON:
        whole = _python_tokens(text, require_definition=True)
        if whole is not None:
            return whole
        tokens: list[str] = []
        start = 0
        for fence in _FENCE.finditer(text):
            tokens += prose_tokens(text[start : fence.start()])
            block = fence.group(1)
            tokens += _python_tokens(block, require_definition=False) or prose_tokens(block)
            start = fence.end()
        return tokens + prose_tokens(text[start:])
    return prose_tokens(text)


def prose_tokens(text: str, renamed: dict[str, str] | None = None) -> list[str]:
    """Words, numbers and punctuation, lower-cased; `renamed` words become their new names."""
    renamed = renamed or {}
    return [renamed.get(token) or token.lower() for token in _TOKEN.findall(text)]


def _python_tokens(code: str, *, require_definition: bool) -> list[str] | None:
    """Tokens of `code` with its own names renamed; None when it is not Python."""
    try:
        module = ast.parse(code)
        tokens = list(tokenize.generate_tokens(io.StringIO(code).readline))
    except (SyntaxError, ValueError, tokenize.TokenError):
        return None
    defined = {
        node.name
        for node in ast.walk(module)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    }
    if require_definition and not defined:
        return None  # a sentence that happens to parse ("Add x") is prose
    names: dict[str, str] = {}
    out: list[str] = []
    previous = ""
    for token in tokens:
        kind, string = token.type, token.string
        if kind in _SKIPPED:
            continue
        if kind == tokenize.NAME:
            if string in _KEPT_NAMES or previous == ".":
                out.append(string.lower())
            else:
                out.append(names.setdefault(string, f"v{len(names)}"))
        elif kind in (tokenize.STRING, tokenize.COMMENT) or kind >= tokenize.N_TOKENS:
            out += prose_tokens(string, {n: names[n] for n in defined if n in names})
        else:
            out.append(string.lower())
        previous = string
    return out
