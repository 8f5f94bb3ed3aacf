"""Building a release from the database: the folder on disk and its Release/ReleaseItem rows.

Everything is written into a hidden staging folder under `out_root` first; the finished folder is
renamed into `<out_root>/<name>/<version>/` inside the transaction that inserts the Release and
its ReleaseItems, and removed again if that transaction fails. A crash therefore leaves neither a
release folder nor a Release row (only, at worst, a hidden staging folder nothing reads).

Rerunning with the same data content returns the existing release unchanged; changed content gets
the next minor version, unless `packaging.version` names one.
"""

import json
import math
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Engine, insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from factory.db import session_scope
from factory.errors import FactoryUserError
from factory.models import Release, ReleaseItem
from factory.packaging.datacard import render_data_card
from factory.packaging.licences import release_licence
from factory.packaging.plan import CONTAMINATED, ReleasePlan, plan_release
from factory.packaging.qa_report import QAReport, build_qa_report
from factory.packaging.schemas import SCHEMAS
from factory.packaging.staging import StagedData, write_plan
from factory.packaging.versions import content_sha256, next_version, parse_version
from factory.rewards import FOLDER as REWARDS_FOLDER
from factory.settings import FactoryConfig
from factory.vocab import ReleaseStatus

STAGING_PREFIX = ".staging-"
ITEM_CHUNK = 5_000
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")

# What a release's identity covers: every config's data and the reward functions it ships.
_HASHED = (*SCHEMAS, REWARDS_FOLDER)


def build_release(
    engine: Engine, batch_ids: list[str], config: FactoryConfig, *, out_root: Path
) -> Release:
    """Package `batch_ids` into `<out_root>/<name>/<version>/` and record it; idempotent."""
    batch_ids = sorted(set(batch_ids))
    name = config.packaging.release_name
    if not _NAME.match(name):
        raise FactoryUserError(
            f"packaging.release_name {name!r} must be letters, digits, '.', '_' or '-' "
            "(it names the release folder)"
        )
    if config.packaging.version:
        parse_version(config.packaging.version)
    out_root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out_root))
    try:
        with Session(engine, expire_on_commit=False) as session:
            plan = plan_release(session, batch_ids, config)
        staged = write_plan(plan, staging, config)
        fingerprint = content_sha256(staging, _HASHED)
        with Session(engine, expire_on_commit=False) as session:
            existing = _same_content(session, name, batch_ids, fingerprint, config)
            if existing is not None:
                return existing
            version = config.packaging.version or next_version(
                session.scalars(select(Release.version).where(Release.name == name))
            )
            qa = build_qa_report(
                session,
                batch_ids,
                packaged=staged.counts,
                packaged_items=[
                    (item.config, item.prompt_id)
                    for item in staged.items
                    if item.prompt_id is not None
                ],
                repository_tasks=[task.task.instance_id for _, task in plan.swe],
                simulated=plan.simulated,
                agreement_settings=config.agreement,
                selection=plan.selection,
            )
        if plan.excluded[CONTAMINATED]:
            qa.exclusions[CONTAMINATED] = plan.excluded[CONTAMINATED]
        qa.contaminated_included = plan.contaminated_included
        if plan.contaminated_included:
            qa.contamination_note = config.packaging.contamination_note.strip()
        _write_documents(staging, plan, staged, qa, config, version)
        return _commit(engine, staging, out_root / name / version, plan, staged, qa, config)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def qa_dict(qa: QAReport) -> dict[str, Any]:
    """The QA report as strict JSON: undefined figures (NaN) become null, for files and for
    PostgreSQL's json type alike."""
    return _finite(json.loads(json.dumps(qa.to_dict(), default=str)))


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_finite(item) for item in value]
    return value


def _same_content(
    session: Session, name: str, batch_ids: list[str], fingerprint: str, config: FactoryConfig
) -> Release | None:
    """The release to return instead of a new one, or None; refuses a reused fixed version."""
    releases = session.scalars(
        select(Release).where(Release.name == name).order_by(col(Release.id).desc())
    ).all()
    pinned = config.packaging.version
    if pinned:
        for release in releases:
            if release.version == pinned:
                if _content_of(release) == fingerprint:
                    return release
                raise FactoryUserError(
                    f"release {name} {pinned} already exists with different content; "
                    "set a new packaging.version (or leave it empty to bump automatically)"
                )
        return None
    same_batches = [r for r in releases if sorted(r.batch_ids or []) == batch_ids]
    if same_batches and _content_of(same_batches[0]) == fingerprint:
        return same_batches[0]
    return None


def _content_of(release: Release) -> str | None:
    folder = Path(release.path)
    return content_sha256(folder, _HASHED) if release.path and folder.is_dir() else None


def _write_documents(
    folder: Path,
    plan: ReleasePlan,
    staged: StagedData,
    qa: QAReport,
    config: FactoryConfig,
    version: str,
) -> None:
    card = render_data_card(
        repo_name=config.publishing.repo_id,
        version=version,
        configs=staged.card_files(),
        num_rows=staged.total_rows,
        languages=plan.languages,
        task_types=plan.task_types,
        licence=plan.licence or release_licence([], default=config.packaging.licence),
        qa=qa,
        simulated=plan.simulated,
    )
    (folder / "README.md").write_text(card, encoding="utf-8")
    report = json.dumps(qa_dict(qa), indent=2, sort_keys=True, allow_nan=False)
    (folder / "qa_report.json").write_text(report + "\n", encoding="utf-8")
    (folder / "qa_report.md").write_text(qa.to_markdown(), encoding="utf-8")
    settings = yaml.safe_dump(config.model_dump(mode="json"), sort_keys=True)
    (folder / "factory_config.yaml").write_text(settings, encoding="utf-8")


def _commit(
    engine: Engine,
    staging: Path,
    target: Path,
    plan: ReleasePlan,
    staged: StagedData,
    qa: QAReport,
    config: FactoryConfig,
) -> Release:
    """Insert the rows and move the folder into place: both happen, or neither."""
    name, version = target.parent.name, target.name
    moved = False
    try:
        with session_scope(engine) as session:
            release = Release(
                name=name,
                version=version,
                batch_ids=plan.batch_ids,
                status=ReleaseStatus.PACKAGED,
                path=str(target),
                config_sha256=config.sha256(),
                counts={c: sum(splits.values()) for c, splits in staged.counts.items()},
                qa_report=qa_dict(qa),
            )
            session.add(release)
            try:
                session.flush()  # a concurrent run of the same version fails here, before the move
            except IntegrityError as exc:
                raise FactoryUserError(
                    f"release {name} {version} was recorded by another run meanwhile; rerun"
                ) from exc
            _insert_items(session, release.id, staged)
            if target.exists():
                # No row names this folder (the insert above would have failed): it is what an
                # interrupted run left after its move; this run replaces it.
                shutil.rmtree(target)
            target.parent.mkdir(parents=True, exist_ok=True)
            staging.rename(target)
            moved = True
    except BaseException:
        if moved:
            shutil.rmtree(target, ignore_errors=True)
        raise
    return release


def _insert_items(session: Session, release_id: int | None, staged: StagedData) -> None:
    assert release_id is not None
    connection = session.connection()
    rows = [
        {
            "release_id": release_id,
            "config": item.config,
            "split": item.split,
            "row_key": item.row_key,
            "prompt_id": item.prompt_id,
            "pair_id": item.pair_id,
            "candidate_id": item.candidate_id,
            "instance_id": item.instance_id,
            "submission_id": item.submission_id,
        }
        for item in staged.items
    ]
    for start in range(0, len(rows), ITEM_CHUNK):
        connection.execute(insert(ReleaseItem), rows[start : start + ITEM_CHUNK])
