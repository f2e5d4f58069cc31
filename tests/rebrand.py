"""A rebranded copy of the project, built the way an owner deploys it: mkdocs.yml's brand keys
changed (README.md, "Rebranding"), then `make build PRODUCTION=1` with SITE_URL only in the
service's environment file (ENV_FILE), not in the environment. tests/conftest.py builds it once
per session (`rebranded`) for tests/test_rebrand.py and tests/test_build_production.py.

The PDFs share the project's cache (`.cache/pdf/`, keyed by content, the brand and the address
included), so only the first run lays them out (about a minute).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.helpers import PROJECT_PARTS

ROOT = Path(__file__).resolve().parent.parent
FILES = ("mkdocs.yml", "Makefile", "requirements.txt", "pyproject.toml")

OLD_NAME = "Rebuilding Trust"
OLD_APP = "Wendo"
NAME = "Harbour & Hearth"  # an ampersand: the name must be escaped wherever HTML holds it
SLUG = "harbour-hearth"
TAGLINE = "A calm course for couples mending what broke between them."
APP = "Lantern"
LANDING_TITLE = "Mending after betrayal: a free course for two"
LANDING_DESCRIPTION = "Six short chapters, private reflection prompts and worksheets for couples mending after betrayal."
PUBLIC_URL = "https://harbour.example/"
# Who holds the list (extra.organisation): every owner replaces the placeholders.
ORGANISATION = ("Harbour & Hearth Ltd", "privacy@harbour.example")
OLD_ORGANISATION = ("The team behind this course", "privacy@example.org")


@dataclass(frozen=True)
class Rebranded:
    project: Path
    site: Path
    env_file: Path
    output: str  # what `make build` printed

    def to_json(self) -> dict[str, str]:
        return {"project": str(self.project), "site": str(self.site), "env_file": str(self.env_file),
                "output": self.output}

    @classmethod
    def from_json(cls, value: dict[str, str]) -> Rebranded:
        return cls(Path(value["project"]), Path(value["site"]), Path(value["env_file"]), value["output"])


def copy_project(out: Path) -> Path:
    """A scratch copy of the project: the virtualenv linked, file times kept (make then sees
    the venv as up to date, and the build is run with `-o` for it anyway)."""
    out.mkdir(parents=True)
    for name in PROJECT_PARTS:
        shutil.copytree(ROOT / name, out / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in FILES:
        shutil.copy2(ROOT / name, out / name)
    (out / ".venv").symlink_to(ROOT / ".venv")
    return out


def replace_line(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"mkdocs.yml no longer holds exactly one {old!r}"
    return text.replace(old, new)


def rebranded_config(text: str) -> str:
    """mkdocs.yml with every brand key README.md's "Rebranding" lists changed, and nothing else."""
    text = replace_line(text, f"\nsite_name: {OLD_NAME}\n", f"\nsite_name: {NAME}\n")
    text = replace_line(text, "\n    tagline: A free, private course for couples finding their way back after betrayal.\n",
                        f"\n    tagline: {TAGLINE}\n")
    text = replace_line(text, f"\n    app_name: {OLD_APP}\n", f"\n    app_name: {APP}\n")
    text = replace_line(text, "\n    title: Rebuilding trust after betrayal—a free, private course\n",
                        f"\n    title: {json.dumps(LANDING_TITLE)}\n")
    start = text.index("\n    description: A free, private, self-paced course for couples")
    end = text.index("\n", start + 1)
    text = text[:start] + f"\n    description: {json.dumps(LANDING_DESCRIPTION)}" + text[end:]
    text = replace_line(text, f"\n    name: {OLD_ORGANISATION[0]}\n    contact: {OLD_ORGANISATION[1]}\n",
                        f"\n    name: {json.dumps(ORGANISATION[0])}\n    contact: {ORGANISATION[1]}\n")
    # The landing page's copy names the app (extra.landing.app_lead): an owner rewrites it.
    return text.replace(f"{OLD_APP} is a relationship app", f"{APP} is a relationship app")


def build(tmp: Path) -> Rebranded:
    project = copy_project(tmp / "project")
    config = project / "mkdocs.yml"
    config.write_text(rebranded_config(config.read_text(encoding="utf-8")), encoding="utf-8")
    # The service's environment file, as DEPLOY.md writes it (secrets and all); only SITE_URL
    # is the build's.
    env_file = tmp / "service.env"
    env_file.write_text(f"# the service's settings\nPORT=8000\nSITE_DIR={project / 'site'}\nSITE_URL={PUBLIC_URL}\n"
                        "WAITLIST_SECRET=not-a-real-secret-0123456789\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in {"SITE_URL", "ENV_FILE", "PRODUCTION", "MAKEFLAGS"}}
    env.update(RT_PDF_CACHE=str(ROOT / ".cache" / "pdf"), PYTHONDONTWRITEBYTECODE="1")
    result = subprocess.run(
        ["make", "--no-print-directory", "-o", ".venv/bin/.installed", "build", f"ENV_FILE={env_file}", "PRODUCTION=1"],
        cwd=project, env=env, capture_output=True, text=True, timeout=900,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    return Rebranded(project, project / "site", env_file, output)
