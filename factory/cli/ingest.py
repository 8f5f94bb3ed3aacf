"""`factory ingest PATH`: ingest one batch file without Dagster and print what became of it."""

import argparse
from pathlib import Path

from factory.db import open_database
from factory.errors import FactoryUserError
from factory.intake.ingest import IntakeReport, ingest_batch
from factory.settings import load_config

SHOWN_REJECTIONS = 5  # a batch may quarantine millions of lines: print the first few only
REASON_CHARS = 300


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", type=Path, help="a .jsonl or .jsonl.gz batch file")
    parser.add_argument("--config", default=None, help="factory YAML config (default: built-in)")
    parser.add_argument("--database-url", default=None, help="default: FACTORY_DATABASE_URL")
    parser.add_argument("--batch-id", default=None, help="default: <file stem>-<sha256[:12]>")


def run(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config)
        engine = open_database(args.database_url)
        report = ingest_batch(engine, args.path, config, batch_id=args.batch_id)
    except FactoryUserError as exc:
        print(f"error: {exc}")
        return 2
    print_report(report)
    return 0


def print_report(report: IntakeReport) -> None:
    state = "already ingested, nothing written" if report.already_ingested else "ingested"
    print(f"batch {report.batch_id} ({report.format}) from {report.source_path}: {state}")
    print(
        f"  received {report.received}: accepted {report.accepted}, "
        f"quarantined {report.quarantined}, duplicates {report.duplicates}"
    )
    print(
        f"  contaminated {report.contaminated} (flagged, not removed); scrubbed "
        f"{report.scrubbed_prompts} prompt(s), {report.scrub_events} removal(s)"
    )
    if report.duplicates_by_kind:
        kinds = ", ".join(f"{kind} {count}" for kind, count in report.duplicates_by_kind.items())
        print(f"  duplicates by kind: {kinds}")
    if report.quarantined_by_reason:
        print("  quarantined by reason:")
        for code, count in report.quarantined_by_reason.items():
            print(f"    {code}: {count}")
        shown = report.rejections[:SHOWN_REJECTIONS]
        print("  first quarantined records (every one is in the quarantine table):")
        for rejection in shown:
            who = f" [{rejection.external_id}]" if rejection.external_id else ""
            print(f"    {rejection.reason_code}{who}: {_one_line(rejection.reason)}")
        if report.quarantined > len(shown):
            print(f"    and {report.quarantined - len(shown)} more")


def _one_line(reason: str) -> str:
    text = " ".join(reason.split())
    return text if len(text) <= REASON_CHARS else text[: REASON_CHARS - 3] + "..."
