"""Load benchmark of the bundled waitlist service: sign-ups against a static page.

Starts ``python -m waitlist serve`` on a fresh temporary SQLite database (rate limit off),
drives it from a separate client process (raw keep-alive HTTP/1.1 over asyncio, so the client
costs little next to the server) at 1, 20 and 100 concurrent clients, first a small static
HTML page, then sign-ups, and prints requests per second, p50/p99 latency and the ratio of the
two. Finally it checks that every acknowledged sign-up is in the database exactly once.

Then slow clients: a second service, started as under ``ulimit -n 256`` (its connection cap
is then 192), serves the static page at 20 clients, undisturbed and while a third process
holds 300 slow connections open (half with a head that never ends, half with a body that
never ends; a byte on each every second, and each one the service closes opened again on
the next round, as slowloris does). Rounds alternate; the ratio of the two rates is the
figure (target: at least 0.8).

    .venv/bin/python bench/waitlist_load.py [--seconds 1.5] [--rounds 3] [--concurrency 1 20 100]
                                            [--slow 300]

Figures, not a pass/fail timer; exits non-zero only if an acknowledged sign-up is missing or
requests failed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SLOW_FD_LIMIT = 256  # the reproduction: ulimit -n 256
SLOW_CONCURRENCY = 20
SLOW_TARGET = 0.8
STATIC_PATH = "/bench.html"
STATIC_PAGE = "<!doctype html><html lang=en><title>ok</title><p>Rebuilding Trust</p></html>\n"


# -- the client (runs in its own process) ----------------------------------------------------


def _request(mode: str, prefix: str, connection: int, n: int) -> bytes:
    if mode == "static":
        return f"GET {STATIC_PATH} HTTP/1.1\r\nHost: bench\r\n\r\n".encode()
    body = f'{{"email":"{prefix}-{connection}-{n}@example.com","consent":true}}'.encode()
    head = (
        "POST /api/waitlist HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
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
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if length:
                await reader.readexactly(length)
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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_service(
    workdir: Path, fd_limit: int | None = None
) -> tuple[subprocess.Popen[bytes], int, Path]:
    site = workdir / "site"
    site.mkdir(exist_ok=True)
    (site / "bench.html").write_text(STATIC_PAGE)
    (site / "index.html").write_text(STATIC_PAGE)
    port = _free_port()
    db_path = workdir / f"waitlist-{port}.sqlite3"
    env = {
        **os.environ, "PYTHONPATH": str(REPO), "PORT": str(port), "SITE_DIR": str(site),
        "DATABASE_URL": f"sqlite:///{db_path}", "WAITLIST_RATE_LIMIT": "0",
    }
    for name in ("SMTP_URL", "WAITLIST_TRUST_PROXY", "WAITLIST_ADMIN_TOKEN"):
        env.pop(name, None)
    log_path = workdir / f"service-{port}.log"
    log = open(log_path, "wb")  # noqa: SIM115 - lives as long as the service
    process = subprocess.Popen(
        [sys.executable, "-m", "waitlist", "serve"], cwd=workdir, env=env,
        stdout=log, stderr=subprocess.STDOUT,
        preexec_fn=None if fd_limit is None else lambda: resource.setrlimit(
            resource.RLIMIT_NOFILE, (fd_limit, fd_limit)
        ),
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process, port, db_path
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit(f"service did not start:\n{log_path.read_text()}")


def _drive(port: int, mode: str, concurrency: int, seconds: float, prefix: str) -> Run:
    command = [
        sys.executable, __file__, "--client", "--port", str(port), "--mode", mode,
        "--clients", str(concurrency), "--seconds", str(seconds), "--prefix", prefix,
    ]
    output = subprocess.run(command, check=True, capture_output=True, timeout=seconds + 60)
    result = json.loads(output.stdout)
    if result["error_count"]:
        print(f"  {mode} x{concurrency}: {result['error_count']} errors, e.g. {result['errors']}")
    return Run(
        mode, concurrency, result["requests"] / result["elapsed"], result["p50"] * 1000,
        result["p99"] * 1000, result["error_count"], result["acknowledged"],
    )


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
        slow = _slow_clients(Path(tmp), args) if args.slow else None
    _print_table(runs, args)
    print(f"\nacknowledged sign-ups: {len(acknowledged)}; missing from the database: {missing};"
          f" stored twice: {duplicated}; service exit status after SIGTERM: {code}")
    errors = sum(run.errors for pair in runs for run in pair)
    if slow is not None:
        _print_slow(*slow, args)
        errors += slow[0].errors + slow[1].errors
        code = code or slow[3]
    return 1 if missing or duplicated or errors or code != 0 else 0


def _print_table(runs: list[tuple[Run, Run]], args: argparse.Namespace) -> None:
    print(f"\nwaitlist load: median of {args.rounds} rounds of {args.seconds:g} s per cell, "
          f"client in a separate process, {os.cpu_count()} cores, "
          "SQLite WAL synchronous=FULL, group commit\n")
    header = (f"{'clients':>7} | {'static req/s':>12} {'p50 ms':>7} {'p99 ms':>7} | "
              f"{'sign-ups/s':>10} {'p50 ms':>7} {'p99 ms':>7} | {'ratio':>5}")
    print(header)
    print("-" * len(header))
    for static, signup in runs:
        ratio = signup.rate / static.rate if static.rate else 0.0
        print(f"{static.concurrency:>7} | {static.rate:>12.0f} {static.p50_ms:>7.2f} "
              f"{static.p99_ms:>7.2f} | {signup.rate:>10.0f} {signup.p50_ms:>7.2f} "
              f"{signup.p99_ms:>7.2f} | {ratio:>5.2f}")


def _print_slow(calm: Run, disturbed: Run, log_lines: int, code: int, closed: list[int],
                args: argparse.Namespace) -> None:
    ratio = disturbed.rate / calm.rate if calm.rate else 0.0
    print(f"\nslow clients: service under ulimit -n {SLOW_FD_LIMIT}, static page at "
          f"{SLOW_CONCURRENCY} clients, median of {args.rounds} rounds each, alternating\n")
    header = f"{'':>28} | {'static req/s':>12} {'p50 ms':>7} {'p99 ms':>7} | {'errors':>6}"
    print(header)
    print("-" * len(header))
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
    parser.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--mode", choices=["static", "signup", "hold"], help=argparse.SUPPRESS)
    parser.add_argument("--clients", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--prefix", default="b", help=argparse.SUPPRESS)
    args = parser.parse_args()
    return client_main(args) if args.client else driver_main(args)


if __name__ == "__main__":
    sys.exit(main())
