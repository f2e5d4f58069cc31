"""The container files, checked statically: Dockerfile and compose.yaml are parsed and read, not
built or run (no Docker daemon on the machines the tests run on). A build is the real test:
DEPLOY.md, "Containers", gives its commands."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from waitlist.config import ConfigError, Settings

REPO = Path(__file__).resolve().parents[2]


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


@pytest.fixture(scope="module")
def stages() -> list[list[tuple[str, str]]]:
    return _stages((REPO / "Dockerfile").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((REPO / "compose.yaml").read_text(encoding="utf-8"))


def test_the_image_runs_the_service_as_a_user_that_is_not_root(stages: list) -> None:
    final = stages[-1]
    users = [value for keyword, value in final if keyword == "USER"]
    assert users and users[-1] not in ("root", "0", "0:0")
    user_at = final.index(("USER", users[-1]))
    assert [keyword for keyword, _ in final[user_at:]].count("RUN") == 0  # nothing runs as root after
    assert ("CMD", '["python", "-m", "waitlist", "serve"]') in final


def test_the_final_stage_copies_what_the_service_needs(stages: list) -> None:
    copied = {value.split()[-1] for keyword, value in stages[-1] if keyword == "COPY"}
    assert {"/opt/venv", "/app/waitlist", "/app/site"} <= copied
    env = " ".join(value for keyword, value in stages[-1] if keyword == "ENV")
    assert "SITE_DIR=/app/site" in env and "WAITLIST_HOST=0.0.0.0" in env
    runs = " ".join(value for keyword, value in stages[-1] if keyword == "RUN")
    assert "libpq5" in runs  # psycopg's C library


def test_the_build_stage_installs_the_pins_and_builds_the_site_for_production(stages: list) -> None:
    build = stages[0]
    runs = " ".join(value for keyword, value in build if keyword == "RUN")
    assert "pip install -r requirements.txt" in runs
    assert "scripts/build.py" in runs and "--production" in runs  # refuses a loopback SITE_URL
    assert ("ARG", "SITE_URL") in build
    # What .ci/run installs for the PDFs, and WeasyPrint's libraries.
    for package in ("fonts-dejavu-core", "libpango-1.0-0", "libpangoft2-1.0-0"):
        assert package in runs
    requirements = (REPO / "requirements.txt").read_text().split()
    assert all("==" in line for line in requirements)


def test_the_build_context_leaves_out_the_database_and_the_venv() -> None:
    ignored = (REPO / ".dockerignore").read_text().split()
    assert {"var", ".venv", ".git", "site"} <= set(ignored)


def test_compose_runs_the_service_on_postgresql_with_a_named_volume(compose: dict) -> None:
    services = compose["services"]
    assert set(services) == {"waitlist", "postgres"}
    waitlist, postgres = services["waitlist"], services["postgres"]
    assert waitlist["env_file"] == "waitlist.env"
    assert waitlist["environment"]["DATABASE_URL"].startswith("postgresql+psycopg://")
    assert "@postgres:5432/" in waitlist["environment"]["DATABASE_URL"]
    assert waitlist["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert all(port.startswith("127.0.0.1:") for port in waitlist["ports"])
    assert postgres["image"].startswith("postgres:")
    [volume] = postgres["volumes"]
    assert volume.split(":")[0] in compose["volumes"]
    for service in (waitlist, postgres):
        assert service["healthcheck"]["test"]
        assert service["restart"] == "unless-stopped"


def test_waitlist_host_takes_an_ip_address_only() -> None:
    assert Settings.from_env({}).host == "127.0.0.1"
    assert Settings.from_env({"WAITLIST_HOST": "0.0.0.0"}).host == "0.0.0.0"
    with pytest.raises(ConfigError) as error:
        Settings.from_env({"WAITLIST_HOST": "example.org"})
    assert error.value.problems == [
        "WAITLIST_HOST: expected an IP address such as 127.0.0.1 or 0.0.0.0, got 'example.org'"
    ]
