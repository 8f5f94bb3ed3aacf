"""Benchmark generation through the real openai client against the local stand-in, and signals.

Generation: all 164 HumanEval prompts x 2 models x 2 samples through the chat-completions
stand-in on 127.0.0.1 (replies with a small delay, like a fast server), at the configured
concurrency; then the same batch again, which must be served entirely from the cache.
Signals: bandit + ruff + radon (+ the verdict rows, none here) over the demo replay candidates.

    .venv/bin/python bench/generation_bench.py [--concurrency 8] [--latency-ms 50]
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

from factory.db import open_database
from factory.generation.client import OpenAIChatClient, RetryPolicy
from factory.generation.pipeline import run_generation
from factory.settings import FactoryConfig, GenerationSettings
from factory.signals.collect import run_signals

# factory is imported first: once tests/ is on the path, tests/factory would shadow it.
sys.path.append(str(Path(__file__).resolve().parents[1] / "tests"))

from generation_builder import add_humaneval_batch  # noqa: E402
from stand_ins.openai_server import fenced_reply, running_stand_in  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        engine = open_database(f"sqlite:///{folder}/bench.db")
        add_humaneval_batch(engine, "bench", list(range(164)))

        def slow_reply(body: dict) -> str:
            time.sleep(args.latency_ms / 1000)
            return fenced_reply(body)

        with running_stand_in(reply=slow_reply) as server:
            settings = GenerationSettings(
                base_url=server.base_url,
                models=["model-a", "model-b"],
                candidates_per_prompt=2,
                concurrency=args.concurrency,
                prices={"model-a": {"input": 0.5, "output": 1.5}},
            )
            client = OpenAIChatClient(
                base_url=server.base_url, api_key="", timeout_s=30, policy=RetryPolicy()
            )
            started = time.perf_counter()
            first = run_generation(
                engine=engine, batch_id="bench", settings=settings, client=client
            )
            cold = time.perf_counter() - started
            started = time.perf_counter()
            second = run_generation(
                engine=engine, batch_id="bench", settings=settings, client=client
            )
            warm = time.perf_counter() - started
            requests = server.request_count

        print(
            f"generation cold: {first.candidates_written} candidates, {requests} requests in "
            f"{cold:.2f} s = {requests / cold:.1f} requests/s at concurrency {args.concurrency} "
            f"({args.latency_ms:.0f} ms per reply)"
        )
        print(
            f"generation rerun: {second.ledger.requests_sent} requests, "
            f"{second.candidates_unchanged} candidates unchanged in {warm:.2f} s"
        )

        engine_demo = open_database(f"sqlite:///{folder}/demo.db")
        add_humaneval_batch(engine_demo, "demo", list(range(164)))
        run_generation(
            engine=engine_demo, batch_id="demo", settings=GenerationSettings(), client=None
        )
        started = time.perf_counter()
        report = run_signals(
            engine=engine_demo, batch_id="demo", config=FactoryConfig(), runner=None
        )
        elapsed = time.perf_counter() - started
        print(
            f"signals (bandit+ruff+radon): {report.candidates} candidates, {report.findings} "
            f"findings in {elapsed:.2f} s = {report.candidates / elapsed:.1f} candidates/s"
        )


if __name__ == "__main__":
    main()
