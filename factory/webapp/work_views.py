"""What a work page shows: the code it is on (highlighted, numbered, per line for review), the
candidates of a ranking, the prompt's tests, the notes so far, and the choices of each select.

Everything from prompts, code and notes reaches the page through Jinja's autoescaping or
Pygments, which escapes its input; candidates' models and sources are never loaded.
"""

from dataclasses import dataclass, field
from functools import cache, lru_cache

from markupsafe import Markup, escape
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import TextLexer, get_lexer_by_name
from pygments.util import ClassNotFound
from sqlmodel import Session

from factory.models import ReasoningNote
from factory.review.pairs import latest_verdicts
from factory.tasktypes.base import WorkContext
from factory.tasktypes.bug_fix import ROOT_CAUSES
from factory.tasktypes.code_review import CATEGORIES, SEVERITIES
from factory.tasktypes.notes import notes_of
from factory.tasktypes.reasoning import APPROACHES, MIN_NOTES
from factory.tasktypes.refactoring import MOVES
from factory.tasktypes.submit import ClaimedWork
from factory.vocab import WorkKind
from factory.webapp.rendering import CODE_CSS_CLASS, highlight_code

CHOICES: dict[str, tuple[str, ...]] = {
    "root_causes": ROOT_CAUSES,
    "categories": CATEGORIES,
    "severities": SEVERITIES,
    "moves": MOVES,
    "approaches": APPROACHES,
}


@dataclass(frozen=True, slots=True)
class RankedCandidate:
    """One candidate of a ranking as the page shows it: a letter, never a model."""

    candidate_id: int
    label: str
    code_html: Markup
    verdict: str


@dataclass(slots=True)
class WorkView:
    work: ClaimedWork
    notes: list[ReasoningNote]
    code_html: Markup | None = None  # the code worked on, numbered and highlighted
    code_lines: tuple[Markup, ...] = ()  # the same, a line each (code review marks lines)
    tests_html: Markup | None = None  # the prompt's tests, when it has some
    candidates: list[RankedCandidate] = field(default_factory=list)
    min_notes: int = 0

    @property
    def context(self) -> WorkContext:
        return self.work.context


def page_view(session: Session, work: ClaimedWork) -> WorkView:
    context = work.context
    assert work.claim.id is not None  # a row read from the database
    view = WorkView(
        work=work,
        notes=notes_of(session, work.claim.id),
        min_notes=MIN_NOTES if context.kind == WorkKind.REASONING else 0,
    )
    if context.code.strip():
        view.code_html = highlight_code(context.code, context.language)
    if context.kind == WorkKind.CODE_REVIEW:
        view.code_lines = code_lines(context.code, context.language)
    if context.tests.strip():
        view.tests_html = highlight_code(context.tests, context.language)
    if context.candidates:
        verdicts = latest_verdicts(session, [c.candidate_id for c in context.candidates])
        view.candidates = [
            RankedCandidate(
                candidate_id=c.candidate_id,
                label=chr(ord("A") + position),  # the plug-in's messages use the same letters
                code_html=highlight_code(c.code, context.language),
                verdict=verdicts.get(c.candidate_id, "not run"),
            )
            for position, c in enumerate(context.candidates)
        ]
    return view


@cache
def _lexer(language: str) -> Lexer:
    try:
        return get_lexer_by_name(language, stripnl=False, startinline=True)
    except ClassNotFound:
        return TextLexer(stripnl=False)


@cache
def _line_formatter() -> HtmlFormatter:
    return HtmlFormatter(nowrap=True, cssclass=CODE_CSS_CLASS)


@lru_cache(maxsize=1024)
def code_lines(code: str, language: str) -> tuple[Markup, ...]:
    """The code highlighted, one entry per line as the code-review plug-in counts lines
    (str.splitlines). Pygments closes its spans at every newline, so each line stands alone;
    where its line breaks differ from splitlines' (form feeds, lone CRs) the lines are shown
    escaped but plain, so numbers always match what the server checks."""
    plain = code.splitlines() or [""]
    lines = highlight(code, _lexer(language), _line_formatter()).split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if len(lines) != len(plain):
        return tuple(escape(line) for line in plain)
    return tuple(Markup(line) for line in lines)  # noqa: S704  (escaped by Pygments)
