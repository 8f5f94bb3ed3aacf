"""Fixtures for review tests: a batch with candidates, verdicts and findings already in place."""

import pytest
from review_builders import ReviewBatch, build_batch
from sqlalchemy import Engine


@pytest.fixture
def review_batch(engine: Engine) -> ReviewBatch:
    return build_batch(engine)
