"""Load benchmark of the bundled waitlist service: sign-ups against a static page.

Starts ``python -m waitlist serve`` on a fresh temporary SQLite database (rate limit off),
drives it from a separate client process (raw keep-alive HTTP/1.1 over asyncio, so the client
costs little next to the server) at 1, 20 and 100 concurrent clients, first a small static
HTML page, then sign-ups, and prints requests per second, p50/p99 latency and the ratio of the
two. Finally it checks that every acknowledged sign-up is in the database exactly once.

Then the yardsticks, side by side (issue 27), all measured by ``wrk -t2 -c20`` with the same
parameters, rounds interleaved between the servers: a chapter of the built site (``--site``,
``site/`` by default: run ``make build`` first), asked for with ``Accept-Encoding: gzip``, from
our service, from nginx (Debian's ``/usr/sbin/nginx``, ``worker_processes auto``, ``gzip_static
on``, the same security headers, read from ``site/_headers``: the limit on this machine), from
servestatic under uvicorn (bench/servestatic_app.py) and from the minimal service
(bench/minimal_waitlist.py: Starlette + uvicorn's standard install, uvloop and httptools, the
page from memory, one SQLite commit per sign-up, the "written in an hour" baseline); then
sign-ups (bench/waitlist_signup.lua posts a new email each time) from ours and the minimal
service. One table: req/s and p99 of each server, and each target met or missed: static page at
least 0.5 times nginx's rate and at least the minimal service's, sign-ups at least 2 times the
minimal service's, sign-up p99 at most 20 ms. It needs wrk (``apt-get install wrk``).

Then kill -9: sign-ups at 20 clients, the service killed (SIGKILL) half-way, restarted on the
same database: every sign-up acknowledged before the kill must be there.

Then slow clients: a second service, started as under ``ulimit -n 256`` (its connection cap
is then 192), serves the static page at 20 clients, undisturbed and while a third process
holds 300 slow connections open (half with a head that never ends, half with a body that
never ends; a byte on each every second, and each one the service closes opened again on
the next round, as slowloris does). Rounds alternate; the ratio of the two rates is the
figure (target: at least 0.8).

Then the database-backed rate limit: sign-ups on SQLite with WAITLIST_RATE_LIMIT high enough
never to refuse (each connection its own client address, through WAITLIST_TRUST_PROXY), next to
the same cells with the limit off. And more than one server: a PostgreSQL cluster started from
Debian's package (as tests/waitlist/test_postgres.py does), one instance, then two instances on
it driven at once (the same number of clients, split between them), sign-ups/s and p99 with the
rate limit on, as behind a load balancer.

    .venv/bin/python bench/waitlist_load.py [--seconds 1.5] [--rounds 3] [--concurrency 1 20 100]
                                            [--slow 300] [--no-rate-limit] [--no-postgres]
                                            [--compare-seconds 5] [--no-compare] [--site site]
                                            [--kill-after 1.5]

Run it under the shared lock, so that no other measurement overlaps it:
``flock /tmp/rt-bench.lock .venv/bin/python bench/waitlist_load.py``.

Figures, not a pass/fail timer; exits non-zero only if an acknowledged sign-up is missing or
requests failed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SLOW_FD_LIMIT = 256  # the reproduction: ulimit -n 256
SLOW_CONCURRENCY = 20
SLOW_TARGET = 0.8
STATIC_PATH = "/bench.html"
STATIC_PAGE = "<!doctype html><html lang=en><title>ok</title><p>Rebuilding Trust</p></html>\n"
MINIMAL = REPO / "bench" / "minimal_waitlist.py"
SERVESTATIC = REPO / "bench" / "servestatic_app.py"
NGINX = Path("/usr/sbin/nginx")
NGINX_WORKERS = "auto"  # one per core: nginx at its best here, the limit of this machine
WRK_SIGNUP = REPO / "bench" / "waitlist_signup.lua"
WRK_THREADS = 2
COMPARE_CONCURRENCY = 20
# Issue 27's targets, at 20 clients: the static page (a chapter, gzip) against nginx and the
# minimal service, sign-ups against the minimal service.
STATIC_NGINX_TARGET = 0.5  # times nginx's rate
STATIC_MINIMAL_TARGET = 1.0  # times the minimal service's rate
SIGNUP_TARGET = 2.0  # times the minimal service's sign-up rate
SIGNUP_P99_TARGET_MS = 20.0
# The servers of the comparison, in the order the table shows them.
STATIC_SERVERS = ("ours", "nginx", "servestatic", "minimal")
SIGNUP_SERVERS = ("ours", "minimal")


# -- the client (runs in its own process) ----------------------------------------------------


def _request(mode: str, prefix: str, connection: int, n: int) -> bytes:
    if mode == "static":
        return f"GET {STATIC_PATH} HTTP/1.1\r\nHost: bench\r\n\r\n".encode()
    body = f'{{"email":"{prefix}-{connection}-{n}@example.com","consent":true}}'.encode()
    # Each connection is a client of its own (the service trusts this header only when the
    # bench starts it with WAITLIST_TRUST_PROXY).
    forwarded = f"10.{sum(prefix.encode()) % 250}.{connection // 250}.{connection % 250}"
    head = (
        "POST /api/waitlist HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
        f"X-Forwarded-For: {forwarded}\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    return head + body


async def _connection_loop(
    port: int, mode: str, prefix: str, connection: int, deadline: float,
    latencies: list[float], acknowledged: list[str], errors: list[str],
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    n = 0
    clock = time.perf_counter
    try:
        while clock() < deadline:
            request = _request(mode, prefix, connection, n)
            began = clock()
            try:
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                if length:
                    await reader.readexactly(length)
            except (ConnectionError, asyncio.IncompleteReadError):
                # The service went away (the kill -9 check does that): this request was
                # never acknowledged.
                errors.append("connection lost")
                break
            latencies.append(clock() - began)
            if head[9:12] != b"200":
                errors.append(head[:12].decode())
            elif mode == "signup":
                acknowledged.append(f"{prefix}-{connection}-{n}@example.com")
            n += 1
    finally:
        writer.close()


async def _client(port: int, mode: str, prefix: str, concurrency: int, seconds: float) -> dict:
    latencies: list[float] = []
    acknowledged: list[str] = []
    errors: list[str] = []
    began = time.perf_counter()
    deadline = began + seconds
    await asyncio.gather(*(
        _connection_loop(port, mode, prefix, c, deadline, latencies, acknowledged, errors)
        for c in range(concurrency)
    ))
    elapsed = time.perf_counter() - began
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]  # noqa: E731
    return {
        "requests": len(latencies), "elapsed": elapsed, "errors": errors[:5],
        "error_count": len(errors), "p50": pick(0.50) if latencies else 0.0,
        "p99": pick(0.99) if latencies else 0.0, "acknowledged": acknowledged,
        "latencies": latencies,
    }


def client_main(args: argparse.Namespace) -> int:
    if args.mode == "hold":
        result = asyncio.run(_hold(args.port, args.clients, args.seconds))
    else:
        result = asyncio.run(
            _client(args.port, args.mode, args.prefix, args.clients, args.seconds)
        )
    json.dump(result, sys.stdout)
    return 0


# -- slow clients (their own process too) ----------------------------------------------------

SLOW_HEAD = b"GET / HTTP/1.1\r\nHost: bench\r\nX-Slow: "
SLOW_BODY = (b"POST /api/waitlist HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
             b"Content-Length: 200\r\n\r\n{")


async def _slow_connection(port: int, start: bytes, stop: asyncio.Event, counts: dict) -> None:
    """One slow client: a request that never ends, a byte a second; when the service closes
    the connection, another one on the next round."""
    while not stop.is_set():
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(start)
        except OSError:
            counts["refused"] += 1
            await asyncio.sleep(1)
            continue
        counts["opened"] += 1
        try:
            while not stop.is_set():
                try:
                    if not await asyncio.wait_for(reader.read(4096), 1.0):
                        counts["closed by the service"] += 1
                        break
                except TimeoutError:
                    writer.write(b"a")
        except OSError:
            counts["closed by the service"] += 1
        finally:
            writer.close()
        await asyncio.sleep(1)


async def _hold(port: int, count: int, seconds: float) -> dict:
    """Hold ``count`` slow connections until SIGTERM (or ``seconds``); what happened to them."""
    counts = {"opened": 0, "closed by the service": 0, "refused": 0}
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    tasks = [
        asyncio.create_task(_slow_connection(port, SLOW_HEAD if n % 2 else SLOW_BODY, stop, counts))
        for n in range(count)
    ]
    while counts["opened"] + counts["refused"] < count:
        await asyncio.sleep(0.01)
    print("holding", flush=True, file=sys.stderr)
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        stop.set()
    await asyncio.gather(*tasks)
    return counts


# -- the driver ------------------------------------------------------------------------------


@dataclass
class Run:
    mode: str
    concurrency: int
    rate: float
    p50_ms: float
    p99_ms: float
    errors: int
    acknowledged: list[str]
    latencies: list[float] | None = None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_service(
    workdir: Path, fd_limit: int | None = None, database_url: str | None = None,
    rate_limit: int = 0, database_path: Path | None = None, site_dir: Path | None = None,
) -> tuple[subprocess.Popen[bytes], int, Path]:
    """``python -m waitlist serve``; over ``site_dir`` if given, else a site of one small page."""
    workdir.mkdir(parents=True, exist_ok=True)
    site = site_dir or workdir / "site"
    if site_dir is None:
        site.mkdir(parents=True, exist_ok=True)
        (site / "bench.html").write_text(STATIC_PAGE)
        (site / "index.html").write_text(STATIC_PAGE)
    port = _free_port()
    db_path = database_path or workdir / f"waitlist-{port}.sqlite3"
    env = {
        **os.environ, "PYTHONPATH": str(REPO), "PORT": str(port), "SITE_DIR": str(site),
        "DATABASE_URL": database_url or f"sqlite:///{db_path}",
        "WAITLIST_RATE_LIMIT": str(rate_limit),
    }
    for name in ("SMTP_URL", "WAITLIST_TRUST_PROXY", "WAITLIST_ADMIN_TOKEN"):
        env.pop(name, None)
    if rate_limit:
        env["WAITLIST_TRUST_PROXY"] = "1"  # each connection its own client address
    log_path = workdir / f"service-{port}.log"
    log = open(log_path, "wb")  # noqa: SIM115 - lives as long as the service
    process = subprocess.Popen(
        [sys.executable, "-m", "waitlist", "serve"], cwd=workdir, env=env,
        stdout=log, stderr=subprocess.STDOUT,
        preexec_fn=None if fd_limit is None else lambda: resource.setrlimit(
            resource.RLIMIT_NOFILE, (fd_limit, fd_limit)
        ),
    )
    _wait_for_port(port, process, log_path)
    return process, port, db_path


def _drive(port: int, mode: str, concurrency: int, seconds: float, prefix: str) -> Run:
    command = [
        sys.executable, __file__, "--client", "--port", str(port), "--mode", mode,
        "--clients", str(concurrency), "--seconds", str(seconds), "--prefix", prefix,
    ]
    output = subprocess.run(command, check=True, capture_output=True, timeout=seconds + 60)
    return _run_of(mode, concurrency, json.loads(output.stdout))


def _run_of(mode: str, concurrency: int, result: dict) -> Run:
    if result["error_count"]:
        print(f"  {mode} x{concurrency}: {result['error_count']} errors, e.g. {result['errors']}")
    return Run(
        mode, concurrency, result["requests"] / result["elapsed"], result["p50"] * 1000,
        result["p99"] * 1000, result["error_count"], result["acknowledged"], result["latencies"],
    )


def _drive_spread(ports: list[int], concurrency: int, seconds: float, prefix: str) -> Run:
    """Sign-ups at ``concurrency`` clients split evenly over ``ports`` (one client process per
    port, all at once), as a load balancer spreads them: the summed rate, the joint p50/p99."""
    share = max(1, concurrency // len(ports))
    clients = [
        subprocess.Popen(
            [sys.executable, __file__, "--client", "--port", str(port), "--mode", "signup",
             "--clients", str(share), "--seconds", str(seconds), "--prefix", f"{prefix}p{n}"],
            stdout=subprocess.PIPE,
        )
        for n, port in enumerate(ports)
    ]
    results = [json.loads(client.communicate(timeout=seconds + 60)[0]) for client in clients]
    latencies = sorted(value for result in results for value in result["latencies"])
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]  # noqa: E731
    joined = {
        "requests": len(latencies), "elapsed": max(result["elapsed"] for result in results),
        "errors": [error for result in results for error in result["errors"]][:5],
        "error_count": sum(result["error_count"] for result in results),
        "p50": pick(0.50) if latencies else 0.0, "p99": pick(0.99) if latencies else 0.0,
        "acknowledged": [email for result in results for email in result["acknowledged"]],
        "latencies": latencies,
    }
    return _run_of("signup", concurrency, joined)


def _disturbed(port: int, slow: int, seconds: float) -> tuple[Run, dict]:
    """Static throughput while ``slow`` slow connections are held open, and what the slow
    clients saw."""
    holder = subprocess.Popen(
        [sys.executable, __file__, "--client", "--port", str(port), "--mode", "hold",
         "--clients", str(slow), "--seconds", str(seconds + 60)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    assert holder.stderr is not None
    try:
        if holder.stderr.readline() != b"holding\n":
            raise SystemExit("the slow clients did not start")
        time.sleep(0.5)  # the service at its cap: the first evictions are over
        run = _drive(port, "static", SLOW_CONCURRENCY, seconds, "d")
    finally:
        holder.send_signal(signal.SIGTERM)
    output, _ = holder.communicate(timeout=30)
    return run, json.loads(output)


def _slow_clients(
    workdir: Path, args: argparse.Namespace
) -> tuple[Run, Run, int, int, list[int]]:
    """(undisturbed, disturbed, service log lines, service exit status, slow connections the
    service closed in each round), on a service with the issue's file descriptor limit."""
    process, port, _ = _start_service(workdir, fd_limit=SLOW_FD_LIMIT)
    log_path = workdir / f"service-{port}.log"
    try:
        _drive(port, "static", SLOW_CONCURRENCY, 0.5, "warm")
        calm, disturbed, seen = [], [], []
        for _ in range(args.rounds):
            calm.append(_drive(port, "static", SLOW_CONCURRENCY, args.seconds, "c"))
            run, counts = _disturbed(port, args.slow, args.seconds)
            disturbed.append(run)
            seen.append(counts)
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(60)
    lines = log_path.read_text(errors="replace").count("\n")
    closed = [counts["closed by the service"] for counts in seen]
    return _median_run(calm), _median_run(disturbed), lines, code, closed


# A limit no sign-up of the bench reaches: every attempt is counted, none is refused.
BENCH_RATE_LIMIT = 1_000_000
MULTI_CONCURRENCY = (20, 100)


def _rate_limit_cost(workdir: Path, args: argparse.Namespace) -> list[tuple[Run, Run]]:
    """(limit off, limit on) sign-up cells on SQLite, one fresh database each, rounds
    alternating between the two services."""
    off, off_port, _ = _start_service(workdir / "off", rate_limit=0)
    on, on_port, _ = _start_service(workdir / "on", rate_limit=BENCH_RATE_LIMIT)
    try:
        for port in (off_port, on_port):
            _drive(port, "signup", 20, 0.5, "warm")
        pairs = []
        for concurrency in args.concurrency:
            cells: tuple[list[Run], list[Run]] = ([], [])
            for round_ in range(args.rounds):
                for cell, port in zip(cells, (off_port, on_port), strict=True):
                    cell.append(_drive(port, "signup", concurrency, args.seconds,
                                       f"rl{concurrency}r{round_}"))
            pairs.append((_median_run(cells[0]), _median_run(cells[1])))
    finally:
        for process in (off, on):
            process.send_signal(signal.SIGTERM)
            process.wait(30)
    return pairs


def _start_postgres() -> tuple[str, Callable[[], None]]:
    """A throwaway cluster from Debian's postgresql package (as root: run as ``postgres``);
    its URL and the function that stops it. fsync stays on: commits are as durable as SQLite's."""
    import glob
    import shutil

    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    initdb = found[-1] if found else shutil.which("initdb")
    if initdb is None:
        raise SystemExit("initdb not found: install Debian's postgresql package, or --no-postgres")
    bindir = Path(initdb).parent
    as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    # Its own folder: the bench's temporary folder is root's alone, closed to ``postgres``.
    cluster = Path(tempfile.mkdtemp(prefix="waitlist-bench-pg-"))
    if os.geteuid() == 0:
        shutil.chown(cluster, "postgres")
    data, port = cluster / "data", _free_port()

    def run(*command: str) -> None:
        subprocess.run([*as_owner, str(bindir / command[0]), *command[1:]], check=True,
                       capture_output=True, timeout=120)

    run("initdb", "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")
    options = f"-p {port} -k {cluster} -c listen_addresses=127.0.0.1 -c max_connections=200"
    run("pg_ctl", "-D", str(data), "-o", options, "-l", str(cluster / "log"), "-w", "start")

    def stop() -> None:
        run("pg_ctl", "-D", str(data), "-m", "fast", "stop")
        shutil.rmtree(cluster, ignore_errors=True)

    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres", stop


def _fresh_postgres_database(url: str, name: str) -> str:
    from sqlalchemy import create_engine, text

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return url.rsplit("/", 1)[0] + f"/{name}"


def _postgres_emails(url: str) -> list[str]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as connection:
        emails = [row[0] for row in connection.execute(text("SELECT email FROM waitlist_signups"))]
    engine.dispose()
    return emails


def _multi_instance(workdir: Path, args: argparse.Namespace) -> tuple[list[tuple[Run, Run]], int, int]:
    """(one instance, two instances) sign-up cells on one PostgreSQL with the rate limit on;
    rounds alternate between one and two; then (acknowledged missing, stored twice)."""
    url, stop_postgres = _start_postgres()
    processes: list[subprocess.Popen[bytes]] = []
    try:
        database = _fresh_postgres_database(url, "bench")
        ports = []
        for n in range(2):
            process, port, _ = _start_service(workdir / f"pg{n}", database_url=database,
                                              rate_limit=BENCH_RATE_LIMIT)
            processes.append(process)
            ports.append(port)
            _drive(port, "signup", 20, 0.5, f"warm{n}")
        pairs = []
        for concurrency in MULTI_CONCURRENCY:
            cells: tuple[list[Run], list[Run]] = ([], [])
            for round_ in range(args.rounds):
                prefix = f"pg{concurrency}r{round_}"
                cells[0].append(_drive_spread(ports[:1], concurrency, args.seconds, prefix + "a"))
                cells[1].append(_drive_spread(ports, concurrency, args.seconds, prefix + "b"))
            pairs.append((_median_run(cells[0]), _median_run(cells[1])))
        stored = _postgres_emails(database)
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
            process.wait(30)
        stop_postgres()
    acknowledged = {email for pair in pairs for run in pair for email in run.acknowledged}
    return pairs, len(acknowledged - set(stored)), len(stored) - len(set(stored))


def _start_minimal(workdir: Path, site: Path, url: str) -> tuple[subprocess.Popen[bytes], int]:
    """bench/minimal_waitlist.py on a fresh SQLite database, ``url`` of ``site`` from memory:
    the baseline."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    return _start_child(workdir, "minimal", port, [
        sys.executable, str(MINIMAL), str(port), str(workdir / f"minimal-{port}.sqlite3"),
        str(site), url,
    ])


def _start_servestatic(workdir: Path, site: Path) -> tuple[subprocess.Popen[bytes], int]:
    """bench/servestatic_app.py over ``site``."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    return _start_child(workdir, "servestatic", port,
                        [sys.executable, str(SERVESTATIC), str(port), str(site)])


def nginx_config(site: Path, port: int, workdir: Path, headers: dict[str, str]) -> str:
    """A whole nginx.conf: ``site`` on 127.0.0.1:``port`` with its ``.gz`` copies
    (gzip_static), ``index.html`` for directory URLs and ``headers`` on every response; all
    its files (pid, logs, temporary folders) under ``workdir``."""
    def quoted(value: str) -> str:
        if "$" in value:  # nginx would read a variable there, and has no escape for it
            raise SystemExit(f"nginx: a header value with '$' cannot be passed on: {value!r}")
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

    user = "user root root;\n" if os.geteuid() == 0 else ""  # workers read the site as we do
    temp = "\n".join(f"    {kind}_temp_path {quoted(str(workdir / kind))};"
                     for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    added = "\n".join(f"        add_header {name} {quoted(value)} always;"
                      for name, value in headers.items())
    return f"""{user}daemon off;
worker_processes {NGINX_WORKERS};
pid {quoted(str(workdir / "nginx.pid"))};
error_log {quoted(str(workdir / "error.log"))} warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
{temp}
    server {{
        listen 127.0.0.1:{port};
        root {quoted(str(site))};
        index index.html;
        gzip_static on;
        gzip_vary on;
{added}
    }}
}}
"""


def _start_nginx(workdir: Path, site: Path) -> tuple[subprocess.Popen[bytes], int]:
    """Debian's nginx, not a daemon (it stops with SIGTERM to this child), over ``site`` with
    the security headers our service sends (waitlist/headers.py reads ``site/_headers``)."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    config = workdir / "nginx.conf"
    config.write_text(nginx_config(site, port, workdir, _site_headers(site)))
    return _start_child(workdir, "nginx", port,
                        [str(NGINX), "-p", str(workdir), "-e", str(workdir / "error.log"),
                         "-c", str(config)])


def _site_headers(site: Path) -> dict[str, str]:
    """The security headers our service sends, from ``site/_headers`` (waitlist/headers.py)."""
    from waitlist.headers import site_headers

    return site_headers(site)


def _start_child(workdir: Path, name: str, port: int,
                 command: list[str]) -> tuple[subprocess.Popen[bytes], int]:
    log_path = workdir / f"{name}-{port}.log"
    log = open(log_path, "wb")  # noqa: SIM115 - lives as long as the server
    process = subprocess.Popen(command, cwd=workdir, stdout=log, stderr=subprocess.STDOUT,
                               env={**os.environ, "PYTHONPATH": str(REPO)})
    _wait_for_port(port, process, log_path)
    return process, port


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit(f"service did not start:\n{log_path.read_text()}")


def _wrk(port: int, mode: str, seconds: float, prefix: str, path: str = STATIC_PATH) -> Run:
    """One cell measured by wrk, as the issues did: ``wrk -t2 -c20 -d8s --latency``; the
    static page (``path``) asked for with ``Accept-Encoding: gzip``."""
    command = ["wrk", f"-t{WRK_THREADS}", f"-c{COMPARE_CONCURRENCY}", f"-d{seconds:g}s",
               "--latency"]
    if mode == "signup":
        command += ["-s", str(WRK_SIGNUP), f"http://127.0.0.1:{port}", "--", prefix]
    else:
        command += ["-H", "Accept-Encoding: gzip", f"http://127.0.0.1:{port}{path}"]
    output = subprocess.run(command, check=True, capture_output=True, text=True,
                            timeout=seconds + 60).stdout
    return Run(mode, COMPARE_CONCURRENCY, _wrk_figure(output, "Requests/sec:"), 0.0,
               _wrk_latency_ms(output, "99%"), _wrk_errors(output), [])


def _wrk_figure(output: str, label: str) -> float:
    for line in output.splitlines():
        if line.strip().startswith(label):
            return float(line.split()[-1])
    raise SystemExit(f"wrk printed no {label!r}:\n{output}")


def _wrk_latency_ms(output: str, percentile: str) -> float:
    units = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    for line in output.splitlines():
        words = line.split()
        if len(words) == 2 and words[0] == percentile:
            value = words[1]
            unit = next(u for u in ("us", "ms", "s") if value.endswith(u))
            return float(value[: -len(unit)]) * units[unit]
    raise SystemExit(f"wrk printed no {percentile} latency:\n{output}")


def _wrk_errors(output: str) -> int:
    """Replies other than 2xx/3xx, and socket errors (connect, read, write, timeout)."""
    count = 0
    for line in output.splitlines():
        line = line.strip()
        if line.startswith("Non-2xx or 3xx responses:"):
            count += int(line.split(":")[1])
        elif line.startswith("Socket errors:"):
            count += sum(int(part.split()[1]) for part in line.split(":", 1)[1].split(","))
    return count


def chapter_url() -> str:
    """The first chapter's address (data/chapters.yml): the static page of the comparison."""
    import yaml

    chapters = yaml.safe_load((REPO / "data" / "chapters.yml").read_text(encoding="utf-8"))
    return f"/{chapters[0]['id']}/"


def _check_page(port: int, path: str) -> tuple[int, str, int]:
    """(status, Content-Encoding, body bytes) of one GET of ``path`` with gzip accepted, and
    whether every security header came with it (raises if one is missing)."""
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers={"Accept-Encoding": "gzip"})
        response = connection.getresponse()
        body = response.read()
        lacking = [name for name in _site_headers(SITE_DIR)
                   if response.getheader(name) is None]
        if lacking:
            raise SystemExit(f"port {port}: {path} came without {', '.join(lacking)}")
        return response.status, response.getheader("Content-Encoding") or "none", len(body)
    finally:
        connection.close()


SITE_DIR = REPO / "site"  # set from --site by driver_main


def _yardsticks(workdir: Path, args: argparse.Namespace) -> tuple[dict[tuple[str, str], Run], dict]:
    """Every server of the comparison: (server, mode) -> Run for the chapter (all four) and
    sign-ups (ours and the minimal service) at 20 clients, by wrk; rounds interleaved between
    the servers. Ours on a fresh database with the rate limit off (the minimal service has
    none). Also what each server sent for the chapter: server -> (status, encoding, bytes)."""
    url = chapter_url()
    if not (args.site / url.strip("/") / "index.html.gz").is_file():
        raise SystemExit(f"{args.site}{url}index.html.gz not found: build the site first "
                         "(make build), or --site")
    started: dict[str, tuple[subprocess.Popen[bytes], int]] = {}
    try:
        started["ours"] = _start_service(workdir / "ours", site_dir=args.site)[:2]
        started["nginx"] = _start_nginx(workdir / "nginx", args.site)
        started["servestatic"] = _start_servestatic(workdir / "servestatic", args.site)
        started["minimal"] = _start_minimal(workdir / "minimal", args.site, url)
        ports = {name: port for name, (_, port) in started.items()}
        sent = {name: _check_page(port, url) for name, port in ports.items()}
        for name, port in ports.items():
            _wrk(port, "static", 1, "warm", url)
            if name in SIGNUP_SERVERS:
                _wrk(port, "signup", 1, f"warm{name}")
        cells: dict[tuple[str, str], list[Run]] = {}
        for round_ in range(args.rounds):
            for mode, servers in (("static", STATIC_SERVERS), ("signup", SIGNUP_SERVERS)):
                for name in servers:
                    cells.setdefault((name, mode), []).append(_wrk(
                        ports[name], mode, args.compare_seconds, f"{name}r{round_}", url))
    finally:
        for process, _ in started.values():
            process.send_signal(signal.SIGTERM)
        for process, _ in started.values():
            process.wait(30)
    return {cell: _median_run(runs) for cell, runs in cells.items()}, sent


def _kill_check(workdir: Path, args: argparse.Namespace) -> tuple[int, int, int]:
    """Sign-ups at 20 clients, ``kill -9`` of the service half-way, a restart on the same
    database: (acknowledged sign-ups, how many of them are missing, rows stored twice)."""
    process, port, db_path = _start_service(workdir)
    _drive(port, "signup", 20, 0.3, "warm")
    client = subprocess.Popen(
        [sys.executable, __file__, "--client", "--port", str(port), "--mode", "signup",
         "--clients", "20", "--seconds", str(2 * args.kill_after), "--prefix", "k9"],
        stdout=subprocess.PIPE,
    )
    time.sleep(args.kill_after)
    process.kill()  # SIGKILL: no shutdown, no last commit
    process.wait(10)
    result = json.loads(client.communicate(timeout=60)[0])
    restarted, _, _ = _start_service(workdir, database_path=db_path)
    try:
        missing, duplicated = _verify(db_path, result["acknowledged"])
    finally:
        restarted.send_signal(signal.SIGTERM)
        restarted.wait(30)
    return len(result["acknowledged"]), missing, duplicated


def _verify(db_path: Path, acknowledged: list[str]) -> tuple[int, int]:
    """(acknowledged sign-ups missing from the database, rows stored more than once)."""
    with sqlite3.connect(db_path) as connection:
        stored = [row[0] for row in connection.execute("SELECT email FROM waitlist_signups")]
    return len(set(acknowledged) - set(stored)), len(stored) - len(set(stored))


def _median_run(cells: list[Run]) -> Run:
    """One figure per cell from several rounds: the median of each measure."""
    middle = lambda values: statistics.median(values)  # noqa: E731
    return Run(
        cells[0].mode, cells[0].concurrency, middle([c.rate for c in cells]),
        middle([c.p50_ms for c in cells]), middle([c.p99_ms for c in cells]),
        sum(c.errors for c in cells), [email for c in cells for email in c.acknowledged],
    )


def driver_main(args: argparse.Namespace) -> int:
    global SITE_DIR
    SITE_DIR = args.site = args.site.resolve()
    if args.compare and not shutil.which("wrk"):
        raise SystemExit("wrk not found: the comparison with nginx, servestatic and the minimal "
                         "service needs it (apt-get install wrk), or run with --no-compare")
    if args.compare and not NGINX.is_file():
        raise SystemExit(f"{NGINX} not found: apt-get install nginx, or run with --no-compare")
    with tempfile.TemporaryDirectory(prefix="waitlist-bench-") as tmp:
        process, port, db_path = _start_service(Path(tmp))
        try:
            _drive(port, "static", 20, 0.5, "warm")  # imports, caches, first connections
            _drive(port, "signup", 20, 0.5, "warm")
            runs: list[tuple[Run, Run]] = []
            for concurrency in args.concurrency:
                # Static and sign-up cells alternate, so that anything else the machine
                # does at the time weighs on both sides of the ratio alike.
                statics, signups = [], []
                for round_ in range(args.rounds):
                    statics.append(_drive(port, "static", concurrency, args.seconds, "s"))
                    signups.append(_drive(
                        port, "signup", concurrency, args.seconds, f"c{concurrency}r{round_}"
                    ))
                runs.append((_median_run(statics), _median_run(signups)))
        finally:
            process.send_signal(signal.SIGTERM)
            code = process.wait(30)
        acknowledged = [email for _, signup in runs for email in signup.acknowledged]
        missing, duplicated = _verify(db_path, acknowledged)
        compared = _yardsticks(Path(tmp), args) if args.compare else None
        killed = _kill_check(Path(tmp) / "kill", args) if args.kill_after else None
        slow = _slow_clients(Path(tmp), args) if args.slow else None
        limited = _rate_limit_cost(Path(tmp), args) if args.rate_limit else None
        multi = _multi_instance(Path(tmp), args) if args.postgres else None
    _print_table(runs, args)
    print(f"\nacknowledged sign-ups: {len(acknowledged)}; missing from the database: {missing};"
          f" stored twice: {duplicated}; service exit status after SIGTERM: {code}")
    errors = sum(run.errors for pair in runs for run in pair)
    if compared is not None:
        _print_yardsticks(*compared, args)
        errors += sum(run.errors for run in compared[0].values())
    if killed is not None:
        sent, lost, twice = killed
        print(f"\nkill -9 half-way through {2 * args.kill_after:g} s of sign-ups at 20 clients, "
              f"then a restart on the same database: acknowledged sign-ups: {sent}; missing: "
              f"{lost}; stored twice: {twice}")
        missing += lost
        duplicated += twice
    if slow is not None:
        _print_slow(*slow, args)
        errors += slow[0].errors + slow[1].errors
        code = code or slow[3]
    if limited is not None:
        _print_pairs(limited, "rate limit on SQLite: sign-ups with WAITLIST_RATE_LIMIT=0 and with "
                     f"{BENCH_RATE_LIMIT} (counted in the database, never reached)",
                     ("limit off", "limit on"), args)
        errors += sum(run.errors for pair in limited for run in pair)
    if multi is not None:
        pairs, multi_missing, multi_duplicated = multi
        _print_pairs(pairs, "more than one server: one PostgreSQL, rate limit on, clients split "
                     "evenly between the instances", ("one instance", "two instances"), args)
        print(f"\nPostgreSQL: acknowledged sign-ups missing: {multi_missing}; stored twice: "
              f"{multi_duplicated}")
        errors += sum(run.errors for pair in pairs for run in pair)
        missing += multi_missing
        duplicated += multi_duplicated
    return 1 if missing or duplicated or errors or code != 0 else 0


def _print_header(header: str) -> None:
    print(header)
    print("-" * len(header))


def _print_pairs(pairs: list[tuple[Run, Run]], title: str, labels: tuple[str, str],
                 args: argparse.Namespace) -> None:
    print(f"\n{title}; median of {args.rounds} rounds of {args.seconds:g} s, alternating\n")
    left, right = labels
    header = (f"{'clients':>7} | {left + ' sign-ups/s':>24} {'p99 ms':>7} | "
              f"{right + ' sign-ups/s':>24} {'p99 ms':>7} | {'ratio':>5}")
    _print_header(header)
    for first, second in pairs:
        ratio = second.rate / first.rate if first.rate else 0.0
        print(f"{first.concurrency:>7} | {first.rate:>24.0f} {first.p99_ms:>7.2f} | "
              f"{second.rate:>24.0f} {second.p99_ms:>7.2f} | {ratio:>5.2f}")


def _print_table(runs: list[tuple[Run, Run]], args: argparse.Namespace) -> None:
    print(f"\nwaitlist load: median of {args.rounds} rounds of {args.seconds:g} s per cell, "
          f"client in a separate process, {os.cpu_count()} cores, "
          "SQLite WAL synchronous=FULL, group commit\n")
    header = (f"{'clients':>7} | {'static req/s':>12} {'p50 ms':>7} {'p99 ms':>7} | "
              f"{'sign-ups/s':>10} {'p50 ms':>7} {'p99 ms':>7} | {'ratio':>5}")
    _print_header(header)
    for static, signup in runs:
        ratio = signup.rate / static.rate if static.rate else 0.0
        print(f"{static.concurrency:>7} | {static.rate:>12.0f} {static.p50_ms:>7.2f} "
              f"{static.p99_ms:>7.2f} | {signup.rate:>10.0f} {signup.p50_ms:>7.2f} "
              f"{signup.p99_ms:>7.2f} | {ratio:>5.2f}")


def _print_yardsticks(cells: dict[tuple[str, str], Run], sent: dict,
                      args: argparse.Namespace) -> None:
    labels = {
        "ours": "ours (python -m waitlist serve)",
        "nginx": f"nginx (worker_processes {NGINX_WORKERS}, gzip_static)",
        "servestatic": "servestatic 4.4 (bench/servestatic_app.py)",
        "minimal": "minimal (bench/minimal_waitlist.py)",
    }
    print(f"\nthe yardsticks, side by side: wrk -t{WRK_THREADS} -c{COMPARE_CONCURRENCY} "
          f"-d{args.compare_seconds:g}s, median of {args.rounds} rounds, the servers interleaved; "
          f"static page {chapter_url()} of {args.site} with Accept-Encoding: gzip; uvicorn with "
          "uvloop and httptools for the three Python servers; ours with the rate limit off\n")
    header = (f"{'server':<45} | {'sent':>17} | {'static req/s':>12} {'p99 ms':>7} | "
              f"{'sign-ups/s':>10} {'p99 ms':>7}")
    _print_header(header)
    for name in STATIC_SERVERS:
        static = cells[name, "static"]
        status, encoding, size = sent[name]
        signup = cells.get((name, "signup"))
        signups = (f"{signup.rate:>10.0f} {signup.p99_ms:>7.2f}" if signup
                   else f"{'-':>10} {'-':>7}")
        print(f"{labels[name]:<45} | {f'{status} {encoding} {size:,} B':>17} | "
              f"{static.rate:>12.0f} {static.p99_ms:>7.2f} | {signups}")
    ours_static, ours_signup = cells["ours", "static"], cells["ours", "signup"]

    def ratio(ours: Run, other: Run) -> float:
        return ours.rate / other.rate if other.rate else 0.0

    checks = [
        ("static page >= 0.5x nginx", ratio(ours_static, cells["nginx", "static"]),
         STATIC_NGINX_TARGET, "x"),
        ("static page >= 1x the minimal service", ratio(ours_static, cells["minimal", "static"]),
         STATIC_MINIMAL_TARGET, "x"),
        ("sign-ups >= 2x the minimal service", ratio(ours_signup, cells["minimal", "signup"]),
         SIGNUP_TARGET, "x"),
    ]
    print(f"\n{'target':<40} | {'ours':>9} | verdict")
    print("-" * 62)
    for label, value, target, unit in checks:
        print(f"{label:<40} | {value:>8.2f}{unit} | {'met' if value >= target else 'missed'}")
    p99 = ours_signup.p99_ms
    print(f"{f'sign-up p99 <= {SIGNUP_P99_TARGET_MS:g} ms at {COMPARE_CONCURRENCY} clients':<40} | "
          f"{p99:>6.2f} ms | {'met' if p99 <= SIGNUP_P99_TARGET_MS else 'missed'}")
    print(f"(also: static page {ratio(ours_static, cells['servestatic', 'static']):.2f}x "
          "servestatic's rate; no target)")


def _print_slow(calm: Run, disturbed: Run, log_lines: int, code: int, closed: list[int],
                args: argparse.Namespace) -> None:
    ratio = disturbed.rate / calm.rate if calm.rate else 0.0
    print(f"\nslow clients: service under ulimit -n {SLOW_FD_LIMIT}, static page at "
          f"{SLOW_CONCURRENCY} clients, median of {args.rounds} rounds each, alternating\n")
    header = f"{'':>28} | {'static req/s':>12} {'p50 ms':>7} {'p99 ms':>7} | {'errors':>6}"
    _print_header(header)
    for label, run in (("undisturbed", calm), (f"{args.slow} slow connections open", disturbed)):
        print(f"{label:>28} | {run.rate:>12.0f} {run.p50_ms:>7.2f} {run.p99_ms:>7.2f} | "
              f"{run.errors:>6}")
    verdict = "meets" if ratio >= SLOW_TARGET else "BELOW"
    print(f"\nratio with slow connections / undisturbed: {ratio:.2f} ({verdict} the "
          f"{SLOW_TARGET} target); slow connections the service closed, per round: "
          f"{', '.join(map(str, closed))}; service log: {log_lines} lines; exit status: {code}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=1.5, help="length of one round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per cell (median)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 20, 100])
    parser.add_argument("--slow", type=int, default=300,
                        help="slow connections held open for the last measure (0: skip it)")
    parser.add_argument("--no-rate-limit", dest="rate_limit", action="store_false",
                        help="skip the cost of the database-backed rate limit on SQLite")
    parser.add_argument("--no-postgres", dest="postgres", action="store_false",
                        help="skip one vs two instances on PostgreSQL")
    parser.add_argument("--compare-seconds", type=float, default=5.0,
                        help="length of one round of the comparison with the yardsticks")
    parser.add_argument("--no-compare", dest="compare", action="store_false",
                        help="skip the comparison with nginx, servestatic and "
                        "bench/minimal_waitlist.py")
    parser.add_argument("--site", type=Path, default=REPO / "site",
                        help="the built site the comparison serves (make build)")
    parser.add_argument("--kill-after", type=float, default=1.5,
                        help="seconds of sign-ups before the kill -9 (0: skip the check)")
    parser.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--mode", choices=["static", "signup", "hold"], help=argparse.SUPPRESS)
    parser.add_argument("--clients", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--prefix", default="b", help=argparse.SUPPRESS)
    args = parser.parse_args()
    return client_main(args) if args.client else driver_main(args)


if __name__ == "__main__":
    sys.exit(main())
