"""The sandbox as an HTTP service (`factory sandbox serve`), for rewards at training time.

Endpoints: SandboxFusion's `POST /run_code` (factory.sandbox.service.fusion; verl's
sandbox_fusion reward and SandboxFusion's own clients work unchanged), the factory's judged test
jobs `POST /v1/jobs` and `/v1/jobs/batch` (factory.sandbox.service.jobs), `GET /health` and
`GET /metrics` (Prometheus). Authentication, per-client limits and the bounded queue are
described in `auth`, `admission` and `app`.

Isolation is the sandbox's own: every request is a job of the warm pool, in a fresh working
directory of a locked-down sandbox (no network, read-only root, limits, empty environment), and
the fork server kills every process and removes every file of a job before the next starts. So
a request never reaches the host, its environment (the service's token included) or the files of
another request. The service process itself never runs a request's code.
"""

from factory.sandbox.service.app import create_app

__all__ = ["create_app"]
