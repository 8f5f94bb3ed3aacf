"""RLVR rows: prompt-only, with what a verifier needs as columns a TRL GRPO reward function gets.

TRL passes every extra dataset column to reward functions as keyword arguments, so `tests`,
`entry_point`, `language`, `test_style` and the limits arrive next to the completions;
`verification_info` carries the same in the open-r1 layout (a JSON string). `test_style` is the
form the tests take in that language (factory.languages documents each: pytest or check for
Python, native or program elsewhere), and the limits are the sandbox's: run time, memory, and
the time all compile steps may take together.
"""

import json
from typing import Any

from factory.packaging.records import PromptInfo
from factory.vocab import PromptStatus


def is_verifiable(status: str, gradable: bool | None, stable: bool | None) -> bool:
    """Only prompts whose reference passes its own tests, and whose verdicts did not flip."""
    return status == PromptStatus.ACCEPTED and gradable is True and stable is not False


def rlvr_row(
    prompt: PromptInfo,
    *,
    time_limit_s: float,
    memory_limit_mb: int,
    compile_time_limit_s: float,
) -> dict[str, Any]:
    limits = {
        "time_limit_s": time_limit_s,
        "memory_limit_mb": memory_limit_mb,
        "compile_time_limit_s": compile_time_limit_s,
    }
    verification_info = {
        "language": prompt.language,
        "entry_point": prompt.entry_point,
        "test_style": prompt.test_style,
        "test_code": prompt.tests,
        **limits,
    }
    return {
        "id": f"prompt-{prompt.prompt_id}",
        "prompt": [{"role": "user", "content": prompt.prompt}],
        "prompt_id": prompt.prompt_id,
        "external_id": prompt.external_id,
        "language": prompt.language,
        "task_type": prompt.task_type,
        "tests": prompt.tests,
        "entry_point": prompt.entry_point,
        "test_style": prompt.test_style,
        **limits,
        "verification_info": json.dumps(verification_info, sort_keys=True),
    }
