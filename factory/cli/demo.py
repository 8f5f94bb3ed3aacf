"""`factory demo`: drop the bundled sample batch into the inbox and run the chain on it.

Runs on the embedded default (SQLite under FACTORY_HOME, the local sandbox, the local publish
target) through the same Dagster definitions the UI shows, so the runs appear there afterwards.
"""

import argparse
import hashlib
import os
import sys
import time

from factory.cli.ui import dagster_home
from factory.intake.batch_id import batch_id_for
from factory.samples import drop_sample_batch
from factory.settings import factory_home


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=3000, help="port the UI hint names")


def _say(message: str) -> None:
    print(f"[factory demo {time.strftime('%H:%M:%S')}] {message}", flush=True)


def _figures(metadata: dict) -> str:
    """The plain counts and flags of a materialisation, e.g. "received=164 accepted=164"."""
    values = {key: entry.value for key, entry in metadata.items()}
    return " ".join(
        f"{key}={value}"
        for key, value in values.items()
        if isinstance(value, int | float) and not key.startswith("dagster/")
    )


def run(args: argparse.Namespace) -> int:
    os.environ["DAGSTER_HOME"] = str(dagster_home())
    from dagster import DagsterInstance

    from assets.partitions import BATCH_PARTITIONS_NAME
    from definitions import defs

    home = factory_home()
    _say(f"factory home: {home}")
    batch_file = drop_sample_batch(home / "inbox")
    content = batch_file.read_bytes()
    partition = batch_id_for(batch_file.name, hashlib.sha256(content).hexdigest())
    _say(f"sample batch {batch_file} -> partition {partition}")

    instance = DagsterInstance.get()
    if not instance.has_dynamic_partition(BATCH_PARTITIONS_NAME, partition):
        instance.add_dynamic_partitions(BATCH_PARTITIONS_NAME, [partition])

    job = defs.resolve_implicit_global_asset_job_def()
    _say(f"materialising {len(job.asset_layer.executable_asset_keys)} assets")
    result = job.execute_in_process(
        partition_key=partition, instance=instance, raise_on_error=False
    )
    for event in result.all_events:
        if event.event_type_value in (
            "ASSET_MATERIALIZATION",
            "ASSET_CHECK_EVALUATION",
            "STEP_FAILURE",
        ):
            _say(
                f"{event.step_key}: {event.event_type_value.lower()} {event.message or ''}".strip()
            )
            if event.is_step_materialization:
                figures = _figures(event.event_specific_data.materialization.metadata)
                if figures:
                    _say(f"  {figures}")
            if event.is_step_failure and event.step_failure_data.user_failure_data:
                _say(f"  {event.step_failure_data.user_failure_data.description}")
    if not result.success:
        _say("the run failed; see the events above or open the Dagster UI")
        return 1
    _say(f"done. Open the Dagster UI with `make ui` -> http://127.0.0.1:{args.port}")
    return 0


if __name__ == "__main__":
    sys.exit(run(argparse.Namespace(port=3000)))
