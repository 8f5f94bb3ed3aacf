"""Plain records the dataset rows are built from, independent of where they were read."""

from dataclasses import dataclass, field


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
