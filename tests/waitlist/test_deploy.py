"""The deployment examples DEPLOY.md points to (deploy/), checked with the tools they are for:
nginx's config passes `nginx -t` and, in front of the real service, writes no log line that
holds an email address; the Caddyfile passes `caddy validate`; the systemd unit passes
`systemd-analyze verify`. Each tool comes from Debian's packages (.ci/run installs them); a
missing one fails the test with what to install, since a skipped test would prove nothing."""

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

import pytest

from tests.conftest import free_port
from tests.waitlist.conftest import REPO, Service

DEPLOY = REPO / "deploy"
DOMAIN = "course.example.org"


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


def test_caddyfile_passes_caddy_validate(tmp_path: Path) -> None:
    caddy = tool("caddy")
    text = (DEPLOY / "Caddyfile").read_text(encoding="utf-8").replace(DOMAIN, "rt.example.net")
    config = tmp_path / "Caddyfile"
    config.write_text(text, encoding="utf-8")
    env = {"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path),
           "PATH": "/usr/bin:/bin"}
    result = subprocess.run([caddy, "validate", "--config", str(config), "--adapter", "caddyfile"],
                            capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert "log" not in re.findall(r"^\s*(\w+)", text, re.M)  # no access log


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
