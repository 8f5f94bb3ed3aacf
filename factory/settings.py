"""Every setting of the factory, read here and nowhere else.

Two sources: the YAML config (one typed model, one section per stage, a default for every
value; `FactoryConfig.sha256` identifies the exact configuration that produced a release) and
the process environment (where state lives, which database, secrets). `Environment` is the one
reader of environment variables; it is read afresh on every call, so a changed variable takes
effect without restarting anything.
"""

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from factory.errors import ConfigError

# The variables the factory reads. Secrets (API key, Hub token, reviewer password, webapp secret,
# sandbox service token) come only from here and are never passed into a sandbox.
HOME_ENV = "FACTORY_HOME"
CONFIG_ENV = "FACTORY_CONFIG"
DATABASE_URL_ENV = "FACTORY_DATABASE_URL"
INBOX_ENV = "FACTORY_INBOX"
INBOX_SETTLE_ENV = "FACTORY_INBOX_SETTLE_SECONDS"
SANDBOX_BACKEND_ENV = "FACTORY_SANDBOX_BACKEND"
SANDBOX_CACHE_ENV = "FACTORY_SANDBOX_CACHE"
LLM_API_KEY_ENV = "FACTORY_LLM_API_KEY"
HF_TOKEN_ENV = "HF_TOKEN"  # noqa: S105  (a variable's name, not a secret)
HF_ENDPOINT_ENV = "HF_ENDPOINT"
REVIEWER_PASSWORD_ENV = "FACTORY_REVIEWER_PASSWORD"  # noqa: S105  (a variable's name)
WEBAPP_SECRET_ENV = "FACTORY_WEBAPP_SECRET"  # noqa: S105  (a variable's name)
WEBAPP_SECURE_COOKIES_ENV = "FACTORY_WEBAPP_SECURE_COOKIES"
SANDBOX_TOKEN_ENV = "FACTORY_SANDBOX_TOKEN"  # noqa: S105  (a variable's name)
SANDBOX_URLS_ENV = "FACTORY_SANDBOX_URLS"  # the service backend's replicas, comma-separated
# What the docker CLI needs from the host to find its engine (never forwarded into a container).
DOCKER_CLIENT_ENV = (
    "PATH",
    "HOME",
    "DOCKER_HOST",
    "DOCKER_CONTEXT",
    "DOCKER_CONFIG",
    "DOCKER_TLS_VERIFY",
    "DOCKER_CERT_PATH",
)


@dataclass(frozen=True, slots=True)
class Environment:
    """The factory's environment variables, typed; empty strings where a variable is unset."""

    home: Path
    config_path: str = ""
    database_url: str = ""
    inbox: str = ""
    inbox_settle_seconds: float = 5.0
    sandbox_backend: str = ""
    sandbox_cache: Path | None = None
    llm_api_key: str = ""
    hf_token: str = ""
    hf_endpoint: str = ""
    reviewer_password: str = ""
    webapp_secret: str = ""
    webapp_secure_cookies: bool = False
    sandbox_token: str = ""
    sandbox_urls: tuple[str, ...] = ()
    docker_host: str = ""
    docker_context: str = ""
    docker_client_env: tuple[tuple[str, str], ...] = ()

    @classmethod
    def read(cls) -> "Environment":
        env = os.environ
        cache = env.get(SANDBOX_CACHE_ENV)
        xdg = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        try:
            settle = float(env.get(INBOX_SETTLE_ENV, "5"))
        except ValueError as exc:
            raise ConfigError(f"{INBOX_SETTLE_ENV} must be a number of seconds") from exc
        return cls(
            home=Path(env.get(HOME_ENV) or Path.cwd() / ".factory").resolve(),
            config_path=env.get(CONFIG_ENV, ""),
            database_url=env.get(DATABASE_URL_ENV, ""),
            inbox=env.get(INBOX_ENV, ""),
            inbox_settle_seconds=settle,
            sandbox_backend=env.get(SANDBOX_BACKEND_ENV, ""),
            sandbox_cache=Path(cache) if cache else Path(xdg) / "factory-sandbox",
            llm_api_key=env.get(LLM_API_KEY_ENV, ""),
            hf_token=env.get(HF_TOKEN_ENV, ""),
            hf_endpoint=env.get(HF_ENDPOINT_ENV, ""),
            reviewer_password=env.get(REVIEWER_PASSWORD_ENV, ""),
            webapp_secret=env.get(WEBAPP_SECRET_ENV, ""),
            webapp_secure_cookies=env.get(WEBAPP_SECURE_COOKIES_ENV) == "1",
            sandbox_token=env.get(SANDBOX_TOKEN_ENV, ""),
            sandbox_urls=tuple(
                url.strip() for url in env.get(SANDBOX_URLS_ENV, "").split(",") if url.strip()
            ),
            docker_host=env.get("DOCKER_HOST", ""),
            docker_context=env.get("DOCKER_CONTEXT", ""),
            docker_client_env=tuple((k, env[k]) for k in DOCKER_CLIENT_ENV if k in env),
        )


def environment() -> Environment:
    return Environment.read()


def factory_home() -> Path:
    """Where the embedded default keeps its state (SQLite file, inbox, releases, caches)."""
    return environment().home


def inbox_dir() -> Path:
    """FACTORY_INBOX if set, else `<FACTORY_HOME>/inbox`."""
    env = environment()
    return Path(env.inbox).resolve() if env.inbox else env.home / "inbox"


def default_database_url() -> str:
    """FACTORY_DATABASE_URL, else the SQLite file under the factory home."""
    env = environment()
    return env.database_url or f"sqlite:///{env.home / 'factory.db'}"


def releases_root() -> Path:
    return factory_home() / "releases"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IntakeSettings(_Section):
    # Every language the sandbox runs (factory.languages); others are refused at intake.
    languages: list[str] = Field(
        default_factory=lambda: [
            "python", "javascript", "typescript", "go", "rust", "java", "cpp", "c", "bash",
            "sql", "ruby", "php",
        ]
    )  # fmt: skip
    max_prompt_chars: int = 50_000
    max_code_chars: int = 100_000
    max_line_bytes: int = 1_000_000
    near_duplicate_threshold: float = 0.85  # estimated Jaccard on token shingles
    minhash_permutations: int = 128
    shingle_size: int = 5  # code-aware tokens (words, names, numbers, operators) per shingle
    decontamination_benchmarks: list[str] = Field(default_factory=lambda: ["humaneval"])
    decontamination_ngram: int = 13
    decontamination_threshold: float = 0.5  # share of a field's n-grams found in one item
    # JSONL benchmark files (factory, HumanEval or MBPP records) checked like the named sets.
    decontamination_files: list[str] = Field(default_factory=list)
    # The intake gate fails a batch when more than this share of its records is quarantined.
    max_quarantine_share: float = 0.25
    # A batch whose file decompresses past this many MiB, or holds more records (non-empty
    # lines) than this, is refused whole before any record is read (a gzip bomb stops early).
    max_decompressed_mb: int = Field(default=1000, ge=1)
    max_records: int = Field(default=2_000_000, ge=1)
    # Records parsed, deduplicated and written together; memory grows with this, not the file.
    chunk_records: int = Field(default=2000, ge=1)
    # Processes that parse, validate, scrub and fingerprint chunks of a large batch while the
    # database work goes on (factory.intake.prepare): 0 one per core, 1 none (all in one process).
    workers: int = Field(default=0, ge=0)


class GenerationSettings(_Section):
    base_url: str = ""  # an OpenAI-compatible server; empty means replay only
    models: list[str] = Field(default_factory=list)
    candidates_per_prompt: int = 2  # per model
    temperature: float = 0.8
    top_p: float = 0.95
    max_tokens: int = 1024
    concurrency: int = 4
    timeout_s: float = 60.0
    max_retries: int = 4
    replay_file: str = ""  # JSONL of candidates generated elsewhere
    min_candidates_per_prompt: int = 2
    min_extraction_rate: float = 0.9
    # USD per million tokens, per model: {"model": {"input": 0.5, "output": 1.5}}
    prices: dict[str, dict[str, float]] = Field(default_factory=dict)
    judge_model: str = ""  # optional LLM-as-judge pre-scores


class SignalsSettings(_Section):
    # Style rules for the ruff signal (the candidate's own config and noqa comments are ignored).
    ruff_select: list[str] = Field(
        default_factory=lambda: ["E", "W", "F", "I", "B", "UP", "SIM", "N", "C4", "RET"]
    )
    # Input sizes n for run-time growth, where a prompt supplies `scaled_input` (see
    # factory.signals.growth); the sizes run in the sandbox, smallest first.
    growth_sizes: list[int] = Field(default_factory=lambda: [1_000, 4_000, 16_000])
    growth_repeats: int = 3  # best of k timings per size
    growth_budget_s: float = 2.0  # a size slower than this ends the measurement


class SandboxServiceSettings(_Section):
    """`factory sandbox serve`: the sandbox as an HTTP service (factory.sandbox.service)."""

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    # Jobs handed to the pool at once (running, or next for a server); 0: 2 x sandbox.pool_size.
    max_concurrency: int = Field(default=0, ge=0)
    max_queue: int = Field(default=64, ge=0)  # jobs waiting beyond those; more get 429
    per_client_concurrency: int = Field(default=0, ge=0)  # per client; 0: max_concurrency
    max_request_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)  # larger bodies get 413
    max_timeout_s: float = Field(default=60.0, gt=0)  # longest run or compile timeout asked
    # The `service` backend, a client of this service's replicas: their base URLs (a job whose
    # replica fails goes to the next), jobs in flight at once (0: 4 per replica), how long a
    # failed replica is passed over, and how long a job may go unanswered before the run fails.
    urls: list[str] = Field(default_factory=list)
    client_concurrency: int = Field(default=0, ge=0)
    replica_cooldown_s: float = Field(default=5.0, ge=0)
    client_deadline_s: float = Field(default=600.0, gt=0)


class SandboxSettings(_Section):
    # auto | docker | bwrap | service (replicas of `factory sandbox serve`, sandbox.service.urls)
    # | unsafe-local (must be asked for by name)
    backend: str = "auto"
    timeout_s: float = 10.0
    compile_timeout_s: float = 60.0  # all compile steps of one run together (compiled languages)
    memory_mb: int = 512
    max_processes: int = 64
    output_limit_bytes: int = 65_536
    pool_size: int = 2
    recycle_after: int = 200
    stability_sample_rate: float = 0.2  # share of candidates run twice (references always are)
    max_sandbox_error_rate: float = 0.02
    max_file_mb: int = 16  # largest file (stdout included) a candidate may write
    # The sandbox's writable /tmp (docker backend): compilers and their caches write here.
    tmpfs_mb: int = 256
    cpus: float = 1.0  # CPU share of each sandbox container
    # Pin each warm sandbox to one CPU (pool slots spread over the CPUs): the test runner and the
    # candidate answer each other dozens of times per job, and waking a process on another CPU
    # costs more than most of those exchanges.
    pin_cpus: bool = True
    image: str = ""  # docker image; empty: the one scripts/build-sandbox-image.sh built last
    rootfs: str = ""  # bwrap root filesystem; empty: the one that script built last
    service: SandboxServiceSettings = Field(default_factory=SandboxServiceSettings)

    @property
    def sandbox_memory_bytes(self) -> int:
        """One warm sandbox's memory cap: the candidate's and the test runner's limits, the
        tmpfs, and 256 MB for the fork server and the interpreters' own memory."""
        return (2 * self.memory_mb + self.tmpfs_mb + 256) * 1024 * 1024


class ReviewSettings(_Section):
    pair_strategy: str = "passing_differ"  # passing_differ | pass_vs_fail | mixed
    max_pairs_per_prompt: int = 3
    overlap_fraction: float = 0.2  # share of tasks reviewed by more than one reviewer
    overlap_reviews: int = 2  # k for those tasks
    # Automatic pass-versus-fail attention checks mixed into each batch (0 = none). Their answer
    # shows in the test badges, so they are reported apart from expert gold and gate nobody.
    gold_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    # Expert gold: hard pairs whose answer a senior wrote down (the /gold page), served like
    # ordinary work. This share of an active reviewer's claims serves an unseen item.
    expert_gold_rate: float = Field(default=0.05, ge=0.0, le=1.0)
    gold_needs_confirmation: bool = False  # serve an item only once a second senior confirms it
    qualification_items: int = Field(default=5, ge=1)  # gold answered before joining a pool
    qualification_pass_mark: float = Field(default=0.8, ge=0.0, le=1.0)  # share correct to pass
    qualification_retake_hours: float = Field(default=24.0, ge=0.0)  # wait after a failure
    gold_window: int = Field(default=20, ge=1)  # rolling accuracy: a pool's last N gold answers
    gold_min_answers: int = Field(default=5, ge=1)  # judged only from this many answers
    gold_suspend_below: float = Field(default=0.7, ge=0.0, le=1.0)  # suspends from the pool
    lease_seconds: int = 1800
    disagreement_threshold: int = 3  # max |preference difference| before adjudication
    # Reviews that point opposite ways (one favours A, another B): "adjudicate" sends them to a
    # senior whatever their distance; "mean" lets the mean decide within the threshold.
    opposite_direction: Literal["adjudicate", "mean"] = "adjudicate"
    # LLM-judge scores (generation.judge_model) shown to a reviewer: "after_scores" reveals them
    # once the reviewer's own review is saved, so they never shape it; "never" hides them.
    judge_hints: Literal["after_scores", "never"] = "after_scores"
    # Web-app sessions end after this long unused, and this long after sign-in however busy.
    session_idle_minutes: int = Field(default=120, ge=1)
    session_max_hours: float = Field(default=12.0, gt=0)
    # Work beyond pairs (factory.tasktypes): candidates shown in one ranking, and how many
    # candidates of a prompt get code review, bug-fix or refactoring work.
    ranking_size: int = Field(default=4, ge=3, le=8)
    subjects_per_prompt: int = Field(default=1, ge=1)
    # Hourly rates for people's time, by language then kind of work ("*" matches any):
    # the QA report prices every item by the time recorded for it.
    tariffs: dict[str, dict[str, float]] = Field(default_factory=lambda: {"*": {"*": 60.0}})
    currency: str = "USD"


class AgreementSettings(_Section):
    min_preference_kappa: float = 0.4
    min_dimension_alpha: float = 0.4
    min_gold_accuracy: float = 0.7
    min_items_per_cell: int = 5  # cells with fewer items are reported, not gated
    min_gold_items: int = 3  # reviewers with fewer gold answers are reported, not flagged
    bootstrap_samples: int = 1000
    seed: int = 0
    # Drop a flagged reviewer's unverified work (no other reviewer agrees) from releases.
    exclude_flagged_reviewers: bool = True
    # Fail a batch whose reviews give no judged agreement figure at all (no overlap, no gold).
    require_agreement_evidence: bool = True
    # What a gated cell is judged on: "point" (its estimate) or "lower_bound" (the lower end of
    # its 95% bootstrap interval must clear the threshold too: confident agreement, which takes
    # many overlapping items per cell; a few dozen rarely suffice).
    gate_on: Literal["point", "lower_bound"] = "point"
    # Work beyond pairs (factory.agreement.work_figures), gated like the cells. Mean Kendall's
    # W of rankings: with two reviewers a task's W is (1 + Spearman's rho) / 2, so 0.7 is
    # rho 0.4, as min_preference_kappa asks of pairs.
    min_ranking_w: float = 0.7
    min_span_f1: float = 0.5  # code review: span F1 at overlap, pooled over reviewer pairs
    # Bug fixes and authored solutions: share of cross-checks passed (one person's code
    # against the other's tests).
    min_cross_pass_rate: float = 0.7


class PackagingSettings(_Section):
    release_name: str = "code-rlhf"
    test_fraction: float = 0.1
    formats: list[str] = Field(default_factory=lambda: ["parquet"])
    exclude_contaminated: bool = True
    allow_simulated: bool = False
    # The licence of prompts whose records declare none (your own data); the release's licence
    # comes from its prompts' licences, listed per source when they differ.
    licence: str = ""
    # Why flagged prompts are kept when exclude_contaminated is off; the data card quotes it.
    contamination_note: str = ""
    seed: int = 0
    version: str = ""  # empty: bump the minor version whenever the content changes
    rows_per_group: int = 10_000  # Parquet row group size; bounds the writer's memory
    rows_per_shard: int = 500_000  # rows per file before a new train-0000N file starts
    # Every stable repository task (factory envs) goes into the `swe` config of each release.
    repository_tasks: bool = True


class PublishingSettings(_Section):
    target: str = "local"  # local | hub
    local_root: str = ""  # default: <FACTORY_HOME>/hub
    repo_id: str = "factory/code-rlhf"
    private: bool = True
    max_retries: int = 4


class EnvsSettings(_Section):
    """Repository environments: mining a history, building images, the funnel's cuts."""

    # Most recent candidate commits taken from a history (0: every one).
    max_tasks: int = 30
    stability_runs: int = 3  # before and after each run this many times, outcomes identical
    max_patch_lines: int = 1500  # a larger gold patch is left out at mining, with the reason
    min_statement_chars: int = 20  # shorter commit texts are no problem statement
    # Rewrite each statement through the generation client into an issue that hides the fix
    # (needs generation.base_url; the model is rewrite_model, else generation.models[0]).
    rewrite_statements: bool = False
    rewrite_model: str = ""
    test_timeout_s: float = 300.0  # one test phase inside a task's environment
    prepare_timeout_s: float = 300.0  # installing the project itself in the environment
    build_timeout_s: float = 900.0  # one dependency recipe's image
    memory_mb: int = 2048
    max_processes: int = 256
    cpus: float = 1.0
    workers: int = 2  # tasks validated at the same time
    base_image: str = ""  # empty: the sandbox image scripts/build-sandbox-image.sh built last


class FactoryConfig(_Section):
    intake: IntakeSettings = Field(default_factory=IntakeSettings)
    generation: GenerationSettings = Field(default_factory=GenerationSettings)
    sandbox: SandboxSettings = Field(default_factory=SandboxSettings)
    signals: SignalsSettings = Field(default_factory=SignalsSettings)
    review: ReviewSettings = Field(default_factory=ReviewSettings)
    agreement: AgreementSettings = Field(default_factory=AgreementSettings)
    packaging: PackagingSettings = Field(default_factory=PackagingSettings)
    publishing: PublishingSettings = Field(default_factory=PublishingSettings)
    envs: EnvsSettings = Field(default_factory=EnvsSettings)

    def sha256(self) -> str:
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()


def load_config(path: str | Path | None = None) -> FactoryConfig:
    """The YAML config at `path` (or FACTORY_CONFIG; defaults when neither is given), with the
    environment's overrides applied: FACTORY_SANDBOX_BACKEND moves every sandbox run at once."""
    env = environment()
    config = _read_config(path or env.config_path)
    if env.sandbox_backend:
        config.sandbox.backend = env.sandbox_backend
    if env.sandbox_urls:
        config.sandbox.service.urls = list(env.sandbox_urls)
    return config


def _read_config(path: str | Path) -> FactoryConfig:
    if not path:
        return FactoryConfig()
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text()) or {}
        return FactoryConfig.model_validate(data)
    except FileNotFoundError as exc:
        raise ConfigError(f"config file {path} does not exist") from exc
    except (yaml.YAMLError, ValidationError) as exc:
        raise ConfigError(f"config file {path} is invalid: {exc}") from exc
