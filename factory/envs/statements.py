"""Rewriting a mined task's statement into the issue a user would have filed before the fix,
through the generation client (any OpenAI-compatible server). A commit message often says how
the problem was fixed; the rewrite keeps the symptom and drops the fix. The result is scrubbed
again, and the commit text stays the statement whenever the rewrite fails."""

from dataclasses import dataclass

from factory.generation.client import ChatClient, GenerationError
from factory.generation.requests import ChatMessage, ChatRequest
from factory.intake.scrub import scrub_text

SYSTEM = (
    "You turn a commit message into the bug report or feature request a user would have filed "
    "before the change existed. Describe the observed behaviour, the expected behaviour and, "
    "where the message gives one, a minimal example. Never describe the fix, the code change, "
    "the files or functions changed internally, and never include links, commit hashes, issue "
    "or pull-request numbers. Answer with the issue text only."
)


@dataclass(frozen=True, slots=True)
class Rewrite:
    text: str
    rewritten: bool
    problem: str = ""  # why the commit text was kept


def rewrite_statement(client: ChatClient, model: str, statement: str, max_tokens: int) -> Rewrite:
    request = ChatRequest(
        model=model,
        messages=(ChatMessage("system", SYSTEM), ChatMessage("user", statement)),
        temperature=0.0,
        top_p=1.0,
        max_tokens=max_tokens,
    )
    try:
        completion = client.complete(request)
    except GenerationError as exc:
        return Rewrite(statement, False, f"the rewrite failed: {exc}")
    text, _ = scrub_text(completion.text.strip(), "problem_statement")
    if len(text) < 20:
        return Rewrite(statement, False, "the rewrite came back empty")
    return Rewrite(text, True)
