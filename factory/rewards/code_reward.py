"""Code rewards for RL trainers, judged by the factory's sandbox service.

Standalone (standard library only) so it can ship in every release and be installed with
`pip install ./rewards`. A completion's code is the last fenced block in the row's language
(else the last fenced block of any language, else the whole text); it is sent with the row's
tests to the service's `POST /v1/jobs`, and the reward is the fraction of tests that passed:
passed / total from the verdict's per-test results, 0.0 when the code does not compile, times
out, crashes before any test ran or is empty, and 1.0 / 0.0 for a passed / failed verdict that
reports no per-test results.

Environment:
  FACTORY_SANDBOX_URL      the service's base URL (default http://127.0.0.1:8080)
  FACTORY_SANDBOX_TOKEN    its bearer token (none sent when unset)
  FACTORY_REWARD_RETRIES   attempts on 429 / 5xx / connection errors (default 8)
  FACTORY_REWARD_TIMEOUT_S seconds one request may take (default 300)

Entry points:
  compute_score(data_source, solution_str, ground_truth, extra_info=None)  verl
  grpo_reward(completions, **kwargs)                                       TRL GRPOTrainer
  reward_func(queries, prompts, labels, **kwargs)                          OpenRLHF
`ground_truth` and `labels` are the JSON string the release calls `verification_info`.

A job the service refuses (HTTP 4xx other than 429: a bad token, limits above the service's,
an unsupported language) raises SandboxError with the service's reason rather than scoring 0.0:
a misconfigured run stops instead of training on zero rewards.
"""

from __future__ import annotations

import json
import os
import re
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

__all__ = ["compute_score", "extract_code", "grpo_reward", "judge", "reward_func", "score"]

DEFAULT_URL = "http://127.0.0.1:8080"
ALIASES = {
    "python": ("python", "py", "python3"),
    "c": ("c",),
    "cpp": ("cpp", "c++", "cc", "cxx"),
    "javascript": ("javascript", "js", "node"),
    "typescript": ("typescript", "ts"),
    "sql": ("sql", "sqlite"),
    "bash": ("bash", "sh", "shell"),
    "java": ("java",),
    "ruby": ("ruby", "rb"),
    "php": ("php",),
    "rust": ("rust", "rs"),
    "go": ("go", "golang"),
}
FENCE = re.compile(r"```[ \t]*([^\n`]*)\n(.*?)```", re.DOTALL)
# A verifier's ground truth: the fields of the release's `verification_info`.
FIELDS = ("language", "entry_point", "test_style", "test_code")


class SandboxError(RuntimeError):
    """The service could not judge a completion (refused it, or stayed unreachable)."""


def extract_code(completion: Any, language: str = "python") -> str:
    """The code in a completion: a string, or a conversational list of messages (the last
    assistant message's content)."""
    text = _text(completion)
    blocks = [(info.strip().lower(), body) for info, body in FENCE.findall(text)]
    names = ALIASES.get(language, (language,))
    ours = [body for info, body in blocks if info.split(" ")[0] in names]
    if ours:
        return ours[-1].strip("\n")
    if blocks:
        return blocks[-1][1].strip("\n")
    return text.strip()


def _text(completion: Any) -> str:
    if isinstance(completion, str):
        return completion
    if isinstance(completion, dict):
        return str(completion.get("content") or "")
    if isinstance(completion, Sequence):
        messages = [m for m in completion if isinstance(m, dict)]
        assistant = [m for m in messages if m.get("role") == "assistant"] or messages
        return str(assistant[-1].get("content") or "") if assistant else ""
    return str(completion)


def verifier(ground_truth: str | dict[str, Any]) -> dict[str, Any]:
    """The verification info as a dict; ValueError names what is missing."""
    info = json.loads(ground_truth) if isinstance(ground_truth, str) else dict(ground_truth)
    if not isinstance(info, dict) or not info.get("test_code"):
        raise ValueError(f"ground truth has no test_code: {str(ground_truth)[:200]!r}")
    return info


def judge(code: str, info: dict[str, Any], *, job_id: str = "") -> dict[str, Any]:
    """The service's answer for `code` against the tests in `info` (verification info)."""
    body: dict[str, Any] = {
        "code": code,
        "tests": info["test_code"],
        "language": info.get("language") or "python",
        "entry_point": info.get("entry_point") or "",
        "test_style": info.get("test_style") or "",
        "id": job_id,
    }
    for field, key in (
        ("timeout_s", "time_limit_s"),
        ("compile_timeout_s", "compile_time_limit_s"),
        ("memory_mb", "memory_limit_mb"),
    ):
        if info.get(key) is not None:
            body[field] = info[key]
    return _post("/v1/jobs", body)


def _post(path: str, body: dict[str, Any]) -> dict[str, Any]:
    url = os.environ.get("FACTORY_SANDBOX_URL", DEFAULT_URL).rstrip("/") + path
    if not url.startswith(("http://", "https://")):
        raise SandboxError(f"FACTORY_SANDBOX_URL must be an http(s) URL, not {url!r}")
    headers = {"Content-Type": "application/json"}
    token = os.environ.get("FACTORY_SANDBOX_TOKEN")
    if token:
        headers["Authorization"] = f"Bearer {token}"
    attempts = max(1, int(os.environ.get("FACTORY_REWARD_RETRIES", "8")))
    timeout = float(os.environ.get("FACTORY_REWARD_TIMEOUT_S", "300"))
    data = json.dumps(body).encode()
    problem = ""
    for attempt in range(attempts):
        request = urllib.request.Request(url, data=data, headers=headers, method="POST")  # noqa: S310
        wait = min(2.0**attempt * 0.5, 30.0)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            detail = error.read().decode(errors="replace")[:500]
            problem = f"HTTP {error.code} from {url}: {detail}"
            if error.code != 429 and error.code < 500:
                raise SandboxError(problem) from error  # a refused job: retrying cannot help
            wait = _retry_after(error.headers.get("Retry-After"), wait)
        except (urllib.error.URLError, OSError) as error:
            problem = f"{url} unreachable: {error}"
        if attempt + 1 < attempts:
            time.sleep(wait)
    raise SandboxError(f"{problem} (after {attempts} attempts)")


def _retry_after(value: str | None, default: float) -> float:
    try:
        return min(max(float(value), 0.0), 60.0) if value else default
    except ValueError:
        return default


def pass_fraction(result: dict[str, Any]) -> float:
    """The reward a service answer earns: passed tests over all tests; 0.0 without a run."""
    verdict = result.get("verdict")
    total = int(result.get("tests_total") or 0)
    if verdict == "passed" and total == 0:
        return 1.0
    if total == 0 or verdict in ("compile_error", "timeout"):
        return 0.0
    return int(result.get("tests_passed") or 0) / total


def score(completion: Any, ground_truth: str | dict[str, Any], *, job_id: str = "") -> float:
    """One completion's reward against one row's verification info."""
    info = verifier(ground_truth)
    code = extract_code(completion, info.get("language") or "python")
    if not code:
        return 0.0
    return pass_fraction(judge(code, info, job_id=job_id))


def _parallel(jobs: list[tuple[Any, Any]]) -> list[float]:
    workers = max(1, min(len(jobs), int(os.environ.get("FACTORY_REWARD_WORKERS", "8"))))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda job: score(job[0], job[1]), jobs))


def compute_score(
    data_source: str, solution_str: str, ground_truth: str, extra_info: dict | None = None
) -> float:
    """verl's custom reward function (`custom_reward_function.name=compute_score`)."""
    return score(solution_str, ground_truth)


def grpo_reward(completions: list[Any], **kwargs: Any) -> list[float]:
    """TRL's GRPO reward function: every dataset column arrives as a keyword argument, one
    value per completion; `verification_info` is used, else the separate columns."""
    infos = kwargs.get("verification_info")
    if infos is None:
        infos = [
            {
                "test_code": kwargs["tests"][i],
                "language": _at(kwargs, "language", i),
                "entry_point": _at(kwargs, "entry_point", i),
                "test_style": _at(kwargs, "test_style", i),
                "time_limit_s": _at(kwargs, "time_limit_s", i),
                "memory_limit_mb": _at(kwargs, "memory_limit_mb", i),
                "compile_time_limit_s": _at(kwargs, "compile_time_limit_s", i),
            }
            for i in range(len(completions))
        ]
    return _parallel(list(zip(completions, infos, strict=True)))


def _at(columns: dict[str, Any], name: str, index: int) -> Any:
    values = columns.get(name)
    return None if values is None else values[index]


def reward_func(queries: list[str], prompts: list[str], labels: list[str], **kwargs: Any) -> Any:
    """OpenRLHF's remote reward function (`--remote_rm_url code_reward.py`): `queries` are the
    prompts with their responses, `prompts` the prompts alone and `labels` the
    `verification_info` column (`--label_key verification_info`). The response is what
    follows its prompt in the query. Returns a tensor of rewards when torch is installed (the
    form OpenRLHF expects: a tensor, or a dict with `rewards`), else a list."""
    responses = [
        q[len(p) :] if q.startswith(p) else q for q, p in zip(queries, prompts, strict=True)
    ]
    rewards = _parallel(list(zip(responses, labels, strict=True)))
    try:
        import torch
    except ImportError:
        return rewards
    tensor = torch.tensor(rewards, dtype=torch.float)
    return {"rewards": tensor, "scores": tensor, "extra_logs": {"pass_fraction": tensor}}
