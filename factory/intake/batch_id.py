"""Batch ids: readable and content-addressed, so one file seen twice is one batch."""

import re

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def batch_id_for(file_name: str, content_sha256: str) -> str:
    stem = file_name.split(".", 1)[0] or "batch"
    return f"{_UNSAFE.sub('-', stem)[:60]}-{content_sha256[:12]}"
