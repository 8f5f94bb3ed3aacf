"""Hostile candidates in every language family, on Docker and bubblewrap: each is contained, gets
a verdict that is not a pass (or passes only because the sandbox held: no network, no secret),
and the same pool then judges a correct candidate as passed.

A secret is planted in this process's environment before the pools start, so a leak would show.
Endless loops, early exits and printed fake reports are covered per language in
tests/factory/languages/."""

import os
import socket
from collections.abc import Iterator

import pytest

from factory.errors import SandboxUnavailableError
from factory.sandbox import ExecutionJob, open_sandbox
from factory.sandbox.pool import PooledSandbox
from factory.settings import SandboxSettings
from factory.vocab import Verdict

pytestmark = pytest.mark.slow

SECRET_NAME, SECRET_VALUE = "FACTORY_HUB_TOKEN", "hf_planted_secret_value_4242"
SETTINGS = dict(timeout_s=4.0, memory_mb=256, max_processes=48, pool_size=2,
                output_limit_bytes=4096)  # fmt: skip

# Per family: the tests, a correct candidate, and hostile candidates. "{port}" is a port that
# listens on the host's loopback. Isolation probes return the right answer only when the
# attempt failed, so they pass exactly when the sandbox held.
FAMILIES: dict[str, dict[str, str]] = {
    "c": {
        "tests": "TEST(adds) { CHECK(add(2, 3) == 5); }\n",
        "correct": "int add(int a, int b) { return a + b; }\n",
        "fork_bomb": "#include <unistd.h>\nint add(int a, int b) { for (;;) fork(); }\n",
        "memory_bomb": "#include <stdlib.h>\n#include <string.h>\n"
        "int add(int a, int b) { for (;;) { char *p = malloc(1 << 24); if (!p) return -1;"
        " memset(p, 1, 1 << 24); } }\n",
        "output_flood": '#include <stdio.h>\nint add(int a, int b) { for (;;) puts("flood"); }\n',
        "network": "#include <arpa/inet.h>\n#include <sys/socket.h>\n"
        "static int reach(const char *ip, int port) { int s = socket(AF_INET, SOCK_STREAM, 0);"
        " struct sockaddr_in x = {0}; x.sin_family = AF_INET; x.sin_port = htons(port);"
        " inet_pton(AF_INET, ip, &x.sin_addr); return connect(s, (void *)&x, sizeof x) == 0; }\n"
        'int add(int a, int b) { if (reach("127.0.0.1", {port}) || reach("1.1.1.1", 53))'
        " return -999; return a + b; }\n",
        "environment": "#include <stdlib.h>\n"
        'int add(int a, int b) { if (getenv("FACTORY_HUB_TOKEN")) return -999; return a + b; }\n',
    },
    "go": {
        "tests": 'package main\n\nimport "testing"\n\nfunc TestAdds(t *testing.T) {\n'
        '\tif Add(2, 3) != 5 {\n\t\tt.Fatal("wrong")\n\t}\n}\n',
        "correct": "package main\n\nfunc Add(a, b int) int { return a + b }\n",
        "fork_bomb": 'package main\n\nimport "syscall"\n\nfunc Add(a, b int) int {\n'
        '\tfor {\n\t\tsyscall.ForkExec("/proc/self/exe", []string{"x"}, nil)\n\t}\n}\n',
        "memory_bomb": "package main\n\nvar keep [][]byte\n\nfunc Add(a, b int) int {\n"
        "\tfor {\n\t\tb := make([]byte, 1<<24)\n\t\tfor i := range b {\n\t\t\tb[i] = 1\n\t\t}\n"
        "\t\tkeep = append(keep, b)\n\t}\n}\n",
        "output_flood": 'package main\n\nimport "fmt"\n\nfunc Add(a, b int) int {\n'
        '\tfor {\n\t\tfmt.Println("flood")\n\t}\n}\n',
        "network": 'package main\n\nimport (\n\t"net"\n\t"time"\n)\n\nfunc Add(a, b int) int {\n'
        '\tfor _, addr := range []string{"127.0.0.1:{port}", "1.1.1.1:53"} {\n'
        '\t\tif c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {\n'
        "\t\t\tc.Close()\n\t\t\treturn -999\n\t\t}\n\t}\n\treturn a + b\n}\n",
        "environment": 'package main\n\nimport "os"\n\nfunc Add(a, b int) int {\n'
        '\tif os.Getenv("FACTORY_HUB_TOKEN") != "" {\n\t\treturn -999\n\t}\n\treturn a + b\n}\n',
    },
    "java": {
        "tests": "import org.junit.jupiter.api.Test;\n"
        "import static org.junit.jupiter.api.Assertions.assertEquals;\n"
        "class SolutionTest {\n  @Test void adds() { assertEquals(5, Solution.add(2, 3)); }\n}\n",
        "correct": "class Solution {\n  static int add(int a, int b) { return a + b; }\n}\n",
        "fork_bomb": "class Solution {\n  static int add(int a, int b) {\n"
        "    while (true) { new Thread(() -> { while (true) {} }).start(); }\n  }\n}\n",
        "memory_bomb": "import java.util.*;\nclass Solution {\n  static int add(int a, int b) {\n"
        "    List<long[]> keep = new ArrayList<>();\n"
        "    while (true) keep.add(new long[1 << 20]);\n"
        "  }\n}\n",
        "output_flood": "class Solution {\n  static int add(int a, int b) {\n"
        '    while (true) System.out.println("flood");\n  }\n}\n',
        "network": "class Solution {\n  static boolean reach(String host, int port) {\n"
        "    try (java.net.Socket s = new java.net.Socket()) {\n"
        "      s.connect(new java.net.InetSocketAddress(host, port), 1000); return true;\n"
        "    } catch (Exception e) { return false; }\n  }\n"
        '  static int add(int a, int b) { if (reach("127.0.0.1", {port}) || reach("1.1.1.1", 53))'
        " return -999; return a + b; }\n}\n",
        "environment": "class Solution {\n  static int add(int a, int b) {\n"
        '    if (System.getenv("FACTORY_HUB_TOKEN") != null) return -999;\n    return a + b;\n'
        "  }\n}\n",
    },
    "javascript": {
        "tests": 'test("adds", () => { assert.strictEqual(add(2, 3), 5); });\n',
        "correct": "function add(a, b) { return a + b; }\n",
        "fork_bomb": "function add(a, b) {\n  const cp = require('child_process');\n"
        "  for (;;) cp.spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);\n}\n",
        "memory_bomb": "function add(a, b) {\n  const keep = [];\n"
        "  for (;;) keep.push(new Array(1e6).fill(1));\n}\n",
        "output_flood": "function add(a, b) {\n  for (;;) process.stdout.write('flood\\n');\n}\n",
        "network": "function add(a, b) {\n  const { execFileSync } = require('child_process');\n"
        "  for (const [host, port] of [['127.0.0.1', {port}], ['1.1.1.1', 53]]) {\n"
        "    try {\n      execFileSync(process.execPath, ['-e', `const s = require('net')"
        ".connect(${port}, '${host}', () => process.exit(0)); s.on('error', () => "
        "process.exit(1)); setTimeout(() => process.exit(1), 1000);`]);\n"
        "      return -999;\n    } catch (e) {}\n  }\n  return a + b;\n}\n",
        "environment": "function add(a, b) {\n"
        "  return process.env.FACTORY_HUB_TOKEN === undefined ? a + b : -999;\n}\n",
    },
    "bash": {
        "tests": '@test "adds" {\n  [ "$(add 2 3)" = "5" ]\n}\n',
        "correct": "add() { echo $(( $1 + $2 )); }\n",
        "fork_bomb": "add() { bomb() { bomb | bomb & }; bomb; wait; }\n",
        "memory_bomb": "add() { local s=x; while :; do s=$s$s; done; }\n",
        "output_flood": "add() { yes flood; }\n",
        "network": "add() {\n  if (exec 3<>/dev/tcp/127.0.0.1/{port}) 2>/dev/null; then\n"
        "    echo -999; return\n  fi\n"
        "  if timeout 1 bash -c 'exec 3<>/dev/tcp/1.1.1.1/53' 2>/dev/null; then\n"
        "    echo -999; return\n  fi\n"
        "  echo $(( $1 + $2 ))\n}\n",
        "environment": 'add() { [ -n "${FACTORY_HUB_TOKEN:-}" ] && { echo -999; return; }; '
        "echo $(( $1 + $2 )); }\n",
    },
}
HOSTILE = ["fork_bomb", "memory_bomb", "output_flood"]
PROBES = ["network", "environment"]


@pytest.fixture(scope="module")
def listener() -> Iterator[int]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    yield server.getsockname()[1]
    server.close()


def _pool(backend: str) -> Iterator[PooledSandbox]:
    # The secret is in this process's environment before the pool (and its servers) start.
    previous = os.environ.get(SECRET_NAME)
    os.environ[SECRET_NAME] = SECRET_VALUE
    try:
        try:
            sandbox = open_sandbox(SandboxSettings(backend=backend, **SETTINGS))
        except SandboxUnavailableError as exc:
            pytest.skip(f"{backend} backend unavailable here: {exc}")
        with sandbox:
            yield sandbox
    finally:
        if previous is None:
            os.environ.pop(SECRET_NAME, None)
        else:
            os.environ[SECRET_NAME] = previous


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("docker", marks=pytest.mark.docker),
        pytest.param("bwrap", marks=pytest.mark.bwrap),
    ],
)
def hostile_pool(request: pytest.FixtureRequest) -> Iterator[PooledSandbox]:
    yield from _pool(request.param)


def run(pool: PooledSandbox, language: str, code: str) -> object:
    family = FAMILIES[language]
    return pool.run(
        ExecutionJob(
            code=code,
            tests=family["tests"],
            language=language,
            test_style="native",
            timeout_s=SETTINGS["timeout_s"],
            memory_mb=256,
        )  # fmt: skip
    )


@pytest.mark.parametrize("kind", HOSTILE)
@pytest.mark.parametrize("language", sorted(FAMILIES))
def test_a_hostile_candidate_is_contained_and_the_pool_goes_on(
    hostile_pool: PooledSandbox, language: str, kind: str
) -> None:
    outcome = run(hostile_pool, language, FAMILIES[language][kind])
    assert outcome.verdict not in (Verdict.PASSED, Verdict.SANDBOX_ERROR), outcome  # type: ignore[attr-defined]
    assert len(outcome.stdout.encode()) <= SETTINGS["output_limit_bytes"]  # type: ignore[attr-defined]
    assert SECRET_VALUE not in outcome.stdout + outcome.stderr  # type: ignore[attr-defined]
    after = run(hostile_pool, language, FAMILIES[language]["correct"])
    assert after.verdict == Verdict.PASSED, after  # type: ignore[attr-defined]


@pytest.mark.parametrize("kind", PROBES)
@pytest.mark.parametrize("language", sorted(FAMILIES))
def test_no_network_and_no_secret_inside(
    hostile_pool: PooledSandbox, listener: int, language: str, kind: str
) -> None:
    code = FAMILIES[language][kind].replace("{port}", str(listener))
    outcome = run(hostile_pool, language, code)
    # The probe answers correctly only when the connection failed / the variable is absent.
    assert outcome.verdict == Verdict.PASSED, outcome  # type: ignore[attr-defined]
