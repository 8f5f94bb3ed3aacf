"""Labels a release may use: opposite-direction reviews go to a senior, the safety veto keeps
unsafe or failing candidates from being chosen or used as SFT answers, and only a senior's
written override lets one through; the QA report counts all of it."""

from pathlib import Path

import pyarrow.parquet as pq
import pytest
from release_builders import claim
from review_builders import full_scores_for
from review_data_builder import (
    add_annotation,
    add_batch,
    add_candidate,
    add_prompt,
    add_reviewer,
    add_task,
)
from sqlalchemy import Engine
from sqlmodel import Session, select

from factory.models import Adjudication, PreferencePair, Reviewer, ReviewTask
from factory.packaging.release import build_release
from factory.packaging.selection import (
    OPPOSITE_UNADJUDICATED,
    SAFETY_VETO,
    select_pairs,
)
from factory.review.adjudication import adjudicate, adjudication_reason
from factory.review.errors import ReviewError
from factory.review.queue import submit_review
from factory.review.simulate import ensure_simulated_reviewers, simulate_reviews
from factory.settings import AgreementSettings, FactoryConfig, PackagingSettings

BATCH = "batch-policy"
OVERRIDE = "The task asks for a shell pipeline; the input is a constant, never user data."


def _review(engine: Engine, task_id: int, reviewer_id: int, preference: int, **policy) -> None:  # noqa: ANN003
    submit_review(
        engine,
        claim(engine, task_id, reviewer_id),
        reviewer_id,
        preference=preference,
        scores=full_scores_for(engine, task_id),
        rationale=f"{reviewer_id}: {preference}",
        **({"disagreement_threshold": 3} | policy),
    )


def _two_reviewed_tasks(engine: Engine) -> tuple[list[int], list[int]]:
    with Session(engine, expire_on_commit=False) as session:
        add_batch(session, BATCH)
        people = [add_reviewer(session, name) for name in ("ann", "bob")]
        tasks = []
        for i in range(3):
            prompt = add_prompt(session, BATCH, f"p{i}", line_no=i + 1)
            a, b = add_candidate(session, prompt, model="m1"), add_candidate(session, prompt)
            tasks.append(add_task(session, prompt, a, b, required_reviews=2, status="open").id)
        session.commit()
        return tasks, [p.id for p in people]


@pytest.mark.parametrize(
    ("preferences", "policy", "threshold", "reason"),
    [
        ((-1, 1), "adjudicate", 3, "direction"),
        ((-1, 2), "adjudicate", 3, "direction"),
        ((-3, 3), "adjudicate", 3, "direction"),
        ((-1, 2), "mean", 3, None),
        ((-3, 3), "mean", 3, "distance"),
        ((-3, -1), "adjudicate", 1, "distance"),
        ((0, 2), "adjudicate", 3, None),  # a tie takes no side
        ((1, 3), "adjudicate", 3, None),
    ],
)
def test_adjudication_reason(preferences, policy, threshold, reason) -> None:  # noqa: ANN001
    assert (
        adjudication_reason(preferences, threshold=threshold, opposite_direction=policy) == reason
    )


def test_unknown_policy_is_refused() -> None:
    with pytest.raises(ValueError, match="opposite_direction.*'vote'"):
        adjudication_reason([1, -1], threshold=3, opposite_direction="vote")


def test_opposite_directions_go_to_a_senior_whatever_their_distance(engine: Engine) -> None:
    (near, mean_task, far), (ann, bob) = _two_reviewed_tasks(engine)
    _review(engine, near, ann, -1)
    _review(engine, near, bob, 2)  # one step apart in distance terms: the mean used to decide
    _review(engine, mean_task, ann, -1, opposite_direction="mean")
    _review(engine, mean_task, bob, 2, opposite_direction="mean")
    _review(engine, far, ann, 1, disagreement_threshold=1)
    _review(engine, far, bob, 3, disagreement_threshold=1)
    with Session(engine) as session:
        tasks = {t.id: t for t in session.exec(select(ReviewTask)).all()}
        pairs = {p.task_id: p for p in session.exec(select(PreferencePair)).all()}
    assert (tasks[near].status, tasks[near].adjudication_reason) == ("adjudication", "direction")
    assert near not in pairs  # no label until a senior decides
    assert (tasks[mean_task].status, tasks[mean_task].adjudication_reason) == ("complete", None)
    assert pairs[mean_task].chosen_candidate_id == tasks[mean_task].candidate_b_id
    assert (tasks[far].status, tasks[far].adjudication_reason) == ("adjudication", "distance")


def test_an_override_needs_the_flag_a_reason_and_a_choice(engine: Engine) -> None:
    (task, _, _), (ann, bob) = _two_reviewed_tasks(engine)
    _review(engine, task, ann, -2)
    _review(engine, task, bob, 2)
    with Session(engine, expire_on_commit=False) as session:
        senior = Reviewer(username="sen", role="senior", languages=["python"])
        session.add(senior)
        session.commit()
    assert senior.id is not None
    for kwargs, message in [
        ({"override_veto": True}, "needs a written reason"),
        ({"override_veto": True, "override_reason": "   "}, "needs a written reason"),
        ({"override_reason": OVERRIDE}, "without override_veto"),
        ({"override_veto": True, "override_reason": OVERRIDE, "preference": 0}, "a tie"),
    ]:
        arguments = {"preference": 2, "rationale": "B is right"} | kwargs
        with pytest.raises(ReviewError, match=f"task {task}: .*{message}"):
            adjudicate(engine, task, senior.id, **arguments)
    decision = adjudicate(
        engine,
        task,
        senior.id,
        preference=2,
        rationale="B is right",
        override_veto=True,
        override_reason=f"  {OVERRIDE} ",
    )
    with Session(engine) as session:
        stored = session.get(Adjudication, decision.id)
        assert stored is not None
        assert (stored.override_veto, stored.override_reason) == (True, OVERRIDE)
        assert stored.simulated is False


class Policy:
    """One prompt per case; candidates: clean (passes, no finding), unsafe (passes, bandit HIGH
    B602), failing (fails its tests), and a second clean one."""

    def __init__(self, session: Session) -> None:
        add_batch(session, BATCH)
        self.ann, self.bob = add_reviewer(session, "ann"), add_reviewer(session, "bob")
        self.senior = add_reviewer(session, "senior")
        self.line = 0
        self.tasks: dict[str, int] = {}
        self.unsafe_ids: dict[str, int] = {}
        self.session = session

    def prompt(self, name: str):  # noqa: ANN201
        self.line += 1
        prompt = add_prompt(self.session, BATCH, name, line_no=self.line)
        clean = add_candidate(self.session, prompt, model="m-clean")
        unsafe = add_candidate(self.session, prompt, model="m-shell", cwe_id=78)
        failing = add_candidate(self.session, prompt, model="m-fail", verdict="failed")
        other = add_candidate(self.session, prompt, model="m-other")
        self.unsafe_ids[name] = unsafe.id
        return prompt, clean, unsafe, failing, other

    def decided(self, name, prompt, a, b, preferences, *, status="complete", scores=None,
                adjudication=None, reason=None):  # noqa: ANN001, ANN201  # fmt: skip
        task = add_task(self.session, prompt, a, b, required_reviews=len(preferences))
        task.status, task.adjudication_reason = status, reason
        for reviewer, preference in zip((self.ann, self.bob), preferences, strict=False):
            add_annotation(self.session, task, reviewer, preference, scores=scores)
        final = adjudication[0] if adjudication else sum(preferences) / len(preferences)
        if adjudication:
            preference, override = adjudication
            self.session.add(
                Adjudication(
                    task_id=task.id, reviewer_id=self.senior.id, preference=preference,
                    rationale="senior decision", override_veto=bool(override),
                    override_reason=override or "",
                )
            )  # fmt: skip
        if status in ("complete", "adjudicated") and final != 0:
            chosen, rejected = (a, b) if final < 0 else (b, a)
            self.session.add(
                PreferencePair(
                    task_id=task.id, prompt_id=prompt.id, chosen_candidate_id=chosen.id,
                    rejected_candidate_id=rejected.id, strength=abs(final),
                    label_source="adjudication" if adjudication else "annotations",
                )
            )  # fmt: skip
        self.tasks[name] = task.id
        self.session.flush()


def _policy_batch(engine: Engine) -> Policy:
    """Every rule at once: see the comments for what each task is for."""
    with Session(engine, expire_on_commit=False) as session:
        b = Policy(session)
        # Reviewers agree on the shell=True candidate over the clean one: vetoed.
        prompt, clean, unsafe, _, _ = b.prompt("unsafe-chosen")
        b.decided("unsafe-chosen", prompt, clean, unsafe, (2, 1), scores=(3, 5))
        # ... and on a failing candidate over a passing one: vetoed.
        prompt, clean, _, failing, _ = b.prompt("failing-chosen")
        b.decided("failing-chosen", prompt, clean, failing, (1, 2))
        # A senior chose the unsafe one with a written override: packaged, and counted.
        prompt, clean, unsafe, _, _ = b.prompt("override")
        b.decided("override", prompt, unsafe, clean, (-2, 2), status="adjudicated",
                  adjudication=(-2, OVERRIDE), reason="direction", scores=(5, 3))  # fmt: skip
        # A pair written by the `mean` policy over opposite reviews: not an agreed label.
        prompt, clean, _, _, other = b.prompt("opposite")
        b.decided("opposite", prompt, clean, other, (-1, 2))
        # Still with a senior.
        prompt, clean, _, _, other = b.prompt("awaiting")
        b.decided("awaiting", prompt, clean, other, (-2, 2), status="adjudication",
                  reason="direction")  # fmt: skip
        # Sent for distance and decided for the clean candidate over the unsafe one: fine.
        prompt, clean, unsafe, _, _ = b.prompt("distance")
        b.decided("distance", prompt, unsafe, clean, (3, -3), status="adjudicated",
                  adjudication=(3, None), reason="distance")  # fmt: skip
        # Clean over unsafe by agreement: fine.
        prompt, clean, unsafe, _, _ = b.prompt("agreed")
        b.decided("agreed", prompt, clean, unsafe, (-2, -3), scores=(4, 2))
        session.commit()
        return b


def test_selection_vetoes_and_counts(engine: Engine) -> None:
    b = _policy_batch(engine)
    with Session(engine) as session:
        selection = select_pairs(session, [BATCH], allow_simulated=False, flagged_reviewers=set())
        by_mean = select_pairs(
            session,
            [BATCH],
            allow_simulated=False,
            flagged_reviewers=set(),
            opposite_direction="mean",
        )
    selected = {s.pair.task_id: s for s in selection.selected}
    assert set(selected) == {b.tasks[n] for n in ("override", "distance", "agreed")}
    assert selection.vetoes == {"chosen_unsafe": 1, "chosen_failing": 1}
    assert selection.excluded[SAFETY_VETO] == 2
    assert selection.excluded[OPPOSITE_UNADJUDICATED] == 1
    assert selection.excluded["awaiting_adjudication"] == 1
    assert selection.overrides == {"pair": 1}
    assert selection.overridden_candidates == {b.unsafe_ids["override"]}
    override = selected[b.tasks["override"]]
    assert override.override_reason == OVERRIDE
    assert override.rationale.endswith(f"overridden by the adjudicating senior: {OVERRIDE}")
    assert dict(selection.labels) == {
        "agreed": 4,
        "adjudicated": 2,
        "awaiting_adjudication": 1,
        "sent_to_adjudication_for_direction": 2,
        "sent_to_adjudication_for_distance": 1,
    }
    # Under the `mean` policy the opposite reviews' pair is an agreed label.
    assert b.tasks["opposite"] in {s.pair.task_id for s in by_mean.selected}
    assert OPPOSITE_UNADJUDICATED not in by_mean.excluded


def _rows(folder: Path, config: str) -> list[dict]:
    return [row for path in sorted((folder / config).glob("*.parquet"))
            for row in pq.read_table(path).to_pylist()]  # fmt: skip


def test_release_has_no_unsafe_chosen_or_sft_answer_without_an_override(
    engine: Engine, tmp_path: Path
) -> None:
    b = _policy_batch(engine)
    config = FactoryConfig(
        packaging=PackagingSettings(test_fraction=0.0),
        agreement=AgreementSettings(bootstrap_samples=20),
    )
    release = build_release(engine, [BATCH], config, out_root=tmp_path)
    folder = Path(release.path)
    unsafe = set(b.unsafe_ids.values())
    dpo = {row["task_id"]: row for row in _rows(folder, "dpo")}
    assert set(dpo) == {b.tasks[n] for n in ("override", "distance", "agreed")}
    chosen_unsafe = {t for t, row in dpo.items() if row["chosen_candidate_id"] in unsafe}
    assert chosen_unsafe == {b.tasks["override"]}  # only where a senior overrode, in writing
    assert OVERRIDE in dpo[b.tasks["override"]]["rationale"]
    assert all(row["chosen_verdict"] == "passed" for row in dpo.values())
    sft = [row for row in _rows(folder, "sft") if row["source"] == "reviewed_candidate"]
    sft_ids = {row["candidate_id"] for row in sft}
    # The unsafe candidate scored best on "unsafe-chosen" but is no SFT answer there; the
    # overridden one may be.
    assert b.unsafe_ids["unsafe-chosen"] not in sft_ids
    assert sft_ids & unsafe <= {b.unsafe_ids["override"]}
    report = release.qa_report
    assert report["safety_vetoes"]["refused"] == {
        "chosen_failing": 1,
        "chosen_unsafe": 1,
        "sft_candidate_unsafe": 1,
    }
    assert report["safety_vetoes"]["overridden"]["pair"] == 1
    assert report["labels"]["opposite_direction"] == "adjudicate"
    assert report["labels"]["sent_to_adjudication_for_direction"] == 2
    assert report["packaging_exclusions"]["safety_veto"] == 2
    text = (folder / "qa_report.md").read_text()
    assert "## Labels: agreement and adjudication" in text
    assert "| sent_to_adjudication_for_direction | 2 |" in text
    assert "## Safety vetoes" in text and "| chosen_unsafe | 1 |" in text


def test_an_unsafe_reference_is_no_sft_answer(engine: Engine, tmp_path: Path) -> None:
    b = _policy_batch(engine)
    with Session(engine) as session:
        prompt = add_prompt(session, BATCH, "md5", line_no=99)
        reference = add_candidate(
            session, prompt, source="reference", code=prompt.reference_solution, cwe_id=327
        )
        assert reference.id is not None
        prompt_id = prompt.id
        session.commit()
    config = FactoryConfig(
        packaging=PackagingSettings(test_fraction=0.0),
        agreement=AgreementSettings(bootstrap_samples=20),
    )
    release = build_release(engine, [BATCH], config, out_root=tmp_path)
    folder = Path(release.path)
    references = {r["prompt_id"] for r in _rows(folder, "sft") if r["source"] == "reference"}
    assert prompt_id not in references and len(references) == b.line
    assert prompt_id in {r["prompt_id"] for r in _rows(folder, "rlvr")}  # tests are still fine
    assert release.qa_report["safety_vetoes"]["refused"]["sft_reference_unsafe"] == 1


def test_the_simulated_senior_settles_disputes_by_the_veto_and_is_marked(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as session:
        add_batch(session, BATCH)
        prompt = add_prompt(session, BATCH, "p0")
        clean = add_candidate(session, prompt, model="m-clean")
        unsafe = add_candidate(session, prompt, model="m-shell", cwe_id=78)
        task = add_task(session, prompt, clean, unsafe, required_reviews=2, status="open")
        session.commit()
    first, second = ensure_simulated_reviewers(engine, 2, ["python"])
    assert first.id is not None and second.id is not None
    _review(engine, task.id, first.id, -1)
    _review(engine, task.id, second.id, 3)  # for the shell=True candidate
    counts = simulate_reviews(engine, BATCH, reviewers=2)
    assert counts["adjudications"] == 1 and counts["tasks_done"] == 1
    with Session(engine) as session:
        (decision,) = session.exec(select(Adjudication)).all()
        (pair,) = session.exec(select(PreferencePair)).all()
        senior = session.get(Reviewer, decision.reviewer_id)
    assert decision.simulated and senior is not None and senior.simulated
    assert senior.role == "senior" and not decision.override_veto
    assert decision.rationale.startswith("[simulated] A better: only A passes")
    assert pair.chosen_candidate_id == clean.id and pair.label_source == "adjudication"
