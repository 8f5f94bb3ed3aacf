"""Per-language figures for the QA report and the data card: prompts, candidates, review tasks,
and the rows each config packaged, so a language that contributes little is visible."""

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlmodel import Session, col

from factory.models import Candidate, Prompt, ReviewTask
from factory.vocab import CandidateSource

# The configs shown as columns, each under the name of what one of its rows is.
CONFIG_COLUMNS = (
    ("dpo", "DPO pairs"),
    ("rlvr", "RLVR prompts"),
    ("sft", "SFT"),
    ("reward", "reward"),
)


@dataclass(slots=True)
class LanguageFigures:
    language: str
    prompts: int = 0  # accepted at intake
    candidates: int = 0  # generated or replayed (reference solutions aside)
    review_tasks: int = 0  # ordinary tasks (gold aside)
    packaged: dict[str, int] = field(default_factory=dict)  # config -> rows in the release

    def to_dict(self) -> dict[str, object]:
        return {
            "prompts": self.prompts,
            "candidates": self.candidates,
            "review_tasks": self.review_tasks,
            "packaged": dict(self.packaged),
        }


def language_figures(
    session: Session,
    batch_ids: list[str],
    packaged_items: Iterable[tuple[str, int]] | None = None,
) -> list[LanguageFigures]:
    """Figures per language of `batch_ids`; `packaged_items` are the release's rows as
    (config, prompt id), counted under their prompt's language."""
    language_of = dict(
        session.execute(
            select(col(Prompt.id), col(Prompt.language)).where(col(Prompt.batch_id).in_(batch_ids))
        ).all()
    )
    figures: dict[str, LanguageFigures] = {}

    def of(language: str) -> LanguageFigures:
        return figures.setdefault(language, LanguageFigures(language))

    accepted = Counter(
        dict(
            session.execute(
                select(col(Prompt.language), func.count(col(Prompt.id)))
                .where(col(Prompt.batch_id).in_(batch_ids), col(Prompt.status) == "accepted")
                .group_by(col(Prompt.language))
            ).all()
        )
    )
    for language, count in accepted.items():
        of(language).prompts = int(count)
    candidates = session.execute(
        select(col(Prompt.language), func.count(col(Candidate.id)))
        .join(Prompt, col(Prompt.id) == Candidate.prompt_id)
        .where(
            col(Candidate.batch_id).in_(batch_ids),
            col(Candidate.source) != CandidateSource.REFERENCE,
        )
        .group_by(col(Prompt.language))
    )
    for language, count in candidates:
        of(language).candidates = int(count)
    tasks = session.execute(
        select(col(ReviewTask.language), func.count(col(ReviewTask.id)))
        .where(col(ReviewTask.batch_id).in_(batch_ids), col(ReviewTask.is_gold).is_(False))
        .group_by(col(ReviewTask.language))
    )
    for language, count in tasks:
        of(language).review_tasks = int(count)
    rows: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for config, prompt_id in packaged_items or ():
        rows[language_of.get(prompt_id, "unknown")][config] += 1
    for language, counts in rows.items():
        of(language).packaged = dict(sorted(counts.items()))
    return sorted(figures.values(), key=lambda f: (-f.prompts, f.language))


def languages_markdown(figures: list[LanguageFigures]) -> str:
    if not figures:
        return "No prompts."
    header = "| language | prompts | candidates | review tasks | "
    header += " | ".join(title for _, title in CONFIG_COLUMNS) + " |\n"
    header += "|---|" + "---:|" * (3 + len(CONFIG_COLUMNS)) + "\n"
    lines = [
        f"| {f.language} | {f.prompts} | {f.candidates} | {f.review_tasks} | "
        + " | ".join(str(f.packaged.get(config, 0)) for config, _ in CONFIG_COLUMNS)
        + " |"
        for f in figures
    ]
    return header + "\n".join(lines)
