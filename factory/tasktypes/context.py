"""Reading a task's context once: its prompt, the code it is on, its candidates."""

from sqlmodel import Session, col, select

from factory.models import Candidate, Prompt, RepoTask, ReviewTask, TaskCandidate
from factory.tasktypes.base import CandidateText, WorkContext


def load_context(session: Session, task: ReviewTask, *, label: str = "") -> WorkContext:
    assert task.id is not None  # a row read from the database
    prompt = session.get(Prompt, task.prompt_id)
    if prompt is None:
        raise LookupError(f"task {task.id}: its prompt {task.prompt_id} does not exist")
    code = prompt.subject_code
    if task.candidate_a_id is not None:
        candidate = session.get(Candidate, task.candidate_a_id)
        code = candidate.code if candidate is not None else ""
    ranked = session.exec(
        select(Candidate.id, Candidate.code)
        .join(TaskCandidate, col(TaskCandidate.candidate_id) == Candidate.id)
        .where(TaskCandidate.task_id == task.id)
        .order_by(col(TaskCandidate.position))
    ).all()
    return WorkContext(
        task_id=task.id,
        kind=task.kind,
        prompt_id=task.prompt_id,
        language=prompt.language,
        prompt=prompt.prompt,
        tests=prompt.tests,
        entry_point=prompt.entry_point,
        test_style=prompt.test_style,
        reference_solution=prompt.reference_solution,
        code=code,
        candidates=tuple(CandidateText(cid, text) for cid, text in ranked if cid is not None),
        subject=dict(task.subject),
        label=label,
        repo_task=session.get(RepoTask, task.subject["instance_id"])
        if task.subject.get("source") == "repo_task"
        else None,
    )
