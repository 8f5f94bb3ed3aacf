"""Publishing with the real huggingface_hub client against the stand-in Hub: repository creation,
one commit, the tag, unchanged content, retries only where worth it, a failure in the middle of
the commit, the token staying out of errors and logs, and a consumer loading the tagged revision."""

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from huggingface_hub import snapshot_download
from stand_ins.hub_server import GITATTRIBUTES, StandInHub
from stand_ins.release_folder import REPO_ID, TOKEN, write_release

from factory.publishing.base import PublishError, VersionConflictError
from factory.publishing.hub import HubPublisher


def _publisher(hub: StandInHub, *, token: str = TOKEN, max_retries: int = 2) -> HubPublisher:
    return HubPublisher(token=token, endpoint=hub.endpoint, max_retries=max_retries, backoff_s=0.01)


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def test_creates_private_repo_uploads_in_one_commit_and_tags(
    hub: StandInHub, release_folder: Path
) -> None:
    result = _publisher(hub).publish(
        folder=release_folder, repo_id=REPO_ID, version="v1.0.0", message="code-rlhf v1.0.0"
    )

    repo = hub.repo(REPO_ID)
    assert repo.private is True
    assert hub.count("commit") == 1
    assert len(repo.commits) == 2  # the Hub's initial commit, then the release
    assert repo.tags == {"v1.0.0": result.commit_id} and repo.branches["main"] == result.commit_id
    tagged = repo.resolve("v1.0.0")
    assert tagged is not None and tagged.title == "code-rlhf v1.0.0"
    assert tagged.files == {**_files(release_folder), ".gitattributes": GITATTRIBUTES}
    assert (result.new_commit, result.new_tag) == (True, True)
    assert result.url == f"{hub.endpoint}/datasets/{REPO_ID}/tree/v1.0.0"


def test_unchanged_content_makes_no_new_commit(hub: StandInHub, release_folder: Path) -> None:
    publisher = _publisher(hub)
    first = publisher.publish(folder=release_folder, repo_id=REPO_ID, version="v1", message="m")
    again = publisher.publish(folder=release_folder, repo_id=REPO_ID, version="v1", message="m")
    retag = publisher.publish(folder=release_folder, repo_id=REPO_ID, version="v2", message="m")

    assert hub.count("commit") == 1
    assert len(hub.repo(REPO_ID).commits) == 2
    assert (again.new_commit, again.new_tag) == (False, False)
    assert (retag.new_commit, retag.new_tag) == (False, True)
    assert hub.repo(REPO_ID).tags == {"v1": first.commit_id, "v2": first.commit_id}


def test_a_new_version_replaces_the_files_and_removes_dropped_ones(
    hub: StandInHub, tmp_path: Path, release_folder: Path
) -> None:
    publisher = _publisher(hub)
    publisher.publish(folder=release_folder, repo_id=REPO_ID, version="v1", message="m")
    changed = write_release(tmp_path / "v2", rows=7, note=" v2")
    (changed / "qa_report.md").unlink()
    second = publisher.publish(folder=changed, repo_id=REPO_ID, version="v2", message="m")

    repo = hub.repo(REPO_ID)
    assert hub.count("commit") == 2
    assert repo.resolve("v2").files == {**_files(changed), ".gitattributes": GITATTRIBUTES}
    assert "qa_report.md" in repo.resolve("v1").files  # the old tag still holds the old release
    assert second.new_commit


def test_same_version_with_other_content_is_refused(
    hub: StandInHub, tmp_path: Path, release_folder: Path
) -> None:
    publisher = _publisher(hub)
    publisher.publish(folder=release_folder, repo_id=REPO_ID, version="v1", message="m")
    changed = write_release(tmp_path / "other", rows=2, note=" other")
    with pytest.raises(VersionConflictError, match="already has version v1"):
        publisher.publish(folder=changed, repo_id=REPO_ID, version="v1", message="m")
    assert hub.count("commit") == 1


@pytest.mark.parametrize("status", [429, 500, 502, 503, None], ids=str)
def test_retryable_failures_are_retried(
    hub: StandInHub, release_folder: Path, status: int | None
) -> None:
    hub.fail("commit", times=2, status=status)  # None: the connection drops mid-commit
    result = _publisher(hub).publish(
        folder=release_folder, repo_id=REPO_ID, version="v1", message="m"
    )
    assert hub.count("commit") == 3
    assert len(hub.repo(REPO_ID).commits) == 2
    assert hub.repo(REPO_ID).tags == {"v1": result.commit_id}


@pytest.mark.parametrize("status", [400, 401, 403, 404, 412])
def test_other_failures_are_not_retried(hub: StandInHub, release_folder: Path, status: int) -> None:
    hub.fail("commit", times=1, status=status)
    with pytest.raises(PublishError, match=f"HTTP {status}"):
        _publisher(hub).publish(folder=release_folder, repo_id=REPO_ID, version="v1", message="m")
    assert hub.count("commit") == 1
    assert hub.repo(REPO_ID).tags == {}


def test_wrong_token_fails_without_retry(hub: StandInHub, release_folder: Path) -> None:
    with pytest.raises(PublishError, match="HTTP 401"):
        _publisher(hub, token="hf_wrong").publish(
            folder=release_folder, repo_id=REPO_ID, version="v1", message="m"
        )
    assert hub.count("create") == 1


def test_failure_midway_through_the_commit_leaves_no_release_and_rerun_completes(
    hub: StandInHub, release_folder: Path
) -> None:
    publisher = _publisher(hub, max_retries=1)
    publisher.publish(folder=release_folder, repo_id=REPO_ID, version="v1", message="m")
    before = dict(hub.repo(REPO_ID).branches)
    changed = write_release(release_folder.parent / "v2", rows=9, note=" v2")

    hub.fail("commit", times=2, status=None)  # every attempt dies halfway through the payload
    with pytest.raises(PublishError, match="commit failed|publishing"):
        publisher.publish(folder=changed, repo_id=REPO_ID, version="v2", message="m")
    repo = hub.repo(REPO_ID)
    assert hub.count("commit") == 3
    assert repo.branches == before and len(repo.commits) == 2 and "v2" not in repo.tags

    result = publisher.publish(folder=changed, repo_id=REPO_ID, version="v2", message="m")
    assert repo.tags["v2"] == result.commit_id == repo.branches["main"]
    assert repo.resolve("v2").files == {**_files(changed), ".gitattributes": GITATTRIBUTES}
    assert len(repo.commits) == 3


def test_token_never_appears_in_errors_or_logs(
    hub: StandInHub, release_folder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    # A server that quotes the Authorization header back, on every attempt.
    hub.fail("commit", times=3, status=503, echo_authorization=True)
    with pytest.raises(PublishError) as raised:
        _publisher(hub).publish(folder=release_folder, repo_id=REPO_ID, version="v1", message="m")

    assert f"Bearer {TOKEN}" in hub.seen_authorization  # the client did send it
    error = raised.value
    assert "HTTP 503" in str(error) and "***" in str(error)
    assert TOKEN not in str(error) and TOKEN not in repr(error)
    assert error.__cause__ is None and error.__context__ is None
    assert "retrying" in caplog.text
    assert TOKEN not in caplog.text


def test_missing_token_is_a_clear_error() -> None:
    with pytest.raises(PublishError, match="set HF_TOKEN"):
        HubPublisher(token="", endpoint="http://127.0.0.1:9")


def test_a_consumer_downloads_the_tagged_revision_and_loads_it(
    hub: StandInHub, tmp_path: Path, release_folder: Path
) -> None:
    publisher = _publisher(hub)
    publisher.publish(folder=release_folder, repo_id=REPO_ID, version="v1", message="m")
    publisher.publish(
        folder=write_release(tmp_path / "v2", rows=8, note=" v2"),
        repo_id=REPO_ID,
        version="v2",
        message="m",
    )

    snapshot = snapshot_download(
        REPO_ID,
        repo_type="dataset",
        revision="v1",
        endpoint=hub.endpoint,
        token=TOKEN,
        cache_dir=tmp_path / "hf-cache",
    )
    assert {k: v for k, v in _files(Path(snapshot)).items() if k != ".gitattributes"} == _files(
        release_folder
    )

    # A separate process, as a consumer would be: HF_ENDPOINT must be set before import.
    code = (
        "import datasets, json\n"
        "d = datasets.load_dataset('factory-test/code-rlhf', 'dpo', revision='v1')\n"
        "print(json.dumps({'train': d['train'].num_rows, 'first': d['train'][0]['id']}))\n"
    )
    env = {
        **os.environ,
        "HF_ENDPOINT": hub.endpoint,
        "HF_TOKEN": TOKEN,
        "HF_HOME": str(tmp_path / "hf-home"),
        "HF_HUB_DISABLE_TELEMETRY": "1",
    }
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == '{"train": 4, "first": "train-0"}'
