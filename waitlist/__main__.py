"""Command line: ``python -m waitlist serve``, ``migrate``, ``export``, ``stats``, ``delete``,
``purge``, ``backup`` and ``restore``; ``python -m waitlist --version`` names the release."""

from __future__ import annotations

import argparse
import gc
import logging
import os
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from waitlist import __version__, admin, backup
from waitlist.config import ConfigError, Settings, database_url_from_env

if TYPE_CHECKING:
    import uvicorn
    from starlette.types import ASGIApp

    from waitlist.migrations import Report

HOST = "127.0.0.1"
GRACEFUL_SHUTDOWN_SECONDS = 10


def main(argv: list[str] | None = None) -> int:
    # Every file any command creates (the SQLite database, its -wal and -shm, backups) is the
    # owner's alone, whatever umask cron or a shell gave us.
    os.umask(0o077)
    parser = argparse.ArgumentParser(prog="python -m waitlist", description=__doc__)
    parser.add_argument("--version", action="version", version=f"waitlist {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help=f"serve SITE_DIR and the waitlist API on {HOST}:$PORT "
                        "(migrates the database first)")
    commands.add_parser("migrate", help="bring DATABASE_URL up to this release's schema "
                        "version and say what was done (serve does it at start)")
    export_command = commands.add_parser(
        "export", help="every sign-up as CSV (reads DATABASE_URL): printed, or written to PATH "
        "(mode 0600, whole or not at all)")
    export_command.add_argument("path", nargs="?", type=Path, default=Path(backup.STDIO))
    admin.add_commands(commands)
    backup.add_commands(commands)
    args = parser.parse_args(argv)
    if args.command == "export":
        return export(args.path)
    if args.command == "migrate":
        return migrate()
    if args.command in ("delete", "purge", "stats"):
        return admin.run(args)
    if args.command in ("backup", "restore"):
        return backup.run(args)
    try:
        settings = Settings.from_env()
    except ConfigError as error:
        for problem in error.problems:
            print(f"waitlist: {problem}", file=sys.stderr)
        return 2
    return serve(settings)


def serve(settings: Settings) -> int:
    import uvicorn

    from waitlist import transport
    from waitlist.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    # The database is brought up to date before the server starts, so that a database this
    # release cannot use stops it with one line and status 1 (the app's start-up would only
    # find it already done).
    try:
        report = _migrate(settings.database_url)
    except MigrateFailed as error:
        print(f"waitlist: {error}", file=sys.stderr)
        return 1
    log = logging.getLogger("waitlist")
    for line in report.lines():
        log.info("schema: %s", line.strip())
    try:
        app = create_app(settings)
    except ValueError as error:  # a malformed SITE_DIR/_headers
        print(f"waitlist: {error}", file=sys.stderr)
        return 2
    config = server_config(settings, app)
    transport.quiet_repeated_logs()  # after uvicorn.Config: it sets up its loggers
    config.load()  # uvicorn's protocol and loop modules: imported now, not in Server.run()
    _freeze_what_is_loaded()
    # uvicorn stops gracefully on SIGTERM or SIGINT and then raises the signal again, so
    # that the previous handler runs. With the default handlers the process would die of
    # SIGTERM (or raise KeyboardInterrupt); with this one it returns normally: a requested
    # stop is a clean exit, status 0.
    signal.signal(signal.SIGTERM, _stopped_by_request)
    signal.signal(signal.SIGINT, _stopped_by_request)
    uvicorn.Server(config).run()
    return 0


def server_config(settings: Settings, app: ASGIApp) -> uvicorn.Config:
    """How ``serve`` runs ``app``: uvloop and httptools named outright, so that a missing one
    fails at start instead of uvicorn's "auto" quietly falling back to the slower pair."""
    import uvicorn

    from waitlist import transport

    limits = transport.limits_for(settings)
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        lifespan="on",
        loop="uvloop",
        # uvicorn's httptools protocol, with deadlines for slow clients and a cap on
        # connections below the fd limit.
        http=transport.guarded_protocol(limits),
        backlog=limits.backlog,
        ws="none",
        # The client address comes from the socket unless WAITLIST_TRUST_PROXY says otherwise;
        # uvicorn must not rewrite it from X-Forwarded-For behind our back.
        proxy_headers=False,
        forwarded_allow_ips="",
        # Access logs would hold addresses and, for the error page, typed emails.
        access_log=False,
        server_header=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )


def _freeze_what_is_loaded() -> None:
    """Keep the objects of everything imported so far out of the garbage collector's sight.

    They live as long as the process (modules, SQLAlchemy's and Starlette's tables, the
    site's pages), yet each full collection walked them all again: about 20 ms during which
    the event loop answered nothing, several times a second under load, which was most of
    the sign-ups' p99. Requests' objects are still collected as before.
    """
    gc.collect()
    gc.freeze()


def _stopped_by_request(_signal: int, _frame: FrameType | None) -> None:
    """Nothing left to do: uvicorn has already shut down cleanly."""


class MigrateFailed(Exception):
    """The database could not be brought up to date: one line for the owner."""


def _migrate(database_url: str) -> Report:
    from sqlalchemy.exc import SQLAlchemyError

    from waitlist.migrations import SchemaError
    from waitlist.store import Store

    store = Store.from_url(database_url)
    try:
        return store.create_schema()
    except SchemaError as error:
        raise MigrateFailed(str(error)) from error
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise MigrateFailed(f"the database could not be migrated: {reason}") from error
    finally:
        store.dispose()


def migrate() -> int:
    """``python -m waitlist migrate``: the migrations DATABASE_URL lacks, applied and listed
    (``already at version N, nothing to do`` when there were none); status 1 if refused."""
    try:
        report = _migrate(database_url_from_env())
    except MigrateFailed as error:
        print(f"waitlist: {error}", file=sys.stderr)
        return 1
    print("\n".join(report.lines()))
    return 0


def export(path: Path) -> int:
    """The CSV on standard output (``-``), or in the file ``path``, created with mode 0600
    whatever the umask (``export > FILE`` would give the file the shell's umask, not ours)."""
    try:  # a missing database or table is an error, not an empty list
        store = backup.open_from_env()
    except backup.BackupError as error:
        print(f"waitlist: {error}", file=sys.stderr)
        return 1
    try:
        csv_text = store.export_csv()
    finally:
        store.dispose()
    try:
        backup.write_private(path, lambda out: out.write(csv_text.encode("utf-8")))
    except (backup.BackupError, OSError) as error:
        print(f"waitlist: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
