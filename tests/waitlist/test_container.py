"""The container files and the requirement sets the image is made of.

Dockerfile and compose.yaml are parsed and read, not built (no Docker daemon on the machines
the tests run on; where docker or podman runs, `test_the_documented_build_makes_an_image_of_at_most_200_mb`
runs DEPLOY.md's `docker build` and `make image-size`). What the image would hold is checked
here instead:

- the final stage's packages come from requirements/runtime.txt alone, which holds every
  distribution waitlist/ imports and none of the build's or the tests' (a denylist), and each of
  the three sets holds what its own packages depend on;
- the final stage copies the service, its version file and the built site, nothing else of the
  sources, runs as a user that is not root, and has a health check, which is run against the
  service;
- DEPLOY.md's backup and restore blocks for compose are run by /bin/sh as they are written,
  with a stand-in for `docker compose` that runs the in-container command with the container's
  environment (the Dockerfile's ENV, compose.yaml's, waitlist.env as compose.env.example has
  it), in a read-only copy of /app, against PostgreSQL.
"""

from __future__ import annotations

import ast
import fnmatch
import json
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from sqlalchemy import create_engine, text

from tests.waitlist.conftest import Service, signup_json
from tests.waitlist.helpers import _fresh_database, contents, fill
from waitlist.backup import FORMAT, BackupError, read_backup
from waitlist.config import ConfigError, Settings

REPO = Path(__file__).resolve().parents[2]
REQUIREMENTS = REPO / "requirements"
SETS = ("runtime", "build", "test")  # each file starts with `-r` the one before
DEPLOY_MD = REPO / "DEPLOY.md"
DOCUMENTED_BACKUP = "waitlist-2026-03-01.jsonl"  # the name the compose restore block restores
IMAGE_MAX_MB = 200
# Build and test packages: none may be in the service's set. Patterns on canonical names.
NOT_AT_RUN_TIME = (
    "mkdocs*", "pymdown-extensions", "markdown", "jinja2", "weasyprint", "pydyf", "tinyhtml5",
    "cssselect2", "tinycss2", "pillow", "fonttools", "zopfli", "pydantic*", "rcssmin", "rjsmin",
    "watchdog", "ghp-import", "babel", "pygments", "requests", "lxml", "playwright", "greenlet",
    "axe-*", "pytest*", "execnet", "hypothesis", "ruff", "mypy*", "types-*", "aiosmtpd", "httpx",
    "httpcore", "beautifulsoup4", "jsonschema*", "pypdf", "filelock", "pip", "setuptools",
)
# What the service names without importing it: uvicorn loads these by name.
NAMED_NOT_IMPORTED = {
    "uvloop": ("waitlist/__main__.py", 'loop="uvloop"'),
    "httptools": ("waitlist/transport.py", "httptools_impl"),
    "psycopg": ("waitlist/store.py", "postgresql+psycopg://"),
}


# -- the Dockerfile, read --------------------------------------------------------------------


def _stages(dockerfile: str) -> list[list[tuple[str, str]]]:
    """The Dockerfile's instructions (continuation lines joined), grouped by FROM."""
    joined = re.sub(r"\\\n", " ", dockerfile)
    stages: list[list[tuple[str, str]]] = []
    for line in joined.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        if keyword.upper() == "FROM":
            stages.append([])
        stages[-1].append((keyword.upper(), " ".join(rest.split())))
    return stages


def _named(stages: list[list[tuple[str, str]]]) -> dict[str, list[tuple[str, str]]]:
    """Stages by their `AS` name."""
    named = {}
    for stage in stages:
        words = stage[0][1].split()
        if len(words) == 3 and words[1].upper() == "AS":
            named[words[2]] = stage
    return named


def _values(stage: list[tuple[str, str]], keyword: str) -> list[str]:
    return [value for key, value in stage if key == keyword]


def _copies(stage: list[tuple[str, str]]) -> list[tuple[str | None, list[str], str]]:
    """Each COPY as (its --from stage or None, sources, destination)."""
    found = []
    for value in _values(stage, "COPY"):
        words = value.split()
        source_stage = None
        while words[0].startswith("--"):
            flag = words.pop(0)
            if flag.startswith("--from="):
                source_stage = flag.removeprefix("--from=")
        found.append((source_stage, words[:-1], words[-1]))
    return found


def _env(stage: list[tuple[str, str]]) -> dict[str, str]:
    env: dict[str, str] = {}
    for value in _values(stage, "ENV"):
        for pair in shlex.split(value):
            name, _, setting = pair.partition("=")
            env[name] = setting
    return env


def _base(stage: list[tuple[str, str]]) -> str:
    return stage[0][1].split()[0]


@pytest.fixture(scope="module")
def stages() -> list[list[tuple[str, str]]]:
    return _stages((REPO / "Dockerfile").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((REPO / "compose.yaml").read_text(encoding="utf-8"))


# -- the requirement sets, read --------------------------------------------------------------


def pins(name: str) -> dict[str, str]:
    """requirements/<name>.txt's own pins (not those of the file it includes): name -> version."""
    found: dict[str, str] = {}
    for line in (REQUIREMENTS / f"{name}.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-r "):
            continue
        package, equals, version = line.partition("==")
        assert equals and version and not re.search(r"[<>=!~;\[ ]", package + version), (
            f"requirements/{name}.txt: {line!r} is not pinned as name==version")
        found[canonicalize_name(package)] = version
    return found


def included(name: str) -> list[str]:
    return [line.split()[1] for line in (REQUIREMENTS / f"{name}.txt").read_text().splitlines()
            if line.startswith("-r ")]


def depends_on(package: str, extras: frozenset[str] = frozenset()) -> set[tuple[str, frozenset[str]]]:
    """What the installed ``package`` (with ``extras``) needs on this machine."""
    try:
        requires = metadata.distribution(package).requires or []
    except metadata.PackageNotFoundError:
        pytest.fail(f"{package} is pinned but not installed in this venv: run `make` (pip install -r requirements.txt)")
    found: set[tuple[str, frozenset[str]]] = set()
    for line in requires:
        requirement = Requirement(line)
        marker = requirement.marker
        if marker is None or any(marker.evaluate({"extra": extra}) for extra in ("", *extras)):
            found.add((canonicalize_name(requirement.name), frozenset(requirement.extras)))
    return found


def missing_dependencies(packages: set[str], available: set[str]) -> dict[str, set[str]]:
    """Each package of ``packages`` (and what they need, with extras) that needs one not in
    ``available``: the package -> what it lacks."""
    lacking: dict[str, set[str]] = {}
    seen: set[tuple[str, frozenset[str]]] = set()
    todo = [(package, frozenset[str]()) for package in packages]
    while todo:
        package, extras = todo.pop()
        if (package, extras) in seen:
            continue
        seen.add((package, extras))
        for needed, needed_extras in depends_on(package, extras):
            if needed not in available:
                lacking.setdefault(package, set()).add(needed)
            else:
                todo.append((needed, needed_extras))
    return lacking


def waitlist_imports() -> dict[str, list[str]]:
    """Every top-level module waitlist/*.py imports (at any depth, TYPE_CHECKING included)
    that is neither the standard library nor waitlist itself: module -> the files."""
    found: dict[str, list[str]] = {}
    for path in sorted((REPO / "waitlist").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top != "waitlist":
                    found.setdefault(top, []).append(path.relative_to(REPO).as_posix())
    return found


# -- the final stage ---------------------------------------------------------------------------


def test_the_image_runs_the_service_as_a_user_that_is_not_root(stages: list) -> None:
    final = stages[-1]
    users = _values(final, "USER")
    assert users and users[-1].split(":")[0] not in ("root", "0")
    user_at = final.index(("USER", users[-1]))
    assert [keyword for keyword, _ in final[user_at:]].count("RUN") == 0  # nothing runs as root after
    assert ("CMD", '["python", "-m", "waitlist", "serve"]') in final
    # The fixed uid (and gid) is the one the image creates and owns /app/var with.
    uid, _, gid = users[-1].partition(":")
    runs = " ".join(_values(final, "RUN"))
    assert f"useradd --system --uid {uid} --gid {gid or uid}" in runs
    assert f"groupadd --system --gid {gid or uid} waitlist" in runs


def test_the_final_stage_copies_what_the_service_needs_and_nothing_else(stages: list) -> None:
    final = stages[-1]
    copies = _copies(final)
    assert {destination for _, _, destination in copies} == {
        "/opt/venv", "/app/waitlist", "/app/pyproject.toml", "/app/site"}
    # Only from the other stages: nothing of the build context (tests/, docs/, .venv…) as such.
    assert all(source_stage in _named(stages) for source_stage, _, _ in copies)
    sources = {source for _, found, _ in copies for source in found}
    assert sources == {"/opt/venv", "/src/waitlist", "/src/pyproject.toml", "/src/site"}
    for left_out in ("tests", "docs", "data", "course", "macros", "printing", "sitebuild", "publish", "scripts", "overrides",
                     ".venv", "requirements", "bench"):
        assert not any(source.rstrip("/").endswith(f"/{left_out}") or source == left_out
                       for source in sources), left_out
    env = _env(final)
    assert env["SITE_DIR"] == "/app/site" and env["WAITLIST_HOST"] == "0.0.0.0"
    assert env["PATH"].startswith("/opt/venv/bin:")
    assert ("EXPOSE", env["PORT"]) in final
    runs = " ".join(_values(final, "RUN"))
    assert "libpq5" in runs  # psycopg's C library
    # Nothing is installed with pip in the final stage: its packages are the packages stage's.
    assert "pip" not in runs
    assert {_base(stage) for stage in stages} == {_base(final)}  # one base: the venv's python


def test_the_final_stage_s_packages_are_the_runtime_set_alone(stages: list) -> None:
    named = _named(stages)
    [(venv_stage, _, _)] = [copy for copy in _copies(stages[-1]) if copy[2] == "/opt/venv"]
    assert venv_stage is not None
    packages = named[venv_stage]
    copied = [(found, destination) for _, found, destination in _copies(packages)]
    assert copied == [(["requirements/runtime.txt"], "/tmp/runtime.txt")]
    installs = re.findall(r"pip (?:--python \S+ )?install ([^&;]*)", " ".join(_values(packages, "RUN")))
    assert [install.split() for install in installs] == [["-r", "/tmp/runtime.txt"]]
    assert "--without-pip /opt/venv" in " ".join(_values(packages, "RUN"))


def test_the_build_stage_installs_the_build_set_and_builds_the_site_for_production(stages: list) -> None:
    build = _named(stages)["build"]
    runs = " ".join(_values(build, "RUN"))
    assert "pip install -r requirements/build.txt" in runs
    assert "requirements/test.txt" not in runs and "requirements.txt" not in runs
    assert "--editable ." in runs  # registers the build plugin (pyproject.toml)
    assert "-m scripts.build" in runs and "--production" in runs  # refuses a loopback SITE_URL
    assert ("ARG", "SITE_URL") in build
    # What .ci/run installs for the PDFs, and WeasyPrint's libraries.
    for package in ("fonts-dejavu-core", "libpango-1.0-0", "libpangoft2-1.0-0"):
        assert package in runs


def test_the_health_check_asks_api_health_with_python_alone(stages: list, compose: dict) -> None:
    [check] = _values(stages[-1], "HEALTHCHECK")
    options, _, command = check.partition(" CMD ")
    assert "--interval=" in options and "--timeout=" in options
    argv = json.loads(command)
    assert argv[:2] == ["python", "-c"] and "urllib.request" in argv[2] and "/api/health" in argv[2]
    # compose.yaml repeats it (a service's healthcheck replaces the image's): the same command.
    assert compose["services"]["waitlist"]["healthcheck"]["test"] == ["CMD", *argv]


def health_check_argv() -> list[str]:
    [check] = _values(_stages((REPO / "Dockerfile").read_text(encoding="utf-8"))[-1], "HEALTHCHECK")
    return json.loads(check.partition(" CMD ")[2])


def run_health_check(port: int) -> subprocess.CompletedProcess[str]:
    """The image's HEALTHCHECK command as the container runs it (its PORT, python on PATH)."""
    argv = health_check_argv()
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "PORT": str(port)}
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=30)


def test_the_health_check_passes_on_a_running_service_and_fails_without_one(
    start: Callable[..., Service],
) -> None:
    service = start()
    with service.client() as client:
        reply = client.get("/api/health")
        assert (reply.status_code, reply.json()) == (200, {"ok": True})
        assert reply.headers["cache-control"] == "no-store"
        assert client.head("/api/health").status_code == 200
        assert client.post("/api/health").status_code == 405
    assert run_health_check(service.port).returncode == 0
    port = service.port
    assert service.stop() == 0
    failed = run_health_check(port)
    assert failed.returncode == 1 and "Connection refused" in failed.stderr


def test_the_health_check_fails_while_the_database_does_not_answer(
    start: Callable[..., Service], postgres_url: str,
) -> None:
    url = _fresh_database(postgres_url, "health_check")
    service = start(DATABASE_URL=url)
    with service.client() as client:
        assert client.get("/api/health").status_code == 200
        assert signup_json(client, "healthy@example.org").status_code == 200
        admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:  # the database goes away under the service
            connection.execute(text('DROP DATABASE "health_check" WITH (FORCE)'))
        admin.dispose()
        reply = client.get("/api/health")
        assert (reply.status_code, reply.json()) == (503, {"ok": False})
        assert "health_check" not in reply.text
    assert run_health_check(service.port).returncode == 1
    assert "health check: the database did not answer" in service.log()


def container_engine() -> str | None:
    """docker or podman, the first that answers (installed, its daemon or socket running)."""
    for engine in ("docker", "podman"):
        if shutil.which(engine) and subprocess.run([engine, "info"], capture_output=True,
                                                   timeout=60).returncode == 0:
            return engine
    return None


@pytest.mark.skipif(container_engine() is None,
                    reason="neither docker nor podman answers here: the Dockerfile is checked by reading it")
def test_the_documented_build_makes_an_image_of_at_most_200_mb(tmp_path: Path) -> None:
    """DEPLOY.md's `docker build` as it is written (podman standing in for docker where only
    it runs), then `make image-size`, which builds the same image again from the cache."""
    engine = container_engine()
    assert engine is not None
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    if engine == "podman":
        (bin_dir / "docker").write_text(f'#!/bin/sh\nexec {shutil.which("podman")} "$@"\n')
        (bin_dir / "docker").chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ.get('PATH', '/usr/bin:/bin')}"}
    built = subprocess.run(["/bin/sh", "-c", compose_block(DOCKER_BUILD)], cwd=REPO, env=env,
                           capture_output=True, text=True, timeout=3600)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    size = subprocess.run([engine, "image", "inspect", "--format", "{{.Size}}", "rebuilding-trust"],
                          capture_output=True, text=True, timeout=60, check=True)
    assert int(size.stdout.strip()) <= IMAGE_MAX_MB * 1_000_000
    made = subprocess.run(["make", "image-size", f"IMAGE_MAX_MB={IMAGE_MAX_MB}"], cwd=REPO,
                          capture_output=True, text=True, timeout=3600)
    assert made.returncode == 0, made.stdout[-3000:] + made.stderr[-3000:]


def test_make_image_size_measures_the_image_against_200_mb() -> None:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert f"IMAGE_MAX_MB ?= {IMAGE_MAX_MB}\n" in makefile
    assert re.search(r"^image-size:", makefile, re.M)
    dry = subprocess.run(["make", "-n", "image-size"], cwd=REPO, capture_output=True, text=True,
                         timeout=30)
    assert "build --build-arg SITE_URL=" in dry.stdout and "image inspect --format" in dry.stdout


# -- the requirement sets ----------------------------------------------------------------------


def test_requirements_txt_is_the_three_sets() -> None:
    lines = [line for line in (REPO / "requirements.txt").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert lines == ["-r requirements/test.txt"]
    assert included("test") == ["build.txt"] and included("build") == ["runtime.txt"]
    assert included("runtime") == []


def test_make_reinstalls_the_venv_when_any_of_the_files_changes(tmp_path: Path) -> None:
    """In a scratch copy (Makefile, the four requirement files and pyproject.toml, whose entry
    point registers the build plugin, a venv stamp): `make -q` finds the venv up to date, then
    out of date as soon as one file is newer than the stamp."""
    shutil.copy(REPO / "Makefile", tmp_path / "Makefile")
    files = ["requirements.txt", *(f"requirements/{name}.txt" for name in SETS), "pyproject.toml"]
    (tmp_path / "requirements").mkdir()
    for name in files:
        shutil.copy(REPO / name, tmp_path / name)
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    stamp = tmp_path / ".venv" / "bin" / ".installed"
    stamp.touch()

    def up_to_date() -> bool:
        return subprocess.run(["make", "-q", ".venv/bin/.installed"], cwd=tmp_path, capture_output=True,
                              timeout=30).returncode == 0

    for name in files:
        os.utime(tmp_path / name, (1_000_000_000, 1_000_000_000))
    assert up_to_date()
    for name in files:
        os.utime(tmp_path / name, (2_000_000_000, 2_000_000_000))
        assert not up_to_date(), f"make does not reinstall when {name} changes"
        os.utime(tmp_path / name, (1_000_000_000, 1_000_000_000))


def test_each_package_is_pinned_once_and_sorted() -> None:
    seen: dict[str, str] = {}
    for name in SETS:
        found = pins(name)
        assert found, name
        twice = {package: seen[package] for package in found if package in seen}
        assert not twice, f"requirements/{name}.txt pins again what is pinned in: {twice}"
        seen.update(dict.fromkeys(found, name))
        assert list(found) == sorted(found), f"requirements/{name}.txt: keep the pins sorted"


def test_the_runtime_set_has_no_build_or_test_package() -> None:
    runtime = pins("runtime")
    found = sorted(package for package in runtime
                   if any(fnmatch.fnmatch(package, pattern) for pattern in NOT_AT_RUN_TIME))
    assert not found, f"requirements/runtime.txt holds build or test packages: {found}"
    # And the denylist does name the build's and the tests' own packages.
    for package in ("mkdocs", "mkdocs-material", "weasyprint", "pillow", "playwright", "pytest", "ruff",
                    "mypy", "hypothesis", "axe-playwright-python"):
        assert package in pins("build") | pins("test")
        assert any(fnmatch.fnmatch(package, pattern) for pattern in NOT_AT_RUN_TIME)


def test_every_import_of_the_service_is_in_the_runtime_set() -> None:
    runtime = set(pins("runtime"))
    distributions = metadata.packages_distributions()
    lacking = {}
    for module, files in waitlist_imports().items():
        provided_by = {canonicalize_name(name) for name in distributions.get(module, [])}
        assert provided_by, f"{module} (imported by {files[0]}) is installed by no distribution here"
        if not provided_by & runtime:
            lacking[module] = (sorted(provided_by), sorted(set(files)))
    assert not lacking, f"waitlist/ imports what requirements/runtime.txt lacks: {lacking}"
    for package, (path, named) in NAMED_NOT_IMPORTED.items():
        assert named in (REPO / path).read_text(encoding="utf-8"), (package, path)
        assert package in runtime


def test_each_set_holds_what_its_packages_depend_on() -> None:
    """On this machine (Linux: the container's): the service's set alone, then the build's on
    top of it, then the tests'; a package one needs and none pins would be installed unpinned."""
    available: set[str] = set()
    for name in SETS:
        own = set(pins(name))
        available |= own
        lacking = missing_dependencies(own, available)
        assert not lacking, f"requirements/{name}.txt (with what it includes) lacks: {lacking}"


def test_each_pin_is_installed_at_its_version_in_this_venv() -> None:
    wrong = {}
    for name in SETS:
        for package, version in pins(name).items():
            try:
                installed = metadata.version(package)
            except metadata.PackageNotFoundError:
                installed = None
            if installed != version:
                wrong[package] = (version, installed)
    assert not wrong, f"pinned vs installed (run `make`): {wrong}"


# -- compose ---------------------------------------------------------------------------------


def test_compose_runs_the_service_on_postgresql_with_a_named_volume(compose: dict) -> None:
    services = compose["services"]
    assert set(services) == {"waitlist", "postgres"}
    waitlist, postgres = services["waitlist"], services["postgres"]
    assert waitlist["env_file"] == "waitlist.env"
    assert waitlist["environment"]["DATABASE_URL"].startswith("postgresql+psycopg://")
    assert "@postgres:5432/" in waitlist["environment"]["DATABASE_URL"]
    assert waitlist["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert all(port.startswith("127.0.0.1:") for port in waitlist["ports"])
    assert waitlist["read_only"] is True and waitlist["tmpfs"] == ["/tmp"]
    assert postgres["image"].startswith("postgres:")
    [volume] = postgres["volumes"]
    assert volume.split(":")[0] in compose["volumes"]
    for service in (waitlist, postgres):
        assert service["healthcheck"]["test"]
        assert service["restart"] == "unless-stopped"


def test_the_build_context_leaves_out_the_database_and_the_venv() -> None:
    ignored = (REPO / ".dockerignore").read_text().split()
    assert {"var", ".venv", ".git", "site", "tests"} <= set(ignored)


def test_waitlist_host_takes_an_ip_address_only() -> None:
    assert Settings.from_env({}).host == "127.0.0.1"
    assert Settings.from_env({"WAITLIST_HOST": "0.0.0.0"}).host == "0.0.0.0"
    with pytest.raises(ConfigError) as error:
        Settings.from_env({"WAITLIST_HOST": "example.org"})
    assert error.value.problems == [
        "WAITLIST_HOST: expected an IP address such as 127.0.0.1 or 0.0.0.0, got 'example.org'"
    ]


# -- DEPLOY.md's backup and restore with compose, run --------------------------------------------

# The blocks of DEPLOY.md's "Containers" section these tests run, each by a string only it holds
# there (tests/deploy_document.py reads this registry). `docker build` runs only where docker or
# podman answers (make image-size too); the others run everywhere, with a stand-in for docker.
DOCKER_BUILD = "docker build --build-arg"
COMPOSE_COMMANDS = "docker compose up -d --build"
COMPOSE_BACKUP = "backup - >"
COMPOSE_RESTORE = "restore --replace -"
DEPLOY_MD_BLOCKS = {
    ("Containers", "docker build --build-arg"): ("test_the_documented_build_makes_an_image_of_at_most_200_mb",),
    ("Containers", "docker compose up -d --build"): (
        "test_the_compose_commands_block_shows_stats_and_writes_a_private_csv",),
    ("Containers", "backup - >"): (
        "test_the_compose_backup_block_writes_a_whole_private_backup_on_the_host",
        "test_a_failed_compose_backup_leaves_no_backup_file",
    ),
    ("Containers", "restore --replace -"): (
        "test_the_compose_restore_block_restores_the_backup_and_starts_the_service",
        "test_a_damaged_backup_is_refused_by_the_compose_restore_block_and_the_service_starts",
    ),
}

DOCKER_STAND_IN = '''\
#!{python}
"""A stand-in for `docker compose` (DEPLOY.md's compose blocks): `exec` and `run --rm` run the
command as the container would (its environment, its working directory, read-only), and,
without -T, turn each line end into a terminal's \\r\\n as compose's terminal would; `up`,
`stop` and `start` are recorded only. Anything else fails."""
import json, os, subprocess, sys
spec = json.loads(open(os.environ["CONTAINER_SPEC"]).read())
args = sys.argv[1:]
with open(spec["calls"], "a") as log:
    log.write(" ".join(args) + "\\n")
if args[:1] != ["compose"]:
    sys.exit("docker stand-in: only `docker compose` is known")
verb, args = args[1], args[2:]
if verb in ("stop", "start"):
    sys.exit(0 if args == ["waitlist"] else "docker stand-in: which service?")
if verb == "up":
    sys.exit(0 if args == ["-d", "--build"] else f"docker stand-in: up {{args}}?")
if verb not in ("exec", "run"):
    sys.exit(f"docker stand-in: no {{verb}}")
flags = []
while args and args[0].startswith("-"):
    flags.append(args.pop(0))
if verb == "run" and "--rm" not in flags:
    sys.exit("docker stand-in: `run` without --rm leaves a container behind")
if args[:1] != ["waitlist"]:
    sys.exit("docker stand-in: only the waitlist service")
command = args[1:]
os.chdir(spec["workdir"])
os.umask(0o022)
found = [os.path.join(d, command[0]) for d in spec["env"]["PATH"].split(":")
         if os.access(os.path.join(d, command[0]), os.X_OK)]
if not found:
    sys.exit(f"docker stand-in: {{command[0]}} not found")
if "-T" in flags:
    os.execve(found[0], command, spec["env"])
ran = subprocess.run(command, executable=found[0], env=spec["env"], stdout=subprocess.PIPE)
sys.stdout.buffer.write(ran.stdout.replace(b"\\n", b"\\r\\n"))
sys.exit(ran.returncode)
'''


def containers_section() -> str:
    doc = DEPLOY_MD.read_text(encoding="utf-8")
    start = doc.index("\n### Containers\n") + 1
    end = re.compile(r"^#{1,3} ", re.M).search(doc, start + 1)
    return doc[start:end.start() if end else len(doc)]


def compose_block(marker: str) -> str:
    """The one ```sh block of DEPLOY.md's "Containers" section that holds ``marker``."""
    found = [block for block in re.findall(r"^```sh\n(.*?)^```$", containers_section(), re.S | re.M)
             if marker in block]
    assert len(found) == 1, f'{len(found)} blocks of DEPLOY.md\'s "Containers" section hold {marker!r}'
    return found[0]


def container_env(database_url: str, workdir: Path) -> dict[str, str]:
    """The environment `docker compose exec waitlist …` gets: the image's ENV (its venv's bin
    is this venv's), HOME, waitlist.env as compose.env.example starts it, and compose.yaml's
    `environment` with this test's database in place of the `postgres` service's."""
    final = _stages((REPO / "Dockerfile").read_text(encoding="utf-8"))[-1]
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": str(workdir)}
    for name, value in _env(final).items():
        env[name] = value.replace("$PATH", env["PATH"]).replace("/opt/venv/bin", str(Path(sys.executable).parent))
    for line in (REPO / "compose.env.example").read_text(encoding="utf-8").splitlines():
        if re.match(r"^[A-Z_]+=", line):
            name, _, value = line.partition("=")
            env[name] = value
    service = yaml.safe_load((REPO / "compose.yaml").read_text(encoding="utf-8"))["services"]["waitlist"]
    for name, value in service["environment"].items():
        if name == "DATABASE_URL":
            assert re.fullmatch(r"postgresql\+psycopg://waitlist:\$\{POSTGRES_PASSWORD[^}]*\}@postgres:5432/waitlist",
                                value), value
            env[name] = database_url
        else:
            env[name] = value.replace("${SITE_URL}", "https://course.example.org")
    return env


def read_only_app(root: Path) -> Path:
    """/app as the image has it: waitlist/ (no bytecode) and pyproject.toml, read-only."""
    app = root / "app"
    shutil.copytree(REPO / "waitlist", app / "waitlist", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", app / "pyproject.toml")
    for path in [app, *app.rglob("*")]:
        path.chmod(0o555 if path.is_dir() else 0o444)
    return app


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")}


@dataclass
class ComposeHost:
    """The host's folder of compose.yaml, where the blocks run, with a `docker` stand-in on
    PATH; the container's /app (read-only) and its database."""

    folder: Path
    app: Path
    database_url: str
    calls_log: Path
    env: dict[str, str]

    def run(self, block: str) -> subprocess.CompletedProcess[str]:
        """``block`` run by /bin/sh in the folder of compose.yaml, under umask 022."""
        return subprocess.run(["/bin/sh", "-c", f"umask 022\n{block}"], cwd=self.folder, env=self.env,
                              capture_output=True, text=True, timeout=120)

    def calls(self) -> list[str]:
        """What `docker` was asked since the last call, and forget it."""
        if not self.calls_log.exists():
            return []
        found = self.calls_log.read_text().splitlines()
        self.calls_log.unlink()
        return found

    def files(self) -> list[Path]:
        return sorted(self.folder.iterdir())


@pytest.fixture
def compose_host(tmp_path: Path, postgres_url: str) -> Iterator[ComposeHost]:
    database_url = _fresh_database(postgres_url, "compose_backups")
    folder, bin_dir = tmp_path / "host", tmp_path / "bin"
    folder.mkdir()
    bin_dir.mkdir()
    app = read_only_app(tmp_path)
    calls_log = tmp_path / "docker.log"
    spec = tmp_path / "container.json"
    spec.write_text(json.dumps({"workdir": str(app), "env": container_env(database_url, app),
                                "calls": str(calls_log)}))
    docker = bin_dir / "docker"
    docker.write_text(DOCKER_STAND_IN.format(python=sys.executable))
    docker.chmod(0o755)
    yield ComposeHost(folder, app, database_url, calls_log,
                      {"PATH": f"{bin_dir}:/usr/bin:/bin", "CONTAINER_SPEC": str(spec)})
    for path in [app, *app.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)


def test_the_compose_backup_block_writes_a_whole_private_backup_on_the_host(
    compose_host: ComposeHost,
) -> None:
    fill(compose_host.database_url)
    before = snapshot(compose_host.app)
    block = compose_block(COMPOSE_BACKUP)
    made = compose_host.run(block)
    assert made.returncode == 0, made.stderr
    assert made.stderr.startswith("backed up ") and made.stderr.endswith(" to standard output\n")
    [backup] = compose_host.files()
    assert re.fullmatch(r"waitlist-\d{4}-\d\d-\d\d\.jsonl", backup.name)  # no .partial left
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600  # despite umask 022
    header, rows = read_backup(backup)
    assert header["format"] == FORMAT
    assert {table: len(found) for table, found in rows.items()} == {
        table: len(found) for table, found in contents(compose_host.database_url).items()}
    assert snapshot(compose_host.app) == before  # nothing written in the read-only /app
    assert compose_host.calls() == ["compose exec -T waitlist python -m waitlist backup -"]


def test_a_failed_compose_backup_leaves_no_backup_file(compose_host: ComposeHost) -> None:
    """No sign-ups table (a database the service never started on): status 1, one line, and
    no file with the final name, only the .partial one."""
    made = compose_host.run(compose_block(COMPOSE_BACKUP))
    assert made.returncode == 1
    assert made.stderr.startswith("waitlist: ") and "waitlist_signups" in made.stderr
    [partial] = compose_host.files()
    assert partial.name.endswith(".jsonl.partial")


def test_the_compose_restore_block_restores_the_backup_and_starts_the_service(
    compose_host: ComposeHost,
) -> None:
    fill(compose_host.database_url)
    assert compose_host.run(compose_block(COMPOSE_BACKUP)).returncode == 0
    [made] = compose_host.files()
    made.rename(compose_host.folder / DOCUMENTED_BACKUP)
    expected = contents(compose_host.database_url)
    engine = create_engine(compose_host.database_url)
    with engine.begin() as connection:  # rows changed since: the restore replaces them
        connection.execute(text("DELETE FROM waitlist_tally"))
        connection.execute(text("UPDATE waitlist_signups SET source = 'changed'"))
    engine.dispose()
    compose_host.calls()
    restored = compose_host.run(compose_block(COMPOSE_RESTORE))
    assert restored.returncode == 0, restored.stderr
    assert contents(compose_host.database_url) == expected
    assert restored.stdout.startswith("restored ") and restored.stdout.endswith(" from standard input\n")
    assert compose_host.calls() == [
        "compose stop waitlist",
        "compose run --rm -T waitlist python -m waitlist backup --if-exists -",
        "compose run --rm -T waitlist python -m waitlist restore --replace -",
        "compose start waitlist",
    ]
    [kept] = [path for path in compose_host.files() if path.name.startswith("before-restore-")]
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert read_backup(kept)[1]["waitlist_tally"] == []  # what the database held just before


def test_a_damaged_backup_is_refused_by_the_compose_restore_block_and_the_service_starts(
    compose_host: ComposeHost,
) -> None:
    fill(compose_host.database_url)
    assert compose_host.run(compose_block(COMPOSE_BACKUP)).returncode == 0
    [made] = compose_host.files()
    lines = made.read_bytes().splitlines(keepends=True)
    (compose_host.folder / DOCUMENTED_BACKUP).write_bytes(b"".join(lines[:-2]))  # cut off
    made.unlink()
    expected = contents(compose_host.database_url)
    compose_host.calls()
    refused = compose_host.run(compose_block(COMPOSE_RESTORE))
    assert refused.returncode == 0  # the last line's: the service started again
    assert refused.stderr.splitlines()[-1] == (
        "waitlist: standard input: incomplete: line 8, the last, is not the end line: the backup was cut off")
    assert contents(compose_host.database_url) == expected
    assert compose_host.calls()[-2:] == ["compose run --rm -T waitlist python -m waitlist restore --replace -",
                                         "compose start waitlist"]


def test_the_compose_commands_block_shows_stats_and_writes_a_private_csv(
    compose_host: ComposeHost,
) -> None:
    """`stats` through a terminal (no -T: fine for reading), the CSV through -T into a file
    only the owner can read."""
    fill(compose_host.database_url)
    ran = compose_host.run(compose_block(COMPOSE_COMMANDS))
    assert ran.returncode == 0, ran.stderr
    assert compose_host.calls() == ["compose up -d --build",
                                    "compose exec waitlist python -m waitlist stats",
                                    "compose exec -T waitlist python -m waitlist export"]
    assert ran.stdout.startswith("day ") and "\ntotal " in ran.stdout
    [csv_file] = compose_host.files()
    assert csv_file.name == "waitlist.csv" and stat.S_IMODE(csv_file.stat().st_mode) == 0o600
    body = csv_file.read_bytes()
    # CSV's own line ends (RFC 4180: \r\n), and no terminal's \r added to them.
    assert body.startswith(b"email,consent_at,source,created_at,confirmed_at\r\n") and b"\r\r" not in body


def test_the_docker_stand_in_adds_a_terminal_s_line_ends_without_minus_t(compose_host: ComposeHost) -> None:
    """What the `-T` of the blocks is for: without it, every line of the backup would end in
    \\r\\n, and restore refuses such a file."""
    fill(compose_host.database_url)
    block = compose_block(COMPOSE_BACKUP).replace("exec -T waitlist", "exec waitlist")
    assert compose_host.run(block).returncode == 0
    [made] = compose_host.files()
    assert b"\r\n" in made.read_bytes()
    with pytest.raises(BackupError, match="line 1"):
        read_backup(made)


def test_each_compose_block_is_claimed_once_in_the_containers_section() -> None:
    section = containers_section()
    for (heading, marker), tests in DEPLOY_MD_BLOCKS.items():
        assert heading == "Containers"
        assert compose_block(marker) in section
        assert all(callable(globals().get(test)) for test in tests), tests
    assert DOCUMENTED_BACKUP in compose_block(COMPOSE_RESTORE)
    for paragraph in ("**Backups with compose.**", "**Restoring with compose.**"):
        assert section.count(f"\n{paragraph}") == 1
