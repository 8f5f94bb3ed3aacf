"""SandboxFusion's /run_code on the real docker pool, called exactly as verl's reward client calls
it: passing and failing programs in every language, stdin, compile errors, time limits, files in
and out."""

import base64

import pytest
from sandbox_service_builders import Service, verl_case_result

pytestmark = [pytest.mark.docker, pytest.mark.slow]

STDIN = "4 5\n"
# SandboxFusion's language name -> (a program printing the sum of two numbers on stdin,
# one that fails at run time and the exit code it fails with, one that does not compile).
PROGRAMS: dict[str, tuple[str, str, int, str | None]] = {
    "python": (
        "a, b = map(int, input().split())\nprint(a + b)\n",
        "raise SystemExit(3)\n",
        3,
        None,
    ),
    "cpp": (
        "#include <iostream>\nint main() { int a, b; std::cin >> a >> b; "
        "std::cout << a + b << std::endl; }\n",
        "#include <cstdlib>\nint main() { std::abort(); }\n",
        -6,  # SIGABRT: minus the signal's number, as SandboxFusion reports it
        "int main() { return 0 }\n",
    ),
    "c": (
        '#include <stdio.h>\nint main(void) { int a, b; scanf("%d %d", &a, &b); '
        'printf("%d\\n", a + b); return 0; }\n',
        "int main(void) { return 7; }\n",
        7,
        "int main(void) { int x = ; }\n",
    ),
    "nodejs": (
        'const [a, b] = require("fs").readFileSync(0, "utf8").trim().split(/\\s+/).map(Number);\n'
        "console.log(a + b);\n",
        "process.exit(4);\n",
        4,
        None,
    ),
    "typescript": (
        'const input: string = require("fs").readFileSync(0, "utf8");\n'
        "const [a, b]: number[] = input.trim().split(/\\s+/).map(Number);\n"
        "console.log(a + b);\n",
        "const code: number = 5;\nprocess.exit(code);\n",
        5,
        "const x: number = ;\n",
    ),
    "go": (
        'package main\n\nimport "fmt"\n\nfunc main() {\n\tvar a, b int\n\tfmt.Scan(&a, &b)\n'
        "\tfmt.Println(a + b)\n}\n",
        'package main\n\nimport "os"\n\nfunc main() {\n\tos.Exit(6)\n}\n',
        6,
        "package main\n\nfunc main() {\n\tx :=\n}\n",
    ),
    "java": (
        "import java.util.Scanner;\n\npublic class Solution {\n"
        "  public static void main(String[] args) {\n"
        "    Scanner in = new Scanner(System.in);\n"
        "    System.out.println(in.nextInt() + in.nextInt());\n  }\n}\n",
        "public class Main {\n  public static void main(String[] args) {\n"
        "    System.exit(8);\n  }\n}\n",
        8,
        "public class Main {\n  public static void main(String[] args) { int x = ; }\n}\n",
    ),
    "rust": (
        "use std::io::Read;\n\nfn main() {\n    let mut s = String::new();\n"
        "    std::io::stdin().read_to_string(&mut s).unwrap();\n"
        "    let n: Vec<i64> = s.split_whitespace().map(|x| x.parse().unwrap()).collect();\n"
        '    println!("{}", n[0] + n[1]);\n}\n',
        "fn main() {\n    std::process::exit(9);\n}\n",
        9,
        'fn main() {\n    let x: i32 = "a";\n}\n',
    ),
    "bash": ("read a b\necho $((a + b))\n", "echo boom >&2\nexit 10\n", 10, None),
    "ruby": ("a, b = gets.split.map(&:to_i)\nputs a + b\n", "exit 11\n", 11, None),
    "php": (
        "<?php\n[$a, $b] = array_map('intval', explode(' ', trim(fgets(STDIN))));\n"
        'echo $a + $b, "\\n";\n',
        "<?php\nexit(12);\n",
        12,
        None,
    ),
    "sql": ("SELECT 4 + 5;\n", "SELECT * FROM missing;\n", 1, None),
}


@pytest.mark.parametrize("language", sorted(PROGRAMS))
def test_every_language_passes_fails_and_reports_compile_errors_as_verl_reads_them(
    service: Service, language: str
) -> None:
    ok, failing, exit_code, broken = PROGRAMS[language]

    passed = service.verl_run_code(ok, language, STDIN)
    assert passed["status"] == "Success", passed
    assert passed["run_result"]["status"] == "Finished"
    assert passed["run_result"]["return_code"] == 0
    assert passed["run_result"]["stdout"] == "9\n"
    assert verl_case_result(passed, "9") is True
    assert verl_case_result(passed, "10") is False

    failed = service.verl_run_code(failing, language, STDIN)
    assert failed["status"] == "Failed", failed
    assert failed["run_result"]["status"] == "Finished"
    assert failed["run_result"]["return_code"] == exit_code
    assert verl_case_result(failed, "9") == -2

    if broken is not None:
        refused = service.verl_run_code(broken, language, STDIN)
        assert refused["status"] == "Failed", refused
        assert refused["run_result"] is None
        assert refused["compile_result"]["status"] == "Finished"
        assert refused["compile_result"]["return_code"] != 0
        assert refused["compile_result"]["stderr"].strip()  # the compiler's message
        assert verl_case_result(refused, "9") == -4


def test_a_compiled_languages_successful_build_is_reported_apart_from_its_run(
    service: Service,
) -> None:
    built = service.verl_run_code(PROGRAMS["rust"][0], "rust", STDIN)
    assert built["compile_result"]["status"] == "Finished"
    assert built["compile_result"]["return_code"] == 0
    assert built["compile_result"]["execution_time"] > 0
    interpreted = service.verl_run_code(PROGRAMS["python"][0], "python", STDIN)
    assert interpreted["compile_result"] is None


@pytest.mark.parametrize(
    ("language", "code"),
    [("python", "while True:\n    pass\n"), ("c", "int main(void) { for (;;) {} }\n")],
)
def test_a_program_past_its_run_timeout_is_time_limit_exceeded(
    service: Service, language: str, code: str
) -> None:
    response = service.verl_run_code(code, language, "", timeout=1)
    assert response["status"] == "Failed"
    assert response["run_result"]["status"] == "TimeLimitExceeded"
    assert response["run_result"]["return_code"] is None
    assert verl_case_result(response, "") == -3


def test_stdin_reaches_the_program_whole(service: Service) -> None:
    lines = "".join(f"line {n}\n" for n in range(2000))
    code = "import sys\ndata = sys.stdin.read()\nprint(len(data), data.count('\\n'))\n"
    response = service.verl_run_code(code, "python", lines)
    assert response["run_result"]["stdout"] == f"{len(lines)} 2000\n"


def test_output_beyond_the_limit_is_cut(service: Service) -> None:
    response = service.verl_run_code("print('x' * 100000)\n", "python", "")
    assert response["status"] == "Success"
    assert len(response["run_result"]["stdout"]) == 4096  # the pool's output_limit_bytes


def test_files_are_written_beside_the_program_and_fetched_files_come_back(
    service: Service,
) -> None:
    code = (
        "import os\n"
        "text = open('data/in.txt').read()\n"
        "os.makedirs('out', exist_ok=True)\n"
        "open('out/result.txt', 'w').write(text.upper())\n"
        "os.symlink('/etc/passwd', 'link.txt')\n"
    )
    body = {
        "code": code,
        "language": "python",
        "files": {"data/in.txt": base64.b64encode(b"hello").decode()},
        "fetch_files": ["out/result.txt", "never-written.txt", "link.txt"],
    }
    response = service.post("/run_code", body).json()
    assert response["status"] == "Success", response
    # Only regular files inside the working directory come back: never a link out of it.
    assert response["files"] == {"out/result.txt": base64.b64encode(b"HELLO").decode()}


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"code": "print(1)", "language": "lua"}, ["'lua'", "supported", "python"]),
        ({"code": "print(1)", "language": "python", "run_timeout": 600}, ["run_timeout", "60"]),
        (
            {"code": "print(1)", "language": "python", "files": {"a.txt": "%%%"}},
            ["a.txt", "base64"],
        ),
        (
            {"code": "print(1)", "language": "python", "fetch_files": ["../etc/passwd"]},
            ["../etc/passwd"],
        ),
        ({"code": "print(1)", "language": "python", "files": {"solution.py": ""}}, ["solution.py"]),
    ],
)
def test_a_request_the_sandbox_cannot_run_is_refused_naming_why(
    service: Service, body: dict, words: list[str]
) -> None:
    response = service.post("/run_code", body)
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert all(word in detail for word in words), detail


def test_a_malformed_request_is_a_422_naming_the_field(service: Service) -> None:
    response = service.post("/run_code", {"language": "python"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["code"]
