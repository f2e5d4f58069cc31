"""The built site: directory URLs, 404 page, compression, cache and security headers."""

from __future__ import annotations

import gzip
import socket
from collections.abc import Callable
from pathlib import Path

import brotli
import httpx
import pytest

from tests.waitlist.conftest import CSS_ASSET, JS_ASSET, SITE_CSP, Service, make_site
from waitlist.headers import DEFAULT_CSP
from waitlist.static import content_type_for

SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
}


def get(client: httpx.Client, path: str, encoding: str | None = None) -> httpx.Response:
    """GET without httpx decoding the body, so Content-Encoding can be checked as sent."""
    headers = {"accept-encoding": encoding or "identity"}
    with client.stream("GET", path, headers=headers) as response:
        response.read_raw = b"".join(response.iter_raw())  # type: ignore[attr-defined]
    return response


def raw(response: httpx.Response) -> bytes:
    return response.read_raw  # type: ignore[attr-defined, no-any-return]


def test_directory_urls_serve_their_index(client: httpx.Client, site_dir: Path) -> None:
    response = get(client, "/introduction/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert raw(response) == (site_dir / "introduction/index.html").read_bytes()
    assert get(client, "/").status_code == 200


def test_directory_without_slash_redirects(client: httpx.Client) -> None:
    response = client.get("/introduction?x=1")
    assert response.status_code == 301
    assert response.headers["location"] == "/introduction/?x=1"


def test_missing_page_gets_the_404_page_with_status_404(
    client: httpx.Client, site_dir: Path
) -> None:
    response = get(client, "/no/such/page/")
    assert response.status_code == 404
    assert raw(response) == (site_dir / "404.html").read_bytes()
    assert response.headers["cache-control"] == "no-cache"


@pytest.mark.parametrize(
    "path", ["/_headers", "/../conftest.py", "/%2e%2e/%2e%2e/etc/passwd",
             "/assets/..%2f..%2f_headers", "/.hidden", "/assets/%00.js"],
)
def test_paths_outside_the_site_or_hidden_are_not_served(service: Service, path: str) -> None:
    """Sent over a raw socket, so no client normalises the path first."""
    with socket.create_connection(("127.0.0.1", service.port), timeout=5) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    status_line = reply.split(b"\r\n", 1)[0]
    assert b" 404 " in status_line or b" 400 " in status_line, status_line
    assert b"Written by the site build" not in reply  # the _headers file's first line


def test_precompressed_brotli_is_served_when_accepted(
    client: httpx.Client, site_dir: Path
) -> None:
    response = get(client, f"/{JS_ASSET}", "gzip, deflate, br")
    assert response.headers["content-encoding"] == "br"
    assert response.headers["vary"] == "Accept-Encoding"
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert raw(response) == (site_dir / f"{JS_ASSET}.br").read_bytes()
    assert brotli.decompress(raw(response)) == (site_dir / JS_ASSET).read_bytes()


def test_precompressed_gzip_is_served_when_only_gzip_is_accepted(
    client: httpx.Client, site_dir: Path
) -> None:
    response = get(client, f"/{JS_ASSET}", "gzip")
    assert response.headers["content-encoding"] == "gzip"
    assert raw(response) == (site_dir / f"{JS_ASSET}.gz").read_bytes()


def test_refused_codings_are_respected(client: httpx.Client, site_dir: Path) -> None:
    response = get(client, f"/{JS_ASSET}", "br;q=0, gzip;q=0")
    assert "content-encoding" not in response.headers
    assert response.headers["vary"] == "Accept-Encoding"
    assert raw(response) == (site_dir / JS_ASSET).read_bytes()


def test_text_without_precompressed_file_is_gzipped_on_the_fly(
    client: httpx.Client, site_dir: Path
) -> None:
    response = get(client, f"/{CSS_ASSET}", "gzip, br")
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["vary"] == "Accept-Encoding"
    assert gzip.decompress(raw(response)) == (site_dir / CSS_ASSET).read_bytes()
    html = get(client, "/", "gzip")
    assert gzip.decompress(raw(html)) == (site_dir / "index.html").read_bytes()


def test_binary_files_are_not_compressed(client: httpx.Client) -> None:
    response = get(client, "/assets/images/photo.png", "gzip, br")
    assert "content-encoding" not in response.headers
    assert response.headers["content-type"] == "image/png"


@pytest.mark.parametrize(
    ("path", "cache_control"),
    [
        (f"/{JS_ASSET}", "public, max-age=31536000, immutable"),
        (f"/{CSS_ASSET}", "public, max-age=31536000, immutable"),
        ("/", "no-cache"),
        ("/waitlist/thanks/", "no-cache"),
        ("/assets/images/photo.png", "public, max-age=600"),
        ("/search/search_index.json", "public, max-age=600"),
    ],
)
def test_cache_control(client: httpx.Client, path: str, cache_control: str) -> None:
    assert get(client, path).headers["cache-control"] == cache_control


def test_revalidation_with_etag_gets_304(client: httpx.Client) -> None:
    first = get(client, "/")
    again = client.get("/", headers={"if-none-match": first.headers["etag"],
                                     "accept-encoding": "identity"})
    assert again.status_code == 304
    assert again.content == b""


def test_head_sends_headers_without_body(client: httpx.Client) -> None:
    response = client.head("/", headers={"accept-encoding": "identity"})
    assert response.status_code == 200
    assert int(response.headers["content-length"]) > 0
    assert response.content == b""


def test_other_methods_on_pages_get_405(client: httpx.Client) -> None:
    response = client.post("/", content=b"x")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"


@pytest.mark.parametrize(
    "path", ["/", "/nope", "/api/waitlist/export", "/waitlist/error/", "/sw.js"]
)
def test_security_headers_and_csp_from_headers_file_on_every_document_and_worker(
    client: httpx.Client, path: str
) -> None:
    response = client.get(path)
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    permissions = response.headers["permissions-policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "interest-cohort=()"):
        assert feature in permissions
    assert response.headers.get_list("content-security-policy") == [SITE_CSP]


def test_a_stylesheet_or_script_keeps_nosniff_and_the_referrer_policy_but_not_the_document_headers(
    client: httpx.Client,
) -> None:
    """The policy, frame and permissions headers do nothing on a subresource; they were a sixth
    of a first visit's bytes over HTTP/1.1."""
    response = client.get(f"/{JS_ASSET}")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/javascript")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    for name in ("content-security-policy", "x-frame-options", "permissions-policy"):
        assert name not in response.headers, name


def test_security_headers_on_api_replies(client: httpx.Client) -> None:
    response = client.post("/api/waitlist", json={"email": "x"})
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["content-security-policy"] == SITE_CSP


def test_without_headers_file_a_safe_default_csp_is_sent(
    start: Callable[..., Service], tmp_path: Path
) -> None:
    bare_site = make_site(tmp_path / "bare-site", with_headers=False)
    running = start(site=bare_site)
    with running.client() as client:
        response = client.get("/")
    assert response.headers["content-security-policy"] == DEFAULT_CSP
    assert "frame-ancestors 'none'" in DEFAULT_CSP
    assert response.headers["x-content-type-options"] == "nosniff"


def test_headers_file_is_read_once_at_start(
    start: Callable[..., Service], tmp_path: Path
) -> None:
    site = make_site(tmp_path / "site-once")
    running = start(site=site)
    (site / "_headers").write_text("/*\n  Content-Security-Policy: default-src *\n")
    with running.client() as client:
        assert client.get("/").headers["content-security-policy"] == SITE_CSP


def test_changed_file_is_served_fresh(start: Callable[..., Service], tmp_path: Path) -> None:
    site = make_site(tmp_path / "site-fresh")
    running = start(site=site)
    with running.client() as client:
        assert b"Introduction" in client.get("/introduction/").content
        (site / "introduction/index.html").write_text("<p>Rewritten, and longer than before</p>")
        assert client.get("/introduction/").text == "<p>Rewritten, and longer than before</p>"


# -- the issue's smaller findings ------------------------------------------------------------


def raw_get(service: Service, target: str, *headers: str) -> bytes:
    """A request sent over a raw socket, so no client normalises the target first."""
    lines = [f"GET {target} HTTP/1.1", "Host: x", "Connection: close", *headers, "", ""]
    with socket.create_connection(("127.0.0.1", service.port), timeout=5) as sock:
        sock.sendall("\r\n".join(lines).encode())
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    return reply


def reply_header(reply: bytes, name: str) -> str | None:
    for line in reply.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
        key, _, value = line.decode("latin-1").partition(":")
        if key.strip().lower() == name:
            return value.strip()
    return None


@pytest.mark.parametrize(
    ("target", "location"),
    [("//introduction", "/introduction/"), ("///introduction?x=1", "/introduction/?x=1"),
     ("//assets//images", "/assets//images/")],
)
def test_a_directory_redirect_never_leaves_the_site(
    service: Service, target: str, location: str
) -> None:
    """``//introduction`` must not answer ``Location: //introduction/``: a browser reads that
    as the host ``introduction``."""
    reply = raw_get(service, target)
    assert reply.startswith(b"HTTP/1.1 301 ")
    assert reply_header(reply, "location") == location


@pytest.mark.parametrize("path", [f"/{JS_ASSET}.br", f"/{JS_ASSET}.gz"])
def test_compressed_copies_are_not_served_at_their_own_address(
    client: httpx.Client, path: str
) -> None:
    """They are only ever an encoding of their file; at their own address they were sent
    as that file's type with no Content-Encoding."""
    response = client.get(path, headers={"accept-encoding": "gzip, br"})
    assert response.status_code == 404
    assert "404 - Not found" in response.text  # the site's 404 page


def test_a_compressed_file_of_its_own_is_served_as_what_it_is() -> None:
    assert content_type_for("data/signups.csv.gz") == "application/gzip"
    assert content_type_for("index.html.br") == "application/octet-stream"
    assert content_type_for("index.html") == "text/html; charset=utf-8"


@pytest.fixture
def big_file_service(start: Callable[..., Service], tmp_path: Path) -> tuple[Service, bytes]:
    """A file over the in-memory limit: streamed from disk, with byte ranges."""
    site = make_site(tmp_path / "ranges")
    content = bytes(range(256)) * 4096  # 1 MiB
    (site / "course.pdf").write_bytes(content)
    return start(site=site), content


@pytest.mark.parametrize(
    "value", ["bytes=abc", "bytes=5-3", "items=0-9", "bytes=", "bytes=-", "bytes=1-2-3", "0-9"]
)
def test_a_range_that_cannot_be_parsed_is_ignored(
    big_file_service: tuple[Service, bytes], value: str
) -> None:
    """RFC 9110 14.2: a server may ignore a Range header and must ignore an unknown unit;
    Starlette answered 400."""
    running, content = big_file_service
    with running.client() as client:
        response = client.get("/course.pdf", headers={"range": value})
    assert response.status_code == 200
    assert response.content == content


def test_a_valid_range_is_still_served(big_file_service: tuple[Service, bytes]) -> None:
    running, content = big_file_service
    with running.client() as client:
        part = client.get("/course.pdf", headers={"range": "bytes=10-19"})
        beyond = client.get("/course.pdf", headers={"range": f"bytes={len(content)}-"})
    assert part.status_code == 206
    assert part.content == content[10:20]
    assert part.headers["content-range"] == f"bytes 10-19/{len(content)}"
    assert beyond.status_code == 416
