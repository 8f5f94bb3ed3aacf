"""Code extraction from a model's reply; the raw reply is always kept beside the result.

- One fenced block in the prompt's language (or unlabelled): that block ("fenced").
- Several such blocks: every block up to and including the first that defines the entry point.
  Earlier blocks are usually helpers and imports it needs; later ones are usually usage examples
  or test runs, which must not execute with the candidate. If no block defines the entry point,
  all blocks joined in order ("multiple").
- No block: the whole reply, if it is Python that parses and contains a definition or import
  ("bare"); otherwise empty code ("none"), which the signals stage reports as a parser finding.
A block cut off by the token limit (no closing fence) still counts as a block.
"""

import ast
import re
from dataclasses import dataclass

FENCED = "fenced"
MULTIPLE = "multiple"
BARE = "bare"
NONE = "none"
REPLAY = "replay"

_FENCE = re.compile(
    r"^[ \t]*```[ \t]*([\w+#.-]*)[^\n]*\n(.*?)(?:^[ \t]*```[ \t]*$|\Z)", re.M | re.S
)
_ALIASES: dict[str, set[str]] = {
    "python": {"python", "py", "python3", "py3"},
    "javascript": {"javascript", "js", "node"},
    "typescript": {"typescript", "ts"},
    "cpp": {"cpp", "c++", "cc", "cxx"},
    "csharp": {"csharp", "cs", "c#"},
    "bash": {"bash", "sh", "shell"},
    "go": {"go", "golang"},
    "rust": {"rust", "rs"},
    "kotlin": {"kotlin", "kt"},
    "ruby": {"ruby", "rb"},
}


@dataclass(frozen=True, slots=True)
class Extraction:
    code: str
    method: str  # fenced | multiple | bare | none
    blocks: int  # fenced blocks in the prompt's language found in the reply


def extract_code(reply: str, *, language: str, entry_point: str = "") -> Extraction:
    blocks = _blocks(reply, language)
    if len(blocks) == 1:
        return Extraction(blocks[0], FENCED, 1)
    if blocks:
        end = next(
            (i for i, block in enumerate(blocks) if defines(block, entry_point, language)),
            len(blocks) - 1,
        )
        chosen = "\n\n".join(block.strip("\n") for block in blocks[: end + 1])
        return Extraction(chosen + "\n", MULTIPLE, len(blocks))
    bare = reply.strip()
    if language == "python" and bare and _is_python_code(bare):
        return Extraction(bare + "\n", BARE, 0)
    return Extraction("", NONE, 0)


def defines(code: str, entry_point: str, language: str) -> bool:
    """Whether `code` defines `entry_point` (exactly for Python, by name elsewhere)."""
    if not entry_point:
        return False
    if language == "python":
        try:
            tree = ast.parse(code)
        except SyntaxError:
            return False
        kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
        return any(isinstance(node, kinds) and node.name == entry_point for node in tree.body)
    return re.search(rf"\b{re.escape(entry_point)}\s*[(<=:]", code) is not None


def _blocks(reply: str, language: str) -> list[str]:
    accepted = _ALIASES.get(language, {language}) | {""}
    found = []
    for match in _FENCE.finditer(reply):
        tag, body = match.group(1).lower(), match.group(2)
        if tag in accepted and body.strip():
            found.append(body.strip("\n").rstrip() + "\n")
    return found


def _is_python_code(text: str) -> bool:
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return False
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)
    return any(isinstance(node, kinds) for node in tree.body)
