"""A yardstick of bench/waitlist_load.py: servestatic (4.4, the ASGI port of WhiteNoise) serving
the built site, as one would put it in front of a static folder in a few lines.

``ServeStaticASGI`` over ``SITE_DIR`` (read once at start, as servestatic does outside
development), ``index.html`` for directory URLs, its precompressed ``.br``/``.gz`` copies when the
request accepts them, and the security headers our service sends on every response (read from
``SITE_DIR/_headers`` for ``/*`` by waitlist/headers.py). Run by uvicorn with its defaults, which
with uvloop and httptools installed (requirements/runtime.txt) are uvicorn's standard install; the
access log off, as servestatic is meant to sit behind a server that keeps it.

It is a yardstick, not a dependency: nothing in waitlist/ imports it.

    .venv/bin/python bench/servestatic_app.py PORT SITE_DIR
"""

from __future__ import annotations

import sys
from pathlib import Path

import uvicorn
from servestatic import ServeStaticASGI

from waitlist.headers import site_headers


def create_app(site: Path) -> ServeStaticASGI:
    headers = site_headers(site)

    def add_headers(response_headers, path: str, url: str) -> None:  # noqa: ANN001 - wsgiref Headers
        for name, value in headers.items():
            response_headers[name] = value

    return ServeStaticASGI(None, root=site, index_file=True, add_headers_function=add_headers)


if __name__ == "__main__":
    port, site_dir = int(sys.argv[1]), Path(sys.argv[2])
    uvicorn.run(create_app(site_dir), host="127.0.0.1", port=port, access_log=False)
