"""The command line. Every command has help; a wrong argument gives a one-line error and
exit status 2; a refused action (unknown user, invalid catalog...) a one-line error and 1."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import sys
from pathlib import Path
from typing import NoReturn
from uuid import UUID

from domain.errors import DomainError
from infra.settings import ROOT, Settings, SettingsError, load_settings
from schema.limits.numbers import MAX_BODY_BYTES


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m app", description="seatwise: run, administer, inspect.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    commands.add_parser(
        "dev",
        help="migrate, load demo data, start Redis, SMTP sink, API and worker (make run)",
        description="The development supervisor: everything on embedded defaults.",
    )
    serve = commands.add_parser("serve", help="run the API (uvicorn)")
    serve.add_argument("--host", help="interface to bind (default: HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default: PORT or 8000)")
    serve.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    commands.add_parser("worker", help="run one arq worker (same as python -m workers)")
    commands.add_parser("migrate", help="apply pending database migrations")

    migrations = commands.add_parser("migrations", help="write or check migrations")
    migrations_commands = migrations.add_subparsers(
        dest="action", metavar="ACTION", parser_class=_Parser
    )
    migrations_commands.required = True
    make = migrations_commands.add_parser("make", help="write a migration for model changes")
    make.add_argument("--name", help="name of the migration file")
    migrations_commands.add_parser("check", help="fail when models and migrations differ")

    catalog = commands.add_parser("catalog", help="the product catalog and plans")
    catalog_commands = catalog.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser)
    catalog_commands.required = True
    load = catalog_commands.add_parser("load", help="load data/catalog.yaml and data/plans.yaml")
    load.add_argument("--catalog", type=Path, help="another catalog file")
    load.add_argument("--plans", type=Path, help="another plans file")

    seed = commands.add_parser("seed", help="load a data set")
    seed_commands = seed.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser)
    seed_commands.required = True
    demo = seed_commands.add_parser("demo", help="load data/demo.yaml once (idempotent)")
    demo.add_argument("--file", type=Path, help="another demo file")

    token = commands.add_parser("token", help="API tokens")
    token_commands = token.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser)
    token_commands.required = True
    create = token_commands.add_parser(
        "create",
        help="make a token (printed once, stored hashed)",
        description=(
            "Either --email and --account (a member token, acting as that user inside that "
            "account) or --partner (a partner token)."
        ),
    )
    create.add_argument("--email", help="the user's email")
    create.add_argument("--account", help="the account id, or its exact name")
    create.add_argument("--partner", help="the partner code (e.g. NORTHWIND)")
    create.add_argument("--label", default="", help="a note to recognise the token by")

    _add_users_commands(commands)

    schema = commands.add_parser("schema", help="the GraphQL schema")
    schema_commands = schema.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser)
    schema_commands.required = True
    export = schema_commands.add_parser("export", help="write the SDL (default schema.graphql)")
    export.add_argument("--output", type=Path, default=ROOT / "schema.graphql")

    _add_jobs_commands(commands)
    _add_documents_commands(commands)

    _add_outbox_commands(commands)

    sink = commands.add_parser("smtp-sink", help="an SMTP server that keeps mail as .eml files")
    sink.add_argument("--port", type=int, default=8025)
    sink.add_argument("--dir", type=Path, default=MAIL_DIR)

    _add_mail_commands(commands)
    return parser


MAIL_DIR = ROOT / "var" / "mail"


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"not a positive whole number: {value!r}")
    return number


def _message_id(value: str) -> UUID:
    """An outbox row: its UUID, or the `EmailDelivery` ID the API shows for it."""
    from domain.global_ids import key_of

    try:
        return UUID(value)
    except ValueError:
        key = key_of(value, "EmailDelivery")
        if key is None:
            raise argparse.ArgumentTypeError(
                f"not an outbox message id nor an EmailDelivery id: {value!r}"
            ) from None
        return key


def _since(value: str) -> dt.datetime:
    """A day (midnight UTC) or a moment; without a zone, UTC."""
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a date (2026-12-01) or moment (2026-12-01T09:30): {value!r}"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _add_mail_commands(commands: argparse._SubParsersAction[_Parser]) -> None:
    mail = commands.add_parser("mail", help="the messages the dev SMTP sink kept")
    mail_commands = mail.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser)
    mail_commands.required = True
    mail_list = mail_commands.add_parser(
        "list",
        help="the last messages of the SMTP sink, newest first",
        description="The last messages the SMTP sink of `make run` kept as .eml files: "
        "date, recipient, subject and file name, newest first.",
    )
    mail_list.add_argument(
        "--limit", type=_positive, default=20, help="how many messages (default 20)"
    )
    mail_list.add_argument(
        "--dir", type=Path, default=MAIL_DIR, help="the sink's directory (default var/mail)"
    )


def _add_outbox_commands(commands: argparse._SubParsersAction[_Parser]) -> None:
    outbox = commands.add_parser("outbox", help="emails and jobs waiting or failed")
    outbox_commands = outbox.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser)
    outbox_commands.required = True
    retry = outbox_commands.add_parser(
        "retry",
        help="send FAILED emails again",
        description="Put FAILED outbox rows back to PENDING with a fresh set of attempts "
        "(their last error stays visible until they are sent) and hand them to the queue; "
        "when Redis does not answer, the worker's relay hands them over once it runs.",
    )
    which = retry.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--id",
        dest="message_id",
        type=_message_id,
        metavar="ID",
        help="one row: its id, or the EmailDelivery id the API shows",
    )
    which.add_argument(
        "--failed-since",
        type=_since,
        metavar="DATE",
        help="every row that failed since this day or moment (ISO 8601, UTC by default)",
    )


def _add_users_commands(commands: argparse._SubParsersAction[_Parser]) -> None:
    users = commands.add_parser("users", help="the people of an account")
    users_commands = users.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser)
    users_commands.required = True
    users_import = users_commands.add_parser(
        "import",
        help="add people from a CSV file, with their seats",
        description=(
            "Add the people of a CSV file (UTF-8; header: first name, last name, email, "
            "optional locale and products, codes separated by spaces or semicolons) to an "
            "account, each row in its own transaction, and print one line per row. Exit "
            "status 1 when a row was refused."
        ),
    )
    users_import.add_argument("--account", required=True, help="the account id, or its exact name")
    users_import.add_argument(
        "--dry-run", action="store_true", help="report what would be done, write nothing"
    )
    users_import.add_argument("file", type=Path, metavar="FILE.csv", help="the CSV file")


def _add_documents_commands(commands: argparse._SubParsersAction[_Parser]) -> None:
    documents = commands.add_parser(
        "documents", help="the registry of trusted GraphQL documents (persisted queries)"
    )
    documents_commands = documents.add_subparsers(
        dest="action", metavar="ACTION", parser_class=_Parser
    )
    documents_commands.required = True
    add = documents_commands.add_parser(
        "add",
        help="register documents; prints their SHA-256 hashes",
        description=(
            "Register the documents of each FILE in TRUSTED_DOCUMENTS_FILE: a JSON map of "
            "SHA-256 -> document (GraphQL Codegen, Relay with SHA256), an Apollo persisted "
            "query manifest, or a .graphql file (one document). Every document must parse "
            "and validate against the schema, or nothing is written. Prints one line per "
            "document: its hash, its operations, and whether it is new."
        ),
    )
    add.add_argument("files", type=Path, nargs="+", metavar="FILE", help="manifest or .graphql")
    documents_commands.add_parser(
        "list",
        help="print the registered documents (hash and operation names)",
        description="One line per registered document: its SHA-256 and its operations.",
    )


def _add_jobs_commands(commands: argparse._SubParsersAction[_Parser]) -> None:
    from workers.registry import JOBS

    jobs = commands.add_parser("jobs", help="background jobs: run one by hand, check the workers")
    jobs_commands = jobs.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser)
    jobs_commands.required = True
    run = jobs_commands.add_parser(
        "run",
        help="run a job once, now, in this process",
        description="Run a job once, now, in this process (no worker needed).",
    )
    names = run.add_subparsers(dest="job", metavar="JOB", parser_class=_Parser)
    names.required = True
    for job in JOBS.values():
        job_parser = names.add_parser(job.name, help=job.help, description=job.help)
        for option in job.options:
            job_parser.add_argument(
                option.flag,
                dest=option.dest,
                type=option.parse,
                help=option.help,
                metavar=option.metavar,
            )
    jobs_commands.add_parser(
        "health",
        help="list the live workers; exit 0 while one is alive (fresh health record), else 1",
        description="Read each worker's health record in Redis (written every 15 s).",
    )


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Services log what they do; one-shot commands print their result and only warnings.
    service = args.command in {"dev", "serve", "worker", "smtp-sink"}
    logging.basicConfig(
        level=logging.INFO if service else logging.WARNING,
        format="%(asctime)s %(name)s %(message)s",
    )
    logging.getLogger("tortoise").setLevel(logging.WARNING)
    try:
        settings = load_settings()
        return _run(args, settings)
    except (SettingsError, DomainError) as exc:
        message = exc.message if isinstance(exc, DomainError) else str(exc)
        print(f"error: {message}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from app import commands

    match args.command, getattr(args, "action", None):
        case "dev", _:
            from app.dev import run_dev

            return run_dev(settings)
        case "serve", _:
            return _serve(settings, args)
        case "worker", _:
            from workers.main import run_worker

            run_worker(settings)
            return 0
        case "migrate", _:
            asyncio.run(commands.migrate(settings))
            print("migrations applied")
            return 0
        case "migrations", "make":
            from app.schema_migrations import write_pending_migrations

            written = asyncio.run(write_pending_migrations(args.name))
            print("\n".join(written) if written else "no changes")
            return 0
        case "migrations", "check":
            from app.schema_migrations import pending_migrations

            pending = asyncio.run(pending_migrations())
            if pending:
                print("models and migrations differ: run `make migrations`", file=sys.stderr)
                return 1
            print("models and migrations agree")
            return 0
        case "catalog", "load":
            print(asyncio.run(commands.load_catalog_and_plans(settings, args.catalog, args.plans)))
            return 0
        case "seed", "demo":
            wrote = asyncio.run(commands.seed_demo_data(settings, args.file))
            print("demo data loaded" if wrote else "demo data already present")
            return 0
        case "token", "create":
            return _create_token(settings, args)
        case "users", "import":
            return _import_users(settings, args)
        case "schema", "export":
            from resolvers.assembly import schema_sdl

            args.output.write_text(schema_sdl(), encoding="utf-8")
            print(f"wrote {args.output}")
            return 0
        case "documents", "add":
            return _add_documents(settings, args.files)
        case "documents", "list":
            return _list_documents(settings)
        case "jobs", "run":
            return _run_job(settings, args)
        case "jobs", "health":
            return _jobs_health(settings)
        case "outbox", "retry":
            return _retry_outbox(settings, args)
        case "mail", "list":
            return _mail_list(args)
        case "smtp-sink", _:
            from app.embedded import run_smtp_sink

            run_smtp_sink("127.0.0.1", args.port, args.dir)
            return 0
    raise AssertionError(f"unhandled command {args.command}")


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    uvicorn.run(
        "app.asgi:create_app",
        factory=True,
        host=args.host or settings.host,
        port=args.port or settings.port,
        workers=args.workers,
        log_level=settings.log_level,
        proxy_headers=True,
        # Read through our settings (not by uvicorn from the environment): the client
        # address it derives is what the failed-authentication budget counts.
        forwarded_allow_ips=settings.forwarded_allow_ips,
        # A WebSocket message is a request: no larger than a POST body (uvicorn would
        # otherwise buffer up to 16 MiB per message before app/graphql_ws.py sees it).
        ws_max_size=MAX_BODY_BYTES,
    )
    return 0


def _create_token(settings: Settings, args: argparse.Namespace) -> int:
    from app import commands

    member = args.email is not None or args.account is not None
    if member == (args.partner is not None) or (member and not (args.email and args.account)):
        print(
            "error: give either --email and --account, or --partner (see --help)",
            file=sys.stderr,
        )
        return 2
    issued = asyncio.run(
        commands.create_token(
            settings, email=args.email, account=args.account, partner=args.partner, label=args.label
        )
    )
    print(issued.token)
    return 0


def _import_users(settings: Settings, args: argparse.Namespace) -> int:
    from app import commands
    from domain.user_import import ImportFileError, RowResult, parse_csv

    try:
        rows = parse_csv(args.file.read_bytes())
    except OSError as exc:
        print(f"error: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 1
    except ImportFileError as exc:
        print(f"error: {args.file}: {exc}", file=sys.stderr)
        return 1
    bar = _ProgressBar(len(rows)) if sys.stdout.isatty() else None

    def on_row(result: RowResult) -> None:
        if bar is not None:
            bar.clear()
        print(result.line(), flush=True)
        if bar is not None:
            bar.advance()

    report = asyncio.run(
        commands.import_users(
            settings, account=args.account, rows=rows, dry_run=args.dry_run, on_row=on_row
        )
    )
    if bar is not None:
        bar.clear()
    print(report.summary())
    return 1 if report.refused else 0


class _ProgressBar:
    """A one-line bar under the report lines, redrawn in place (terminals only)."""

    WIDTH = 30

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0

    def advance(self) -> None:
        self.show(self.done + 1, self.total)

    def show(self, done: int, total: int, unit: str = "rows") -> None:
        self.done, self.total = done, total
        filled = self.WIDTH * done // max(total, 1)
        self.clear()
        sys.stdout.write(f"[{'#' * filled}{'.' * (self.WIDTH - filled)}] {done}/{total} {unit}")
        sys.stdout.flush()

    def clear(self) -> None:
        sys.stdout.write("\r\x1b[K")


def _add_documents(settings: Settings, files: list[Path]) -> int:
    from app.trusted_documents import (
        DocumentFileError,
        add_documents,
        check_document,
        read_document_file,
    )
    from resolvers.assembly import schema

    documents = []
    try:
        for file in files:
            for document in read_document_file(file):
                problems = check_document(schema._schema, document)
                if problems:
                    print(
                        f"error: {file}: document {document.sha256} ({document.operations}) "
                        f"is refused: {'; '.join(problems)}",
                        file=sys.stderr,
                    )
                    return 1
                documents.append(document)
    except DocumentFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    added, known = add_documents(settings.trusted_documents_file, documents)
    for document in added:
        print(f"{document.sha256}  {document.operations}  added")
    for document in known:
        print(f"{document.sha256}  {document.operations}  already registered")
    print(
        f"{len(added)} added, {len(known)} already registered in {settings.trusted_documents_file}"
    )
    return 0


def _list_documents(settings: Settings) -> int:
    from app.trusted_documents import DocumentFileError, TrustedDocument, read_registry

    try:
        registry = read_registry(settings.trusted_documents_file)
    except DocumentFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for sha256, text in sorted(registry.items()):
        print(f"{sha256}  {TrustedDocument(sha256, text).operations}")
    return 0


def _run_job(settings: Settings, args: argparse.Namespace) -> int:
    from redis.exceptions import RedisError

    from app.commands import run_job
    from workers.registry import JOBS

    options = {option.dest: getattr(args, option.dest) for option in JOBS[args.job].options}
    bar = _ProgressBar(0) if sys.stdout.isatty() else None

    def progress(done: int, total: int) -> None:
        if bar is not None:
            bar.show(done, total, "done")

    try:
        line = asyncio.run(run_job(args.job, settings, options, progress if bar else None))
    except RedisError as exc:
        print(f"error: {_redis_unavailable(settings, exc)}", file=sys.stderr)
        return 1
    finally:
        if bar is not None and bar.done:
            sys.stdout.write("\n")
    print(line)
    return 0


def _jobs_health(settings: Settings) -> int:
    from redis.exceptions import RedisError

    from workers.health import HEALTH_TTL, read_live_workers

    try:
        workers = asyncio.run(read_live_workers(settings))
    except (RedisError, OSError, TimeoutError) as exc:
        print(f"error: {_redis_unavailable(settings, exc)}", file=sys.stderr)
        return 1
    if not workers:
        print(f"unhealthy: no worker reported in the last {HEALTH_TTL} s", file=sys.stderr)
        return 1
    print(f"healthy: {len(workers)} live worker{'' if len(workers) == 1 else 's'}")
    for worker in workers:
        print(f"{worker.worker_id}: {worker.record}")
    return 0


def _retry_outbox(settings: Settings, args: argparse.Namespace) -> int:
    from app.commands import retry_outbox

    report = asyncio.run(
        retry_outbox(settings, message_id=args.message_id, failed_since=args.failed_since)
    )
    count = f"{report.requeued} failed message{'' if report.requeued == 1 else 's'} requeued"
    if report.queue_error is not None:
        print(
            f"{count}; not handed to the queue: {_redis_unavailable(settings, report.queue_error)}"
            "; the worker's relay will hand them over"
        )
    elif report.requeued:
        print(f"{count} and handed to the queue")
    else:
        print(count)
    return 0


def _mail_list(args: argparse.Namespace) -> int:
    from app.mailbox import last_messages, table

    if not args.dir.is_dir():
        print(
            f"error: no directory {args.dir} (the SMTP sink of `make run` creates it)",
            file=sys.stderr,
        )
        return 1
    messages = last_messages(args.dir, args.limit)
    if not messages:
        print(f"no messages in {args.dir}")
        return 0
    print("\n".join(table(messages)))
    return 0


def _redis_unavailable(settings: Settings, exc: Exception) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(settings.redis_url)  # host and port only: the URL may hold a password
    reason = str(exc) or "no answer in time"
    return f"Redis does not answer at {parts.hostname}:{parts.port or 6379} (REDIS_URL): {reason}"
