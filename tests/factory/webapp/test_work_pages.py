"""The work pages of every kind beyond pairs, through the app (TestClient): each shows its rubric
and keeps hostile text inert; submissions are saved and the next task served, or refused with
the reason and everything typed kept; notes are stamped in order beside every kind, the pairwise
page included; nobody reaches another reviewer's claim."""

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape
from review_builders import XSS, csrf_of, login, queue_batch
from sqlalchemy import Engine, update
from sqlmodel import Session, col, select
from work_builders import BUGGY, GOOD, LOOPED, REGRESSION
from work_page_builders import hostile_work_batch, take

from factory.models import (
    RankEntry,
    ReasoningNote,
    RefactorStep,
    Reviewer,
    Submission,
    TaskCandidate,
    TaskClaim,
)
from factory.models._base import utcnow
from factory.review.queue import expire_stale_claims
from factory.sandbox.pool import PooledSandbox
from factory.settings import FactoryConfig, SandboxSettings
from factory.tasktypes.notes import add_note
from factory.tasktypes.registry import work_type
from factory.vocab import DIMENSIONS
from factory.webapp.app import create_app

KINDS = ("ranking", "code_review", "bug_fix", "authoring", "refactoring", "reasoning")
# No sandbox can open under this name: a test that needs one injects the docker pool.
NO_SANDBOX = FactoryConfig(sandbox=SandboxSettings(backend="none-here"))
ESCAPED = "&lt;script&gt;window.__pwned = 1&lt;/script&gt;"


@contextmanager
def app_on(engine: Engine, sandbox: PooledSandbox | None = None) -> Iterator[TestClient]:
    app = create_app(engine, config=NO_SANDBOX, secret="s" * 40)
    app.state.work_sandbox = sandbox
    with TestClient(app) as client:
        yield client


@pytest.fixture
def web(engine: Engine) -> Iterator[TestClient]:
    hostile_work_batch(engine, "alice", "bob")
    with app_on(engine) as client:
        yield client


@pytest.fixture
def sqlite_web(sqlite_engine: Engine) -> Iterator[TestClient]:
    hostile_work_batch(sqlite_engine, "alice", "bob")
    with app_on(sqlite_engine) as client:
        yield client


def person(engine: Engine, username: str) -> int:
    with Session(engine) as session:
        return session.exec(select(Reviewer.id).where(Reviewer.username == username)).one()


def open_work(client: TestClient, engine: Engine, kind: str, username: str = "alice"):  # type: ignore[no-untyped-def]
    """`username` signed in and holding the task of `kind`: (claim, its page)."""
    claim = take(engine, username, kind)
    login(client, username)
    page = client.get(f"/review/{claim.id}")  # the queue's link; other kinds move on
    assert page.status_code == 200, page.text
    assert str(page.url).endswith(f"/work/{claim.id}")
    return claim, page


def alert(html: str) -> str:
    match = re.search(r'role="alert" id="form-error">([^<]*)<', html)
    assert match, "the page shows no error"
    return match.group(1)


def ranking_fields(engine: Engine, claim: TaskClaim, ranks: tuple[int, ...]) -> dict[str, str]:
    with Session(engine) as session:
        ids = session.exec(
            select(TaskCandidate.candidate_id)
            .where(TaskCandidate.task_id == claim.task_id)
            .order_by(col(TaskCandidate.position))
        ).all()
    fields = {f"score-{c}-{d.value}": "4" for c in ids for d in DIMENSIONS}
    fields.update({f"rank-{c}": str(r) for c, r in zip(ids, ranks, strict=True)})
    fields["rationale"] = "B is sum(); A loops; C and D are wrong <b>x</b>"
    return fields


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_has_its_page_with_its_rubric_and_inert_hostile_text(
    engine: Engine, web: TestClient, kind: str
) -> None:
    claim = take(engine, "alice", kind)
    add_note(engine, claim.id, person(engine, "alice"), f"first thought {XSS}")
    login(web, "alice")
    html = web.get(f"/work/{claim.id}").text
    rubric = work_type(kind).rubric
    assert f'id="rubric-version">{rubric.version}<' in html
    for heading, _meaning in rubric.sections:
        assert f"<dt>{escape(heading)}</dt>" in html
    # The prompt, the code, the tests and the note all carry the payload: never as markup.
    assert "<script>window.__pwned" not in html
    assert '<img src=x onerror="window.__pwned' not in html
    assert html.count(ESCAPED) >= 2  # the prompt and the note, at least
    assert "<b>bold</b>" not in html and "&lt;b&gt;bold&lt;/b&gt;" in html
    assert 'id="note-form"' in html and "first thought" in html
    assert f'action="/work/{claim.id}"' in html and f'data-kind="{kind}"' in html


def test_each_page_shows_what_its_kind_works_on(
    sqlite_engine: Engine, sqlite_web: TestClient
) -> None:
    engine, web = sqlite_engine, sqlite_web
    login(web, "alice")
    pages = {}
    for kind in KINDS:
        claim = take(engine, "alice", kind)
        pages[kind] = web.get(f"/work/{claim.id}").text
        web.post(
            f"/work/{claim.id}/skip",
            data={"reason": "Conflict of interest", "csrf_token": csrf_of(pages[kind])},
        )
    ranking = pages["ranking"]
    assert [f"Candidate {x}" in ranking for x in "ABCD"] == [True] * 4
    assert ranking.count('class="row-keys rank-row"') == 4
    # Models stay hidden (the random CSRF token may hold any letters, so it is left out).
    shown = re.sub(r'value="[A-Za-z0-9_-]{20,}"', "", ranking)
    assert "m1" not in shown and "m2" not in shown
    # Code review: one numbered row per line of the code (LOOPED plus the hostile comment).
    assert pages["code_review"].count('class="lineno"') == len(LOOPED.splitlines()) + 1
    assert 'name="spans"' in pages["code_review"] and 'name="clean"' in pages["code_review"]
    # Bug fix: the fix starts as the buggy code; the regression test starts empty.
    fixed = re.search(r'id="fixed_code"[^>]*>\n(.*?)</textarea>', pages["bug_fix"], re.S)
    assert fixed and fixed.group(1).startswith("def total(xs):\n    t = 0\n")
    assert 'name="cause_category"' in pages["bug_fix"] and "off by one" in pages["bug_fix"]
    # Authoring of a prompt without tests says the tests are needed, and needs them.
    assert "This prompt has no tests" in pages["authoring"]
    assert re.search(r'name="tests"[^>]*required', pages["authoring"])
    assert 'id="start-code"' in pages["refactoring"] and 'name="steps"' in pages["refactoring"]
    assert "notes prominent" in pages["reasoning"] and "at least 2 notes" in pages["reasoning"]


def test_a_ranking_is_saved_and_the_next_task_served(engine: Engine, web: TestClient) -> None:
    claim, page = open_work(web, engine, "ranking")
    fields = ranking_fields(engine, claim, (2, 1, 3, 4))
    response = web.post(
        f"/work/{claim.id}",
        data={**fields, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"].startswith("/review/")
    after = web.get(response.headers["location"])
    assert f"Work {claim.id} saved." in after.text
    assert "/work/" in str(after.url)  # the next task is another kind of work
    with Session(engine) as session:
        submission = session.exec(select(Submission)).one()
        ranks = session.exec(
            select(RankEntry.rank).where(RankEntry.submission_id == submission.id)
        ).all()
        next_claim = session.exec(
            select(TaskClaim).where(TaskClaim.id != claim.id, TaskClaim.status == "active")
        ).one()
    assert (submission.claim_id, submission.rubric_version) == (claim.id, "ranking-1")
    assert sorted(ranks) == [1, 2, 3, 4]
    assert str(after.url).endswith(f"/work/{next_claim.id}")


def test_a_form_posted_to_the_review_address_reaches_the_work(
    sqlite_engine: Engine, sqlite_web: TestClient
) -> None:
    claim, page = open_work(sqlite_web, sqlite_engine, "ranking")
    fields = ranking_fields(sqlite_engine, claim, (1, 2, 3, 4))
    response = sqlite_web.post(
        f"/review/{claim.id}", data={**fields, "csrf_token": csrf_of(page.text), "advance": "0"}
    )
    assert response.status_code == 200 and f"Work {claim.id} saved." in response.text
    with Session(sqlite_engine) as session:
        assert session.exec(select(Submission.claim_id)).one() == claim.id


def test_an_incomplete_ranking_comes_back_with_the_reason_and_the_input(
    sqlite_engine: Engine, sqlite_web: TestClient
) -> None:
    claim, page = open_work(sqlite_web, sqlite_engine, "ranking")
    fields = ranking_fields(sqlite_engine, claim, (1, 1, 3, 4))
    response = sqlite_web.post(
        f"/work/{claim.id}", data={**fields, "csrf_token": csrf_of(page.text)}
    )
    assert response.status_code == 400
    assert "its own place" in alert(response.text) and f"claim {claim.id}" in alert(response.text)
    assert "B is sum(); A loops; C and D are wrong &lt;b&gt;x&lt;/b&gt;</textarea>" in response.text
    checked = re.findall(r'name="(rank-\d+)" value="(\d)" checked', response.text)
    assert sorted(v for _name, v in checked) == ["1", "1", "3", "4"]
    assert len(re.findall(r'name="score-\d+-\w+" value="4" checked', response.text)) == 20
    with Session(sqlite_engine) as session:
        assert session.exec(select(Submission)).all() == []


def test_checked_work_with_no_sandbox_is_refused_saying_so_and_kept(
    sqlite_engine: Engine, sqlite_web: TestClient
) -> None:
    claim, page = open_work(sqlite_web, sqlite_engine, "bug_fix")
    fields = {
        "fixed_code": GOOD,
        "regression_test": REGRESSION,
        "root_cause": "range(len(xs) - 1) skips the last item",
        "cause_category": "off_by_one",
        "how_found": "ran total([5])",
        "csrf_token": csrf_of(page.text),
    }
    response = sqlite_web.post(f"/work/{claim.id}", data=fields)
    assert response.status_code == 400
    assert "no sandbox is available" in alert(response.text)
    assert '<option value="off_by_one" selected>' in response.text
    assert "range(len(xs) - 1) skips the last item</textarea>" in response.text
    assert "def test_last_item_counts():" in response.text


@pytest.mark.docker
def test_a_bug_fix_the_sandbox_refuses_shows_why_and_keeps_the_input(
    sqlite_engine: Engine, docker_sandbox: PooledSandbox
) -> None:
    engine = sqlite_engine
    hostile_work_batch(engine, "alice")
    with app_on(engine, docker_sandbox) as web:
        claim, page = open_work(web, engine, "bug_fix")
        weak = "from solution import total\n\ndef test_empty():\n    assert total([]) == 0\n"
        fields = {
            "fixed_code": GOOD,
            "regression_test": weak,
            "root_cause": "the loop stops one short",
            "cause_category": "off_by_one",
            "how_found": "read the range() bounds",
            "csrf_token": csrf_of(page.text),
        }
        refused = web.post(f"/work/{claim.id}", data=fields)
        assert refused.status_code == 400
        assert "passes on the buggy code" in alert(refused.text)
        assert "def test_empty():\n    assert total([]) == 0\n</textarea>" in refused.text
        assert "read the range() bounds</textarea>" in refused.text
        with Session(engine) as session:
            assert session.exec(select(Submission)).all() == []
        fields.update(regression_test=REGRESSION, csrf_token=csrf_of(refused.text))
        saved = web.post(f"/work/{claim.id}", data=fields)
        assert saved.status_code == 200 and f"Work {claim.id} saved." in saved.text
    with Session(engine) as session:
        submission = session.exec(select(Submission)).one()
    assert submission.kind == "bug_fix" and submission.rubric_version == "bug-fix-1"
    assert [c["verdict"] for c in submission.verification["checks"]] == [
        "failed",
        "passed",
        "passed",
    ]


@pytest.mark.docker
def test_a_refactoring_step_runs_the_tests_and_a_breaking_one_is_flagged(
    sqlite_engine: Engine, docker_sandbox: PooledSandbox
) -> None:
    engine = sqlite_engine
    hostile_work_batch(engine, "alice")
    with app_on(engine, docker_sandbox) as web:
        claim, page = open_work(web, engine, "refactoring")
        token = csrf_of(page.text)
        broken = "def total(xs):\n    return sum(xs[1:])\n"
        run = web.post(f"/work/{claim.id}/run", data={"code": broken, "csrf_token": token})
        assert run.status_code == 200
        assert (run.json()["passed"], run.json()["verdict"]) == (False, "failed")
        assert "1/2 tests passed" in run.json()["summary"]
        fine = web.post(f"/work/{claim.id}/run", data={"code": GOOD, "csrf_token": token})
        assert fine.json()["passed"] is True and fine.json()["tests_total"] == 2
        steps = [
            {"code": broken, "why": "shorter", "move": "replace_algorithm", "verdict": "failed"},
            {"code": GOOD, "why": "sum() of every item", "move": "replace_algorithm"},
        ]
        saved = web.post(
            f"/work/{claim.id}",
            data={"steps": json.dumps(steps), "csrf_token": token, "advance": "0"},
        )
        assert f"Work {claim.id} saved." in saved.text
    with Session(engine) as session:
        rows = session.exec(select(RefactorStep).order_by(col(RefactorStep.position))).all()
    assert [(r.breaks_tests, r.verdict) for r in rows] == [(True, "failed"), (False, "passed")]


def test_notes_are_stamped_from_the_claim_and_kept_in_order(
    engine: Engine, web: TestClient
) -> None:
    claim, page = open_work(web, engine, "reasoning")
    with Session(engine) as session:  # the claim began 2 min 5 s ago
        session.execute(
            update(TaskClaim)
            .where(col(TaskClaim.id) == claim.id)
            .values(claimed_at=utcnow() - timedelta(seconds=125))
        )
        session.commit()
    token = csrf_of(page.text)
    as_json = {"Accept": "application/json"}
    first = web.post(
        f"/work/{claim.id}/notes", data={"text": "try a loop", "csrf_token": token}, headers=as_json
    )
    second = web.post(
        f"/work/{claim.id}/notes",
        data={"text": "sum() is enough", "csrf_token": token},
        headers=as_json,
    )
    assert first.status_code == 200 and [n["text"] for n in first.json()["notes"]] == ["try a loop"]
    listed = second.json()["notes"]
    assert [n["text"] for n in listed] == ["try a loop", "sum() is enough"]
    assert all(re.fullmatch(r"\+02:0[5-9]", n["stamp"]) for n in listed), listed
    assert listed[0]["seconds_in"] <= listed[1]["seconds_in"]
    # The form's own post (no script) adds the note and comes back to the page.
    plain = web.post(f"/work/{claim.id}/notes", data={"text": "  ", "csrf_token": token})
    assert plain.status_code == 200 and "a note needs some text" in plain.text
    empty = web.post(
        f"/work/{claim.id}/notes", data={"text": "", "csrf_token": token}, headers=as_json
    )
    assert empty.status_code == 400 and "needs some text" in empty.json()["error"]
    with Session(engine) as session:
        stored = session.exec(
            select(ReasoningNote)
            .where(ReasoningNote.claim_id == claim.id)
            .order_by(col(ReasoningNote.id))
        ).all()
    assert [n.text for n in stored] == ["try a loop", "sum() is enough"]
    assert all(125 <= n.seconds_in < 130 for n in stored)
    html = web.get(f"/work/{claim.id}").text
    assert re.search(r'class="stamp">\+02:0\d</span> <span class="note-text">try a loop<', html)


def test_the_pairwise_page_has_notes_and_hands_other_kinds_on(sqlite_engine: Engine) -> None:
    engine = sqlite_engine
    queue_batch(engine)
    hostile_work_batch(engine, "alice")
    with app_on(engine) as web:
        claim = take(engine, "alice", "pairwise")
        login(web, "alice")
        page = web.get(f"/review/{claim.id}")
        assert page.status_code == 200 and 'id="review-form"' in page.text
        assert f'action="/review/{claim.id}/notes"' in page.text
        assert '<script src="/static/work.js"' in page.text
        added = web.post(
            f"/review/{claim.id}/notes",
            data={"text": "A handles the empty list", "csrf_token": csrf_of(page.text)},
        )
        assert str(added.url).endswith(f"/review/{claim.id}") and "Note added." in added.text
        assert re.search(
            r'class="stamp">\+00:0\d</span> <span class="note-text">A handles', added.text
        )
        # The work page's address of a pair is the review page.
        assert str(web.get(f"/work/{claim.id}").url).endswith(f"/review/{claim.id}")


def test_another_reviewers_claim_is_not_found(
    sqlite_engine: Engine, sqlite_web: TestClient
) -> None:
    engine, web = sqlite_engine, sqlite_web
    claim = take(engine, "alice", "bug_fix")
    home = login(web, "bob")
    token = csrf_of(home.text)
    assert web.get(f"/work/{claim.id}").status_code == 404
    assert web.get(f"/review/{claim.id}").status_code == 404
    assert web.post(f"/work/{claim.id}", data={"csrf_token": token}).status_code == 404
    assert (
        web.post(f"/work/{claim.id}/skip", data={"csrf_token": token, "reason": "x"}).status_code
        == 404
    )
    assert (
        web.post(f"/work/{claim.id}/notes", data={"csrf_token": token, "text": "hi"}).status_code
        == 404
    )
    ran = web.post(f"/work/{claim.id}/run", data={"csrf_token": token, "code": GOOD})
    assert ran.status_code == 404 and "not one of yours" in ran.json()["error"]
    assert web.get("/work/999999").status_code == 404
    with Session(engine) as session:
        assert session.exec(select(ReasoningNote)).all() == []
        assert session.get(TaskClaim, claim.id).status == "active"  # type: ignore[union-attr]


def test_an_expired_lease_goes_home_with_the_reason(
    sqlite_engine: Engine, sqlite_web: TestClient
) -> None:
    engine, web = sqlite_engine, sqlite_web
    claim, page = open_work(web, engine, "authoring")
    expire_stale_claims(engine, now=utcnow() + timedelta(hours=2))
    response = web.post(
        f"/work/{claim.id}", data={"solution": GOOD, "tests": "x", "csrf_token": csrf_of(page.text)}
    )
    assert str(response.url).endswith("/") and "expired" in response.text
    assert web.get(f"/work/{claim.id}").url.path == "/"


def test_skipping_gives_the_work_back_and_serves_the_next(
    sqlite_engine: Engine, sqlite_web: TestClient
) -> None:
    engine, web = sqlite_engine, sqlite_web
    claim, page = open_work(web, engine, "code_review")
    token = csrf_of(page.text)
    refused = web.post(f"/work/{claim.id}/skip", data={"csrf_token": token})
    assert refused.status_code == 400 and "skipping needs a reason" in alert(refused.text)
    skipped = web.post(
        f"/work/{claim.id}/skip", data={"csrf_token": token, "reason": "Outside my expertise"}
    )
    assert f"Work {claim.id} skipped (Outside my expertise)." in skipped.text
    with Session(engine) as session:
        assert session.get(TaskClaim, claim.id).status == "skipped"  # type: ignore[union-attr]


def test_code_review_spans_come_back_kept_when_refused(
    sqlite_engine: Engine, sqlite_web: TestClient
) -> None:
    engine, web = sqlite_engine, sqlite_web
    claim, page = open_work(web, engine, "code_review")
    span = {
        "start_line": 3,
        "end_line": 4,
        "category": "security",
        "severity": "high",
        "cwe": "",
        "comment": f"unsafe {XSS}",
        "suggested_fix": "",
    }
    response = web.post(
        f"/work/{claim.id}",
        data={
            "spans": json.dumps([span]),
            "summary": "one finding",
            "csrf_token": csrf_of(page.text),
        },
    )
    assert response.status_code == 400 and "needs its CWE" in alert(response.text)
    kept = re.search(r'name="spans" id="spans" value="([^"]*)"', response.text)
    assert kept and "&#34;comment&#34;: &#34;unsafe &lt;/pre&gt;&lt;script&gt;" in kept.group(1)
    assert "one finding</textarea>" in response.text
    assert BUGGY not in response.text  # the page is the code review's, not another kind's
