"""Live progress for `factory demo`: stage lines with counts and timings while a job runs.

The job runs in-process in the main thread (Dagster installs signal handlers there); a
background thread follows the run's event log in the instance and prints one line per stage
start, materialisation (with its counts), gate result and failure.
"""

import threading
import time
from typing import Any

from dagster import DagsterEventType, DagsterInstance

try:  # rich is optional: coloured output when present, plain lines otherwise
    from rich.console import Console
    from rich.markup import escape

    HAVE_RICH = True
except ImportError:  # pragma: no cover - exercised only without rich
    HAVE_RICH = False


_FOLLOWED = {
    DagsterEventType.STEP_START,
    DagsterEventType.STEP_SUCCESS,
    DagsterEventType.STEP_FAILURE,
    DagsterEventType.ASSET_MATERIALIZATION,
    DagsterEventType.ASSET_CHECK_EVALUATION,
}
POLL_SECONDS = 0.5


class Reporter:
    """Timestamped lines on stdout; `style` is a rich style name, ignored without rich."""

    def __init__(self) -> None:
        self._console = Console(highlight=False, soft_wrap=True) if HAVE_RICH else None
        self._lock = threading.Lock()

    def say(self, message: str, style: str = "") -> None:
        stamp = time.strftime("%H:%M:%S")
        with self._lock:
            if self._console is None:
                print(f"[demo {stamp}] {message}", flush=True)
            else:
                text = escape(message)
                self._console.print(
                    f"[dim]\\[demo {stamp}][/dim] "
                    + (f"[{style}]{text}[/{style}]" if style else text)
                )

    def banner(self, message: str) -> None:
        line = "=" * len(message)
        for part in (line, message, line):
            self.say(part, "bold yellow")


def figures(metadata: dict[str, Any]) -> str:
    """The plain counts and flags of a materialisation, e.g. "received=5 accepted=5"."""
    values = {key: getattr(entry, "value", entry) for key, entry in metadata.items()}
    return " ".join(
        f"{key}={value}"
        for key, value in values.items()
        if isinstance(value, int | float) and not key.startswith("dagster/")
    )


def describe(event: Any, started: dict[str, float], now: float) -> tuple[str, str] | None:
    """The line (and style) one followed Dagster event prints, or None for events not shown."""
    step = event.step_key or "run"
    kind = event.event_type
    if kind == DagsterEventType.STEP_START:
        started[step] = now
        return f"{step}: started", "cyan"
    if kind == DagsterEventType.STEP_SUCCESS:
        took = now - started.get(step, now)
        return f"{step}: done in {took:.1f} s", "green"
    if kind == DagsterEventType.ASSET_MATERIALIZATION:
        materialization = event.event_specific_data.materialization
        counts = figures(materialization.metadata)
        return f"{step}: materialised {materialization.asset_key.to_user_string()} {counts}", ""
    if kind == DagsterEventType.ASSET_CHECK_EVALUATION:
        evaluation = event.event_specific_data
        if evaluation.passed:
            return f"{step}: check {evaluation.check_name} passed", "green"
        why = evaluation.description or ""
        return f"{step}: check {evaluation.check_name} FAILED {why}".rstrip(), "bold red"
    if kind == DagsterEventType.STEP_FAILURE:
        return f"{step}: FAILED {failure_reason(event.step_failure_data)}", "bold red"
    return None


def failure_reason(failure: Any) -> str:
    """The innermost error message: Dagster wraps the asset's own exception in its own."""
    if failure.user_failure_data and failure.user_failure_data.description:
        return failure.user_failure_data.description
    error = failure.error
    while error is not None and error.cause is not None:
        error = error.cause
    return error.message.strip() if error is not None else ""


class RunFollower:
    """Prints the followed events of run `run_id` as they reach the instance's event log."""

    def __init__(self, instance: DagsterInstance, run_id: str, reporter: Reporter) -> None:
        self._instance = instance
        self._run_id = run_id
        self._reporter = reporter
        self._cursor: str | None = None
        self._started: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._follow, daemon=True)

    def __enter__(self) -> "RunFollower":
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()
        self._drain()  # whatever arrived between the last poll and the end of the run

    def _follow(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            self._drain()

    def _drain(self) -> None:
        while True:
            connection = self._instance.get_records_for_run(
                self._run_id, cursor=self._cursor, of_type=_FOLLOWED
            )
            for record in connection.records:
                entry = record.event_log_entry
                if entry.dagster_event is None:
                    continue
                line = describe(entry.dagster_event, self._started, entry.timestamp)
                if line is not None:
                    self._reporter.say(*line)
            self._cursor = connection.cursor
            if not connection.has_more:
                return
