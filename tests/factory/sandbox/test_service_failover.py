"""Two replicas of `factory sandbox serve` (bubblewrap, separate processes and ports) behind the
execution stage's `service` backend: they judge as the local pool does, and when one replica is
killed mid-batch, with the process tree of every sandbox it ran, no verdict is lost or doubled."""

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from generation_builder import _PROBLEMS, add_candidate, add_humaneval_batch
from sandbox_service_builders import TOKEN
from sqlalchemy import Engine
from sqlmodel import Session, select

from factory.execution.stage import run_execution
from factory.models import Candidate, ExecutionRun
from factory.sandbox import ExecutionJob
from factory.sandbox.pool import PooledSandbox
from factory.sandbox.service_client import ServiceSandbox
from factory.settings import SandboxServiceSettings, SandboxSettings
from factory.vocab import Verdict

pytestmark = [pytest.mark.bwrap, pytest.mark.slow]

BATCH = "batch-failover"
PROBLEMS = list(range(16))


class Replica:
    def __init__(self, tmp: Path, name: str) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, FACTORY_SANDBOX_TOKEN=TOKEN, FACTORY_HOME=str(tmp / name))
        env.pop("FACTORY_SANDBOX_URLS", None)
        self.log = (tmp / f"{name}.log").open("w")
        self.process = subprocess.Popen(  # its own session: killed with every sandbox it started
            [sys.executable, "-m", "commands", "sandbox", "serve", "--backend", "bwrap"]
            + ["--host", "127.0.0.1", "--port", str(self.port)],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    def wait_healthy(self) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"replica exited: {self.log.name}"
            try:
                if httpx.get(self.url + "/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"replica {self.url} never became healthy")

    def jobs_judged(self) -> int:
        text = httpx.get(self.url + "/metrics", timeout=5).text
        return int(
            sum(
                float(v)
                for v in re.findall(r"^factory_sandbox_verdicts_total\{[^}]*\} (\S+)$", text, re.M)
            )
        )

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)  # the host is gone: server and sandboxes
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        self.log.close()


@pytest.fixture
def replicas(tmp_path: Path, bwrap_sandbox: PooledSandbox) -> Iterator[list[Replica]]:
    """Two replicas (the session's bwrap pool is requested only so the suite skips where
    bubblewrap or its root filesystem is missing)."""
    started = [Replica(tmp_path, "a"), Replica(tmp_path, "b")]
    try:
        for replica in started:
            replica.wait_healthy()
        yield started
    finally:
        for replica in started:
            replica.stop()


def settings_for(replicas: list[Replica], **service: object) -> SandboxSettings:
    return SandboxSettings(
        stability_sample_rate=0.0,
        timeout_s=5.0,
        service=SandboxServiceSettings(urls=[r.url for r in replicas], **service),  # type: ignore[arg-type]
    )


def test_replicas_judge_as_the_local_pool_does(
    replicas: list[Replica], bwrap_sandbox: PooledSandbox
) -> None:
    jobs = [
        ExecutionJob(
            code="def f(x):\n    return x + 1\n", tests="def test_f():\n    assert f(1) == 2\n"
        ),
        ExecutionJob(
            code="def f(x):\n    return x\n", tests="def test_f():\n    assert f(1) == 2\n"
        ),
        ExecutionJob(
            code="def f(x):\n    while True: pass\n",
            tests="def test_f():\n    f(1)\n",
            timeout_s=1.0,
        ),
        ExecutionJob(
            code="int add(int a, int b) { return a - b; }\n",
            tests=(
                "#include <assert.h>\nint add(int, int);\n"
                "int main(void) { assert(add(2, 2) == 4); return 0; }\n"
            ),
            language="c",
            test_style="program",
        ),
    ]
    # Output no JSON text can hold as it is (NUL, bytes that are not UTF-8) crosses the HTTP
    # hop as the pool gives it.
    noisy = (
        "import sys\n"
        "def f(x):\n"
        "    sys.stdout.buffer.write(b'MARK:a\\x00b\\xff\\xfe\\xc3(c\\n')\n"
        "    sys.stdout.flush()\n"
        "    sys.stderr.buffer.write(b'ERR:\\x00\\xed\\xa0\\x80\\n')\n"
        "    sys.stderr.flush()\n"
        "    return x + 1\n"
    )
    jobs.append(ExecutionJob(code=noisy, tests="def test_f():\n    assert f(1) == 2\n"))
    with ServiceSandbox(settings_for(replicas), token=TOKEN) as service:
        remote = service.run_many(jobs)
    local = bwrap_sandbox.run_many(jobs)
    assert remote[-1].verdict == local[-1].verdict == Verdict.PASSED
    for stream in ("stdout", "stderr"):
        mine, theirs = getattr(remote[-1], stream), getattr(local[-1], stream)
        marker = "MARK:" if stream == "stdout" else "ERR:"
        assert marker in theirs, theirs
        assert _line_with(mine, marker) == _line_with(theirs, marker)
    assert [o.verdict for o in remote] == [o.verdict for o in local]
    assert [o.verdict for o in remote][:3] == [Verdict.PASSED, Verdict.FAILED, Verdict.TIMEOUT]
    for mine, theirs in zip(remote, local, strict=True):
        assert [(t.name, t.outcome) for t in mine.tests] == [
            (t.name, t.outcome) for t in theirs.tests
        ]
        assert mine.backend == "bwrap"


def test_a_replica_killed_mid_batch_loses_and_doubles_no_verdict(
    engine: Engine, replicas: list[Replica]
) -> None:
    prompts = add_humaneval_batch(engine, BATCH, PROBLEMS)
    expected: dict[int, Verdict] = {}
    for prompt in prompts:
        canonical = prompt.prompt + _PROBLEMS[prompt.external_id]["canonical_solution"]
        broken = prompt.prompt + "    return None\n"
        expected[add_candidate(engine, prompt, canonical, model="good").id] = Verdict.PASSED  # type: ignore[index]
        expected[add_candidate(engine, prompt, broken, model="bad").id] = Verdict.FAILED  # type: ignore[index]
    victim, survivor = replicas
    opened: list[ServiceSandbox] = []
    killed = threading.Event()

    def kill_after_some_jobs() -> None:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and victim.jobs_judged() < 6:
            time.sleep(0.02)
        victim.kill()
        killed.set()

    def opener() -> ServiceSandbox:
        opened.append(ServiceSandbox(settings_for(replicas, replica_cooldown_s=30.0), token=TOKEN))
        threading.Thread(target=kill_after_some_jobs, daemon=True).start()
        return opened[0]

    report = run_execution(
        engine=engine,
        batch_id=BATCH,
        settings=settings_for(replicas),
        open_sandbox=opener,
        image="factory-sandbox:failover",
    )
    assert killed.is_set() and victim.process.returncode is not None
    assert opened[0].failovers >= 1  # jobs the victim held were judged again elsewhere
    assert survivor.jobs_judged() > 0
    with Session(engine) as session:
        runs = session.exec(select(ExecutionRun).where(ExecutionRun.batch_id == BATCH)).all()
        candidates = {c.id: c for c in session.exec(select(Candidate)).all()}
    attempts = Counter((run.candidate_id, run.attempt) for run in runs)
    assert max(attempts.values()) == 1  # none recorded twice
    references = [c for c in candidates.values() if c.source == "reference"]
    assert len(runs) == 2 * len(references) + len(expected)  # none lost
    for run in runs:  # references and canonical solutions pass; `return None` never does
        if expected.get(run.candidate_id, Verdict.PASSED) == Verdict.PASSED:
            assert run.verdict == Verdict.PASSED, run
        else:
            assert run.verdict in (Verdict.FAILED, Verdict.ERROR), run
    assert report.backend == "service"


def _line_with(text: str, marker: str) -> str:
    start = text.index(marker)
    return text[start : text.find("\n", start)]
