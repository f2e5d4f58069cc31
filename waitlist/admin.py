"""The owner's commands: ``delete EMAIL``, ``purge --unconfirmed-older-than 7d`` and
``stats [--json]``. Each reads DATABASE_URL alone and fails (status 1) when the database or
its sign-ups table is missing: run from cron in the wrong directory, a command must not create
an empty database and succeed. ``delete`` and ``purge`` create the newer tables an older
database lacks, as the service does at start; ``stats`` creates nothing."""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import timedelta
from typing import Any, TextIO

from sqlalchemy.exc import SQLAlchemyError

from waitlist.backup import BackupError, open_from_env
from waitlist.signup import canonical_email
from waitlist.store import Store

_DURATION = re.compile(r"(\d+)\s*([dhm])")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def add_commands(commands: Any) -> None:
    """Register the commands on ``python -m waitlist``'s subparsers."""
    delete = commands.add_parser(
        "delete", help="delete one person's sign-up (any case: Ana@Example.com = ana@example.com)"
    )
    delete.add_argument("email")
    purge = commands.add_parser("purge", help="delete unconfirmed sign-ups older than a duration")
    purge.add_argument("--unconfirmed-older-than", required=True, type=parse_duration,
                       metavar="AGE", help="e.g. 7d, 36h or 90m")
    stats = commands.add_parser(
        "stats", help="sign-ups per day and per source page, confirmed, unsubscribed"
    )
    stats.add_argument("--json", action="store_true", help="print JSON instead of tables")


def run(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    try:
        store = open_from_env()
    except BackupError as error:
        print(f"waitlist: {error}", file=sys.stderr)
        return 1
    try:
        if args.command == "stats":
            return stats(store, args.json, out)
        store.create_schema()
        if args.command == "delete":
            return delete(store, args.email, out)
        return purge(store, args.unconfirmed_older_than, out)
    except SQLAlchemyError as error:  # e.g. stats on a 1.0 database the service has not upgraded
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        print(f"waitlist: {args.command} failed: {reason}", file=sys.stderr)
        return 1
    finally:
        store.dispose()


def parse_duration(text: str) -> timedelta:
    match = _DURATION.fullmatch(text.strip().lower())
    if match is None or int(match.group(1)) <= 0:
        raise argparse.ArgumentTypeError(f"expected a duration such as 7d, 36h or 90m, got {text!r}")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def delete(store: Store, email: str, out: TextIO) -> int:
    """Status 0 if the sign-up was deleted, 1 if there was none."""
    canonical = canonical_email(email) or email.strip()
    if store.remove(canonical, "removed"):
        print("deleted 1 sign-up", file=out)
        return 0
    print("no sign-up with that address", file=out)
    return 1


def purge(store: Store, older_than: timedelta, out: TextIO) -> int:
    deleted = store.purge_unconfirmed(older_than)
    print(f"deleted {deleted} unconfirmed sign-up{'s' if deleted != 1 else ''} "
          f"older than {describe(older_than)}", file=out)
    return 0


def describe(age: timedelta) -> str:
    minutes = int(age.total_seconds()) // 60
    for size, unit in ((24 * 60, "day"), (60, "hour"), (1, "minute")):
        if minutes % size == 0:
            count = minutes // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return str(age)


def stats(store: Store, as_json: bool, out: TextIO) -> int:
    data = store.stats().as_dict()
    if as_json:
        json.dump(data, out, indent=2)
        out.write("\n")
        return 0
    columns = ("signups", "confirmed", "unconfirmed", "unsubscribed", "removed", "purged")
    rows = [[day["day"], *(day[name] for name in columns)] for day in data["days"]]
    rows.append(["total", *(data["totals"][name] for name in columns)])
    print(table(["day", *columns], rows), file=out)
    print(file=out)
    source_columns = ("signups", "confirmed", "unconfirmed")
    source_rows = [[row["source"] or "(none)", *(row[name] for name in source_columns)]
                   for row in data["sources"]]
    print(table(["source", *source_columns], source_rows), file=out)
    return 0


def table(header: list[str], rows: list[list[Any]]) -> str:
    """Plain text columns: the first left-aligned, numbers right-aligned."""
    cells = [header, *[[str(value) for value in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    return "\n".join(
        "  ".join(value.ljust(widths[i]) if i == 0 else value.rjust(widths[i])
                  for i, value in enumerate(row)).rstrip()
        for row in cells
    )
