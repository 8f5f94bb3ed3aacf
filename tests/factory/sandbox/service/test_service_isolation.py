"""A request reaches neither the host (its files, its network, the service's environment) nor
anything another request left behind."""

import pytest
from sandbox_service_builders import PLANTED, TOKEN, Service

pytestmark = [pytest.mark.docker, pytest.mark.slow]

LEAVE = """\
import os, socket
print(socket.gethostname())
for path in ("/tmp/left-by-a.txt", "here.txt", os.path.expanduser("~/home.txt")):
    with open(path, "w") as handle:
        handle.write("written-by-request-a")
"""
LOOK = """\
import os, socket, subprocess
print(socket.gethostname())
for path in ("/tmp/left-by-a.txt", "here.txt", os.path.expanduser("~/home.txt")):
    print(f"{path}={os.path.exists(path)}")
mark = "written-by-" + "request-a"  # this source, under /tmp too, must not match itself
print(subprocess.run(["grep", "-rs", mark, "/tmp"], capture_output=True, text=True).stdout)
"""


def test_a_program_cannot_read_what_another_request_wrote(service: Service) -> None:
    left = service.post("/run_code", {"code": LEAVE, "language": "python"}).json()
    assert left["status"] == "Success", left
    host = left["run_result"]["stdout"].split()[0]
    # The pool has more than one warm sandbox: look until a request lands in the same one.
    seen = []
    for _ in range(8):
        looked = service.post("/run_code", {"code": LOOK, "language": "python"}).json()
        out = looked["run_result"]["stdout"]
        seen.append(out.split()[0])
        assert "here.txt=False" in out  # it looked
        assert "=True" not in out and "written-by-request-a" not in out, out
        if seen[-1] == host:
            break
    assert host in seen, f"no request ran in the writer's sandbox {host}: {seen}"


ENVIRONMENT = """\
import os
print(sorted(os.environ.items()))
for path in ("/proc/self/environ", "/proc/1/environ", "/proc/1/cmdline"):
    try:
        print(path, open(path, "rb").read())
    except OSError as exc:
        print(path, exc)
"""


def test_no_host_environment_variable_is_visible_inside(service: Service) -> None:
    response = service.post("/run_code", {"code": ENVIRONMENT, "language": "python"}).json()
    output = response["run_result"]["stdout"] + response["run_result"]["stderr"]
    assert "/proc/1/environ" in output  # the program ran and looked
    for secret in (PLANTED, "host-token-never-in-a-sandbox", TOKEN):
        assert secret not in output


REACH = """\
import os, socket, sys
port = int(sys.stdin.read())
try:
    socket.create_connection(("127.0.0.1", port), timeout=2)
    print("connected")
except OSError as exc:
    print("no connection:", exc)
print("repository visible:", os.path.exists("/work/main/README.md"))
"""


def test_a_program_reaches_neither_the_service_nor_the_host_files(service: Service) -> None:
    body = {"code": REACH, "language": "python", "stdin": str(service.port)}
    out = service.post("/run_code", body).json()["run_result"]["stdout"]
    assert "no connection" in out and "connected\n" not in out
    assert "repository visible: False" in out
