# Rebuilding Trust: the commands in README.md. Every target sets up .venv/ on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# The address the site is built for (SITE_URL: canonical links, the sitemap, the PDFs' address…)
# comes from the environment (`SITE_URL=https://… make build`), else from ENV_FILE, the file the
# service reads its settings from (DEPLOY.md), when it exists, else http://127.0.0.1:$(PORT)/.
# `make build PRODUCTION=1` refuses a missing, loopback or http:// SITE_URL (scripts/build.py).
ENV_FILE ?= /etc/rebuilding-trust.env
PRODUCTION ?=
LOCAL_URL := http://127.0.0.1:$(PORT)/
export NO_MKDOCS_2_WARNING := 1

WORKERS ?= auto

.PHONY: serve build check dev system lint test test-fast bench audit screenshots clean

# The pinned packages, then the project itself in editable mode: that registers the build's
# MkDocs plugin (pyproject.toml's entry point) and reads the code from this folder, so an edit
# needs no reinstall. Our commands run as `python -m …` from here, so this folder's code is
# what runs even where another copy of the project installed the virtualenv.
$(BIN)/.installed: requirements.txt $(wildcard requirements/*.txt) pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	PYTHONWARNINGS=ignore $(BIN)/python -m pip install --quiet --no-deps --no-build-isolation --editable .  # no warning that folders here shadow the install: they are the install
	touch $@

# Everything a build would reject (data, placements, macros and templates in every page, PDF
# characters, the two-page limit), in a few seconds, as `file:line: field: message`.
check: $(BIN)/.installed
	@$(BIN)/python -m sitebuild.check

# Checks, builds into a temporary folder and replaces site/ only if everything succeeded
# (scripts/build.py): a failed build leaves the previous site/ as it was.
build: $(BIN)/.installed
	@$(BIN)/python -m scripts.build --site-dir site --env-file "$(ENV_FILE)" --local-url "$(LOCAL_URL)" $(if $(filter-out 0,$(PRODUCTION)),--production)

# One process: the built site and the waitlist API (PORT, SITE_URL, DATABASE_URL,
# WAITLIST_ADMIN_TOKEN, WAITLIST_RATE_LIMIT… from the environment; see DEPLOY.md).
serve: build
	PORT=$(PORT) SITE_DIR=site $(BIN)/python -m waitlist serve

dev: $(BIN)/.installed
	SITE_URL="$${SITE_URL:-$(LOCAL_URL)}" $(BIN)/python -m mkdocs serve --livereload --dev-addr 127.0.0.1:$(PORT)

# The W3C Nu HTML Checker for tests/test_validator.py (runs on Java), at the version the lockfile
# pins. --ignore-scripts: its install script would fetch a Java runtime; the system's is used.
VNU := tests/vnu/node_modules/vnu-jar/build/dist/vnu.jar
$(VNU): tests/vnu/package.json tests/vnu/package-lock.json | system
	cd tests/vnu && npm ci --no-audit --no-fund --ignore-scripts
	touch $@

# ESLint for the site's scripts (rules: tests/eslint/eslint.config.mjs), at the versions the
# lockfile pins.
ESLINT := tests/eslint/node_modules/.bin/eslint
$(ESLINT): tests/eslint/package.json tests/eslint/package-lock.json | system
	cd tests/eslint && npm ci --no-audit --no-fund
	touch $@

# The Debian packages the tests need (Chromium, Java, PostgreSQL, nginx…): scripts/system-packages
# installs what is missing (as root or through sudo), or stops with the one line to run.
system:
	@scripts/system-packages

# The static checks, in seconds: ruff, mypy (pyproject.toml's [tool.mypy]) and ESLint on the
# site's scripts and the offline worker. mypy and ESLint keep caches (.mypy_cache/, and
# node_modules/.cache/ under tests/eslint/), which check again what changed, the rules included.
lint: $(BIN)/.installed $(ESLINT)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(ESLINT) --config tests/eslint/eslint.config.mjs --cache --cache-location tests/eslint/node_modules/.cache/eslint overrides publish

# Everything, in parallel (pytest-xdist; the built site is shared: tests/shared.py), with the
# slowest tests and the total at the end. One worker per core (`WORKERS=4 make test` for more:
# on two cores, four were no faster, since most of the waiting is for the CPU).
test: system $(BIN)/.installed lint $(VNU)
	$(BIN)/python -m pytest -n $(WORKERS) --dist loadgroup --no-loadscope-reorder --durations=25

# For editors: the data, checks, renderers and publishing steps; no browser, no servers, no
# full build (tests/conftest.py marks the rest).
test-fast: $(BIN)/.installed
	$(BIN)/python -m pytest -n $(WORKERS) --dist loadgroup -m "not browser and not print and not waitlist and not deploy and not build"

# Benchmarks print figures and ratios; `make audit` (Lighthouse, needs Node.js) is separate.
bench: $(BIN)/.installed
	for script in bench/check_speed.py bench/build_speed.py bench/macros_build.py bench/pdf_step.py bench/waitlist_load.py bench/offline_cache.py bench/journal_lock.py; do $(BIN)/python $$script || exit 1; done

bench/audit/node_modules/.bin/lighthouse: bench/audit/package.json
	cd bench/audit && npm ci --no-audit --no-fund
	touch $@

audit: $(BIN)/.installed bench/audit/node_modules/.bin/lighthouse
	$(BIN)/python bench/audit.py

# A contact sheet for design review (bench/screenshots/index.html): the main pages at 390 and
# 1280 px in both schemes, and a worksheet PDF's first page. Not a pixel test.
screenshots: build
	$(BIN)/python bench/screenshots.py

clean:
	rm -rf site .site-new-* .site-old-* .pytest_cache

# The container image (Dockerfile), built with docker or podman, whichever answers, and
# measured: its size as `docker images` prints it (MB = 10^6 bytes), failing above IMAGE_MAX_MB.
# The site is built for IMAGE_SITE_URL (any https:// address: only the size is wanted here).
IMAGE ?= rebuilding-trust:image-size
IMAGE_MAX_MB ?= 200
IMAGE_SITE_URL ?= https://course.example.org/
.PHONY: image-size
image-size:
	@engine=; for candidate in docker podman; do \
	  if command -v $$candidate >/dev/null 2>&1 && $$candidate info >/dev/null 2>&1; then engine=$$candidate; break; fi; \
	done; \
	if [ -z "$$engine" ]; then echo "image-size: no docker or podman that answers (installed, and its daemon or socket running)" >&2; exit 2; fi; \
	$$engine build --build-arg SITE_URL="$(IMAGE_SITE_URL)" -t $(IMAGE) . || exit 1; \
	bytes=$$($$engine image inspect --format '{{.Size}}' $(IMAGE)) || exit 1; \
	mb=$$(( (bytes + 999999) / 1000000 )); \
	echo "$(IMAGE): $$mb MB ($$bytes bytes; at most $(IMAGE_MAX_MB) MB)"; \
	if [ $$mb -gt $(IMAGE_MAX_MB) ]; then echo "image-size: $$mb MB is over $(IMAGE_MAX_MB) MB" >&2; exit 1; fi
