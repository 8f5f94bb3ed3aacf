"""A local stand-in for the Hugging Face Hub, speaking the HTTP protocol huggingface_hub uses.

Covers what publishing and consuming a dataset release need: repository creation, repo and
revision info, preupload (every file is a regular git blob, so no LFS or Xet), the NDJSON commit,
tags and refs, tree listing, paths-info, commits, and file resolve (HEAD/GET with ranges).

A commit is applied to a copy of the branch's tree and swapped in only when the whole payload has
been read and validated, as the Hub does, so a commit that fails midway leaves no new revision.
Tests inject faults with `StandInHub.fail(...)`.
"""

import base64
import hashlib
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

GITATTRIBUTES = b"*.parquet filter=lfs diff=lfs merge=lfs -text\n"


def git_blob_sha1(content: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()  # noqa: S324


@dataclass
class Commit:
    oid: str
    parent: str | None
    title: str
    message: str
    date: str
    files: dict[str, bytes]


@dataclass
class Repo:
    repo_type: str
    repo_id: str
    private: bool
    commits: dict[str, Commit] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)

    def resolve(self, revision: str) -> Commit | None:
        oid = self.branches.get(revision) or self.tags.get(revision)
        if oid is None and revision in self.commits:
            oid = revision
        return self.commits.get(oid) if oid else None

    def add_commit(
        self, parent: str | None, title: str, message: str, files: dict[str, bytes]
    ) -> str:
        date = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        seed = f"{parent}|{title}|{date}|{len(self.commits)}".encode()
        digest = hashlib.sha1(seed + json.dumps(sorted(files)).encode())  # noqa: S324
        oid = digest.hexdigest()
        self.commits[oid] = Commit(oid, parent, title, message, date, files)
        return oid


@dataclass
class Fault:
    """Fail the next `times` requests of `route`: with `status`, or by dropping the connection."""

    route: str
    times: int
    status: int | None = None  # None: read the request, then close the socket without a reply
    echo_authorization: bool = False  # a careless server quoting the credential in its error


class StandInHub:
    """In-memory Hub state plus the fault plan; thread-safe, one lock for all of it."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.repos: dict[tuple[str, str], Repo] = {}
        self.faults: list[Fault] = []
        self.requests: list[tuple[str, str]] = []  # (method, route) in arrival order
        self.seen_authorization: list[str] = []
        self.lock = threading.Lock()
        self.endpoint = ""

    def fail(
        self,
        route: str,
        *,
        times: int = 1,
        status: int | None = None,
        echo_authorization: bool = False,
    ) -> None:
        with self.lock:
            self.faults.append(Fault(route, times, status, echo_authorization))

    def take_fault(self, route: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.route == route and fault.times > 0:
                    fault.times -= 1
                    return fault
        return None

    def count(self, route: str) -> int:
        return sum(1 for _, seen in self.requests if seen == route)

    def repo(self, repo_id: str, repo_type: str = "dataset") -> Repo:
        return self.repos[(repo_type, repo_id)]


class _Abort(Exception):
    """Drop the connection without replying (a commit interrupted midway)."""


class _HubHandler(BaseHTTPRequestHandler):
    server: "_HubHTTPServer"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return  # keep test output quiet

    # -- plumbing -----------------------------------------------------------------------------

    @property
    def hub(self) -> StandInHub:
        return self.server.hub

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _reply(
        self,
        status: int,
        payload: Any = None,
        *,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
        head: bool = False,
    ) -> None:
        body = raw if raw is not None else json.dumps(payload).encode()
        self.send_response(status)
        kind = "application/json" if raw is None else "application/octet-stream"
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _error(self, status: int, message: str, code: str = "", *, head: bool = False) -> None:
        headers = {"X-Error-Message": message}
        if code:
            headers["X-Error-Code"] = code
        self._reply(status, {"error": message}, headers=headers, head=head)

    def _authorized(self) -> bool:
        value = self.headers.get("Authorization", "")
        self.hub.seen_authorization.append(value)
        return value == f"Bearer {self.hub.token}"

    def do_GET(self) -> None:  # noqa: N802
        self._dispatch("GET")

    def do_HEAD(self) -> None:  # noqa: N802
        self._dispatch("HEAD")

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        self.query = parse_qs(url.query)
        path = url.path
        for route, pattern, handler_name in _ROUTES:
            match = pattern.match(path)
            if match and (method in _METHODS[route]):
                self.hub.requests.append((method, route))
                fault = self.hub.take_fault(route)
                self.abort_midway = fault is not None and fault.status is None
                if fault is not None and fault.status is not None:
                    self._body()
                    message = f"injected {fault.status} on {route}"
                    if fault.echo_authorization:
                        message += f" for {self.headers.get('Authorization', '')}"
                    self._error(fault.status, message)
                    return
                params = {key: unquote(value) for key, value in match.groupdict().items() if value}
                try:
                    if self.abort_midway and route != "commit":
                        self._body()
                        raise _Abort
                    getattr(self, handler_name)(method, **params)
                except _Abort:
                    # Vanish without a reply, as a server that dies midway would.
                    self.close_connection = True
                    self.connection.shutdown(2)
                return
        self._error(404, f"no route for {method} {path}")

    def _find_repo(self, repo_type: str, repo_id: str, *, head: bool = False) -> Repo | None:
        repo = self.hub.repos.get((repo_type, repo_id))
        if repo is None or (repo.private and not self._authorized()):
            self._error(404, f"Repository {repo_id} not found", "RepoNotFound", head=head)
            return None
        return repo

    def _find_commit(self, repo: Repo, revision: str, *, head: bool = False) -> Commit | None:
        commit = repo.resolve(revision)
        if commit is None:
            self._error(404, f"Invalid rev id: {revision}", "RevisionNotFound", head=head)
        return commit

    # -- repositories -------------------------------------------------------------------------

    def create_repo(self, method: str) -> None:
        payload = json.loads(self._body() or b"{}")
        if not self._authorized():
            self._error(401, "Invalid credentials in Authorization header")
            return
        repo_type = payload.get("type") or "model"
        name = payload["name"]
        repo_id = f"{payload['organization']}/{name}" if payload.get("organization") else name
        private = payload.get("private", payload.get("visibility") == "private")
        url = f"{self.hub.endpoint}/{_prefix(repo_type)}{repo_id}"
        with self.hub.lock:
            if (repo_type, repo_id) in self.hub.repos:
                message = "You already created this repo"
                headers = {"X-Error-Message": message}
                self._reply(409, {"error": message, "url": url}, headers=headers)
                return
            repo = Repo(repo_type, repo_id, bool(private))
            oid = repo.add_commit(None, "initial commit", "", {".gitattributes": GITATTRIBUTES})
            repo.branches["main"] = oid
            self.hub.repos[(repo_type, repo_id)] = repo
        self._reply(200, {"url": url, "name": repo_id, "id": repo_id})

    def repo_info(self, method: str, kind: str, repo_id: str, revision: str = "main") -> None:
        repo = self._find_repo(_singular(kind), repo_id)
        if repo is None:
            return
        commit = self._find_commit(repo, revision)
        if commit is None:
            return
        siblings = [
            {"rfilename": path, "size": len(data), "blobId": git_blob_sha1(data)}
            for path, data in sorted(commit.files.items())
        ]
        self._reply(
            200,
            {
                "id": repo_id,
                "_id": repo_id,
                "author": repo_id.split("/")[0],
                "sha": commit.oid,
                "private": repo.private,
                "gated": False,
                "disabled": False,
                "lastModified": commit.date,
                "createdAt": commit.date,
                "tags": [],
                "downloads": 0,
                "likes": 0,
                "siblings": siblings,
            },
        )

    def validate_yaml(self, method: str) -> None:
        self._body()
        self._reply(200, {"errors": [], "warnings": []})

    # -- writing ------------------------------------------------------------------------------

    def preupload(self, method: str, kind: str, repo_id: str, revision: str) -> None:
        payload = json.loads(self._body())
        repo = self._find_repo(_singular(kind), repo_id)
        if repo is None:
            return
        if not self._authorized():
            self._error(401, "Invalid credentials in Authorization header")
            return
        commit = repo.resolve(revision)
        files = commit.files if commit else {}
        out = []
        for item in payload["files"]:
            existing = files.get(item["path"])
            out.append(
                {
                    "path": item["path"],
                    "uploadMode": "regular",
                    "shouldIgnore": False,
                    "oid": git_blob_sha1(existing) if existing is not None else None,
                }
            )
        self._reply(200, {"files": out, "commitOid": commit.oid if commit else None})

    def commit(self, method: str, kind: str, repo_id: str, revision: str) -> None:
        body = self._body()
        repo = self._find_repo(_singular(kind), repo_id)
        if repo is None:
            return
        if not self._authorized():
            self._error(401, "Invalid credentials in Authorization header")
            return
        lines = [json.loads(line) for line in body.splitlines() if line.strip()]
        if not lines or lines[0].get("key") != "header":
            self._error(400, "the commit payload must start with a header line")
            return
        header = lines[0]["value"]
        with self.hub.lock:
            head_oid = repo.branches.get(revision)
            if head_oid is None:
                self._error(404, f"Invalid rev id: {revision}", "RevisionNotFound")
                return
            parent = header.get("parentCommit")
            if parent and parent != head_oid:
                self._error(412, "A commit has happened since. Please refresh and try again.")
                return
            # Build the new tree on a copy: the branch moves only once every line was applied.
            files = dict(repo.commits[head_oid].files)
            for number, line in enumerate(lines[1:], start=1):
                if self.abort_midway and number > len(lines) // 2:
                    raise _Abort  # half the operations applied to the copy, then the server dies
                key, value = line["key"], line["value"]
                if key == "file":
                    if value.get("encoding") != "base64":
                        self._error(400, f"unsupported encoding for {value.get('path')}")
                        return
                    files[value["path"]] = base64.b64decode(value["content"])
                elif key == "deletedFile":
                    if value["path"] not in files:
                        self._error(404, "A file with this name doesn't exist", "EntryNotFound")
                        return
                    del files[value["path"]]
                elif key == "deletedFolder":
                    prefix = value["path"].rstrip("/") + "/"
                    files = {p: d for p, d in files.items() if not p.startswith(prefix)}
                else:
                    self._error(400, f"the stand-in Hub does not support {key!r} operations")
                    return
            oid = repo.add_commit(
                head_oid, header.get("summary", ""), header.get("description", ""), files
            )
            repo.branches[revision] = oid
        url = f"{self.hub.endpoint}/{_prefix(repo.repo_type)}{repo_id}/commit/{oid}"
        self._reply(200, {"success": True, "commitOid": oid, "commitUrl": url})

    def create_tag(self, method: str, kind: str, repo_id: str, revision: str) -> None:
        payload = json.loads(self._body())
        repo = self._find_repo(_singular(kind), repo_id)
        if repo is None:
            return
        if not self._authorized():
            self._error(401, "Invalid credentials in Authorization header")
            return
        commit = self._find_commit(repo, revision)
        if commit is None:
            return
        with self.hub.lock:
            if payload["tag"] in repo.tags:
                self._error(409, f"Tag {payload['tag']} already exists")
                return
            repo.tags[payload["tag"]] = commit.oid
        self._reply(200, {})

    # -- reading ------------------------------------------------------------------------------

    def refs(self, method: str, kind: str, repo_id: str) -> None:
        repo = self._find_repo(_singular(kind), repo_id)
        if repo is None:
            return

        def refs_of(names: dict[str, str], prefix: str) -> list[dict[str, str]]:
            return [
                {"name": name, "ref": f"refs/{prefix}/{name}", "targetCommit": oid}
                for name, oid in sorted(names.items())
            ]

        self._reply(
            200,
            {
                "branches": refs_of(repo.branches, "heads"),
                "tags": refs_of(repo.tags, "tags"),
                "converts": [],
            },
        )

    def commits(self, method: str, kind: str, repo_id: str, revision: str) -> None:
        repo = self._find_repo(_singular(kind), repo_id)
        if repo is None:
            return
        commit = self._find_commit(repo, revision)
        out = []
        while commit is not None:
            out.append(
                {
                    "id": commit.oid,
                    "title": commit.title,
                    "message": commit.message,
                    "date": commit.date,
                    "authors": [{"user": "factory"}],
                }
            )
            commit = repo.commits.get(commit.parent) if commit.parent else None
        if out:
            self._reply(200, out)

    def tree(self, method: str, kind: str, repo_id: str, revision: str, path: str = "") -> None:
        repo = self._find_repo(_singular(kind), repo_id)
        if repo is None:
            return
        commit = self._find_commit(repo, revision)
        if commit is None:
            return
        recursive = self.query.get("recursive", ["False"])[0].lower() in ("1", "true")
        prefix = path.strip("/") + "/" if path.strip("/") else ""
        entries: dict[str, dict[str, Any]] = {}
        for file_path, data in sorted(commit.files.items()):
            if not file_path.startswith(prefix):
                continue
            rest = file_path[len(prefix) :].split("/")
            for depth in range(1, len(rest)):
                folder = prefix + "/".join(rest[:depth])
                if recursive or depth == 1:
                    entries.setdefault(folder, _folder_entry(folder))
                if not recursive:
                    break
            if recursive or len(rest) == 1:
                entries[file_path] = _file_entry(file_path, data)
        if prefix and not entries:
            self._error(404, f"{path} does not exist", "EntryNotFound")
            return
        self._reply(200, list(entries.values()))

    def paths_info(self, method: str, kind: str, repo_id: str, revision: str) -> None:
        form = parse_qs(self._body().decode())
        repo = self._find_repo(_singular(kind), repo_id)
        if repo is None:
            return
        commit = self._find_commit(repo, revision)
        if commit is None:
            return
        out = []
        for path in form.get("paths", []):
            path = path.strip("/")
            if path in commit.files:
                out.append(_file_entry(path, commit.files[path]))
            elif any(p.startswith(path + "/") for p in commit.files):
                out.append(_folder_entry(path))
        self._reply(200, out)

    def resolve(self, method: str, kind: str, repo_id: str, revision: str, path: str) -> None:
        head = method == "HEAD"
        repo = self._find_repo(_singular(kind or "model"), repo_id, head=head)
        if repo is None:
            return
        commit = self._find_commit(repo, revision, head=head)
        if commit is None:
            return
        data = commit.files.get(path)
        if data is None:
            self._error(404, f"Entry not found: {path}", "EntryNotFound", head=head)
            return
        headers = {"X-Repo-Commit": commit.oid, "ETag": f'"{git_blob_sha1(data)}"'}
        status = 200
        range_header = self.headers.get("Range")
        if range_header and not head:
            match = re.fullmatch(r"bytes=(\d+)-(\d*)", range_header.strip())
            if match:
                start = int(match.group(1))
                end = int(match.group(2)) if match.group(2) else len(data) - 1
                end = min(end, len(data) - 1)
                headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
                data = data[start : end + 1]
                status = 206
        headers["Accept-Ranges"] = "bytes"
        self._reply(status, raw=data, headers=headers, head=head)


def _file_entry(path: str, data: bytes) -> dict[str, Any]:
    return {"type": "file", "oid": git_blob_sha1(data), "size": len(data), "path": path}


def _folder_entry(path: str) -> dict[str, Any]:
    oid = hashlib.sha1(path.encode()).hexdigest()  # noqa: S324
    return {"type": "directory", "oid": oid, "size": 0, "path": path}


def _singular(kind: str) -> str:
    return kind.removesuffix("s")


def _prefix(repo_type: str) -> str:
    return "" if repo_type == "model" else f"{repo_type}s/"


_REPO = r"(?P<kind>models|datasets|spaces)/(?P<repo_id>[^/]+/[^/]+)"
_ROUTES = [
    ("create", re.compile(r"^/api/repos/create$"), "create_repo"),
    ("validate-yaml", re.compile(r"^/api/validate-yaml$"), "validate_yaml"),
    ("preupload", re.compile(rf"^/api/{_REPO}/preupload/(?P<revision>[^/]+)$"), "preupload"),
    ("commit", re.compile(rf"^/api/{_REPO}/commit/(?P<revision>[^/]+)$"), "commit"),
    ("tag", re.compile(rf"^/api/{_REPO}/tag/(?P<revision>[^/]+)$"), "create_tag"),
    ("refs", re.compile(rf"^/api/{_REPO}/refs$"), "refs"),
    ("commits", re.compile(rf"^/api/{_REPO}/commits/(?P<revision>[^/]+)$"), "commits"),
    ("tree", re.compile(rf"^/api/{_REPO}/tree/(?P<revision>[^/]+)(?:/(?P<path>.*))?$"), "tree"),
    ("paths-info", re.compile(rf"^/api/{_REPO}/paths-info/(?P<revision>[^/]+)$"), "paths_info"),
    ("info", re.compile(rf"^/api/{_REPO}(?:/revision/(?P<revision>[^/]+))?$"), "repo_info"),
    (
        "resolve",
        re.compile(
            r"^/(?:(?P<kind>datasets|spaces)/)?(?P<repo_id>[^/]+/[^/]+)"
            r"/resolve/(?P<revision>[^/]+)/(?P<path>.+)$"
        ),
        "resolve",
    ),
]
_METHODS = {
    "create": {"POST"},
    "validate-yaml": {"POST"},
    "preupload": {"POST"},
    "commit": {"POST"},
    "tag": {"POST"},
    "refs": {"GET"},
    "commits": {"GET"},
    "tree": {"GET"},
    "paths-info": {"POST"},
    "info": {"GET"},
    "resolve": {"GET", "HEAD"},
}


class _HubHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    hub: StandInHub


@contextmanager
def running_hub(token: str) -> Iterator[StandInHub]:
    """Serve a fresh stand-in Hub on 127.0.0.1 (a free port) for the duration of the block."""
    server = _HubHTTPServer(("127.0.0.1", 0), _HubHandler)
    hub = StandInHub(token)
    server.hub = hub
    hub.endpoint = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, name="stand-in-hub", daemon=True)
    thread.start()
    try:
        yield hub
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
