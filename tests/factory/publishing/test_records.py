"""Release records around publishing: finding a batch's release, marking it published with
repository, commit id, URL and time, recording failures without the token, and reruns."""

from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session
from stand_ins.hub_server import StandInHub
from stand_ins.release_folder import REPO_ID, TOKEN

from factory.errors import FactoryUserError
from factory.models.release import Release
from factory.publishing.base import PublishError
from factory.publishing.hub import HubPublisher
from factory.publishing.local import LocalPublisher
from factory.publishing.records import (
    ReleaseNotFoundError,
    commit_message,
    publish_release,
    release_for_batch,
)
from factory.vocab import ReleaseStatus


def _release(engine: Engine, folder: Path, *, batch: str = "b-1", status: str = "packaged") -> int:
    with Session(engine) as session:
        release = Release(
            name="code-rlhf",
            version="0.1.0",
            batch_ids=[batch],
            status=status,
            path=str(folder),
            config_sha256="c0ffee" + "0" * 58,
            counts={"dpo": 5, "sft": 3},
        )
        session.add(release)
        session.commit()
        assert release.id is not None
        return release.id


def _load(engine: Engine, release_id: int) -> Release:
    with Session(engine) as session:
        release = session.get(Release, release_id)
        assert release is not None
        return release


def test_publishing_marks_the_release_published(
    engine: Engine, tmp_path: Path, release_folder: Path
) -> None:
    release_id = _release(engine, release_folder)
    publisher = LocalPublisher(tmp_path / "hub")
    published = publish_release(engine, release_id, publisher, repo_id=REPO_ID)

    release = _load(engine, release_id)
    assert release.status == ReleaseStatus.PUBLISHED
    assert (release.target, release.repo_id) == ("local", REPO_ID)
    assert release.commit_id == published.result.commit_id
    assert release.url == publisher.tag_dir(REPO_ID, "0.1.0").as_uri()
    assert release.published_at is not None and release.error == ""
    assert publisher.read_refs(REPO_ID)["tags"] == {"0.1.0": release.commit_id}


def test_rerun_of_a_published_release_changes_nothing(
    engine: Engine, tmp_path: Path, release_folder: Path
) -> None:
    release_id = _release(engine, release_folder)
    publisher = LocalPublisher(tmp_path / "hub")
    publish_release(engine, release_id, publisher, repo_id=REPO_ID)
    first = _load(engine, release_id)
    again = publish_release(engine, release_id, publisher, repo_id=REPO_ID)
    second = _load(engine, release_id)

    assert (again.result.new_commit, again.result.new_tag) == (False, False)
    assert second.published_at == first.published_at
    assert second.commit_id == first.commit_id


def test_failure_is_recorded_without_the_token_and_a_rerun_completes(
    engine: Engine, hub: StandInHub, release_folder: Path
) -> None:
    release_id = _release(engine, release_folder)
    publisher = HubPublisher(token=TOKEN, endpoint=hub.endpoint, max_retries=1, backoff_s=0.01)
    hub.fail("commit", times=2, status=503, echo_authorization=True)
    with pytest.raises(PublishError):
        publish_release(engine, release_id, publisher, repo_id=REPO_ID)
    failed = _load(engine, release_id)
    assert failed.status == ReleaseStatus.FAILED
    assert "HTTP 503" in failed.error and TOKEN not in failed.error
    assert failed.published_at is None and failed.commit_id == ""

    publish_release(engine, release_id, publisher, repo_id=REPO_ID)
    done = _load(engine, release_id)
    assert done.status == ReleaseStatus.PUBLISHED and done.error == ""
    assert done.commit_id == hub.repo(REPO_ID).tags["0.1.0"]
    assert done.url == f"{hub.endpoint}/datasets/{REPO_ID}/tree/0.1.0"


def test_a_missing_folder_fails_the_release_with_a_clear_reason(
    engine: Engine, tmp_path: Path
) -> None:
    release_id = _release(engine, tmp_path / "gone")
    with pytest.raises(FactoryUserError, match="package the release first"):
        publish_release(engine, release_id, LocalPublisher(tmp_path / "hub"), repo_id=REPO_ID)
    assert _load(engine, release_id).status == ReleaseStatus.FAILED


@pytest.mark.parametrize("status", ["draft", "rejected"])
def test_only_packaged_releases_are_published(
    engine: Engine, tmp_path: Path, release_folder: Path, status: str
) -> None:
    release_id = _release(engine, release_folder, status=status)
    with pytest.raises(FactoryUserError, match="only .* can be published"):
        publish_release(engine, release_id, LocalPublisher(tmp_path / "hub"), repo_id=REPO_ID)
    assert _load(engine, release_id).status == status


def test_release_for_batch_picks_the_newest_containing_the_batch(
    engine: Engine, release_folder: Path
) -> None:
    _release(engine, release_folder, batch="b-1")
    with Session(engine) as session:
        session.add(Release(name="code-rlhf", version="0.2.0", batch_ids=["b-1", "b-2"]))
        session.commit()
        assert release_for_batch(session, "b-1").version == "0.2.0"
        with pytest.raises(ReleaseNotFoundError, match="no release contains batch 'b-9'"):
            release_for_batch(session, "b-9")


def test_commit_message_names_release_counts_and_config() -> None:
    release = Release(
        name="code-rlhf", version="1.2.0", counts={"sft": 3, "dpo": 5}, config_sha256="ab" * 32
    )
    assert commit_message(release) == (
        "code-rlhf 1.2.0 (dpo=5, sft=3); factory config sha256 abababababab"
    )
