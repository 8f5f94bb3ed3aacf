"""The key under which a verdict is reused: same code, tests, entry point, style, image, limits."""

import hashlib
import json

from factory.sandbox import ExecutionJob


def execution_cache_key(job: ExecutionJob, *, image: str) -> str:
    """sha256 over everything that can change a verdict; anything else may change freely."""
    fields = [
        job.language,
        job.code,
        job.tests,
        job.entry_point,
        job.test_style,
        image,
        job.timeout_s,
        job.memory_mb,
    ]
    if job.language != "python":  # keys of Python runs stay as they were
        fields.append(job.compile_timeout_s)
    return hashlib.sha256(json.dumps(fields).encode()).hexdigest()
