"""The Hugging Face Hub target, through the real `huggingface_hub` client.

One publication: create the dataset repository if missing (private by default), compare the
release with the files on `main`, upload every file in ONE commit (the Hub applies a commit
atomically, so a failure midway leaves no partial release), then tag the commit with the version.
Unchanged content makes no new commit. Each step re-reads the remote state before it writes, so
retrying a step after a lost response cannot commit twice.

The token is handed to `HfApi` and nowhere else: errors are re-raised as `PublishError` with the
token redacted and without the original exception (whose request carries the header) attached.
"""

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import httpx2
from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi
from huggingface_hub.errors import HfHubHTTPError
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from factory.publishing.base import (
    PublisherBase,
    PublishError,
    PublishResult,
    VersionConflictError,
)
from factory.publishing.manifest import Manifest, read_manifest

TARGET = "hub"
REPO_TYPE = "dataset"
BRANCH = "main"
# Files the Hub adds by itself (the initial commit); never deleted, never compared.
HUB_OWNED_FILES = frozenset({".gitattributes"})
RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})

log = logging.getLogger(__name__)
T = TypeVar("T")


def is_retryable(error: BaseException) -> bool:
    """Rate limits, server errors and broken connections are worth retrying; nothing else is."""
    if isinstance(error, HfHubHTTPError):
        status = error.response.status_code if error.response is not None else None
        return status in RETRYABLE_STATUS
    return isinstance(error, httpx2.TransportError)


class HubPublisher(PublisherBase):
    """Publishes to `endpoint` (None: HF_ENDPOINT or huggingface.co) with `token`."""

    target = TARGET

    def __init__(
        self,
        *,
        token: str,
        endpoint: str | None = None,
        private: bool = True,
        max_retries: int = 4,
        backoff_s: float = 1.0,
        max_backoff_s: float = 30.0,
    ) -> None:
        if not token:
            raise PublishError(
                "no Hugging Face token: set HF_TOKEN to a token with write access to the repository"
            )
        self._token = token
        self.private = private
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self._api = HfApi(endpoint=endpoint, token=token, library_name="code-rlhf-factory")
        # httpcore's DEBUG trace prints response headers verbatim, and a server may quote the
        # credential back in one; nothing below INFO from the transport is worth that risk.
        transport_log = logging.getLogger("httpcore2")
        if transport_log.getEffectiveLevel() < logging.INFO:
            transport_log.setLevel(logging.INFO)
        self.endpoint = self._api.endpoint

    def publish(self, *, folder: Path, repo_id: str, version: str, message: str) -> PublishResult:
        manifest = read_manifest(folder)
        failure = ""
        try:
            self._retrying(
                self._api.create_repo,
                repo_id=repo_id,
                repo_type=REPO_TYPE,
                private=self.private,
                exist_ok=True,
            )
            tagged = self._retrying(self._tagged_commit, repo_id, version)
            if tagged is not None:
                if self._retrying(self._remote_blob_ids, repo_id, tagged) != manifest.blob_ids():
                    raise VersionConflictError(
                        f"{repo_id} already has version {version} with different content; "
                        "give the release a new version"
                    )
                return self._result(repo_id, version, tagged, manifest, False, False)
            commit_id, new_commit = self._retrying(self._commit, repo_id, manifest, message)
            self._retrying(self._tag, repo_id, version, commit_id)
        except (HfHubHTTPError, httpx2.HTTPError) as exc:
            failure = self._describe(exc, f"publishing {repo_id}@{version}")
        if failure:
            # Raised outside the except block, so the original (whose request carries the
            # Authorization header) is neither the cause nor the context of this error.
            raise PublishError(failure)
        return self._result(repo_id, version, commit_id, manifest, new_commit, True)

    def published_blob_ids(self, repo_id: str, version: str) -> dict[str, str] | None:
        try:
            tagged = self._retrying(self._tagged_commit, repo_id, version)
            if tagged is None:
                return None
            return self._retrying(self._remote_blob_ids, repo_id, tagged)
        except (HfHubHTTPError, httpx2.HTTPError) as exc:
            failure = self._describe(exc, f"reading {repo_id}@{version}")
        raise PublishError(failure)

    # -- steps, each safe to repeat -----------------------------------------------------------

    def _tagged_commit(self, repo_id: str, version: str) -> str | None:
        refs = self._api.list_repo_refs(repo_id, repo_type=REPO_TYPE)
        return next((tag.target_commit for tag in refs.tags if tag.name == version), None)

    def _remote_blob_ids(self, repo_id: str, revision: str) -> dict[str, str]:
        entries = self._api.list_repo_tree(
            repo_id, recursive=True, revision=revision, repo_type=REPO_TYPE
        )
        return {
            entry.path: entry.blob_id
            for entry in entries
            if hasattr(entry, "blob_id") and entry.path not in HUB_OWNED_FILES
        }

    def _commit(self, repo_id: str, manifest: Manifest, message: str) -> tuple[str, bool]:
        head = self._api.repo_info(repo_id, repo_type=REPO_TYPE, revision=BRANCH).sha
        assert head is not None, f"{repo_id}: the Hub reported no commit for {BRANCH}"
        remote = self._remote_blob_ids(repo_id, head)
        if remote == manifest.blob_ids():
            log.info("%s: content unchanged since commit %s; no new commit", repo_id, head)
            return head, False
        operations: list[CommitOperationAdd | CommitOperationDelete] = [
            CommitOperationAdd(path_in_repo=item.path_in_repo, path_or_fileobj=item.local_path)
            for item in manifest.files
        ]
        local = manifest.blob_ids()
        operations += [CommitOperationDelete(path) for path in sorted(remote) if path not in local]
        info = self._api.create_commit(
            repo_id,
            operations,
            commit_message=message,
            repo_type=REPO_TYPE,
            revision=BRANCH,
            parent_commit=head,  # refuse to commit over a change made since we looked
        )
        log.info("%s: committed %d files as %s", repo_id, len(manifest.files), info.oid)
        return info.oid, True

    def _tag(self, repo_id: str, version: str, commit_id: str) -> None:
        # A retry after a lost response finds the tag already there: that is success.
        if self._tagged_commit(repo_id, version) == commit_id:
            return
        self._api.create_tag(repo_id, tag=version, revision=commit_id, repo_type=REPO_TYPE)

    # -- plumbing -----------------------------------------------------------------------------

    def _retrying(self, step: Callable[..., T], *args: object, **kwargs: object) -> T:
        retrying = Retrying(
            stop=stop_after_attempt(self.max_retries + 1),
            wait=wait_exponential_jitter(initial=self.backoff_s, max=self.max_backoff_s),
            retry=retry_if_exception(is_retryable),
            before_sleep=self._log_retry,
            reraise=True,
        )
        return retrying(step, *args, **kwargs)

    def _log_retry(self, state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        name = getattr(state.fn, "__name__", "step")
        log.warning(
            "Hub %s failed (attempt %d of %d), retrying: %s",
            name.lstrip("_"),
            state.attempt_number,
            self.max_retries + 1,
            self._describe(error, name.lstrip("_")) if error else "unknown error",
        )

    def _describe(self, error: BaseException, doing: str) -> str:
        status = ""
        if isinstance(error, HfHubHTTPError) and error.response is not None:
            status = f" (HTTP {error.response.status_code})"
        text = f"{doing} failed{status}: {type(error).__name__}: {error}"
        return redact(text, self._token)

    def _url(self, repo_id: str, version: str) -> str:
        """Where a consumer finds `repo_id` at tag `version`."""
        return f"{self.endpoint}/datasets/{repo_id}/tree/{version}"


def redact(text: str, secret: str) -> str:
    return text.replace(secret, "***") if secret else text
