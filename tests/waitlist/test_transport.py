"""Slow clients against the real service process, over raw sockets: request deadlines, the
connection cap, a low file descriptor limit, and a log that does not flood. The service runs
as ``python -m waitlist serve`` runs it, on uvloop and uvicorn's httptools protocol, which the
first tests check."""

from __future__ import annotations

import json
import logging
import os
import selectors
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import uvloop
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from tests.waitlist.conftest import REPO, Service, free_port, make_site, start_service
from waitlist.__main__ import server_config
from waitlist.config import Settings
from waitlist.transport import (
    GuardedHttpToolsProtocol,
    RepeatedMessageFilter,
    connection_cap,
    limits_for,
    listen_backlog,
)

HEADER_TIMEOUT = 1.0
BODY_TIMEOUT = 1.5
# How late a deadline may close its connection on a busy 2-core machine.
SLACK = 1.5
BIG_FILE = "downloads/course.pdf"
KEEP_ALIVE = 5.0  # uvicorn's timeout_keep_alive


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory, site_dir: Path) -> Iterator[Service]:
    """A service with short deadlines, so that the tests can wait for them."""
    running = start_service(
        tmp_path_factory.mktemp("quick"), site_dir,
        WAITLIST_HEADER_TIMEOUT=str(HEADER_TIMEOUT), WAITLIST_BODY_TIMEOUT=str(BODY_TIMEOUT),
        WAITLIST_RATE_LIMIT="0",
    )
    yield running
    running.stop(signal.SIGKILL)


@pytest.fixture
def big_site(tmp_path: Path) -> Path:
    """The test site with a file too large to be kept in memory: it is streamed."""
    site = make_site(tmp_path / "big-site")
    (site / BIG_FILE).parent.mkdir(parents=True)
    (site / BIG_FILE).write_bytes(bytes(range(256)) * (64 * 1024))  # 16 MiB
    return site


def connect(service: Service) -> socket.socket:
    return socket.create_connection(("127.0.0.1", service.port), timeout=10)


def open_together(service: Service, heads: list[bytes]) -> list[socket.socket]:
    """A connection for each of `heads`, all asked for within a moment (a millisecond apart), as
    an attacker opens them, each sent its head as soon as it is open; returns once the service
    holds every one of them. (Opened one after another, each waiting for the last, most would
    have met their deadline before the last was open, and the open took half a minute: past the
    listen backlog, a connection waits for the kernel to try again, at 1, 3, 7… s.)"""
    waiting = selectors.DefaultSelector()
    socks = []
    for head in heads:
        sock = socket.socket()
        sock.setblocking(False)
        sock.connect_ex(("127.0.0.1", service.port))
        waiting.register(sock, selectors.EVENT_WRITE, head)
        socks.append(sock)
        time.sleep(0.001)
    deadline = time.monotonic() + 60
    while waiting.get_map():
        ready = waiting.select(timeout=max(0.0, deadline - time.monotonic()))
        assert ready, f"{len(waiting.get_map())} of {len(heads)} connections still not open after 60 s"
        for key, _ in ready:
            sock = key.fileobj
            assert isinstance(sock, socket.socket)
            waiting.unregister(sock)
            error = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            assert error == 0, f"a connection failed: {os.strerror(error)}"
            sock.settimeout(10)
            try:
                sock.sendall(key.data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # closed by the service already (the cap): read_to_end sees it closed
    # Open for the client is not yet the service's: the kernel may still hold a connection in
    # the listen queue, or half-open, its last ACK dropped while the queue was full (it is sent
    # again after 1, 3, 7… s). The deadlines start when the service takes it.
    while (queued := not_yet_accepted(service.port)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not queued, f"{queued} connections still waiting for the service after 60 s"
    return socks


def not_yet_accepted(port: int) -> int:
    """Connections to `port` the kernel holds for the service: in its listening socket's queue
    (a listener's receive queue in /proc/net/tcp) or half-open (SYN_RECV)."""
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].rsplit(":", 1)[1], 16) != port:
            continue
        if fields[3] == "0A":  # LISTEN
            count += int(fields[4].split(":")[1], 16)
        elif fields[3] == "03":  # SYN_RECV
            count += 1
    return count


def read_to_end(sock: socket.socket, within: float) -> tuple[bytes, float]:
    """Everything the service sends until it closes the connection, and when it closed."""
    sock.settimeout(within)
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except TimeoutError:
        pytest.fail(f"the connection was still open after {within} s; received {data[:80]!r}")
    except ConnectionResetError:
        pass
    return data, time.monotonic()


def still_open(sock: socket.socket) -> bool:
    """Nothing received and not closed, 0.1 s after asking."""
    sock.settimeout(0.1)
    try:
        sock.recv(1, socket.MSG_PEEK)  # a reply, or b"": closed
    except TimeoutError:
        return True
    except ConnectionResetError:
        pass
    return False


def trickle(sock: socket.socket, every: float, within: float) -> tuple[bytes, float]:
    """Send a byte every ``every`` seconds until the service closes the connection."""
    deadline = time.monotonic() + within
    sock.settimeout(every)
    data = b""
    while time.monotonic() < deadline:
        try:
            sock.sendall(b"a")
        except (BrokenPipeError, ConnectionResetError):
            return data, time.monotonic()
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            continue
        except ConnectionResetError:
            return data, time.monotonic()
        if not chunk:
            return data, time.monotonic()
        data += chunk
    pytest.fail(f"the connection was still open after {within} s of trickling; got {data[:80]!r}")


def status_of(reply: bytes) -> int:
    return int(reply.split(b" ", 2)[1])


def header_of(reply: bytes, name: bytes) -> bytes | None:
    for line in reply.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == name:
            return value.strip()
    return None


def read_response(sock: socket.socket) -> bytes:
    """One response with a Content-Length, read off a kept-alive connection (and no more of
    it: pipelined replies may follow)."""
    sock.settimeout(10)
    data = b""
    while b"\r\n\r\n" not in data:
        data += _received(sock, 1)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(header_of(data, b"content-length") or 0)
    if len(body) < length:
        body += _received(sock, length - len(body))
    return head + b"\r\n\r\n" + body[:length]


def _received(sock: socket.socket, size: int) -> bytes:
    """Exactly ``size`` bytes; a connection closed before them fails the test."""
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            pytest.fail(f"the connection closed in the middle of a reply: {data[:80]!r}")
        data += chunk
    return data


# -- the server serve() runs -----------------------------------------------------------------


async def _no_app(scope: object, receive: object, send: object) -> None:
    raise AssertionError("not called")


def test_serve_names_uvloop_and_the_guarded_httptools_protocol() -> None:
    """Named, not "auto": with "auto" a missing uvloop or httptools would quietly fall back
    to asyncio and h11, at half the speed."""
    config = server_config(Settings.from_env({}), _no_app)
    assert config.loop == "uvloop"
    loop = config.get_loop_factory()()  # type: ignore[misc]
    try:
        assert isinstance(loop, uvloop.Loop)
    finally:
        loop.close()
    config.load()
    assert issubclass(config.http_protocol_class, GuardedHttpToolsProtocol)
    assert issubclass(config.http_protocol_class, HttpToolsProtocol)


def test_the_running_service_has_loaded_uvloop_and_httptools(quick: Service) -> None:
    maps = Path(f"/proc/{quick.process.pid}/maps").read_text()
    assert "uvloop/loop.cpython" in maps
    assert "httptools/parser/parser.cpython" in maps


def test_pipelined_requests_are_answered_in_order(quick: Service) -> None:
    request = b"GET /%s HTTP/1.1\r\nHost: x\r\nAccept-Encoding: identity\r\n\r\n"
    with connect(quick) as sock:
        sock.sendall(request % b"" + request % b"missing-page/" + request % b"introduction/")
        statuses = [status_of(read_response(sock)) for _ in range(3)]
    assert statuses == [200, 404, 200]


def test_a_pipelined_head_that_stops_half_way_gets_408_after_the_reply_before_it(
    quick: Service,
) -> None:
    """httptools reads the second request while the first is answered; its deadline starts
    when the service turns to it, and the first reply is not cut."""
    with connect(quick) as sock:
        began = time.monotonic()
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n")
        assert status_of(read_response(sock)) == 200
        reply, closed = read_to_end(sock, within=HEADER_TIMEOUT + SLACK)
    assert status_of(reply) == 408
    assert closed - began >= HEADER_TIMEOUT - 0.05


# -- the header deadline ---------------------------------------------------------------------


def test_a_head_that_stops_half_way_gets_408_when_the_header_timeout_ends(quick: Service) -> None:
    with connect(quick) as sock:
        began = time.monotonic()
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        reply, closed = read_to_end(sock, within=HEADER_TIMEOUT + SLACK)
    assert status_of(reply) == 408
    assert header_of(reply, b"connection") == b"close"
    assert closed - began >= HEADER_TIMEOUT - 0.05


def test_a_head_sent_a_byte_at_a_time_does_not_push_its_deadline_back(quick: Service) -> None:
    with connect(quick) as sock:
        began = time.monotonic()
        sock.sendall(b"GET / HTTP/1.1\r\n")
        reply, closed = trickle(sock, every=0.2, within=HEADER_TIMEOUT + SLACK)
    assert status_of(reply) == 408
    assert closed - began <= HEADER_TIMEOUT + SLACK


def test_a_connection_that_sends_nothing_is_closed_without_a_reply(quick: Service) -> None:
    with connect(quick) as sock:
        began = time.monotonic()
        reply, closed = read_to_end(sock, within=HEADER_TIMEOUT + SLACK)
    assert reply == b""
    assert closed - began >= HEADER_TIMEOUT - 0.05


def test_on_a_kept_alive_connection_each_head_gets_its_own_deadline(quick: Service) -> None:
    """Requests spaced by less than the header timeout, more than it in all: each is served.
    Then a head that stops half-way is timed from its first byte, not from the last reply."""
    request = b"GET / HTTP/1.1\r\nHost: x\r\nAccept-Encoding: identity\r\n\r\n"
    with connect(quick) as sock:
        for _ in range(3):
            sock.sendall(request)
            assert status_of(read_response(sock)) == 200
            time.sleep(HEADER_TIMEOUT * 0.6)
        began = time.monotonic()
        sock.sendall(b"GET / HTTP/1.1\r\n")
        reply, closed = read_to_end(sock, within=HEADER_TIMEOUT + SLACK)
    assert status_of(reply) == 408
    assert closed - began >= HEADER_TIMEOUT - 0.05


# -- the body deadline -----------------------------------------------------------------------


def test_a_sign_up_whose_body_stops_half_way_gets_408_and_keeps_nothing(quick: Service) -> None:
    body = json.dumps({"email": "slow-body@example.com", "consent": True}).encode()
    head = (
        "POST /api/waitlist HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    with connect(quick) as sock:
        sock.sendall(head + body[:10])
        began = time.monotonic()
        reply, closed = read_to_end(sock, within=BODY_TIMEOUT + SLACK)
    assert status_of(reply) == 408
    assert closed - began >= BODY_TIMEOUT - 0.05
    assert "slow-body@example.com" not in quick.emails()


def test_a_body_trickling_after_the_reply_does_not_hold_the_connection(quick: Service) -> None:
    """A page answers a POST with 405 without reading its body; uvicorn reads on, as long
    as bytes keep coming. The body deadline still closes the connection."""
    with connect(quick) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n")
        began = time.monotonic()
        reply, closed = trickle(sock, every=0.2, within=BODY_TIMEOUT + SLACK)
    assert status_of(reply) == 405
    assert closed - began >= BODY_TIMEOUT - 0.05


def test_a_connection_idle_after_a_body_that_ended_after_the_reply_is_closed(
    quick: Service,
) -> None:
    """uvicorn's keep-alive timer starts with the reply and stops at the body's last bytes:
    the connection would then be idle with no timer at all."""
    with connect(quick) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n")
        assert status_of(read_response(sock)) == 405
        sock.sendall(b"abcde")
        began = time.monotonic()
        reply, closed = read_to_end(sock, within=KEEP_ALIVE + SLACK)
    assert reply == b""
    assert closed - began >= KEEP_ALIVE - 0.05


def test_a_complete_slow_request_is_still_served(quick: Service) -> None:
    """Deadlines, not idle timers: a head sent in pieces within its time is answered."""
    with connect(quick) as sock:
        for piece in (b"GET /introduction/ HTTP/1.1\r\n", b"Host: x\r\n", b"\r\n"):
            sock.sendall(piece)
            time.sleep(HEADER_TIMEOUT / 5)
        assert status_of(read_response(sock)) == 200


# -- the connection cap ----------------------------------------------------------------------


def slow_reader(service: Service, path: str) -> socket.socket:
    """A connection that asks for a large file and does not read it."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", service.port))
    sock.sendall(f"GET /{path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    return sock


def test_beyond_the_cap_with_every_connection_busy_a_new_one_gets_503(
    start: Callable[..., Service], big_site: Path
) -> None:
    running = start(site=big_site, WAITLIST_MAX_CONNECTIONS="3")
    readers = [slow_reader(running, BIG_FILE) for _ in range(3)]
    try:
        time.sleep(0.5)  # the replies fill the socket buffers: the service waits on its side
        with connect(running) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            reply, _ = read_to_end(sock, within=5)
        assert status_of(reply) == 503
        assert header_of(reply, b"retry-after") == b"5"
        assert header_of(reply, b"connection") == b"close"
    finally:
        readers.pop().close()
    time.sleep(0.3)
    with running.client() as client:
        assert client.get("/").status_code == 200
    for sock in readers:
        sock.close()


def test_a_client_that_stops_reading_a_reply_is_cut_off_after_the_body_timeout(
    start: Callable[..., Service], big_site: Path
) -> None:
    running = start(site=big_site, WAITLIST_BODY_TIMEOUT=str(BODY_TIMEOUT))
    with slow_reader(running, BIG_FILE) as sock:
        time.sleep(BODY_TIMEOUT + SLACK)
        reply, _ = read_to_end(sock, within=5)
    assert status_of(reply) == 200
    assert len(reply) < (big_site / BIG_FILE).stat().st_size


def test_at_the_cap_the_connection_waiting_longest_for_its_client_makes_room(
    start: Callable[..., Service],
) -> None:
    running = start(WAITLIST_MAX_CONNECTIONS="3", WAITLIST_HEADER_TIMEOUT="60")
    slow = []
    for _ in range(3):
        sock = connect(running)
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        slow.append(sock)
        time.sleep(0.1)
    # Each client keeps its connection open (idle, kept alive): the next one must make room.
    with running.client() as first, running.client() as second:
        assert first.get("/").status_code == 200
        assert status_of(read_to_end(slow[0], within=5)[0]) == 408
        assert still_open(slow[1]) and still_open(slow[2])
        assert second.get("/introduction/").status_code == 200
        assert status_of(read_to_end(slow[1], within=5)[0]) == 408
        assert still_open(slow[2])
    for sock in slow:
        sock.close()


def test_300_slow_clients_under_ulimit_256_leave_normal_requests_served_and_the_log_quiet(
    start: Callable[..., Service],
) -> None:
    """The reported attack: half-sent heads and bodies on 300 connections, 256 descriptors.
    Before: every normal request hung and asyncio logged 100,000 lines of tracebacks."""
    running = start(
        fd_limit=256, WAITLIST_HEADER_TIMEOUT="3", WAITLIST_BODY_TIMEOUT="4",
        WAITLIST_RATE_LIMIT="0",
    )
    log_at_start = running.log().count("\n")
    body_head = (b"POST /api/waitlist HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 200\r\n\r\n{")
    slow = open_together(running, [b"GET / HTTP/1.1\r\nHost: x\r\n" if n % 2 else body_head for n in range(300)])
    all_open = time.monotonic()

    def normal_request(number: int) -> int:
        with httpx.Client(base_url=running.base_url, timeout=5) as client:
            if number % 2:
                return client.get("/").status_code
            email = {"email": f"normal{number}@example.com", "consent": True}
            return client.post("/api/waitlist", json=email).status_code

    try:
        with ThreadPoolExecutor(5) as pool:
            assert list(pool.map(normal_request, range(50))) == [200] * 50
        # Every slow connection is closed: at the cap, or by its deadline at the latest.
        for sock in slow:
            read_to_end(sock, within=max(0.1, all_open + 4 + SLACK - time.monotonic()))
    finally:
        for sock in slow:
            sock.close()
    time.sleep(0.5)
    log = running.log()
    assert log.count("\n") - log_at_start <= 2, log
    assert "out of system resource" not in log
    assert running.count() == 25


def test_a_cap_above_what_the_fd_limit_allows_is_lowered_with_one_warning(
    start: Callable[..., Service],
) -> None:
    running = start(fd_limit=256, WAITLIST_MAX_CONNECTIONS="5000")
    with running.client() as client:
        assert client.get("/").status_code == 200
    assert "WAITLIST_MAX_CONNECTIONS=5000" in running.log()
    assert "using 192" in running.log()


# -- the log when descriptors run out --------------------------------------------------------

# An asyncio server that keeps every connection, under 64 descriptors: the accept loop
# fails with EMFILE, as the service's would if the cap were not enough.
EMFILE_SERVER = textwrap.dedent("""
    import asyncio, logging, resource, sys
    from waitlist.transport import quiet_repeated_logs

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if sys.argv[3] == "quiet":
        quiet_repeated_logs()
    resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))

    async def main():
        loop = asyncio.get_running_loop()
        await loop.create_server(asyncio.Protocol, "127.0.0.1", int(sys.argv[1]), backlog=128)
        print("ready", flush=True)
        await asyncio.sleep(float(sys.argv[2]))

    asyncio.run(main())
""")


def run_emfile_server(quiet: bool) -> str:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", EMFILE_SERVER, str(port), "2.5", "quiet" if quiet else "loud"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert process.stdout is not None and process.stdout.readline() == "ready\n"
    sockets = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(100)]
    _, log = process.communicate(timeout=30)
    for sock in sockets:
        sock.close()
    return log


def test_out_of_descriptors_the_accept_loop_logs_one_line_not_a_flood() -> None:
    loud = run_emfile_server(quiet=False)
    assert loud.count("socket.accept() out of system resource") > 50  # what happens unguarded
    quiet = run_emfile_server(quiet=True)
    assert quiet.count("socket.accept() out of system resource") == 1, quiet
    assert "Too many open files" in quiet
    assert "Traceback" not in quiet
    assert len(quiet) < 500


def test_repeated_message_filter_lets_one_line_a_minute_through_and_counts_the_rest() -> None:
    now = [0.0]
    limiter = RepeatedMessageFilter("Invalid HTTP", interval=60, clock=lambda: now[0])

    def record(message: str) -> logging.LogRecord:
        return logging.LogRecord("uvicorn.error", logging.WARNING, __file__, 1, message, None, None)

    assert limiter.filter(record("Invalid HTTP request received."))
    assert not any(limiter.filter(record("Invalid HTTP request received.")) for _ in range(99))
    assert limiter.filter(record("something else"))
    now[0] = 61.0
    summary = record("Invalid HTTP request received.")
    assert limiter.filter(summary)
    assert "99 more in the last 60 s" in summary.getMessage()


def test_a_bad_request_repeated_logs_one_warning(quick: Service) -> None:
    before = quick.log().count("Invalid HTTP request")
    for _ in range(20):
        with connect(quick) as sock:
            sock.sendall(b"NOT HTTP AT ALL\r\n\r\n")
            reply, _ = read_to_end(sock, within=5)
            assert status_of(reply) == 400
    assert quick.log().count("Invalid HTTP request") - before <= 1


# -- settings --------------------------------------------------------------------------------


def test_timeouts_default_to_10_and_30_seconds_and_the_cap_to_the_fd_limit() -> None:
    settings = Settings.from_env({})
    assert (settings.header_timeout, settings.body_timeout) == (10.0, 30.0)
    assert settings.max_connections is None
    limits = limits_for(settings, fd_limit=1024)
    assert (limits.max_connections, limits.backlog) == (768, 32)


def test_transport_settings_are_read_and_checked() -> None:
    env = {"WAITLIST_HEADER_TIMEOUT": "2.5", "WAITLIST_BODY_TIMEOUT": "45",
           "WAITLIST_MAX_CONNECTIONS": "500"}
    settings = Settings.from_env(env)
    assert (settings.header_timeout, settings.body_timeout, settings.max_connections) == (
        2.5, 45.0, 500
    )
    bad = {"WAITLIST_HEADER_TIMEOUT": "0", "WAITLIST_BODY_TIMEOUT": "soon",
           "WAITLIST_MAX_CONNECTIONS": "0"}
    with pytest.raises(Exception) as raised:
        Settings.from_env(bad)
    problems = "\n".join(raised.value.problems)  # type: ignore[attr-defined]
    for name in bad:
        assert name in problems


@pytest.mark.parametrize(
    ("configured", "fd_limit", "cap"),
    [(None, 256, 192), (None, 1024, 768), (None, 8192, 6144), (None, 65536, 49152),
     (50, 256, 50), (5000, 256, 192)],
)
def test_the_cap_leaves_a_reserve_of_descriptors(
    configured: int | None, fd_limit: int, cap: int
) -> None:
    assert connection_cap(configured, fd_limit) == cap
    # Four bursts accepted at the cap before the connections they displace are closed
    # still leave the process's own descriptors (about a dozen at rest).
    assert cap + 4 * listen_backlog(fd_limit) <= fd_limit - 16
