"""The site's public address, as paper shows it: `example.org/course/`, or nothing for a build
that only serves this machine (`127.0.0.1:8000`), so a printed sheet never sends a reader to an
address that only worked on the build machine. Used by the PDFs (pdf.Site.address) and the
safety note's printed address of the Safety page (render.Renderer)."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def is_local(host: str) -> bool:
    """A host name that only means this machine (loopback, `localhost`, unspecified)."""
    if host in {"localhost", ""} or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def public_address(url: str) -> str:
    """`url` without its scheme, as a reader would type it (`example.org/course/`); empty when
    the site has no public address."""
    parts = urlsplit(url)
    if not parts.netloc:
        return ""
    return "" if is_local(parts.hostname or "") else parts.netloc + parts.path
