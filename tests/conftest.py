"""Shared fixtures: one build of the real site per test session, served on 127.0.0.1,
and the system Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.request import urlopen

import pytest

from tests.helpers import PROMPTS, WORKSHEET, write
from tests.shared import keep_running, once, stop_kept

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def build_site(out: Path, base_url: str) -> None:
    """The site, built with `mkdocs build --strict` into `out` for the address `base_url`."""
    env = {**os.environ, "SITE_URL": base_url, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr


def start_serving(site: Path, port: int, database: Path, log: Path | None = None) -> subprocess.Popen[bytes]:
    """`site` as `make serve` serves it: the waitlist service on 127.0.0.1:`port` with its
    headers (CSP, compression), a real SQLite file at `database`, no mail, no admin token and
    no rate limit (whatever this shell's environment says), once it answers."""
    url = f"http://127.0.0.1:{port}/"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WAITLIST_", "SMTP_", "DATABASE_URL", "SITE_"))}
    env.update(PORT=str(port), SITE_DIR=str(site), SITE_URL=url, DATABASE_URL=f"sqlite:///{database}",
               WAITLIST_RATE_LIMIT="0")
    output = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 (the child keeps it)
    service = subprocess.Popen([sys.executable, "-m", "waitlist", "serve"], cwd=ROOT, env=env,
                               stdout=output, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while True:
        try:
            urlopen(url, timeout=2).read()
            return service
        except OSError:
            if service.poll() is not None or time.monotonic() > deadline:
                service.kill()
                raise AssertionError(f"the waitlist service did not start: {log.read_text() if log else ''}") from None
            time.sleep(0.1)


@contextmanager
def serving(site: Path, port: int, database: Path) -> Iterator[str]:
    """`site` served (`start_serving`) for the length of a `with`. Yields the base URL."""
    service = start_serving(site, port, database)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        service.terminate()
        service.wait(timeout=30)


@pytest.fixture(scope="session")
def shared_site(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The site, built once per run for the address it is served on, and served there by one
    service with one SQLite file, for every worker (tests/shared.py)."""

    return once(tmp_path_factory, "site", make_shared_site)


def make_shared_site(folder: Path) -> dict[str, str]:
    """The site built into `folder` for a free port's address (`shared_site`, tests/prebuild.py)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    build_site(folder / "site", url)
    return {"site": str(folder / "site"), "url": url, "port": str(port),
            "database": str(folder / "waitlist.sqlite3"), "log": str(folder / "service.log")}


@pytest.fixture(scope="session")
def site_port(shared_site: dict[str, str]) -> int:
    return int(shared_site["port"])


@pytest.fixture(scope="session")
def base_url(shared_site: dict[str, str]) -> str:
    return shared_site["url"]


@pytest.fixture(scope="session")
def site(shared_site: dict[str, str]) -> Path:
    """The built site (`shared_site`). Tests read it and never change it."""
    return Path(shared_site["site"])


@pytest.fixture(scope="session")
def rebranded(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A copy of the project with another brand, built once per run by `make build PRODUCTION=1`
    with SITE_URL from an environment file (tests/rebrand.py)."""
    from tests import rebrand

    return rebrand.Rebranded.from_json(once(tmp_path_factory, "rebranded", lambda folder: rebrand.build(folder).to_json()))


@pytest.fixture(scope="session")
def database(shared_site: dict[str, str]) -> Path:
    """The SQLite file the served site's waitlist writes to."""
    return Path(shared_site["database"])


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory, shared_site: dict[str, str]) -> str:
    """The built site as `make serve` serves it (`start_serving`), started once per run and
    stopped when the run ends. Returns the base URL."""

    def start(folder: Path) -> str:
        service = start_serving(Path(shared_site["site"]), int(shared_site["port"]), Path(shared_site["database"]),
                                Path(shared_site["log"]))
        keep_running(tmp_path_factory, service)
        return shared_site["url"]

    return once(tmp_path_factory, "served", start)


PREBUILD: list[subprocess.Popen[bytes]] = []


def pytest_configure(config: pytest.Config) -> None:
    """One build date for every build of the run (MkDocs takes it from SOURCE_DATE_EPOCH: the
    sitemap's dates, and what is made from the sitemap), set by the controller before it starts
    the workers, which inherit it: a run that crosses midnight builds its scratch sites (those
    compared byte for byte with the session's, tests/test_blocks.py) on the same date."""
    os.environ.setdefault("SOURCE_DATE_EPOCH", str(int(time.time())))


def pytest_sessionstart(session: pytest.Session) -> None:
    """The controller of a parallel run of the whole suite (`make test`) starts the session
    site's build at once, in the background (tests/prebuild.py): it runs beside the tests that
    need no build, which come first, rather than holding a worker (and the other, waiting for
    it) when the first test that needs it comes. A narrower run builds on demand, as before."""
    config = session.config
    if os.environ.get("PYTEST_XDIST_WORKER") or not getattr(config.option, "numprocesses", None):
        return
    if config.option.markexpr or any(Path(arg).resolve() != ROOT / "tests" for arg in config.args):
        return
    run = temp_paths(config).getbasetemp()
    PREBUILD.append(subprocess.Popen([sys.executable, "-m", "tests.prebuild", str(run)], cwd=ROOT))


def pytest_sessionfinish(session: pytest.Session) -> None:
    """The run's controller (or the only process) stops the servers workers left running."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        for process in PREBUILD:
            if process.poll() is None:
                process.terminate()
            process.wait(timeout=60)
        stop_kept(temp_paths(session.config))


def temp_paths(config: pytest.Config) -> pytest.TempPathFactory:
    """The run's `tmp_path_factory`, which pytest keeps on its config (the fixture is not there
    outside a test)."""
    return config._tmp_path_factory  # type: ignore[attr-defined]


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    assert Path(path).exists(), f"Chromium not found at {path}: install Debian's chromium or set $CHROMIUM"
    return path


# A reader who has started to use the page: a key pressed (Shift, which does nothing) as soon
# as it is parsed. The content's scripts (the journal, printing, the waitlist form, offline use)
# wait for a first interaction (overrides/main.html); most tests are about what they do, not
# about that wait, and a test that waited for them before touching the page would wait for
# ever. tests/browser/test_first_visit.py tests the wait itself, with `reader_interacts=False`.
READER_HERE = """document.addEventListener("DOMContentLoaded", () => {
  document.dispatchEvent(new KeyboardEvent("keydown", { key: "Shift", bubbles: true }));
}, { once: true });"""


class WorkerlessBrowser:
    """The session's browser, whose new contexts block service workers unless a test asks for
    them (`service_workers="allow"`). Every page registers the offline worker once idle, which
    then downloads the whole course (publish/offline.py): in each of the suite's many contexts
    that would cost time, and its requests and its taking over pages would interleave with what
    the tests measure (requests while typing, instant navigations). tests/browser/test_offline.py
    tests the worker, with the privacy and network checks that matter for it; test_csp.py visits
    every page with it. Its pages behave as a reader who has started to use them (READER_HERE)
    unless a test asks otherwise (`reader_interacts=False`)."""

    def __init__(self, browser) -> None:  # type: ignore[no-untyped-def]
        self._browser = browser

    def new_context(self, reader_interacts: bool = True, **options):  # type: ignore[no-untyped-def]
        options.setdefault("service_workers", "block")
        context = self._browser.new_context(**options)
        if reader_interacts:
            context.add_init_script(READER_HERE)
        return context

    def new_page(self, reader_interacts: bool = True, **options):  # type: ignore[no-untyped-def]
        return self.new_context(reader_interacts, **options).new_page()

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self._browser, name)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(),
            headless=True,
            args=["--disable-background-networking", "--disable-component-update", "--no-first-run"],
        )
        yield WorkerlessBrowser(browser)
        browser.close()


@pytest.fixture
def page(browser) -> Iterator[object]:  # type: ignore[no-untyped-def]
    context = browser.new_context()
    page = context.new_page()
    yield page
    context.close()


def page_paths(site: Path) -> list[str]:
    """Every page a reader can reach: the sitemap's, and the waitlist's pages, which the sitemap
    leaves out (transactional pages: `sitemap: false`, overrides/sitemap.xml) but which are
    pages all the same, with the same checks to pass."""
    waitlist = sorted(f"waitlist/{p.parent.name}/" for p in (site / "waitlist").glob("*/index.html"))
    return sitemap_paths(site) + [p for p in waitlist if p not in sitemap_paths(site)]


def sitemap_paths(site: Path) -> list[str]:
    """Every page of the sitemap, as a path relative to the site root."""
    import re

    xml = (site / "sitemap.xml").read_text(encoding="utf-8")
    urls = re.findall(r"<loc>(.*?)</loc>", xml)
    return [re.sub(r"^https?://[^/]+/", "", url) for url in urls]


# --- markers: what a test needs, so a subset can run without it (`make test-fast`) -----------

FOLDER_MARKS = {"browser": "browser", "print": "print", "waitlist": "waitlist"}
DEPLOY_MODULES = {"test_deploy.py", "test_container.py", "test_postgres.py", "test_restore_steps.py",
                  "test_deploy_commands.py"}
BUILD_FIXTURES = {"site", "served", "rebranded", "base_url", "database", "shared_site", "site_port"}
# Modules whose module-scoped fixtures build or start something, or whose tests mostly wait
# (the waitlist's deadlines): marked `xdist_group`, so that `--dist loadgroup` runs each on one
# worker, its fixtures made once, while the other worker goes on with the rest (its CPU then
# spent on that, not idle beside two workers waiting out deadlines together). pytest-xdist 3.8
# (the newest) names a grouped test `<id>@<group>` by setting `item._nodeid`, which pytest 9 no
# longer reads, so `group_ids` does it (`pytest_collection_modifyitems`). What costs minutes is
# made once per run for every worker in any case (tests/shared.py `once`: the site, the
# rebranded copy, the hostile-text build, the hosted builds, the Formspree site).
ONE_WORKER_MODULES = {"test_build_production.py", "test_rebrand.py",
                      "test_validator.py", "test_browser_print.py", "test_container.py",
                      "test_transport.py", "test_build_and_upgrade_steps.py"}


def pytest_itemcollected(item: pytest.Item) -> None:
    """Marks every test by what it needs (pyproject.toml lists the markers): `browser` (Chromium),
    `print` (PDFs), `waitlist` (the service), `deploy` (nginx, Caddy, systemd, PostgreSQL, a
    container build) by folder or module; `build` (the built site or a scratch build) by the
    fixtures it uses or its module's own `pytestmark`. Done as each test is collected, so the
    `xdist_group` marks are there before pytest-xdist reads them (its own
    pytest_collection_modifyitems may run before ours)."""
    path = Path(str(item.path)).relative_to(ROOT / "tests")
    names = set(getattr(item, "fixturenames", ()))
    if len(path.parts) > 1 and path.parts[0] in FOLDER_MARKS:
        item.add_marker(FOLDER_MARKS[path.parts[0]])
    if "browser" in names or "page" in names:
        item.add_marker("browser")
    if path.name in DEPLOY_MODULES:
        item.add_marker("deploy")
    if names & BUILD_FIXTURES:
        item.add_marker("build")
    if path.name in ONE_WORKER_MODULES:
        item.add_marker(pytest.mark.xdist_group(path.as_posix()))


# The longest tests that need a build, in worker-seconds of a full run: first of those that do,
# so that none of them starts last while the other worker has nothing left to do.
LONGEST = ("tests/test_cache_property.py", "tests/test_build_production.py", "tests/browser/test_accessibility.py",
           "tests/waitlist/test_build_and_upgrade_steps.py", "tests/browser/test_reflow.py")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """What needs no build first: in a parallel run the site is built meanwhile (in the
    background, tests/prebuild.py, or by the first worker to need it, tests/shared.py) while the
    workers go on with tests that do not. Then the longest of the rest (LONGEST), then the rest.
    (`make test` keeps this order for the groups too: `--no-loadscope-reorder`.)"""
    def order(item: pytest.Item) -> tuple[int, int]:
        path = Path(str(item.path)).relative_to(ROOT).as_posix()
        built = any(item.get_closest_marker(m) for m in ("build", "browser", "print"))
        return int(built), LONGEST.index(path) if path in LONGEST else len(LONGEST)

    items.sort(key=order)
    group_ids(config, items)


def group_ids(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In a worker of a `--dist loadgroup` run, each test marked `xdist_group` named
    `<id>@<group>`, which the run schedules as one unit (pytest-xdist's `LoadGroupScheduling`),
    as pytest-xdist itself does for pytest 8. In pytest 9 a node's id is `item._id`, a NodeId
    (`_pytest.nodeid`), parsed from that string."""
    from _pytest.nodeid import NodeId

    if not (os.environ.get("PYTEST_XDIST_WORKER") and config.getvalue("loadgroup")):
        return
    for item in items:
        groups = sorted({str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
                         for mark in item.iter_markers("xdist_group")})
        if groups and "@" not in item.nodeid:
            item._id = NodeId.parse(f"{item.nodeid}@{'_'.join(groups)}")


# --- a small course's data, for the modules that load data without MkDocs -------------------
# (tests/test_data.py, tests/test_render.py, tests/test_journal_render.py; tests/helpers.py)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    (root / "worksheets").mkdir(parents=True)
    shutil.copy(ROOT / "data" / "chapters.yml", root / "chapters.yml")
    write(root / "prompts.yml", PROMPTS)
    write(root / "worksheets" / "tracker.yml", WORKSHEET)
    return root
