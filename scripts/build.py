"""Atomic builds: `make build` (and `make serve`) run this.

First the address the site will be served from, `SITE_URL` (canonical links, og:url, the
preview images' URLs, the sitemap, robots.txt and the PDFs' printed address all hold it), from:
the environment (`SITE_URL=https://… make build`), else the environment file the service reads
(`--env-file`, `make build`'s ENV_FILE, /etc/rebuilding-trust.env by default: DEPLOY.md), when
that file exists, else this machine (`--local-url`, http://127.0.0.1:8000/). `--production`
(`make build PRODUCTION=1`) refuses, before building anything, an address that is missing, only
means this machine, or is not https://.

Whether the bundled waitlist service sends email (its `SMTP_URL`) is looked up the same way,
for the privacy note (sitebuild/waitlist.py): set in the environment, else in the environment file.
Only that it is set is passed on, as RT_WAITLIST_MAIL=1|0 (unless the environment already has
RT_WAITLIST_MAIL); the address and its password are never read into the build's environment.
`extra.waitlist.mail` in mkdocs.yml, when given, wins over both.

Then the whole check (`sitebuild.check`), then `mkdocs build --strict` into a fresh folder beside
the target (in this process: the check has already imported what the build needs and loaded the
course, which the build reuses; a second interpreter cost half a second of every build), then a
swap: the previous site is moved aside and the new one into its place only
when the whole build, PDFs included, succeeded. A failed build removes its own folder and
leaves the previous site exactly as it was, so a deploy step never publishes half a site.

    python -m scripts.build [--site-dir site] [--no-check] [--env-file FILE] [--production]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
LOCAL_URL = "http://127.0.0.1:8000/"
LOCAL = "this machine only"  # site_url()'s source for LOCAL_URL


class SiteUrlError(Exception):
    """The build must not start: one line saying what SITE_URL is and where to set it."""


def env_file_value(path: Path, name: str) -> str | None:
    """`name`'s value in an environment file as systemd's EnvironmentFile= reads it (`KEY=value`
    lines, `#` and `;` comments, optional quotes around the value); the last one wins. None
    when the file does not say. Raises OSError when it cannot be read."""
    value = None
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line[0] in "#;" or "=" not in line:
            continue
        key, _, text = line.partition("=")
        if key.strip() != name:
            continue
        text = text.strip()
        if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
            text = text[1:-1]
        value = text
    return value


def site_url(environ: dict[str, str], env_file: Path | None, production: bool,
             local_url: str = LOCAL_URL) -> tuple[str, str]:
    """The address to build for and where it came from, or SiteUrlError (see the docstring)."""
    from macros.address import is_local

    hint = (f"set SITE_URL=https://your.domain/ in {env_file}" if env_file else "set SITE_URL=https://your.domain/ in the "
            "service's environment file (make build ENV_FILE=…)") + " or in the environment (SITE_URL=https://your.domain/ make build PRODUCTION=1)"
    url, source = (environ.get("SITE_URL") or "").strip(), "the environment"
    if not url and env_file is not None and env_file.exists():
        try:
            url, source = (env_file_value(env_file, "SITE_URL") or "").strip(), str(env_file)
        except (OSError, UnicodeDecodeError) as error:
            reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
            raise SiteUrlError(f"build refused: cannot read SITE_URL from {env_file} ({reason}); run the build as a user "
                               f"who can read it, or give SITE_URL in the environment") from None
    if not url:
        if production:
            where = f"nor in {env_file}" if env_file and env_file.exists() else f"and {env_file or 'no environment file'} does not exist"
            raise SiteUrlError(f"build refused: SITE_URL is not set (not in the environment, {where}); a production build "
                               f"needs the public address: {hint}")
        return local_url, LOCAL
    if not url.endswith("/"):
        url += "/"
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise SiteUrlError(f"build refused: SITE_URL {url!r} (from {source}) is not an http(s):// address; {hint}")
    if production and is_local(parts.hostname):
        raise SiteUrlError(f"build refused: SITE_URL {url} (from {source}) only works on this machine; a production "
                           f"build needs the public address: {hint}")
    if production and parts.scheme != "https":
        raise SiteUrlError(f"build refused: SITE_URL {url} (from {source}) is not https://; a production build needs the "
                           f"public https:// address (browsers run the offline service worker only over HTTPS): {hint}")
    return url, source


def mail_configured(environ: dict[str, str], env_file: Path | None) -> bool | None:
    """Whether SMTP_URL is set (not empty) where the service reads it: the environment, else
    the environment file. None when the file exists but cannot be read."""
    if (environ.get("SMTP_URL") or "").strip():
        return True
    if env_file is None or not env_file.exists():
        return False
    try:
        return bool((env_file_value(env_file, "SMTP_URL") or "").strip())
    except (OSError, UnicodeDecodeError):
        return None


def publish(built: Path, target: Path) -> None:
    """Move `built` into `target`'s place; the old site is removed only once the new one is in."""
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}-old-", dir=target.parent))
        os.replace(target, old / target.name)
        os.replace(built, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(built, target)


def build(target: Path, check: bool = True, extra: list[str] | None = None, env_file: Path | None = None,
          production: bool = False, local_url: str = LOCAL_URL) -> int:
    """Check, build into a temporary folder, and publish it as `target`. Returns an exit status."""
    try:
        url, source = site_url(dict(os.environ), env_file, production, local_url)
    except SiteUrlError as error:
        print(error, file=sys.stderr)
        return 2
    os.environ["SITE_URL"] = url  # for the check (its PDFs) and mkdocs (mkdocs.yml's !ENV)
    mail = mail_configured(dict(os.environ), env_file)
    if mail is not None and "RT_WAITLIST_MAIL" not in os.environ:
        os.environ["RT_WAITLIST_MAIL"] = "1" if mail else "0"  # for the privacy note (sitebuild/waitlist.py)
    os.environ["NO_MKDOCS_2_WARNING"] = "1"
    said = f"SITE_URL from {source}" if source != LOCAL else "no SITE_URL given: for this machine only"
    print(f"building for {url} ({said})", file=sys.stderr)
    from printing.pdf import sharing_layouts

    with sharing_layouts():  # the check's worksheet layouts, which the build joins (printing/pdf.py)
        return check_then_build(target, check, extra)


def check_then_build(target: Path, check: bool, extra: list[str] | None) -> int:
    """`make check`, then the build into a temporary folder, published as `target` if both pass."""
    if check:
        from sitebuild.check import main as check_main

        status = check_main([])
        if status:
            print("build stopped: fix the problems above; the previous site is unchanged", file=sys.stderr)
            return status
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    built = Path(tempfile.mkdtemp(prefix=f".{target.name}-new-", dir=target.parent))
    try:
        umask = os.umask(0)
        os.umask(umask)
        built.chmod(0o777 & ~umask)  # mkdtemp makes it private; a site is served to others
        status = mkdocs_build(["--strict", "--site-dir", str(built), *(extra or [])])
        if status:
            print(f"build failed: {target} is unchanged", file=sys.stderr)
            return status
        publish(built, target)
        return 0
    finally:
        if built.exists():
            shutil.rmtree(built, ignore_errors=True)


def mkdocs_build(args: list[str]) -> int:
    """`mkdocs build ARGS` run from the project's folder, in this process; its exit status, its
    messages as the `mkdocs` command prints them."""
    import click
    from mkdocs.__main__ import cli

    try:
        with contextlib.chdir(ROOT):
            status = cli.main(["build", *args], prog_name="mkdocs", standalone_mode=False)
    except click.ClickException as error:  # mkdocs' Abort (a failed or --strict build) among them
        error.show()
        return error.exit_code
    except click.exceptions.Abort:
        print("Aborted!", file=sys.stderr)
        return 1
    return status if isinstance(status, int) else 0


def keep_bytecode() -> None:
    """With PYTHONDONTWRITEBYTECODE set (as container images often do), Python wrote nothing and
    compiled the project's own modules (macros/, hooks/, publish/) again at every build: 40 ms.
    The build keeps their bytecode in .cache/pycache/ instead, still nothing beside the sources.
    (Without it Python keeps bytecode in __pycache__/ as usual, and this changes nothing.)"""
    if sys.dont_write_bytecode and sys.pycache_prefix is None:
        sys.pycache_prefix = str(ROOT / ".cache" / "pycache")
        sys.dont_write_bytecode = False


def main(argv: list[str]) -> int:
    keep_bytecode()
    parser = argparse.ArgumentParser(prog="python -m scripts.build", description="Check, build and publish the site atomically.")
    parser.add_argument("--site-dir", type=Path, default=ROOT / "site")
    parser.add_argument("--no-check", action="store_true", help="skip `make check` (it already ran)")
    parser.add_argument("--env-file", default="", help="read SITE_URL from this file when the environment has none")
    parser.add_argument("--production", action="store_true", help="refuse a missing or local SITE_URL")
    parser.add_argument("--local-url", default=LOCAL_URL, help="the address without SITE_URL (not with --production)")
    args, extra = parser.parse_known_args(argv)
    env_file = Path(args.env_file) if args.env_file else None
    return build(args.site_dir, check=not args.no_check, extra=extra, env_file=env_file,
                 production=args.production, local_url=args.local_url)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
