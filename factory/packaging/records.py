"""Plain records the dataset rows are built from, independent of where they were read."""

from dataclasses import dataclass, field

from factory.vocab import CandidateSource

# How a candidate came to be, as the released rows say it: a replayed candidate's `model` is the
# label its file recorded, not a model this factory ran.
ORIGINS: dict[str, str] = {
    CandidateSource.GENERATED: "generated",
    CandidateSource.REPLAY: "replayed",
    CandidateSource.REFERENCE: "reference",
}


@dataclass(frozen=True, slots=True)
class PromptInfo:
    prompt_id: int
    external_id: str
    batch_id: str
    language: str
    task_type: str
    prompt: str
    tests: str
    entry_point: str
    test_style: str
    reference_solution: str
    licence: str
    source: str = ""  # where the prompt came from (e.g. openai/human-eval)
    subject_code: str = ""  # code the record brought to review, fix or refactor


@dataclass(frozen=True, slots=True)
class CandidateInfo:
    candidate_id: int
    source: str
    model: str
    code: str
    verdict: str  # latest non-sandbox-error verdict, "" when never run
    tests_passed: int = 0
    tests_total: int = 0
    # Mean reviewer score per dimension (1-5) over the reviews that scored it.
    scores: dict[str, float] = field(default_factory=dict)
    n_reviews: int = 0
    high_findings: tuple[str, ...] = ()  # high-severity security findings (safety.py)

    @property
    def origin(self) -> str:
        """generated (a model this factory ran), replayed (read from a file) or reference."""
        return ORIGINS.get(self.source, self.source)


@dataclass(frozen=True, slots=True)
class PairRecord:
    """One resolved preference, with both sides and why it was decided."""

    pair_id: int
    task_id: int
    prompt: PromptInfo
    chosen: CandidateInfo
    rejected: CandidateInfo
    strength: float
    label_source: str  # annotations | adjudication
    rationale: str
    n_reviews: int
    simulated: bool
