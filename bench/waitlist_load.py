"""Load benchmark of the bundled waitlist service: sign-ups against a static page.

Starts ``python -m waitlist serve`` on a fresh temporary SQLite database (rate limit off),
drives it from a separate client process (raw keep-alive HTTP/1.1 over asyncio, so the client
costs little next to the server) at 1, 20 and 100 concurrent clients, first a small static
HTML page, then sign-ups, and prints requests per second, p50/p99 latency and the ratio of the
two. Finally it checks that every acknowledged sign-up is in the database exactly once.

    .venv/bin/python bench/waitlist_load.py [--seconds 1.5] [--rounds 3] [--concurrency 1 20 100]

Figures, not a pass/fail timer; exits non-zero only if an acknowledged sign-up is missing or
requests failed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
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
    result = asyncio.run(
        _client(args.port, args.mode, args.prefix, args.clients, args.seconds)
    )
    json.dump(result, sys.stdout)
    return 0


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


def _start_service(workdir: Path) -> tuple[subprocess.Popen[bytes], int, Path]:
    site = workdir / "site"
    site.mkdir()
    (site / "bench.html").write_text(STATIC_PAGE)
    (site / "index.html").write_text(STATIC_PAGE)
    db_path = workdir / "waitlist.sqlite3"
    port = _free_port()
    env = {
        **os.environ, "PYTHONPATH": str(REPO), "PORT": str(port), "SITE_DIR": str(site),
        "DATABASE_URL": f"sqlite:///{db_path}", "WAITLIST_RATE_LIMIT": "0",
    }
    for name in ("SMTP_URL", "WAITLIST_TRUST_PROXY", "WAITLIST_ADMIN_TOKEN"):
        env.pop(name, None)
    log = open(workdir / "service.log", "wb")  # noqa: SIM115 - lives as long as the service
    process = subprocess.Popen(
        [sys.executable, "-m", "waitlist", "serve"], cwd=workdir, env=env,
        stdout=log, stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process, port, db_path
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit(f"service did not start:\n{(workdir / 'service.log').read_text()}")


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
    _print_table(runs, args)
    print(f"\nacknowledged sign-ups: {len(acknowledged)}; missing from the database: {missing};"
          f" stored twice: {duplicated}; service exit status after SIGTERM: {code}")
    errors = sum(run.errors for pair in runs for run in pair)
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=1.5, help="length of one round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per cell (median)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 20, 100])
    parser.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--mode", choices=["static", "signup"], help=argparse.SUPPRESS)
    parser.add_argument("--clients", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--prefix", default="b", help=argparse.SUPPRESS)
    args = parser.parse_args()
    return client_main(args) if args.client else driver_main(args)


if __name__ == "__main__":
    sys.exit(main())
