"""``python -m waitlist backup PATH`` and ``restore PATH``: round trips on SQLite and PostgreSQL,
reading commands that fail loudly on a missing database, and files only the owner can read.
DEPLOY.md's cron file ("Backups") is run as cron runs it (tests/deploy_document.py)."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, insert, select, text

from tests.deploy_document import block
from tests.waitlist.conftest import service_env
from tests.waitlist.helpers import (
    DAY_ONE,
    SIGNUPS,
    V1_ROWS,
    V1_SQLITE,
    cli,
    contents,
    create_v1,
    fill,
    sqlite_url,
)
from waitlist.backup import FORMAT, BackupError, parse_backup
from waitlist.store import Store, metadata, signups

# The blocks of DEPLOY.md this module runs (tests/test_deploy_document.py reads this).
DEPLOY_MD_BLOCKS = {
    ("Backups", "MAILTO="): ("test_the_documented_cron_line_fails_loudly",),
}

def by_date(database_url: str) -> list[str]:
    """The addresses ordered by creation time, as the database itself sorts them."""
    store = Store.from_url(database_url)
    with store.engine.connect() as connection:
        emails = connection.execute(select(signups.c.email).order_by(signups.c.created_at)).scalars()
        result = list(emails)
    store.dispose()
    return result


def clear(database_url: str) -> None:
    store = Store.from_url(database_url)
    metadata.drop_all(store.engine)
    store.dispose()


def check_round_trip(source_url: str, target_url: str, tmp_path: Path) -> None:
    fill(source_url)
    before = contents(source_url)
    backup_file = tmp_path / "backups" / "waitlist.jsonl"
    backup_file.parent.mkdir()
    made = cli("backup", str(backup_file), cwd=tmp_path, database_url=source_url)
    assert made.returncode == 0, made.stderr
    assert stat.S_IMODE(backup_file.stat().st_mode) == 0o600
    restored = cli("restore", str(backup_file), cwd=tmp_path, database_url=target_url)
    assert restored.returncode == 0, restored.stderr
    after = contents(target_url)
    assert after == before
    assert [row["email"] for row in after["waitlist_signups"]] == [row["email"] for row in SIGNUPS]
    assert all(row["created_at"] == expected["created_at"] and row["created_at"].tzinfo is not None
               for row, expected in zip(after["waitlist_signups"], SIGNUPS, strict=True))
    # Timestamps stay timestamps: the database orders them by time, not as text.
    assert by_date(target_url) == [row["email"] for row in
                                   sorted(SIGNUPS, key=lambda row: row["created_at"])]
    # A new sign-up after the restore gets a new id (PostgreSQL: the sequence moved on).
    store = Store.from_url(target_url)
    with store.engine.begin() as connection:
        new_id = connection.execute(insert(signups).values(
            email="new@example.com", consent_at=DAY_ONE, created_at=DAY_ONE
        ).returning(signups.c.id)).scalar_one()
    store.dispose()
    assert new_id > max(row["id"] for row in SIGNUPS)


def test_round_trip_on_sqlite(tmp_path: Path) -> None:
    """Every column of every table comes back equal into a new SQLite database."""
    check_round_trip(sqlite_url(tmp_path / "a.sqlite3"), sqlite_url(tmp_path / "b.sqlite3"), tmp_path)


def test_round_trip_on_postgresql(tmp_path: Path, postgres_url: str) -> None:
    """The same on PostgreSQL, backed up and restored into the same (emptied) database."""
    clear(postgres_url)
    fill(postgres_url)
    backup_file = tmp_path / "pg.jsonl"
    before = contents(postgres_url)
    assert cli("backup", str(backup_file), cwd=tmp_path, database_url=postgres_url).returncode == 0
    clear(postgres_url)
    restored = cli("restore", str(backup_file), cwd=tmp_path, database_url=postgres_url)
    assert restored.returncode == 0, restored.stderr
    assert contents(postgres_url) == before
    assert by_date(postgres_url) == [row["email"] for row in
                                     sorted(SIGNUPS, key=lambda row: row["created_at"])]
    clear(postgres_url)


def test_sqlite_to_postgresql_and_back(tmp_path: Path, postgres_url: str) -> None:
    """A SQLite backup restores into PostgreSQL, and PostgreSQL's into SQLite."""
    clear(postgres_url)
    check_round_trip(sqlite_url(tmp_path / "a.sqlite3"), postgres_url, tmp_path)
    back = tmp_path / "back"
    back.mkdir()
    clear_target = sqlite_url(back / "c.sqlite3")
    made = cli("backup", str(back / "pg.jsonl"), cwd=back, database_url=postgres_url)
    assert made.returncode == 0, made.stderr
    restored = cli("restore", str(back / "pg.jsonl"), cwd=back, database_url=clear_target)
    assert restored.returncode == 0, restored.stderr
    assert contents(clear_target) == contents(postgres_url)
    clear(postgres_url)


def test_restore_refuses_a_database_with_rows_unless_replace(tmp_path: Path) -> None:
    """Nothing is overwritten without --replace; with it the backup's rows are all there is."""
    source, target = sqlite_url(tmp_path / "a.sqlite3"), sqlite_url(tmp_path / "b.sqlite3")
    fill(source)
    assert cli("backup", "b.jsonl", cwd=tmp_path, database_url=source).returncode == 0
    store = Store.from_url(target)
    store.create_schema()
    with store.engine.begin() as connection:
        connection.execute(insert(signups).values(email="kept@example.com", consent_at=DAY_ONE,
                                                  created_at=DAY_ONE))
    store.dispose()
    refused = cli("restore", "b.jsonl", cwd=tmp_path, database_url=target)
    assert refused.returncode == 1
    assert "holds rows (1 in waitlist_signups)" in refused.stderr and "--replace" in refused.stderr
    assert [row["email"] for row in contents(target)["waitlist_signups"]] == ["kept@example.com"]
    replaced = cli("restore", "--replace", "b.jsonl", cwd=tmp_path, database_url=target)
    assert replaced.returncode == 0, replaced.stderr
    assert contents(target) == contents(source)


def test_restore_refuses_a_truncated_backup(tmp_path: Path) -> None:
    """A backup cut short (no end line) restores nothing."""
    source = sqlite_url(tmp_path / "a.sqlite3")
    fill(source)
    assert cli("backup", "b.jsonl", cwd=tmp_path, database_url=source).returncode == 0
    lines = (tmp_path / "b.jsonl").read_text().splitlines(keepends=True)
    assert json.loads(lines[0])["tables"]["waitlist_signups"][2] == {
        "name": "consent_at", "type": "timestamp", "nullable": False}
    (tmp_path / "cut.jsonl").write_text("".join(lines[:-1]))
    target = tmp_path / "b.sqlite3"
    result = cli("restore", "cut.jsonl", cwd=tmp_path, database_url=sqlite_url(target))
    assert result.returncode == 1
    assert "incomplete" in result.stderr


@pytest.mark.parametrize("command", [["export"], ["stats"], ["backup", "out.jsonl"]])
def test_reading_commands_without_a_database_fail_and_create_nothing(
    tmp_path: Path, command: list[str]
) -> None:
    """From cron in the wrong directory: status 1, one line naming the file, no file made."""
    result = cli(*command, cwd=tmp_path, database_url=None)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == ("waitlist: DATABASE_URL is not set and var/waitlist.sqlite3 does not "
                             "exist (run from the service's directory, or set DATABASE_URL)\n")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", [["export"], ["stats"], ["backup", "out.jsonl"]])
def test_reading_commands_on_a_database_without_the_table_fail(
    tmp_path: Path, command: list[str]
) -> None:
    """A database file that is not the service's (no sign-ups table): status 1, no table made."""
    database = tmp_path / "other.sqlite3"
    engine = create_engine(sqlite_url(database))
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE unrelated (x INTEGER)"))
    engine.dispose()
    result = cli(*command, cwd=tmp_path, database_url=sqlite_url(database))
    assert result.returncode == 1
    assert result.stdout == ""
    assert "has no table waitlist_signups" in result.stderr
    assert not (tmp_path / "out.jsonl").exists()
    engine = create_engine(sqlite_url(database))
    with engine.connect() as connection:
        tables = connection.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))
        assert list(tables.scalars()) == ["unrelated"]
    engine.dispose()


def test_files_are_created_0600(tmp_path: Path) -> None:
    """Under a lax umask, the database, its -wal and -shm and a backup are the owner's alone."""
    database = tmp_path / "var" / "waitlist.sqlite3"
    script = ("import os, sys; os.umask(0o022); from waitlist.__main__ import main; "
              "sys.exit(main(sys.argv[1:]))")
    env = service_env(DATABASE_URL=sqlite_url(database))
    run = lambda *args: subprocess.run(  # noqa: E731
        [sys.executable, "-c", script, *args], env=env, cwd=tmp_path, capture_output=True,
        text=True, timeout=60,
    )
    fill(sqlite_url(tmp_path / "source.sqlite3"))
    assert cli("backup", "source.jsonl", cwd=tmp_path,
               database_url=sqlite_url(tmp_path / "source.sqlite3")).returncode == 0
    restored = run("restore", "source.jsonl")  # creates var/ and the database
    assert restored.returncode == 0, restored.stderr
    made = run("backup", "copy.jsonl")
    assert made.returncode == 0, made.stderr
    assert stat.S_IMODE((tmp_path / "var").stat().st_mode) == 0o700
    for path in (database, tmp_path / "copy.jsonl", tmp_path / "source.jsonl"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    # -wal and -shm exist while a connection is open; SQLite gives them the database's mode.
    store = Store.from_url(sqlite_url(database))
    with store.engine.connect() as connection:
        connection.execute(select(signups.c.id)).all()
        for suffix in ("-wal", "-shm"):
            sidecar = Path(f"{database}{suffix}")
            assert sidecar.exists() and stat.S_IMODE(sidecar.stat().st_mode) == 0o600, sidecar
    store.dispose()


def crontab() -> tuple[dict[str, str], list[list[str]]]:
    """DEPLOY.md's cron file (/etc/cron.d/rebuilding-trust-backup) as cron reads it: its
    variables, and its jobs as (minute, hour, day, month, weekday, user, command)."""
    variables, jobs = {}, []
    for line in block("Backups", "MAILTO=").text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if "=" in line.split()[0]:
            name, _, value = line.partition("=")
            variables[name.strip()] = value.strip()
        else:
            jobs.append(line.split(None, 6))
    return variables, jobs


def cron_command(backup_dir: Path, helper: Path) -> tuple[str, str]:
    """DEPLOY.md's cron job as cron runs it: the file's SHELL, and the command with ``\\%``
    read as ``%`` (an unescaped ``%`` would end the command), with the paths of this test."""
    variables, [job] = crontab()
    assert variables["MAILTO"] and variables["SHELL"] == "/bin/sh", variables
    *when, user, command = job
    assert (when, user) == (["17", "3", "*", "*", "*"], "root")
    assert "%" not in command.replace("\\%", ""), command
    command = command.replace("\\%", "%")
    return variables["SHELL"], (command.replace("/usr/local/sbin/waitlist", str(helper))
                                .replace("/var/backups/rebuilding-trust", str(backup_dir)))


@pytest.mark.parametrize("database_exists", [True, False])
def test_the_documented_cron_line_fails_loudly(tmp_path: Path, database_exists: bool) -> None:
    """Success: silent (no mail), a 0600 file, old backups pruned. Failure: a non-zero status,
    the reason on stderr (cron mails it), and the old backups kept."""
    database = tmp_path / "var" / "waitlist.sqlite3"
    if database_exists:
        database.parent.mkdir()
        fill(sqlite_url(database))
    backups = tmp_path / "backups"
    backups.mkdir()
    old = backups / "waitlist-2000-01-01.jsonl"
    old.write_text("old")
    os.utime(old, (0, 0))
    helper = tmp_path / "waitlist-helper"
    helper.write_text(f'#!/bin/sh\nexec {sys.executable} -m waitlist "$@"\n')
    helper.chmod(0o700)
    shell, command = cron_command(backups, helper)
    result = subprocess.run([shell, "-c", command], cwd=tmp_path,
                            env=service_env(), capture_output=True, text=True, timeout=60)
    made = sorted(path.name for path in backups.iterdir())
    if database_exists:
        assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
        [name] = made
        assert name == f"waitlist-{datetime.now(UTC):%Y-%m-%d}.jsonl"
        assert stat.S_IMODE((backups / name).stat().st_mode) == 0o600
    else:
        assert result.returncode == 1 and result.stdout == ""
        assert "var/waitlist.sqlite3 does not exist" in result.stderr
        assert made == [old.name]


def test_a_version_1_database_backs_up_and_restores_into_this_version(tmp_path: Path) -> None:
    """Before an upgrade (DEPLOY.md): a 1.0 database, the sign-ups table alone, backs up; the
    restore gives the same rows in a database with every table. stats on it fails in one line."""
    old, new = sqlite_url(tmp_path / "v1.sqlite3"), sqlite_url(tmp_path / "new.sqlite3")
    create_v1(old, V1_SQLITE)
    # stats before the service has upgraded it: one line, status 1, still no new table.
    stats_v1 = cli("stats", cwd=tmp_path, database_url=old)
    assert stats_v1.returncode == 1
    assert stats_v1.stderr == "waitlist: stats failed: no such table: waitlist_tally\n"
    made = cli("backup", "v1.jsonl", cwd=tmp_path, database_url=old)
    assert made.returncode == 0, made.stderr
    assert list(json.loads((tmp_path / "v1.jsonl").read_text().splitlines()[0])["tables"]) == [
        "waitlist_signups"]
    assert cli("restore", "v1.jsonl", cwd=tmp_path, database_url=new).returncode == 0
    rows = contents(new)["waitlist_signups"]
    assert [(row["email"], row["created_at"]) for row in rows] == [
        (email, datetime.fromisoformat(created).replace(tzinfo=UTC))
        for email, _consent, _source, created, _confirmed in V1_ROWS]
    stats = cli("stats", "--json", cwd=tmp_path, database_url=new)
    assert json.loads(stats.stdout)["totals"]["confirmed"] == 2


# -- standard output, and only regular files replaced ----------------------------------------


def test_backup_to_standard_output_and_restore_from_standard_input(tmp_path: Path) -> None:
    """`backup -`: the backup on stdout, the summary on stderr, no file; `restore -` reads it."""
    source, target = sqlite_url(tmp_path / "a.sqlite3"), sqlite_url(tmp_path / "b.sqlite3")
    fill(source)
    work = tmp_path / "work"
    work.mkdir()
    made = subprocess.run([sys.executable, "-m", "waitlist", "backup", "-"], cwd=work,
                          env=service_env(DATABASE_URL=source), capture_output=True, timeout=60)
    assert made.returncode == 0, made.stderr
    assert list(work.iterdir()) == []
    assert made.stderr.decode().startswith("backed up 2 rows of waitlist_mail_log")
    assert made.stderr.decode().endswith(" to standard output\n")
    lines = made.stdout.decode().splitlines()
    assert json.loads(lines[0])["format"] == FORMAT and json.loads(lines[-1])["end"] is True
    restored = subprocess.run([sys.executable, "-m", "waitlist", "restore", "-"], cwd=work,
                              env=service_env(DATABASE_URL=target), input=made.stdout,
                              capture_output=True, timeout=60)
    assert restored.returncode == 0, restored.stderr
    assert restored.stdout.decode().endswith(" from standard input\n")
    assert contents(target) == contents(source)


@pytest.mark.parametrize("kind", ["link to a file", "link like /dev/stdout", "pipe", "directory",
                                  "link at PATH.partial"])
def test_backup_replaces_only_a_regular_file(tmp_path: Path, kind: str) -> None:
    """As root, `backup /dev/stdout` used to replace the /dev/stdout link with a file. Now
    anything but a regular file at PATH (or at PATH.partial) is refused and left as it was."""
    source = sqlite_url(tmp_path / "a.sqlite3")
    fill(source)
    precious = tmp_path / "precious.txt"
    precious.write_text("keep me\n")
    path = tmp_path / "out.jsonl"
    if kind == "link to a file":
        path.symlink_to(precious)
    elif kind == "link like /dev/stdout":
        path.symlink_to("/proc/self/fd/1")
    elif kind == "pipe":
        os.mkfifo(path)
    elif kind == "directory":
        path.mkdir()
    else:
        (tmp_path / "out.jsonl.partial").symlink_to(precious)
    before = os.lstat(path) if kind != "link at PATH.partial" else None
    result = cli("backup", str(path), cwd=tmp_path, database_url=source)
    assert result.returncode == 1
    what = {"link to a file": "a symbolic link", "link like /dev/stdout": "a symbolic link",
            "pipe": "a pipe", "directory": "a directory"}.get(kind, "a symbolic link")
    shown = path if kind != "link at PATH.partial" else tmp_path / "out.jsonl.partial"
    assert result.stderr == (f"waitlist: {shown} is {what}: only a regular file is replaced "
                             "(use - for standard output)\n")
    assert result.stdout == ""
    assert precious.read_text() == "keep me\n"
    if before is not None:
        assert os.lstat(path).st_mode == before.st_mode and os.lstat(path).st_ino == before.st_ino
        assert not (tmp_path / "out.jsonl.partial").exists()
    else:
        assert (tmp_path / "out.jsonl.partial").is_symlink() and not path.exists()


def test_a_regular_file_is_replaced_and_a_stale_partial_cleared(tmp_path: Path) -> None:
    source = sqlite_url(tmp_path / "a.sqlite3")
    fill(source)
    (tmp_path / "out.jsonl").write_text("yesterday\n")
    (tmp_path / "out.jsonl.partial").write_text("left by a killed run\n")
    assert cli("backup", "out.jsonl", cwd=tmp_path, database_url=source).returncode == 0
    assert (tmp_path / "out.jsonl").read_text().startswith('{"format":')
    assert not (tmp_path / "out.jsonl.partial").exists()


# -- checksums: a changed or cut-off backup is refused with its real line number -------------


def made_backup(tmp_path: Path, extra_signups: int = 0) -> bytes:
    """The bytes of a backup of a filled database (with ``extra_signups`` more rows)."""
    source = sqlite_url(tmp_path / "source.sqlite3")
    fill(source)
    if extra_signups:
        store = Store.from_url(source)
        with store.engine.begin() as connection:
            connection.execute(insert(signups), [
                {"id": 100 + n, "email": f"more-{n}@example.org", "consent_at": DAY_ONE,
                 "source": "landing", "created_at": DAY_ONE, "confirmed_at": None}
                for n in range(extra_signups)])
        store.dispose()
    made = cli("backup", "made.jsonl", cwd=tmp_path, database_url=source)
    assert made.returncode == 0, made.stderr
    return (tmp_path / "made.jsonl").read_bytes()


def refusal(data: bytes) -> str:
    with pytest.raises(BackupError) as refused:
        parse_backup("b.jsonl", data)
    return str(refused.value)


def test_every_line_carries_a_checksum_and_the_end_line_the_sha256(tmp_path: Path) -> None:
    data = made_backup(tmp_path)
    lines = data.decode().splitlines()
    records = [json.loads(line) for line in lines]
    assert records[0]["version"] == 2
    for line, record in zip(lines, records, strict=True):
        plain = json.dumps({k: v for k, v in record.items() if k != "sum"}, ensure_ascii=False,
                           separators=(",", ":"))
        assert record["sum"] == hashlib.sha256(plain.encode()).hexdigest()[:16]
        assert line.endswith(f',"sum":"{record["sum"]}"}}')
    body = "".join(line + "\n" for line in lines[:-1]).encode()
    assert records[-1]["sha256"] == hashlib.sha256(body).hexdigest()
    assert records[-1]["rows"] == {"waitlist_mail_log": 2, "waitlist_rate_limit": 0,
                                   "waitlist_signups": 4, "waitlist_tally": 2}


def test_a_changed_letter_anywhere_is_refused_with_its_line_number(tmp_path: Path) -> None:
    data = made_backup(tmp_path)
    lines = data.split(b"\n")[:-1]
    for number, line in enumerate(lines, start=1):
        for at in range(0, len(line), 7):  # every 7th character of every line
            changed = bytearray(line)
            changed[at] = ord("x") if line[at] != ord("x") else ord("y")
            damaged = b"\n".join([*lines[:number - 1], bytes(changed), *lines[number:]]) + b"\n"
            message = refusal(damaged)
            assert message.startswith(f"b.jsonl: line {number}: "), (number, at, message)
            assert "changed" in message or "not a waitlist backup" in message, message


def test_a_cut_off_backup_is_refused_with_the_line_it_ends_in(tmp_path: Path) -> None:
    """Cut at every byte: mid-line, the line the file ends in; at a line's end, that line."""
    data = made_backup(tmp_path)
    for cut in range(1, len(data)):
        piece = data[:cut]
        message = refusal(piece)
        assert "incomplete" in message and "cut off" in message, (cut, message)
        complete = piece.count(b"\n")
        if piece.endswith(b"\n"):
            assert f"line {complete}, the last, is not the end line" in message, (cut, message)
        else:
            assert f"ends in the middle of line {complete + 1}" in message, (cut, message)


def test_the_cut_off_backup_of_the_issue_names_line_13(tmp_path: Path) -> None:
    """Issue 25: a backup cut off in line 13 was reported as `line 1: not JSON`."""
    data = made_backup(tmp_path, extra_signups=10)
    start_of_13 = sum(len(line) + 1 for line in data.split(b"\n")[:12])
    (tmp_path / "cut.jsonl").write_bytes(data[:start_of_13 + 40])
    target = tmp_path / "new" / "waitlist.sqlite3"
    result = cli("restore", "cut.jsonl", cwd=tmp_path, database_url=sqlite_url(target))
    assert result.returncode == 1
    assert result.stderr == ("waitlist: cut.jsonl: incomplete: the file ends in the middle of "
                             "line 13: the backup was cut off\n")
    assert not target.parent.exists()  # checked before the database was opened


@pytest.mark.parametrize("how", ["swapped", "removed", "repeated"])
def test_lines_added_removed_or_reordered_are_refused(tmp_path: Path, how: str) -> None:
    lines = made_backup(tmp_path).split(b"\n")[:-1]
    if how == "swapped":
        lines[3], lines[4] = lines[4], lines[3]
    elif how == "removed":
        del lines[3]
    else:
        lines.insert(3, lines[3])
    message = refusal(b"\n".join(lines) + b"\n")
    assert message == (f"b.jsonl: line {len(lines)}: the end line's SHA-256 is not that of lines "
                       f"1 to {len(lines) - 1}: lines were added, removed or reordered")


def test_a_line_after_the_end_line_is_refused(tmp_path: Path) -> None:
    data = made_backup(tmp_path)
    lines = data.split(b"\n")[:-1]
    assert refusal(data + lines[2] + b"\n") == (
        f"b.jsonl: line {len(lines) + 1}: a line after the end line (line {len(lines)})")


def version_1(data: bytes) -> bytes:
    """A backup as version 1 wrote it: no checksums, no SHA-256, version 1."""
    out = []
    for line in data.decode().splitlines():
        record = json.loads(line)
        record.pop("sum")
        record.pop("sha256", None)
        if "format" in record:
            record["version"] = 1
        out.append(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
    return "".join(out).encode()


def test_a_version_1_backup_still_restores_with_a_note(tmp_path: Path) -> None:
    (tmp_path / "v1.jsonl").write_bytes(version_1(made_backup(tmp_path)))
    target = sqlite_url(tmp_path / "b.sqlite3")
    restored = cli("restore", "v1.jsonl", cwd=tmp_path, database_url=target)
    assert restored.returncode == 0, restored.stderr
    assert restored.stderr == ("waitlist: note: v1.jsonl is a version 1 backup, made before "
                               "backups had checksums: its row counts were checked, but a "
                               "changed letter would not have been noticed\n")
    assert contents(target) == contents(sqlite_url(tmp_path / "source.sqlite3"))


def test_a_cut_off_version_1_backup_is_refused_with_its_line(tmp_path: Path) -> None:
    data = version_1(made_backup(tmp_path))
    start_of_5 = sum(len(line) + 1 for line in data.split(b"\n")[:4])
    assert refusal(data[:start_of_5 + 10]) == (
        "b.jsonl: incomplete: the file ends in the middle of line 5: the backup was cut off")
    assert "line 4, the last, is not the end line" in refusal(data[:start_of_5])
