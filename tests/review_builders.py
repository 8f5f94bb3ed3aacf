"""Builds review queues, reviewer accounts and web-app data directly in the database.

Shared by the review, web app, asset and sensor tests (pytest puts `tests/` on sys.path).
"""

import re
from dataclasses import dataclass

from fastapi.testclient import TestClient
from review_data_builder import add_batch, add_candidate, add_prompt
from sqlalchemy import Engine
from sqlmodel import Session

from factory.models import Candidate, Finding, Prompt, Reviewer
from factory.review.enqueue import enqueue_batch
from factory.review.pools import admit, all_pools
from factory.settings import ReviewSettings
from factory.webapp.auth import hash_password

BATCH = "batch-review"


@dataclass
class ReviewBatch:
    batch_id: str
    prompts: list[Prompt]
    candidates: dict[int, list[Candidate]]  # prompt id -> candidates


def add_finding(session: Session, candidate: Candidate, dimension: str, rule: str) -> None:
    tool = {"security": "bandit"}.get(dimension, "ruff")
    session.add(Finding(candidate_id=candidate.id, tool=tool, dimension=dimension, rule_id=rule))
    session.flush()


def build_batch(
    engine: Engine,
    *,
    prompts: int = 4,
    language: str = "python",
    batch_id: str = BATCH,
    task_type: str = "code_generation",
) -> ReviewBatch:
    """Per prompt: two passing candidates that differ in findings, one failing, one reference."""
    with Session(engine, expire_on_commit=False) as session:
        add_batch(session, batch_id)
        made: list[Prompt] = []
        candidates: dict[int, list[Candidate]] = {}
        for i in range(prompts):
            prompt = add_prompt(
                session, batch_id, f"p{i}", language=language, task_type=task_type, line_no=i + 1
            )
            clean = add_candidate(session, prompt, model="m1")
            messy = add_candidate(
                session,
                prompt,
                model="m2",
                code=f"def {prompt.entry_point}(x):\n    import os\n    return x+x\n",
            )
            add_finding(session, messy, "style", "E225")
            add_finding(session, messy, "security", "B404")
            broken = add_candidate(
                session,
                prompt,
                model="m3",
                code=f"def {prompt.entry_point}(x):\n    return x\n",
                verdict="failed",
            )
            add_candidate(session, prompt, source="reference", code=prompt.reference_solution)
            made.append(prompt)
            candidates[prompt.id] = [clean, messy, broken]
        session.commit()
    return ReviewBatch(batch_id, made, candidates)


def add_people(
    engine: Engine, *names: str, languages: tuple[str, ...] = ("python",), role: str = "reviewer"
) -> list[Reviewer]:
    """Reviewers already active in every pool of their languages (qualification is tested on
    its own, in tests/factory/review/test_pools.py)."""
    with Session(engine, expire_on_commit=False) as session:
        people = [Reviewer(username=n, languages=list(languages), role=role) for n in names]
        session.add_all(people)
        session.flush()
        for person in people:
            admit_everywhere(session, person)
        session.commit()
    return people


def admit_everywhere(session: Session, person: Reviewer) -> None:
    assert person.id is not None
    for language, task_type in all_pools(person.languages):
        admit(session, person.id, language, task_type, reason="test reviewer")


def enqueue(engine: Engine, batch_id: str = BATCH, **settings) -> None:
    with Session(engine) as session:
        enqueue_batch(session, batch_id, ReviewSettings(**settings))
        session.commit()


PASSWORD = "correct horse battery"
WEB_BATCH = "batch-web"
XSS = '</pre><script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'
SECRET_MODEL = "secret-model-name-7b"


def add_account(
    engine: Engine,
    username: str,
    role: str = "reviewer",
    languages=("python",),
    *,
    qualified: bool = True,
):
    """A reviewer who can sign in; `qualified` puts them in every pool of their languages."""
    with Session(engine) as session:
        person = Reviewer(
            username=username,
            password_hash=hash_password(PASSWORD),
            role=role,
            languages=list(languages),
        )
        session.add(person)
        session.flush()
        if qualified:
            admit_everywhere(session, person)
        session.commit()


def queue_batch(engine: Engine, prompts: int = 3, *, hostile: bool = True) -> None:
    """Prompts with two passing candidates that differ in findings; the first one is hostile."""
    with Session(engine) as session:
        add_batch(session, WEB_BATCH)
        for i in range(prompts):
            text = f"Double a number. <b>bold</b> {XSS}" if hostile and i == 0 else None
            prompt = add_prompt(session, WEB_BATCH, f"w{i}", text=text, line_no=i + 1)
            code = f"def {prompt.entry_point}(x):\n    # {XSS if hostile and i == 0 else 'ok'}\n"
            add_candidate(session, prompt, model=SECRET_MODEL, code=code + "    return 2 * x\n")
            other = add_candidate(
                session, prompt, model="other-model", code=code + "    return x+x\n"
            )
            session.add(
                Finding(
                    candidate_id=other.id,
                    tool="ruff",
                    dimension="style",
                    rule_id="E225",
                    line=3,
                    message=f"missing whitespace {XSS}",
                )
            )
        session.flush()
        enqueue_batch(session, WEB_BATCH, ReviewSettings(overlap_fraction=0.0, gold_rate=0.0))
        session.commit()


def login(client: TestClient, username: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_of(page.text)},
    )
    return response


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


def full_scores_for(engine: Engine, task_id: int, score: int = 4) -> dict[int, dict[str, int]]:
    """A complete score sheet (every dimension, both candidates) for a task."""
    from factory.models import ReviewTask
    from factory.vocab import DIMENSIONS

    with Session(engine) as session:
        task = session.get(ReviewTask, task_id)
    return {
        task.candidate_a_id: {d.value: score for d in DIMENSIONS},
        task.candidate_b_id: {d.value: score for d in DIMENSIONS},
    }
