# The bundled service with the built site inside: `docker build --build-arg SITE_URL=https://…`.
# DEPLOY.md, "Containers", says how to run it with PostgreSQL (compose.yaml). Three stages: the
# site is built with the build packages (requirements/build.txt), the service's own packages
# (requirements/runtime.txt) are installed apart, and the final image holds only those, the
# service and the built site: no MkDocs, WeasyPrint, pytest or Playwright (`make image-size`).

# -- build: the build packages and the site (PDFs included) ------------------------------------
FROM python:3.11-slim-bookworm AS build
# WeasyPrint (the PDFs) needs Pango and HarfBuzz; the PDFs and preview images are set in
# DejaVu Sans (printing/pdf.py), as .ci/run installs them.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/build-venv
ENV PATH=/opt/build-venv/bin:$PATH PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY requirements/runtime.txt requirements/build.txt requirements/
RUN pip install -r requirements/build.txt
COPY . .
# The project itself, which registers the build's MkDocs plugin (pyproject.toml's entry point).
RUN pip install --no-deps --no-build-isolation --editable .
# The public address: canonical links, the sitemap and the PDFs hold it. --production refuses a
# missing one or one that means only this machine (127.0.0.1, localhost…).
ARG SITE_URL
RUN SITE_URL="$SITE_URL" NO_MKDOCS_2_WARNING=1 python -m scripts.build --site-dir /src/site --production

# -- packages: the service's packages alone, in /opt/venv --------------------------------------
FROM python:3.11-slim-bookworm AS packages
# binutils only to strip the compiled modules' symbols (uvloop's alone is 13.6 MB with them,
# 1.6 MB without: the packages go from 61 MB to 36 MB); it stays in this stage. The venv gets no
# pip: the base image's installs into it. The last line: the stripped modules still load.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends binutils \
 && rm -rf /var/lib/apt/lists/*
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY requirements/runtime.txt /tmp/runtime.txt
RUN python -m venv --without-pip /opt/venv \
 && pip --python /opt/venv/bin/python install -r /tmp/runtime.txt \
 && find /opt/venv -name '*.so' -exec strip --strip-unneeded {} + \
 && /opt/venv/bin/python -c "import uvloop, httptools, brotli; from sqlalchemy.util._has_cython import HAS_CYEXTENSION; assert HAS_CYEXTENSION"

# -- run: the service, its packages and the site; no compiler, no build or test package --------
FROM python:3.11-slim-bookworm
# libpq5: psycopg talks to PostgreSQL through it.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libpq5 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 waitlist \
 && useradd --system --uid 10001 --gid 10001 --home-dir /app --shell /usr/sbin/nologin waitlist \
 && install -d -o waitlist -g waitlist -m 0700 /app/var
COPY --from=packages /opt/venv /opt/venv
COPY --from=build /src/waitlist /app/waitlist
# The release's version is read from pyproject.toml beside waitlist/ (python -m waitlist --version).
COPY --from=build /src/pyproject.toml /app/pyproject.toml
COPY --from=build /src/site /app/site
WORKDIR /app
USER 10001:10001
# WAITLIST_HOST=0.0.0.0: the container's own address, so that its published port reaches the
# service; publish it on the host's loopback only (compose.yaml), behind your proxy.
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 \
    SITE_DIR=/app/site PORT=8000 WAITLIST_HOST=0.0.0.0
EXPOSE 8000
# GET /api/health: 200 while the service can take sign-ups (its database answers), else 503.
# Python's urllib: the slim image has no curl. compose.yaml repeats this command.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"PORT\", \"8000\")}/api/health', timeout=4)"]
STOPSIGNAL SIGTERM
CMD ["python", "-m", "waitlist", "serve"]
