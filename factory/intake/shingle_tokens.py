"""Tokens for near-duplicate shingles: the same text with other spacing or punctuation, or the
same code with other formatting or names, gives the same tokens.

Prose and code are cut alike into words and identifiers, numbers, and operators or punctuation,
each its own token (`add(a,b)` and `add(a, b)` are both `add ( a , b )`); whitespace is never a
token. Python code (a prompt that is a whole module with a def or class, as HumanEval's are, or
a fenced block of a Python prompt) is read with Python's tokenizer, and every name it chooses
becomes one placeholder token, so renamed variables or functions still match (one placeholder
rather than numbered ones, so that one added name does not renumber all the others); keywords,
builtins, imported names and attribute names are kept, since they carry what the code does.
Its strings and comments are prose, in which the names of the functions and classes it defines
become the placeholder too (a docstring's examples call the function).
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
# Every name the code chooses becomes this one token; the regular expression never yields it.
CODE_NAME = "$id"
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
    if not text.isascii():  # NFKC leaves ASCII as it is
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
    if not renamed:
        if text.isascii():  # lower-casing ASCII first changes no token's extent
            return _TOKEN.findall(text.lower())
        return [token.lower() for token in _TOKEN.findall(text)]
    return [renamed.get(token) or token.lower() for token in _TOKEN.findall(text)]


def _python_tokens(code: str, *, require_definition: bool) -> list[str] | None:
    """Tokens of `code` with its own names renamed; None when it is not Python."""
    if require_definition and "def" not in code and "class" not in code:
        return None  # no def or class statement can be in it: not worth parsing
    try:
        module = ast.parse(code)
        tokens = list(tokenize.generate_tokens(io.StringIO(code).readline))
    except (SyntaxError, ValueError, tokenize.TokenError, RecursionError, MemoryError):
        # MemoryError and RecursionError are how CPython's parser refuses deep nesting.
        return None
    defined = {
        node.name
        for node in ast.walk(module)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    }
    if require_definition and not defined:
        return None  # prose that happens to parse (a bare "sort(xs)") defines nothing
    kept = _KEPT_NAMES | _imported_names(module)
    out: list[str] = []
    previous = ""
    for token in tokens:
        kind, string = token.type, token.string
        if kind in _SKIPPED:
            continue
        if kind == tokenize.NAME:
            out.append(string.lower() if string in kept or previous == "." else CODE_NAME)
        elif kind in (tokenize.STRING, tokenize.COMMENT) or _is_fstring_text(kind):
            out += prose_tokens(string, dict.fromkeys(defined, CODE_NAME))
        else:
            out.append(string.lower())
        previous = string
    return out


def _imported_names(module: ast.Module) -> set[str]:
    """Modules and the names imported from them: an API, not the author's choice of names."""
    names: set[str] = set()
    for node in ast.walk(module):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names.update((node.module or "").split(".") if isinstance(node, ast.ImportFrom) else ())
            for alias in node.names:
                names.update(alias.name.split("."))
                if alias.asname:
                    names.add(alias.asname)
    return names


def _is_fstring_text(kind: int) -> bool:
    """The literal text of an f-string, which Python 3.12 and later tokenize separately."""
    return tokenize.tok_name.get(kind) == "FSTRING_MIDDLE"
