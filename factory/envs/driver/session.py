"""The driver of one container session on a repository task (runs inside the container, on the
image's own python3, standard library only).

It reads its plan, deletes it, and makes itself undumpable, so that nothing the tests or a
patch run can read the plan's secret, the driver's memory or its open files. It unpacks the
task's base checkout (one fresh commit), installs the project into the environment, then runs
each phase on a clean tree: reset to the base, patches applied (`git apply`), a candidate's
changes to test files put back, and the tests run with their outcomes read from the report
channel (a pipe; its lines led by the secret handed over on another pipe). Anything the
children print stays in their own pipes; the driver's stdout carries only its result line.
"""

import ctypes
import json
import os
import signal
import subprocess
import sys
import tarfile
import time

PLAN = "/factory/plan.json"
REPO = "/work/repo"
OUTPUT_TAIL = 6000
REPORT_LIMIT = 8 * 1024 * 1024
PLUGIN_DIR = "/factory/lib"  # where the report plugin is


def _undumpable() -> None:
    try:
        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 4
    except (OSError, AttributeError):
        pass


def _run(argv, timeout, env, pass_secret=None, shell_output_limit=OUTPUT_TAIL):
    """Run argv in REPO in its own session; (exit code or None on timeout, output, report)."""
    report_r = None
    fds: tuple[int, ...] = ()
    if pass_secret is not None:
        # The plugin finds its two pipes by number (not secret) in the environment.
        report_r, report_w = os.pipe()
        secret_r, secret_w = os.pipe()
        os.write(secret_w, pass_secret + b"\n")
        os.close(secret_w)
        fds = (report_w, secret_r)
        env = {**env, "FACTORY_REPORT_FD": str(report_w), "FACTORY_SECRET_FD": str(secret_r)}
        env["PYTHONPATH"] = PLUGIN_DIR
    started = time.monotonic()
    child = subprocess.Popen(
        argv,
        cwd=REPO,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        pass_fds=fds,
    )
    for fd in fds:
        os.close(fd)
    output, report = _collect(child, report_r, timeout, started, shell_output_limit)
    left = timeout - (time.monotonic() - started)
    try:
        code = child.wait(timeout=max(0.5, left))
    except subprocess.TimeoutExpired:
        code = None
    try:
        os.killpg(child.pid, signal.SIGKILL)  # whatever the run left behind
    except OSError:
        pass
    if code is None:
        child.kill()
        child.wait()
    return code, output, report, time.monotonic() - started


def _collect(child, report_r, timeout, started, limit):
    import selectors

    selector = selectors.DefaultSelector()
    selector.register(child.stdout, selectors.EVENT_READ, "out")
    if report_r is not None:
        selector.register(report_r, selectors.EVENT_READ, "report")
    output, report = bytearray(), bytearray()
    open_streams = len(selector.get_map())
    while open_streams:
        left = timeout - (time.monotonic() - started)
        if left <= 0:
            break
        for key, _ in selector.select(min(left, 1.0)):
            fd = key.fd if key.data == "report" else child.stdout.fileno()
            chunk = os.read(fd, 65536)
            if not chunk:
                selector.unregister(key.fileobj)
                open_streams -= 1
                continue
            if key.data == "out":
                output += chunk
                if len(output) > 4 * limit:
                    del output[: len(output) - 2 * limit]
            elif len(report) < REPORT_LIMIT:
                report += chunk
    if report_r is not None:
        os.close(report_r)
    text = output.decode("utf-8", "replace")
    return text[-limit:], bytes(report)


def _read_report(report, secret):
    """Per-test outcomes from the channel: only lines carrying the secret, whatever precedes it
    on the line; complete only with the closing line."""
    prefix = secret + b" "
    outcomes, messages, complete, exit_status, collect_errors = {}, {}, False, None, []
    collected = None
    for line in report.split(b"\n"):
        at = line.find(prefix)
        if at < 0:
            continue
        try:
            record = json.loads(line[at + len(prefix) :])
        except ValueError:
            continue
        if not isinstance(record, dict) or complete:
            continue
        if "end" in record:
            complete, exit_status = True, record.get("exit")
            continue
        if "collected" in record:
            collected = record["collected"] if isinstance(record["collected"], int) else None
            continue
        name, outcome = str(record.get("t", ""))[:500], record.get("o")
        if outcome not in ("passed", "failed", "error", "skipped"):
            outcome = "error"
        if record.get("collect"):
            collect_errors.append(name)
            continue
        outcomes[name] = outcome
        if record.get("m"):
            messages[name] = str(record["m"])[-1000:]
    return outcomes, messages, complete, exit_status, collect_errors, collected


def _git(*args, stdin_text=None):
    done = subprocess.run(
        ["git", "-c", "core.hooksPath=/dev/null", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        input=stdin_text if stdin_text is not None else "",
    )
    return done.returncode, done.stdout + done.stderr


def _reset():
    _git("reset", "--hard", "-q", "HEAD")
    # Untracked files go (a patch's new files); ignored ones stay: the project's install
    # generated them (a version file, egg-info) and every phase needs them.
    _git("clean", "-f", "-d", "-q")


def _apply(name, text):
    code, said = _git("apply", "--whitespace=nowarn", "--binary", "-", stdin_text=text)
    return None if code == 0 else f"the {name} patch does not apply: {said.strip()[-500:]}"


def _put_back(paths):
    """Test files a candidate's patch touched go back to the base before the test patch."""
    for path in paths:
        code, _ = _git("checkout", "-q", "HEAD", "--", path)
        if code != 0 and os.path.lexists(os.path.join(REPO, path)):
            os.unlink(os.path.join(REPO, path))


def _keep_generated():
    """Files the install wrote into the tree (a version file, egg-info) survive every reset."""
    code, listed = _git("ls-files", "--others", "--exclude-standard", "--directory")
    if code == 0 and listed.strip():
        os.makedirs(os.path.join(REPO, ".git", "info"), exist_ok=True)
        with open(os.path.join(REPO, ".git", "info", "exclude"), "a") as handle:
            handle.write("".join(f"/{line}\n" for line in listed.splitlines() if line))


def _phase(phase, plan, env, secret):
    _reset()
    result = {"name": phase["name"], "attempt": phase.get("attempt", 1)}
    for patch in phase.get("patches", []):
        problem = _apply(patch["name"], patch["text"])
        if problem:
            result.update(applied=False, reason=problem)
            return result
        if patch.get("put_back"):
            _put_back(patch["put_back"])
    result["applied"] = True
    if "command" in phase:
        code, output, _, seconds = _run(
            ["/bin/sh", "-c", phase["command"]], phase["timeout_s"], env, None, 1 << 20
        )
        result.update(exit=code, output=output, seconds=round(seconds, 3))
        return result
    code, output, report, seconds = _run(phase["argv"], phase["timeout_s"], env, secret)
    outcomes, messages, complete, exit_status, collect_errors, collected = _read_report(
        report, secret
    )
    result.update(
        exit=code,
        timed_out=code is None,
        seconds=round(seconds, 3),
        outcomes=outcomes,
        messages=messages,
        complete=complete,
        exit_status=exit_status,
        collect_errors=collect_errors,
        collected=collected,
        output=output,
    )
    return result


def main():
    with open(PLAN) as handle:
        plan = json.load(handle)
    os.unlink(PLAN)
    _undumpable()
    secret = plan["secret"].encode()
    env = plan["env"]
    os.makedirs(REPO, exist_ok=True)
    with tarfile.open(plan["workspace"]) as archive:
        archive.extractall(REPO)  # noqa: S202 (the factory's own tar; 3.11.2 has no filter=)
    os.unlink(plan["workspace"])
    result: dict = {"phases": []}
    if plan.get("prepare"):
        code, output, _, seconds = _run(plan["prepare"], plan["prepare_timeout_s"], env)
        result["prepare"] = {"exit": code, "output": output, "seconds": round(seconds, 3)}
        if code != 0:
            _emit(secret, result)
            return
        _keep_generated()
    for phase in plan["phases"]:
        result["phases"].append(_phase(phase, plan, env, secret))
    _emit(secret, result)


def _emit(secret, result):
    sys.stdout.write("FACTORY-RESULT " + secret.decode() + " " + json.dumps(result) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
