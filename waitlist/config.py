"""Settings read once from the environment, with every problem reported together."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

DEFAULT_DATABASE_URL = "sqlite:///var/waitlist.sqlite3"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_RATE_LIMIT = 10
DEFAULT_HEADER_TIMEOUT = 10.0
DEFAULT_BODY_TIMEOUT = 30.0
MAX_TIMEOUT = 3600.0
DEFAULT_MAIL_PER_HOUR = 200
MIN_SECRET_LENGTH = 16

SmtpSecurity = Literal["plain", "starttls", "tls"]

# scheme -> (security, default port)
_SMTP_SCHEMES: dict[str, tuple[SmtpSecurity, int]] = {
    "smtp": ("plain", 25),
    "smtp+starttls": ("starttls", 587),
    "smtps": ("tls", 465),
}
_TRUE_WORDS = {"1", "true", "yes", "on"}
_FALSE_WORDS = {"", "0", "false", "no", "off"}


class ConfigError(Exception):
    """The environment does not describe a service that can start; lists every problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class SmtpSettings:
    """Where confirmation emails go, parsed from ``SMTP_URL``."""

    host: str
    port: int
    security: SmtpSecurity
    username: str | None
    password: str | None


@dataclass(frozen=True)
class Settings:
    """Everything the service needs to know about its deployment."""

    port: int
    site_dir: Path
    site_url: str
    database_url: str
    admin_token: str | None
    rate_limit: int
    trust_proxy_hops: int
    smtp: SmtpSettings | None
    smtp_from: str
    secret: str | None
    mail_per_hour: int = DEFAULT_MAIL_PER_HOUR
    # Transport limits (waitlist/transport.py): seconds for a request's headers and for its
    # body to arrive, and the most connections open at once (None: derived from the fd limit).
    header_timeout: float = DEFAULT_HEADER_TIMEOUT
    body_timeout: float = DEFAULT_BODY_TIMEOUT
    max_connections: int | None = None
    # The address to listen on: this machine only, unless a container publishes the port.
    host: str = DEFAULT_HOST

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read the settings from ``env`` (default ``os.environ``); raise ConfigError."""
        env = os.environ if env is None else env
        problems: list[str] = []
        port = _parse_int(env, "PORT", 8000, problems, minimum=1, maximum=65535)
        site_url = env.get("SITE_URL", "").strip().rstrip("/") or f"http://127.0.0.1:{port}"
        if urlsplit(site_url).scheme not in ("http", "https"):
            problems.append(f"SITE_URL: expected an http(s):// address, got {site_url!r}")
        admin_token = env.get("WAITLIST_ADMIN_TOKEN", "").strip() or None
        if admin_token is not None and len(admin_token) < MIN_SECRET_LENGTH:
            problems.append(
                f"WAITLIST_ADMIN_TOKEN: expected at least {MIN_SECRET_LENGTH} characters "
                "(try: python -c 'import secrets; print(secrets.token_urlsafe(32))')"
            )
        smtp = _parse_smtp_url(env.get("SMTP_URL", "").strip(), problems)
        secret = env.get("WAITLIST_SECRET", "").strip() or None
        if smtp is not None and (secret is None or len(secret) < MIN_SECRET_LENGTH):
            problems.append(
                f"WAITLIST_SECRET: expected at least {MIN_SECRET_LENGTH} characters when "
                "SMTP_URL is set (it signs the confirmation links)"
            )
        settings = cls(
            port=port,
            site_dir=Path(env.get("SITE_DIR", "").strip() or "site"),
            site_url=site_url,
            database_url=env.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL,
            admin_token=admin_token,
            rate_limit=_parse_int(env, "WAITLIST_RATE_LIMIT", DEFAULT_RATE_LIMIT, problems),
            trust_proxy_hops=_parse_trust_proxy(env.get("WAITLIST_TRUST_PROXY", ""), problems),
            smtp=smtp,
            smtp_from=env.get("SMTP_FROM", "").strip() or _default_sender(site_url),
            secret=secret,
            mail_per_hour=_parse_int(env, "WAITLIST_MAIL_PER_HOUR", DEFAULT_MAIL_PER_HOUR, problems),
            header_timeout=_parse_seconds(
                env, "WAITLIST_HEADER_TIMEOUT", DEFAULT_HEADER_TIMEOUT, problems
            ),
            body_timeout=_parse_seconds(env, "WAITLIST_BODY_TIMEOUT", DEFAULT_BODY_TIMEOUT, problems),
            max_connections=_parse_optional_int(env, "WAITLIST_MAX_CONNECTIONS", problems),
            host=_parse_host(env.get("WAITLIST_HOST", ""), problems),
        )
        if problems:
            raise ConfigError(problems)
        return settings


def database_url_from_env(env: Mapping[str, str] | None = None) -> str:
    """The database address alone, for commands that need nothing else."""
    env = os.environ if env is None else env
    return env.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL


def _parse_int(
    env: Mapping[str, str],
    name: str,
    default: int,
    problems: list[str],
    minimum: int = 0,
    maximum: int = 1_000_000,
) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = minimum - 1
    if not minimum <= value <= maximum:
        problems.append(f"{name}: expected a whole number from {minimum} to {maximum}, got {raw!r}")
        return default
    return value


def _parse_seconds(env: Mapping[str, str], name: str, default: float, problems: list[str]) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 < value <= MAX_TIMEOUT:  # also refuses nan and inf
        problems.append(f"{name}: expected a number of seconds above 0, at most {MAX_TIMEOUT:g}, got {raw!r}")
        return default
    return value


def _parse_optional_int(env: Mapping[str, str], name: str, problems: list[str]) -> int | None:
    """A positive whole number, or None when the variable is unset or empty."""
    if not env.get(name, "").strip():
        return None
    return _parse_int(env, name, 0, problems, minimum=1) or None


def _parse_host(raw: str, problems: list[str]) -> str:
    """An IP address to listen on (a container's 0.0.0.0 or ::); names are not resolved."""
    host = raw.strip() or DEFAULT_HOST
    try:
        ipaddress.ip_address(host)
    except ValueError:
        problems.append(f"WAITLIST_HOST: expected an IP address such as 127.0.0.1 or 0.0.0.0, got {raw!r}")
        return DEFAULT_HOST
    return host


def _parse_trust_proxy(raw: str, problems: list[str]) -> int:
    """How many reverse proxies in front of us append to X-Forwarded-For (0: trust none)."""
    word = raw.strip().lower()
    if word in _FALSE_WORDS:
        return 0
    if word in _TRUE_WORDS:
        return 1
    if word.isdigit() and 0 < int(word) <= 10:
        return int(word)
    problems.append(
        f"WAITLIST_TRUST_PROXY: expected on/off or a number of proxies (1-10), got {raw!r}"
    )
    return 0


def _parse_smtp_url(raw: str, problems: list[str]) -> SmtpSettings | None:
    if not raw:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in _SMTP_SCHEMES or not parts.hostname:
        known = ", ".join(f"{scheme}://" for scheme in _SMTP_SCHEMES)
        problems.append(f"SMTP_URL: expected {known} followed by [user:password@]host[:port]")
        return None
    security, default_port = _SMTP_SCHEMES[parts.scheme]
    try:
        port = parts.port or default_port
    except ValueError:
        problems.append("SMTP_URL: the port is not a number from 1 to 65535")
        return None
    return SmtpSettings(
        host=parts.hostname,
        port=port,
        security=security,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def _default_sender(site_url: str) -> str:
    host = urlsplit(site_url).hostname or "localhost"
    return f"no-reply@{host}"
