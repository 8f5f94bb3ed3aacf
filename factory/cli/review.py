"""`factory review`: create reviewer accounts, start the reviewer web app, simulate reviews.

factory review add-reviewer alice --role senior --languages python,go   (asks for a password)
factory review serve --port 8000
factory review simulate <batch id> --reviewers 3
factory review sign-off <batch id> --by bob --note "checked agreement and adjudications"
factory review revoke-sign-off <batch id> --by bob --reason "gold answers were wrong"
factory review qualify alice --language python --task-type bug_fix --reason "known expert"
"""

import argparse
import getpass
import os
import sys

from sqlalchemy import Engine
from sqlmodel import select

from factory.db import open_database, session_scope
from factory.models import Reviewer
from factory.review.pools import PoolStatus, all_pools, enrol
from factory.settings import REVIEWER_PASSWORD_ENV as PASSWORD_ENV
from factory.settings import WEBAPP_SECURE_COOKIES_ENV, environment, load_config
from factory.vocab import Language, Role, TaskType


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="review_command", required=True)
    add = sub.add_parser("add-reviewer", help="create or update a reviewer account")
    add.add_argument("username")
    add.add_argument("--role", choices=[r.value for r in Role], default=Role.REVIEWER.value)
    add.add_argument("--languages", default="python", help="comma-separated, e.g. python,go")
    add.add_argument("--display-name", default="")
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help=f"read the password from stdin (else ${PASSWORD_ENV}, else a prompt)",
    )
    serve = sub.add_parser("serve", help="start the reviewer web app")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--secure-cookies", action="store_true", help="when served over HTTPS")
    simulate = sub.add_parser("simulate", help="complete a batch's tasks with simulated reviewers")
    simulate.add_argument("batch_id")
    simulate.add_argument("--reviewers", type=int, default=3)
    simulate.add_argument("--seed", type=int, default=0)
    signoff = sub.add_parser(
        "sign-off", help="sign a reviewed batch off for packaging (senior or admin)"
    )
    signoff.add_argument("batch_id")
    signoff.add_argument("--note", required=True, help="what was checked (required)")
    signer = signoff.add_mutually_exclusive_group(required=True)
    signer.add_argument("--by", help="username of the senior or admin signing off")
    signer.add_argument(
        "--simulated",
        action="store_true",
        help="sign off as the simulated calibrator (demonstrations only; marked simulated)",
    )
    qualify = sub.add_parser(
        "qualify",
        help="make a reviewer active in a pool without the gold set (or lift a suspension)",
    )
    qualify.add_argument("username")
    qualify.add_argument("--language", required=True)
    qualify.add_argument("--task-type", required=True, choices=[t.value for t in TaskType])
    qualify.add_argument("--reason", required=True, help="why (recorded with the decision)")
    qualify.add_argument("--by", help="username of the admin deciding (recorded)")
    revoke = sub.add_parser("revoke-sign-off", help="revoke a batch's sign-off")
    revoke.add_argument("batch_id")
    revoke.add_argument("--by", required=True, help="username of the senior or admin revoking")
    revoke.add_argument("--reason", required=True)


def _languages(raw: str) -> list[str]:
    values = [v.strip().lower() for v in raw.split(",") if v.strip()]
    valid = {lang.value for lang in Language}
    unknown = [v for v in values if v not in valid]
    if unknown:
        raise SystemExit(f"unknown languages {unknown}; choose from {sorted(valid)}")
    return values


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    if environment().reviewer_password:
        return environment().reviewer_password
    first = getpass.getpass(f"password for {args.username}: ")
    if first != getpass.getpass("again: "):
        raise SystemExit("the passwords differ")
    return first


def add_reviewer(args: argparse.Namespace) -> int:
    from factory.webapp.auth import hash_password

    try:
        password_hash = hash_password(_password(args))
    except ValueError as exc:
        raise SystemExit(str(exc)) from exc
    # One transaction that keeps its objects readable after commit (expire_on_commit=False).
    with session_scope(open_database()) as session:
        reviewer = session.exec(select(Reviewer).where(Reviewer.username == args.username)).first()
        verb = "updated"
        if reviewer is None:
            reviewer = Reviewer(username=args.username)
            verb = "created"
        if reviewer.simulated:
            raise SystemExit(f"{args.username!r} is a simulated reviewer; pick another name")
        reviewer.role = args.role
        reviewer.languages = _languages(args.languages)
        reviewer.display_name = args.display_name or reviewer.display_name
        reviewer.password_hash = password_hash
        reviewer.active = True
        session.add(reviewer)
        session.flush()
        assert reviewer.id is not None  # flushed above
        # A new language's pools start as qualifying: the reviewer's queue serves their gold.
        members = enrol(session, reviewer.id, all_pools(reviewer.languages))
        languages = ", ".join(reviewer.languages)
        waiting = sum(m.status != PoolStatus.ACTIVE for m in members)
    print(f"{verb} {args.role} {args.username} ({languages})")
    if waiting:
        print(
            f"{waiting} pool(s) (language x pool type) await qualification on expert gold; "
            f"an admin may qualify directly: factory review qualify {args.username} "
            "--language L --task-type T --reason ..."
        )
    return 0


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    open_database()
    if args.secure_cookies:
        os.environ[WEBAPP_SECURE_COOKIES_ENV] = "1"  # read by the app workers uvicorn starts
    print(f"reviewer app on http://{args.host}:{args.port}")
    uvicorn.run(
        "factory.webapp.main:app",
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="warning",
    )
    return 0


def simulate(args: argparse.Namespace) -> int:
    from factory.review.simulate import simulate_reviews

    engine = open_database()
    config = load_config()
    counts = simulate_reviews(
        engine,
        args.batch_id,
        reviewers=args.reviewers,
        seed=args.seed,
        settings=config.review,
        sandbox_settings=config.sandbox,  # checks answers to work beyond pairs
        report=print,
    )
    print(" ".join(f"{k}={v}" for k, v in counts.items()))
    return 0


def _reviewer_id(engine: Engine, username: str) -> int:
    with session_scope(engine) as session:
        reviewer = session.exec(select(Reviewer).where(Reviewer.username == username)).first()
        if reviewer is None or reviewer.id is None:
            raise SystemExit(f"no reviewer named {username!r}")
        return reviewer.id


def sign_off(args: argparse.Namespace) -> int:
    from factory.signoff.records import SignOffError
    from factory.signoff.records import sign_off as record_sign_off
    from factory.signoff.simulated import simulated_sign_off

    engine = open_database()
    try:
        if args.simulated:
            record, new = simulated_sign_off(engine, args.batch_id, args.note)
            if not new:
                print(f"already signed off: {record.sentence()}")
                return 0
        else:
            record = record_sign_off(
                engine, args.batch_id, _reviewer_id(engine, args.by), args.note
            )
    except SignOffError as exc:
        raise SystemExit(f"sign-off refused: {exc}") from exc
    print(record.sentence())
    return 0


def revoke_sign_off(args: argparse.Namespace) -> int:
    from factory.signoff.records import SignOffError
    from factory.signoff.records import revoke_sign_off as record_revoke

    engine = open_database()
    try:
        record_revoke(engine, args.batch_id, _reviewer_id(engine, args.by), args.reason)
    except SignOffError as exc:
        raise SystemExit(f"revocation refused: {exc}") from exc
    print(f"sign-off of batch {args.batch_id} revoked; packaging waits for a new one")
    return 0


def qualify(args: argparse.Namespace) -> int:
    from factory.review.pools import PoolError, admit

    engine = open_database()
    reviewer_id = _reviewer_id(engine, args.username)
    actor_id = _reviewer_id(engine, args.by) if args.by else None
    try:
        with session_scope(engine, immediate=True) as session:
            member = admit(
                session,
                reviewer_id,
                args.language,
                args.task_type,
                reason=args.reason,
                actor_id=actor_id,
            )
            status = member.status
    except PoolError as exc:
        raise SystemExit(f"not qualified: {exc}") from exc
    print(f"{args.username} is {status} in {args.language}/{args.task_type}")
    return 0


def run(args: argparse.Namespace) -> int:
    commands = {
        "qualify": qualify,
        "add-reviewer": add_reviewer,
        "serve": serve,
        "simulate": simulate,
        "sign-off": sign_off,
        "revoke-sign-off": revoke_sign_off,
    }
    return commands[args.review_command](args)
