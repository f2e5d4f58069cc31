"""The deployment examples DEPLOY.md points to (deploy/), checked with the tools they are for:
nginx's config passes `nginx -t` and, in front of the real service, writes no log line that
holds an email address; the Caddyfile passes `caddy validate` and, run by Caddy in front of the
real service (sending its confirmation email to a local SMTP server), leaves no log line, of
Caddy's or the service's, holding an email address, a link's token or the client's address; the
systemd unit passes `systemd-analyze verify`. Each tool comes from Debian's packages (.ci/run
installs them); a missing one fails the test with what to install, since a skipped test would
prove nothing. The email's unsubscribe headers are checked against DEPLOY.md's sample of them."""

from __future__ import annotations

import re
import shutil
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote, urlencode

import httpx
import pytest

from tests.conftest import free_port
from tests.deploy_document import block
from tests.waitlist.conftest import (
    REPO,
    SECRET,
    SITE_URL,
    Inbox,
    Service,
    confirm_link,
    local,
    token_of,
    unsubscribe_link,
)

DEPLOY = REPO / "deploy"
DOMAIN = "course.example.org"
# The blocks of DEPLOY.md this module checks (tests/test_deploy_document.py reads this).
DEPLOY_MD_BLOCKS = {
    ("Unsubscribe and erasure", "List-Unsubscribe-Post"): (
        "test_behind_caddy_no_log_line_holds_an_email_a_token_or_the_client_address",),
}
# The client's address in the Caddy test: a loopback address of its own (Linux routes all of
# 127.0.0.0/8 to lo), so that a log line holding it cannot be the proxy's or the service's own.
CLIENT = "127.0.0.77"


def tool(name: str) -> str:
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin:/sbin")
    assert path, f"{name} is not installed: `apt-get install {name}` (.ci/run does)"
    return path


def installed_site(domain: str) -> str:
    """deploy/nginx.conf as DEPLOY.md installs it: `sed 's/course\\.example\\.org/DOMAIN/g'`."""
    return (DEPLOY / "nginx.conf").read_text(encoding="utf-8").replace(DOMAIN, domain)


def self_signed(folder: Path, domain: str) -> tuple[Path, Path]:
    """The throwaway certificate DEPLOY.md describes for trying the config before certbot."""
    folder.mkdir(parents=True, exist_ok=True)
    cert, key = folder / "fullchain.pem", folder / "privkey.pem"
    subprocess.run(
        [tool("openssl"), "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", f"/CN={domain}", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    return cert, key


def local_nginx(root: Path, domain: str, cert: Path, key: Path, http: int, https: int, upstream: int) -> Path:
    """An nginx.conf that runs as this user under `root`, including the site installed for
    `domain` with only what a test machine needs changed: ports, the certificate's place (where
    certbot would put it), the service's port."""
    site = installed_site(domain)
    live = f"/etc/letsencrypt/live/{domain}/"
    site = site.replace(live + "fullchain.pem", str(cert)).replace(live + "privkey.pem", str(key))
    site = re.sub(r"\n\s*listen \[::\]:\d+[^;]*;", "", site)  # no IPv6 needed on 127.0.0.1
    site = site.replace("listen 80;", f"listen 127.0.0.1:{http};")
    site = site.replace("listen 443 ssl;", f"listen 127.0.0.1:{https} ssl;")
    site = site.replace("127.0.0.1:8000", f"127.0.0.1:{upstream}")
    site = site.replace("/var/log/nginx/", f"{root}/")
    (root / "site.conf").write_text(site, encoding="utf-8")
    temp = root / "temp"
    temp.mkdir(exist_ok=True)
    conf = root / "nginx.conf"
    conf.write_text(f"""
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log info;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {root}/site.conf;
}}
""", encoding="utf-8")
    return conf


def nginx_command(root: Path, conf: Path, *args: str) -> list[str]:
    return [tool("nginx"), "-p", str(root), "-e", str(root / "error.log"), "-c", str(conf), *args]


def test_nginx_example_passes_nginx_t_with_a_throwaway_certificate(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path / "cert", "rt.example.net")
    conf = local_nginx(tmp_path, "rt.example.net", cert, key, free_port(), free_port(), 8000)
    result = subprocess.run(nginx_command(tmp_path, conf, "-t"), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "deprecated" not in result.stderr and "[warn]" not in result.stderr.replace(
        'the "user" directive makes sense only', ""), result.stderr


def test_nginx_example_has_an_https_redirect_and_no_deprecated_directives() -> None:
    site = installed_site(DOMAIN)
    assert re.search(r"listen 80;.*return 301 https://\$host\$request_uri;", site, re.S)
    assert "/.well-known/acme-challenge/" in site
    assert not re.search(r"^\s*listen[^;#]*\bhttp2\b", site, re.M)  # deprecated from nginx 1.25.1
    assert site.count("access_log off;") == 2  # both servers
    assert site.count("error_log /var/log/nginx/error.log crit;") == 2


@pytest.fixture
def nginx_in_front(tmp_path: Path, start: Callable[..., Service]) -> Iterator[tuple[str, Path]]:
    """The real service (behind one proxy) with nginx, configured by deploy/nginx.conf, in
    front of it on 127.0.0.1. Yields the HTTPS base URL and the folder every file of both goes to."""
    service = start(WAITLIST_TRUST_PROXY="on", WAITLIST_RATE_LIMIT="0")
    root = tmp_path / "nginx"
    root.mkdir()
    cert, key = self_signed(root / "cert", "localhost")
    https = free_port()
    conf = local_nginx(root, "localhost", cert, key, free_port(), https, service.port)
    nginx = subprocess.Popen(nginx_command(root, conf, "-g", "daemon off;"),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"https://localhost:{https}"
    deadline = time.monotonic() + 10
    while True:
        try:
            post(base + "/", {})
            break
        except urllib.error.HTTPError:
            break
        except OSError:
            assert nginx.poll() is None and time.monotonic() < deadline, (root / "error.log").read_text()
            time.sleep(0.1)
    yield base, tmp_path
    nginx.terminate()
    nginx.wait(timeout=10)


def post(url: str, fields: dict[str, str]) -> int:
    """A form post as a browser without JavaScript sends it; the reply's status."""
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    request = urllib.request.Request(url, data=urlencode(fields).encode(), method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context))
    try:
        with opener.open(request, timeout=10) as reply:
            return reply.status
    except urllib.error.HTTPError as error:
        return error.code


def test_behind_nginx_no_log_line_holds_an_email_address(nginx_in_front: tuple[str, Path]) -> None:
    """nginx's main log is at `info` here, as verbose as it gets: the site's own settings must
    keep request lines out of every file nginx and the service write."""
    base, folder = nginx_in_front
    refused, accepted = "private.person@example.org", "signed.up@example.org"
    # Refused (no consent), once with the address in the query string as well.
    assert post(base + "/api/waitlist", {"email": refused, "source": "landing"}) >= 400
    assert post(base + "/api/waitlist?email=" + quote(refused), {"email": refused}) >= 400
    assert post(base + "/api/waitlist", {"email": accepted, "consent": "on", "source": "landing"}) in {200, 303}
    time.sleep(0.5)  # nginx writes its logs as it goes; give a buffered line time to land
    written = [p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("waitlist.sqlite3")]
    assert any(p.name == "error.log" for p in written)
    for email in (refused, accepted):
        for form in (email, quote(email), quote(email, safe="")):
            holders = [p.name for p in written if form.encode() in p.read_bytes()]
            assert not holders, f"{form} written to {holders}"


def caddy_env(home: Path) -> dict[str, str]:
    """Caddy's storage and autosaved configuration in `home`, not this machine's."""
    return {"HOME": str(home), "XDG_DATA_HOME": str(home), "XDG_CONFIG_HOME": str(home), "PATH": "/usr/bin:/bin"}


def site_block(caddyfile: str) -> str:
    """The Caddyfile's site (everything from the domain's line on), without the global options."""
    start = caddyfile.index(f"\n{DOMAIN} {{\n")
    return caddyfile[start:]


def test_caddyfile_passes_caddy_validate(tmp_path: Path) -> None:
    caddy = tool("caddy")
    text = (DEPLOY / "Caddyfile").read_text(encoding="utf-8").replace(DOMAIN, "rt.example.net")
    config = tmp_path / "Caddyfile"
    config.write_text(text, encoding="utf-8")
    result = subprocess.run([caddy, "validate", "--config", str(config), "--adapter", "caddyfile"],
                            capture_output=True, text=True, env=caddy_env(tmp_path))
    assert result.returncode == 0, result.stderr
    shipped = (DEPLOY / "Caddyfile").read_text(encoding="utf-8")
    assert "log" not in re.findall(r"^\s*(\w+)", site_block(shipped), re.M)  # no access log
    # Caddy's own log: its error lines lose the client's address, the query and the headers.
    for field in ("request>remote_ip delete", "request>remote_port delete", "request>client_ip delete",
                  "request>headers delete", "request>uri regexp"):
        assert f"\t\t\t\t{field}" in shipped.split(f"\n{DOMAIN} {{")[0], field


def local_caddyfile(port: int, upstream: int) -> str:
    """deploy/Caddyfile with only what a test machine needs changed: the site's address is
    `http://127.0.0.1:PORT` (plain HTTP on a free port, so no certificate is needed), the
    service's port, and Caddy's own ports (admin endpoint, default HTTP and HTTPS ports) free
    ones, with `skip_install_trust` (this machine's trust store is never touched). The log
    settings are as shipped."""
    text = (DEPLOY / "Caddyfile").read_text(encoding="utf-8")
    assert text.count(f"\n{DOMAIN} {{\n") == 1 and text.count("reverse_proxy 127.0.0.1:8000\n") == 1
    assert text.count("\n{\n\tservers {\n") == 1  # the global options open with `servers`
    text = text.replace(f"\n{DOMAIN} {{\n", f"\nhttp://127.0.0.1:{port} {{\n")
    text = text.replace("reverse_proxy 127.0.0.1:8000\n", f"reverse_proxy 127.0.0.1:{upstream}\n")
    return text.replace("\n{\n\tservers {\n", f"\n{{\n\tadmin 127.0.0.1:{free_port()}\n\thttp_port {free_port()}\n"
                        f"\thttps_port {free_port()}\n\tskip_install_trust\n\tservers {{\n")


def start_caddy(folder: Path, port: int, upstream: int) -> tuple[subprocess.Popen[bytes], Path]:
    """Caddy run with local_caddyfile in `folder`; its output (Caddy's whole log) in caddy.log."""
    config, log = folder / "Caddyfile", folder / "caddy.log"
    config.write_text(local_caddyfile(port, upstream), encoding="utf-8")
    with open(log, "wb") as out:
        caddy = subprocess.Popen([tool("caddy"), "run", "--config", str(config), "--adapter", "caddyfile"],
                                 stdout=out, stderr=subprocess.STDOUT, env=caddy_env(folder))
    deadline = time.monotonic() + 15
    while b'"serving initial configuration"' not in log.read_bytes():
        assert caddy.poll() is None and time.monotonic() < deadline, log.read_text()
        time.sleep(0.05)
    return caddy, log


def documented_headers() -> list[re.Pattern[str]]:
    """DEPLOY.md's sample of the email's unsubscribe headers, `…` standing for the token."""
    lines = block("Unsubscribe and erasure", "List-Unsubscribe-Post").text.splitlines()
    return [re.compile(re.escape(line).replace("…", r"[A-Za-z0-9_.~-]+")) for line in lines if line.strip()]


def test_behind_caddy_no_log_line_holds_an_email_a_token_or_the_client_address(
    tmp_path: Path, start: Callable[..., Service], inbox: tuple[Inbox, int]
) -> None:
    """Caddy, configured by deploy/Caddyfile (local_caddyfile), in front of the service with
    double opt-in; a client at its own address (CLIENT). Through Caddy: a refused sign-up (no
    consent, once with the address in the query string too), an accepted one, the emailed
    confirmation link opened and its button pressed, the unsubscribe page opened and the
    email's one-click unsubscribe posted; then the service is stopped (as during an upgrade)
    and the confirmation link opened again: Caddy answers 502 itself and logs it. No line of
    Caddy's log or the service's holds an email address, a token or the client's address,
    and Caddy's error line for the 502 is there (the filter kept it)."""
    box, smtp_port = inbox
    running = start(WAITLIST_TRUST_PROXY="on", SMTP_URL=f"smtp://127.0.0.1:{smtp_port}", WAITLIST_SECRET=SECRET,
                    SITE_URL=SITE_URL)
    folder = tmp_path / "caddy"
    folder.mkdir()
    port = free_port()
    caddy, caddy_log = start_caddy(folder, port, running.port)
    refused, accepted = "private.person@example.org", "signed.up@example.org"
    transport = httpx.HTTPTransport(local_address=CLIENT)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", transport=transport, timeout=10) as client:
            assert client.post("/api/waitlist", data={"email": refused, "source": "landing"}).status_code == 422
            assert client.post("/api/waitlist?email=" + quote(refused), data={"email": refused}).status_code == 422
            signed = client.post("/api/waitlist", data={"email": accepted, "consent": "on", "source": "landing"})
            assert (signed.status_code, signed.headers["location"]) == (303, "/waitlist/check-inbox/")
            [mail] = box.wait_for(1)
            confirm, leave = confirm_link(mail), unsubscribe_link(mail)
            page = client.get(local(confirm))
            assert page.status_code == 200 and 'id="rt-waitlist-token"' in page.text
            pressed = client.post("/api/waitlist/confirm", data={"token": token_of(confirm)})
            assert (pressed.status_code, pressed.headers["location"]) == (303, "/waitlist/confirmed/")
            # The email's headers are DEPLOY.md's sample, with the token in place of `…`.
            shown = [f"{name}: {mail[name]}" for name in ("List-Unsubscribe", "List-Unsubscribe-Post")]
            assert [bool(p.fullmatch(line)) for p, line in zip(documented_headers(), shown, strict=True)] == [True, True], shown
            one_click = mail["List-Unsubscribe"].strip("<>")
            assert client.get(local(leave)).status_code == 200
            gone = client.post(local(one_click), data={"List-Unsubscribe": "One-Click"})
            assert gone.status_code == 200 and running.count() == 0
            assert running.stop() == 0
            assert client.get(local(confirm)).status_code == 502  # Caddy's own error, logged
    finally:
        caddy.terminate()
        caddy.wait(timeout=10)
    tokens = {token_of(confirm), token_of(leave), token_of(one_click)}
    secrets = {refused, accepted, CLIENT, *tokens}
    forms = {form for secret in secrets for form in (secret, quote(secret), quote(secret, safe=""))}
    written = {"Caddy's log": caddy_log.read_text(encoding="utf-8"), "the service's log": running.log()}
    for name, text in written.items():
        for number, line in enumerate(text.splitlines(), 1):
            held = sorted(form for form in forms if form in line)
            assert not held, f"{name}, line {number} holds {held}: {line}"
    errors = [line for line in written["Caddy's log"].splitlines() if '"logger":"http.log.error"' in line]
    assert len(errors) == 1 and '"status":502' in errors[0] and '"uri":"/waitlist/confirm/?…"' in errors[0], errors


def test_systemd_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    unit = (DEPLOY / "rebuilding-trust.service").read_text(encoding="utf-8")
    for setting in ("User=rebuilding-trust", "Group=rebuilding-trust", "UMask=0077",
                    "LimitNOFILE=8192", "ReadWritePaths=/srv/rebuilding-trust/var"):
        assert f"\n{setting}\n" in unit, setting
    # verify checks that ExecStart's program exists: point it at this machine's python.
    python = REPO / ".venv" / "bin" / "python"
    local = tmp_path / "rebuilding-trust.service"
    local.write_text(unit.replace("/srv/rebuilding-trust/.venv/bin/python", str(python)), encoding="utf-8")
    result = subprocess.run([tool("systemd-analyze"), "verify", "--man=no", str(local)],
                            capture_output=True, text=True)
    problems = [line for line in result.stderr.splitlines() if "rebuilding-trust.service" in line]
    assert result.returncode == 0 and not problems, result.stderr
