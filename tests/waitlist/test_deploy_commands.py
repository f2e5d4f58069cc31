"""DEPLOY.md's commands for the bundled service and its server, each block taken from DEPLOY.md
as written (tests/deploy_document.py) and run by /bin/sh, with its placeholders filled in and
every system path it names (/etc, /srv, /var, /usr/local) moved into a scratch folder
(`Machine`), so that nothing outside it is touched.

What is really run, and what stands in:

- `python -m waitlist` (serve, migrate, export, stats, delete, purge, backup, restore), `caddy
  validate`, `nginx -t`, `openssl`, `systemd-analyze verify`, `curl`, PostgreSQL's `createuser`
  and `createdb` (on the throwaway cluster of `postgres_url`), `pip` (with no index: it may only
  find psycopg already installed), `install`, `sed`, `ln`, `rm` are the real programs. `nginx`
  and `systemd-analyze` are given the scratch paths by a wrapper (Machine.nginx,
  Machine.systemd_analyze).
- `apt-get`, `certbot`, `systemctl`, `useradd` only record their arguments: packages are
  installed already (.ci/run), no certificate authority is asked, no system manager runs here,
  and no user is added to this machine. `install -o/-g` records the owner and group and applies
  the rest. `sudo -u postgres` is runuser. `systemd-run` (the helper /usr/local/sbin/waitlist
  calls it) runs the command with the environment file, working directory and umask it is
  given, but as this user (Machine.systemd_run).

Each test says what it checks of the result.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import stat
import subprocess
import time
from collections.abc import Callable
from datetime import timedelta
from importlib import metadata
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import create_engine
from sqlalchemy import text as sql

from tests.deploy_document import (
    REPO,
    SERVICE_HOME,
    Machine,
    block,
    commands,
    environment_file,
    install_helper,
    service_checkout,
    write_environment_file,
)
from tests.waitlist.conftest import ADMIN_TOKEN, Service, _postgres_bin, free_port, signup_json
from tests.waitlist.helpers import add_row

# The blocks of DEPLOY.md this module runs (tests/test_deploy_document.py reads this).
DEPLOY_MD_BLOCKS = {
    ("2. The bundled service", "waitlist serve"): ("test_the_service_commands_run_as_written",),
    ("Unsubscribe and erasure", "waitlist delete ana@example.com"): ("test_the_erasure_commands_run_as_written",),
    ("Statistics", "stats --json"): ("test_the_statistics_commands_run_as_written",),
    ("Behind Caddy (HTTPS included)", "caddy validate"): ("test_installing_caddy_as_written",),
    ("Behind nginx", "certbot certonly"): ("test_installing_nginx_as_written",),
    ("Behind nginx", "openssl req"): ("test_installing_nginx_as_written",),
    ("systemd unit", "useradd"): ("test_installing_the_unit_as_written",),
    ("systemd unit", "WAITLIST_TRUST_PROXY=on"): ("test_the_environment_file_starts_the_service_as_the_unit_does",
                                                  "test_the_helper_runs_a_command_as_the_unit_runs_the_service"),
    ("PostgreSQL", "createuser"): ("test_setting_up_postgresql_as_written",),
    ("Backups", "-m 0700 /var/backups/rebuilding-trust"): ("test_the_backup_folder_as_written",),
    ("Backups", "exec systemd-run"): ("test_the_helper_runs_a_command_as_the_unit_runs_the_service",),
}
DOMAIN = "rt.example.net"  # for DEPLOY.md's your.domain
SECRET = "scratch-secret-0123456789abcdefghij"  # for the environment file's `...`
UNIT = REPO / "deploy" / "rebuilding-trust.service"


@pytest.fixture
def machine(tmp_path: Path) -> Machine:
    return Machine(tmp_path / "machine")


def project(tmp_path: Path) -> Path:
    """A folder to run `.venv/bin/python -m waitlist` in, as the project's own: its .venv
    linked (PYTHONPATH finds the package)."""
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / ".venv").symlink_to(REPO / ".venv")
    return folder


def sh(line: str, cwd: Path, env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["/bin/sh", "-c", line], cwd=cwd, env=env, input=stdin, capture_output=True, text=True,
                          timeout=120, start_new_session=True)


def children(pid: int) -> list[int]:
    found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(p) for p in found]


def wait_for_port(port: int, process: subprocess.Popen[str], log: Path) -> None:
    deadline = time.monotonic() + 20
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
            return
        except httpx.HTTPError:
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)


# -- 2. The bundled service ------------------------------------------------------------------------


def test_the_service_commands_run_as_written(tmp_path: Path, site_dir: Path) -> None:
    """Each line of the block, in order, as the shell runs it (the comments included): `serve`
    until it answers and a sign-up is stored, then SIGTERM (status 0); `--version` prints the
    release the comment names; `migrate` finds nothing to do; `export` holds the sign-up;
    `stats` counts it; `delete` erases it (status 0); `purge` runs (status 0)."""
    lines = commands(block("2. The bundled service", "waitlist serve").text)
    assert [line.split()[3] for line in lines] == ["serve", "--version", "migrate", "export", "stats", "delete",
                                                    "purge"]
    folder, port = project(tmp_path), free_port()
    env = dict(os.environ, PYTHONPATH=str(REPO), PORT=str(port), SITE_DIR=str(site_dir),
               DATABASE_URL=f"sqlite:///{tmp_path / 'waitlist.sqlite3'}")
    for name in [k for k in env if k.startswith(("WAITLIST_", "SMTP_", "SITE_URL"))]:
        del env[name]
    log = tmp_path / "serve.log"
    with open(log, "w") as out:
        serve = subprocess.Popen(["/bin/sh", "-c", lines[0]], cwd=folder, env=env, stdout=out, stderr=out, text=True,
                                 start_new_session=True)
    try:
        wait_for_port(port, serve, log)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            assert signup_json(client, "name@example.com").status_code == 200
        [python] = children(serve.pid)
        os.kill(python, signal.SIGTERM)
        assert serve.wait(timeout=30) == 0, log.read_text()  # the shell passes on the service's status
    finally:
        if serve.poll() is None:
            os.killpg(serve.pid, signal.SIGKILL)
    version, migrate, export, stats, delete, purge = (sh(line, folder, env) for line in lines[1:])
    release = lines[1].split("# the release: ")[1].strip()
    assert (version.returncode, version.stdout) == (0, f"{release}\n"), version.stderr
    assert migrate.returncode == 0 and "nothing to do" in migrate.stdout, migrate.stdout + migrate.stderr
    assert export.returncode == 0 and "\nname@example.com," in export.stdout, export.stderr
    assert stats.returncode == 0 and "landing" in stats.stdout, stats.stderr
    assert delete.returncode == 0, delete.stdout + delete.stderr
    assert purge.returncode == 0, purge.stdout + purge.stderr
    assert len(sh(lines[3], folder, env).stdout.splitlines()) == 1  # the header alone: name@example.com is gone


def emails(database: Path) -> list[str]:
    with sqlite3.connect(database) as connection:
        return [row[0] for row in connection.execute("SELECT email FROM waitlist_signups ORDER BY id")]


def test_the_erasure_commands_run_as_written(tmp_path: Path) -> None:
    """The block as one script: `delete ana@example.com` finds `Ana@Example.com` (a row written
    in capitals, as 1.0 could store it), `purge --unconfirmed-older-than 7d` erases only
    unconfirmed rows older than 7 days. Then `delete` again: status 1, not found."""
    script = block("Unsubscribe and erasure", "waitlist delete ana@example.com").text
    folder, database = project(tmp_path), tmp_path / "waitlist.sqlite3"
    env = dict(os.environ, PYTHONPATH=str(REPO), DATABASE_URL=f"sqlite:///{database}")
    assert sh(".venv/bin/python -m waitlist migrate", folder, env).returncode == 0
    add_row(database, "Ana@Example.com")
    add_row(database, "stale@example.org", age=timedelta(days=8))
    add_row(database, "fresh@example.org", age=timedelta(days=6))
    add_row(database, "kept@example.org", age=timedelta(days=30), confirmed=True)
    result = sh(script, folder, env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert emails(database) == ["fresh@example.org", "kept@example.org"]
    again = sh(commands(script)[0], folder, env)
    assert again.returncode == 1, again.stdout + again.stderr


def test_the_statistics_commands_run_as_written(tmp_path: Path, start: Callable[..., Service]) -> None:
    """Each line against the running service's database: two tables, the same as JSON, and the
    same JSON over HTTP with the admin token (`https://course.example.org` is the service's
    address here)."""
    lines = commands(block("Statistics", "stats --json").text)
    running = start(WAITLIST_ADMIN_TOKEN=ADMIN_TOKEN, WAITLIST_RATE_LIMIT="0")
    with running.client() as client:
        for email in ("one@example.org", "two@example.org"):
            assert signup_json(client, email).status_code == 200
    folder = project(tmp_path)
    env = dict(os.environ, PYTHONPATH=str(REPO), DATABASE_URL=running.env["DATABASE_URL"],
               WAITLIST_ADMIN_TOKEN=ADMIN_TOKEN)
    tables, as_json, over_http = (sh(line.replace("https://course.example.org", running.base_url), folder, env)
                                  for line in lines)
    assert tables.returncode == 0 and "landing" in tables.stdout, tables.stderr
    assert as_json.returncode == 0 and json.loads(as_json.stdout)["totals"]["signups"] == 2, as_json.stderr
    assert over_http.returncode == 0, over_http.stderr
    assert json.loads(over_http.stdout)["totals"] == json.loads(as_json.stdout)["totals"]


# -- the proxies -----------------------------------------------------------------------------------


def scratch_project_with_deploy(machine: Machine) -> Path:
    """The project's checkout as the commands use it (`deploy/…` from its folder)."""
    folder = machine.path(SERVICE_HOME)
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copytree(REPO / "deploy", folder / "deploy")
    return folder


def test_installing_caddy_as_written(machine: Machine) -> None:
    """apt-get (recorded; Caddy is installed), the sed into /etc/caddy (scratch), the real
    `caddy validate` on what it wrote, `systemctl reload caddy` (recorded)."""
    script = block("Behind Caddy (HTTPS included)", "caddy validate").text
    folder = scratch_project_with_deploy(machine)
    machine.path("/etc/caddy").mkdir(parents=True)  # made by Debian's caddy package
    machine.recorder("apt-get")
    machine.recorder("systemctl")
    home = machine.root / "home"
    home.mkdir()
    env = machine.environment(HOME=str(home), XDG_DATA_HOME=str(home), XDG_CONFIG_HOME=str(home))
    result = machine.run(machine.fill(script, {"your.domain": DOMAIN}), cwd=folder, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Valid configuration" in result.stdout + result.stderr
    installed = machine.path("/etc/caddy/Caddyfile").read_text(encoding="utf-8")
    assert installed == (REPO / "deploy" / "Caddyfile").read_text(encoding="utf-8").replace("course.example.org", DOMAIN)
    assert machine.calls() == ["apt-get install caddy", "systemctl reload caddy"]


def test_installing_nginx_as_written(machine: Machine) -> None:
    """The throwaway certificate first (the real openssl, where certbot would put it), then the
    installation: apt-get and certbot recorded, the site installed in place of Debian's default,
    and the real `nginx -t` on the result (Machine.nginx), then the reload (recorded)."""
    certificate = block("Behind nginx", "openssl req").text
    steps = block("Behind nginx", "certbot certonly").text
    folder = scratch_project_with_deploy(machine)
    # What Debian's nginx package leaves: its default site, enabled, and its web root.
    available, enabled = machine.path("/etc/nginx/sites-available"), machine.path("/etc/nginx/sites-enabled")
    available.mkdir(parents=True)
    enabled.mkdir()
    default = Path("/etc/nginx/sites-available/default")
    (available / "default").write_text(default.read_text(encoding="utf-8") if default.exists() else
                                       "server {\n\tlisten 80 default_server;\n\troot /var/www/html;\n}\n")
    (enabled / "default").symlink_to(available / "default")
    machine.path("/var/www/html").mkdir(parents=True)
    for name in ("apt-get", "certbot", "systemctl"):
        machine.recorder(name)
    machine.nginx()
    made = machine.run(machine.fill(certificate, {"your.domain": DOMAIN}), cwd=folder)
    assert made.returncode == 0, made.stderr
    live = machine.path(f"/etc/letsencrypt/live/{DOMAIN}")
    assert (live / "fullchain.pem").is_file() and (live / "privkey.pem").is_file()
    result = machine.run(machine.fill(steps, {"your.domain": DOMAIN}), cwd=folder)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "syntax is ok" in result.stderr and "test is successful" in result.stderr, result.stderr
    assert sorted(p.name for p in enabled.iterdir()) == ["rebuilding-trust"]
    assert (enabled / "rebuilding-trust").resolve() == available / "rebuilding-trust"
    assert (available / "rebuilding-trust").read_text(encoding="utf-8") == (
        (REPO / "deploy" / "nginx.conf").read_text(encoding="utf-8").replace("course.example.org", DOMAIN))
    webroot = machine.path("/var/www/html")
    assert machine.calls() == [
        "apt-get install nginx certbot",
        f"certbot certonly --webroot -w {webroot} -d {DOMAIN} --deploy-hook systemctl reload nginx",
        "nginx -t",
        "systemctl reload nginx",
    ]


# -- systemd unit ----------------------------------------------------------------------------------


def test_installing_the_unit_as_written(machine: Machine) -> None:
    """useradd (recorded), the `var/` folder with mode 0700 (owner recorded, not applied), the
    unit copied with mode 0644, and the real `systemd-analyze verify` on it (Machine.systemd_analyze:
    ExecStart's /srv/rebuilding-trust/.venv/bin/python is the scratch checkout's, linked to this
    repository's venv) with no problem reported for the unit."""
    script = block("systemd unit", "useradd").text
    folder = scratch_project_with_deploy(machine)
    (folder / ".venv").symlink_to(REPO / ".venv")
    machine.path("/etc/systemd/system").mkdir(parents=True)
    machine.recorder("useradd")
    machine.install()
    machine.systemd_analyze()
    result = machine.run(machine.fill(script), cwd=folder)
    assert result.returncode == 0, result.stdout + result.stderr
    problems = [line for line in result.stderr.splitlines() if "rebuilding-trust.service" in line]
    assert not problems, result.stderr
    assert stat.S_IMODE((folder / "var").stat().st_mode) == 0o700
    unit = machine.path("/etc/systemd/system/rebuilding-trust.service")
    assert stat.S_IMODE(unit.stat().st_mode) == 0o644 and unit.read_bytes() == UNIT.read_bytes()
    assert machine.calls() == [
        f"useradd --system --home-dir {folder} --no-create-home --shell /usr/sbin/nologin rebuilding-trust",
        f"install -d -o rebuilding-trust -g rebuilding-trust -m 0700 {folder}/var",
        f"install -m 0644 deploy/rebuilding-trust.service {machine.path('/etc/systemd/system')}/",
        f"systemd-analyze verify {unit}",
    ]


def unit_settings() -> dict[str, str]:
    return dict(line.split("=", 1) for line in UNIT.read_text(encoding="utf-8").splitlines()
                if "=" in line and not line.startswith("#"))


def test_the_environment_file_starts_the_service_as_the_unit_does(machine: Machine, site_dir: Path) -> None:
    """DEPLOY.md's /etc/rebuilding-trust.env (PORT a free port, each `...` a secret), read as
    systemd reads it (`SMTP_FROM=Rebuilding Trust <…>` keeps its spaces) and given to the
    unit's ExecStart, in its WorkingDirectory, under its UMask, with nothing else in the
    environment: every setting passes the service's checks (it exits 2 on any wrong one), it
    serves SITE_DIR, and the database it creates is its user's alone (0600)."""
    port = free_port()
    env_file = write_environment_file(machine, port, SECRET)
    settings = environment_file(env_file.read_text(encoding="utf-8"))
    assert settings["SMTP_FROM"] == "Rebuilding Trust <waitlist@course.example.org>"
    assert set(settings) == {"PORT", "SITE_DIR", "SITE_URL", "DATABASE_URL", "WAITLIST_ADMIN_TOKEN",
                             "WAITLIST_TRUST_PROXY", "WAITLIST_SECRET", "SMTP_URL", "SMTP_FROM"}
    home = service_checkout(machine)
    (home / "var").mkdir(mode=0o700)
    shutil.copytree(site_dir, Path(settings["SITE_DIR"]))
    unit = unit_settings()
    assert machine.fill(unit["WorkingDirectory"]) == str(home)
    assert machine.fill(unit["EnvironmentFile"]) == str(env_file)
    command = machine.fill(unit["ExecStart"]).split()
    log = machine.root / "service.log"
    with open(log, "w") as out:
        service = subprocess.Popen(command, cwd=home, env={"PATH": "/usr/bin:/bin", **settings}, stdout=out,
                                   stderr=subprocess.STDOUT, text=True,
                                   preexec_fn=lambda: os.umask(int(unit["UMask"], 8)))
    try:
        wait_for_port(port, service, log)
        page = httpx.get(f"http://127.0.0.1:{port}/introduction/", timeout=10)
        assert page.status_code == 200 and "Introduction" in page.text
        service.send_signal(signal.SIGTERM)
        assert service.wait(timeout=30) == 0, log.read_text()
    finally:
        if service.poll() is None:
            service.kill()
    database = Path(settings["DATABASE_URL"].removeprefix("sqlite:///"))
    assert database.is_relative_to(home / "var") and stat.S_IMODE(database.stat().st_mode) == 0o600


# -- PostgreSQL ------------------------------------------------------------------------------------


def test_setting_up_postgresql_as_written(tmp_path: Path, machine: Machine, postgres_url: str) -> None:
    """On the throwaway cluster: `sudo -u postgres createuser --pwprompt` (sudo is runuser; the
    password is typed on standard input, twice), `createdb --owner`, `pip install psycopg==…`
    (no index: it must find the pinned driver already there), and the DATABASE_URL line with the
    password and the cluster's port filled in. The service's `migrate` then creates its tables
    in that database, owned by the new user. (The cluster trusts local connections: that the
    password is set is checked, not that it is asked for.)"""
    doc = block("PostgreSQL", "createuser").text
    port = urlsplit(postgres_url).port
    password = "a-Pass-for-the-test-1"
    folder = project(tmp_path)
    machine.sudo()
    env = machine.environment(PGHOST="127.0.0.1", PGPORT=str(port), PGUSER="postgres", PIP_NO_INDEX="1",
                              PIP_DISABLE_PIP_VERSION_CHECK="1")
    env["PATH"] = f"{machine.bin}:{_postgres_bin()}:{env['PATH'].split(':', 1)[1]}"
    script = machine.fill(doc, {"PASSWORD": password, "127.0.0.1:5432": f"127.0.0.1:{port}"})
    result = machine.run(script + 'printf "%s\\n" "$DATABASE_URL"\n', cwd=folder, env=env,
                         stdin=f"{password}\n{password}\n")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Requirement already satisfied: psycopg==" in result.stdout
    assert f"psycopg=={metadata.version('psycopg')}" in doc  # the pin it names is the one installed
    url = result.stdout.strip().splitlines()[-1]
    assert url == f"postgresql+psycopg://waitlist:{password}@127.0.0.1:{port}/waitlist"
    migrated = sh(".venv/bin/python -m waitlist migrate", folder, dict(os.environ, PYTHONPATH=str(REPO),
                                                                        DATABASE_URL=url))
    assert migrated.returncode == 0, migrated.stderr
    admin = create_engine(postgres_url)
    try:
        with admin.connect() as connection:
            assert connection.execute(sql("SELECT rolpassword IS NOT NULL FROM pg_authid "
                                              "WHERE rolname = 'waitlist'")).scalar() is True
        owner = create_engine(postgres_url.rsplit("/", 1)[0] + "/waitlist")
        with owner.connect() as connection:
            owners = dict(connection.execute(sql("SELECT tablename, tableowner FROM pg_tables "
                                                     "WHERE tablename LIKE 'waitlist_%'")).all())
        owner.dispose()
    finally:
        admin.dispose()
    assert set(owners) >= {"waitlist_signups", "waitlist_mail_log", "waitlist_rate_limit", "waitlist_tally"}
    assert set(owners.values()) == {"waitlist"}


# -- Backups: the folder and the helper -------------------------------------------------------------


def test_the_backup_folder_as_written(machine: Machine) -> None:
    """`install -d … -m 0700`: the folder exists with mode 0700 (its owner recorded)."""
    script = block("Backups", "-m 0700 /var/backups/rebuilding-trust").text
    machine.install()
    result = machine.run(machine.fill(script), cwd=machine.root)
    assert result.returncode == 0, result.stderr
    folder = machine.path("/var/backups/rebuilding-trust")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert machine.calls() == [f"install -d -o rebuilding-trust -g rebuilding-trust -m 0700 {folder}"]


def test_the_helper_runs_a_command_as_the_unit_runs_the_service(machine: Machine) -> None:
    """/usr/local/sbin/waitlist saved as written: the properties it gives systemd-run are the
    unit's (user, group, umask, environment file, working directory, python), its arguments
    reach `python -m waitlist`, which reads DATABASE_URL from DEPLOY.md's environment file, and
    its exit status is the command's."""
    helper = install_helper(machine)
    write_environment_file(machine, free_port(), SECRET)
    home = service_checkout(machine)
    (home / "var").mkdir(mode=0o700)
    backups = machine.path("/var/backups/rebuilding-trust")
    backups.mkdir(parents=True, mode=0o700)
    env = machine.environment()
    nothing = machine.run(f"{helper} backup --if-exists {backups}/first.jsonl", cwd=machine.root, env=env)
    assert (nothing.returncode, nothing.stdout.split(":")[0]) == (0, "nothing to back up"), nothing.stderr
    migrated = machine.run(f"{helper} migrate", cwd=machine.root, env=env)
    assert migrated.returncode == 0 and "migrated" in migrated.stdout, migrated.stdout + migrated.stderr
    database = home / "var" / "waitlist.sqlite3"
    assert stat.S_IMODE(database.stat().st_mode) == 0o600  # made under the unit's UMask=0077
    made = machine.run(f"{helper} backup {backups}/second.jsonl", cwd=machine.root, env=env)
    assert made.returncode == 0 and made.stdout.startswith("backed up "), made.stderr
    assert stat.S_IMODE((backups / "second.jsonl").stat().st_mode) == 0o600
    refused = machine.run(f"{helper} restore {backups}/missing.jsonl", cwd=machine.root, env=env)
    assert refused.returncode == 1 and "missing.jsonl" in refused.stderr, refused.stderr
    # The properties, call by call, are the unit's.
    unit = unit_settings()
    expected = (f"systemd-run --quiet --pipe --wait --collect -p User={unit['User']} -p Group={unit['Group']} "
                f"-p UMask={unit['UMask']} -p EnvironmentFile={machine.fill(unit['EnvironmentFile'])} "
                f"-p WorkingDirectory={machine.fill(unit['WorkingDirectory'])} "
                f"{machine.fill(unit['ExecStart']).removesuffix(' serve')}")
    assert machine.calls() == [f"{expected} backup --if-exists {backups}/first.jsonl", f"{expected} migrate",
                               f"{expected} backup {backups}/second.jsonl", f"{expected} restore {backups}/missing.jsonl"]
