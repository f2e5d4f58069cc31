# The bundled service with the built site inside: `docker build --build-arg SITE_URL=https://…`.
# DEPLOY.md, "Containers", says how to run it with PostgreSQL (compose.yaml).

# -- build: the pinned requirements and the site (PDFs included) ------------------------------
FROM python:3.11-slim-bookworm AS build
# WeasyPrint (the PDFs) needs Pango and HarfBuzz; the PDFs and preview images are set in
# DejaVu Sans (macros/pdf.py), as .ci/run installs them.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
# The public address: canonical links, the sitemap and the PDFs hold it. --production refuses a
# missing one or one that means only this machine (127.0.0.1, localhost…).
ARG SITE_URL
RUN SITE_URL="$SITE_URL" NO_MKDOCS_2_WARNING=1 python scripts/build.py --site-dir /src/site --production

# -- run: the service, its packages and the site; no compiler, no sources of the site ----------
FROM python:3.11-slim-bookworm
# libpq5: psycopg talks to PostgreSQL through it.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libpq5 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin waitlist \
 && install -d -o waitlist -g waitlist -m 0700 /app/var
COPY --from=build /opt/venv /opt/venv
COPY --from=build /src/waitlist /app/waitlist
# The release's version is read from pyproject.toml beside waitlist/ (python -m waitlist --version).
COPY --from=build /src/pyproject.toml /app/pyproject.toml
COPY --from=build /src/site /app/site
WORKDIR /app
USER waitlist
# WAITLIST_HOST=0.0.0.0: the container's own address, so that its published port reaches the
# service; publish it on the host's loopback only (compose.yaml), behind your proxy.
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 \
    SITE_DIR=/app/site PORT=8000 WAITLIST_HOST=0.0.0.0
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/', timeout=4)"]
STOPSIGNAL SIGTERM
CMD ["python", "-m", "waitlist", "serve"]
