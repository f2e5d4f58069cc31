"""The waitlist's two modes as an owner sets them up (issue 25), each built with `mkdocs build
--strict` on a scratch copy of the project (tests/rebrand.py `copy_project`; no PDFs).

- DEPLOY.md's "1. Static hosting with a hosted form provider", "Form settings": every code block
  of the section is taken from the file as written (tests/deploy_document.py; its placeholders
  filled in here), pasted as the whole `extra.waitlist` block of mkdocs.yml and built. A block
  added there that no test runs fails `test_every_block_of_the_hosting_section_is_run`, and
  tests/test_deploy_document.py (this module declares its blocks in DEPLOY_MD_BLOCKS).
- Hosted-form mode builds only the pages a static host can serve: no page posts to `/api/`,
  nothing links a page left out, the sitemap lists no waitlist page. The privacy note names the
  provider and the organisation (`extra.organisation`), and no email that is never sent.
- The bundled service, built without mail and, through `scripts/build.py` with the service's
  environment file (`make build`'s ENV_FILE), with SMTP_URL: the privacy note describes the
  confirmation email only then. No waitlist page is in the sitemap in either mode.
- The settings' checks (sitebuild/waitlist.py), and `make check` naming a setting the build would
  refuse (sitebuild/check.py).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import yaml
from bs4 import BeautifulSoup

from sitebuild.waitlist import MESSAGES, SERVICE_ONLY, WaitlistError, mail_setting, settings
from tests.conftest import sitemap_paths
from tests.deploy_document import block, blocks
from tests.rebrand import copy_project
from tests.shared import once, project_caches

pytestmark = pytest.mark.build  # scratch copies of the project, built whole (tests/conftest.py)

ROOT = Path(__file__).resolve().parent.parent
SECTION = "Form settings"  # under DEPLOY.md's "1. Static hosting with a hosted form provider"
# What the test writes for DEPLOY.md's placeholders.
PLACEHOLDERS = {"<id>": "xtestform", "<user>": "someone"}
# The provider each of the section's blocks sets up, in the order DEPLOY.md gives them, and a
# string only its block holds.
PROVIDERS = {"Formspree": "formspree.io/f/", "Buttondown": "buttondown.com/", "Netlify": "netlify: true"}
# The blocks of DEPLOY.md this module builds (tests/test_deploy_document.py reads this).
DEPLOY_MD_BLOCKS = {
    ("Form settings", "formspree.io/f/"): ("test_every_block_of_the_hosting_section_is_run",
                                           "test_hosted_mode_builds_only_the_thank_you_page",
                                           "test_no_page_posts_to_the_service", "test_the_sitemap_lists_no_waitlist_page",
                                           "test_the_privacy_note_names_the_provider_and_the_organisation",
                                           "test_the_form_is_the_providers", "test_make_check_names_what_the_build_would_refuse"),
    ("Form settings", "buttondown.com/"): ("test_every_block_of_the_hosting_section_is_run",
                                           "test_hosted_mode_builds_only_the_thank_you_page",
                                           "test_no_page_posts_to_the_service", "test_the_sitemap_lists_no_waitlist_page",
                                           "test_the_privacy_note_names_the_provider_and_the_organisation",
                                           "test_the_form_is_the_providers", "test_make_check_names_what_the_build_would_refuse"),
    ("Form settings", "netlify: true"): ("test_every_block_of_the_hosting_section_is_run",
                                         "test_hosted_mode_builds_only_the_thank_you_page",
                                         "test_no_page_posts_to_the_service", "test_the_sitemap_lists_no_waitlist_page",
                                         "test_the_privacy_note_names_the_provider_and_the_organisation",
                                         "test_the_form_is_the_providers", "test_make_check_names_what_the_build_would_refuse"),
}
SITE_URL = "https://course.example.org/"
ORGANISATION = ("The team behind this course", "privacy@example.org")  # mkdocs.yml's extra.organisation
WAITLIST_PAGES = ("thanks", *(Path(p).stem for p in SERVICE_ONLY))
SECRET = "s3cret-smtp-password"


# --- DEPLOY.md's blocks ----------------------------------------------------------------------

def section_blocks() -> list[tuple[str, str]]:
    """(language, text) of the section's block for each provider, in PROVIDERS' order, as written."""
    return [(b.language, b.text) for b in (block(SECTION, marker) for marker in PROVIDERS.values())]


def filled(block: str) -> str:
    for placeholder, value in PLACEHOLDERS.items():
        block = block.replace(placeholder, value)
    assert not re.search(r"<[a-z_]+>", block), f"a placeholder the test does not fill:\n{block}"
    return block


def with_waitlist_block(config: str, block: str) -> str:
    """mkdocs.yml with its `extra.waitlist` replaced by `block` (DEPLOY.md's `extra:\\n  waitlist:
    …`), as an owner pastes it: everything under `  waitlist:` goes, the block's lines come in."""
    assert block.startswith("extra:\n  waitlist:\n"), block
    lines = config.splitlines(keepends=True)
    start = lines.index("  waitlist:\n")
    end = next(i for i in range(start + 1, len(lines)) if lines[i].strip() and not lines[i].startswith("    "))
    return "".join(lines[:start]) + block.removeprefix("extra:\n") + "".join(lines[end:])


def test_every_block_of_the_hosting_section_is_run() -> None:
    """One YAML block per provider this module builds, in order; any other block of the
    section fails here (and any other block of DEPLOY.md, in tests/test_deploy_document.py)."""
    ours = section_blocks()
    assert [language for language, _ in ours] == ["yaml"] * len(PROVIDERS), ours
    assert [b.text for b in blocks() if b.section == SECTION] == [text for _, text in ours]
    extra = {"organisation": {"name": ORGANISATION[0], "contact": ORGANISATION[1]}}
    found = [settings({**extra, **yaml.safe_load(filled(text))["extra"]}, SITE_URL, {})[0]["provider"]
             for _, text in ours]
    assert found == list(PROVIDERS)


# --- building --------------------------------------------------------------------------------

def environment(**more: str) -> dict[str, str]:
    """The build's environment: no mail setting of the test runner's, the project's caches."""
    env = {k: v for k, v in os.environ.items() if k not in {"SMTP_URL", "RT_WAITLIST_MAIL", "SITE_URL", "MAKEFLAGS"}}
    env.update(NO_MKDOCS_2_WARNING="1", RT_PDF="0", PYTHONDONTWRITEBYTECODE="1", **project_caches(ROOT))
    env.update(more)
    return env


def mkdocs_build(project: Path, env: dict[str, str]) -> Path:
    site = project / "site"
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
                            cwd=project, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr[-4000:]
    return site


# Each build below is made once per run for every worker (tests/shared.py `once`).


@pytest.fixture(scope="session", params=PROVIDERS)
def hosted(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict, Path]:
    """(provider, its block's settings, the site built with DEPLOY.md's block for it)."""
    provider = request.param
    _, text = section_blocks()[list(PROVIDERS).index(provider)]
    block = filled(text)

    def make(folder: Path) -> str:
        project = copy_project(folder / "project")
        config = project / "mkdocs.yml"
        config.write_text(with_waitlist_block(config.read_text(encoding="utf-8"), block), encoding="utf-8")
        return str(mkdocs_build(project, environment(SITE_URL=SITE_URL)))

    site = Path(once(tmp_path_factory, f"hosted-{provider.lower()}", make))
    return provider, yaml.safe_load(block)["extra"]["waitlist"], site


@pytest.fixture(scope="session")
def service_without_mail(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project as it is (the bundled service), built with no SMTP_URL anywhere."""

    def make(folder: Path) -> str:
        return str(mkdocs_build(copy_project(folder / "project"), environment(SITE_URL=SITE_URL)))

    return Path(once(tmp_path_factory, "service-without-mail", make))


@pytest.fixture(scope="session")
def service_with_mail(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project built as `make build ENV_FILE=…` does (scripts/build.py, the check skipped),
    with SITE_URL and SMTP_URL only in the service's environment file."""

    def make(tmp: Path) -> str:
        project = copy_project(tmp / "project")
        env_file = tmp / "service.env"
        env_file.write_text(f"SITE_URL={SITE_URL}\nSMTP_URL=smtp+starttls://waitlist:{SECRET}@smtp.example.net:587\n"
                            "WAITLIST_SECRET=not-a-real-secret-0123456789\n", encoding="utf-8")
        result = subprocess.run([sys.executable, "-m", "scripts.build", "--no-check", "--site-dir", "site",
                                 "--env-file", str(env_file)], cwd=project, env=environment(), capture_output=True,
                                text=True, timeout=600)
        assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr[-4000:]
        return str(project / "site")

    return Path(once(tmp_path_factory, "service-with-mail", make))


def soup(site: Path, path: str) -> BeautifulSoup:
    return BeautifulSoup((site / path / "index.html").read_text(encoding="utf-8"), "lxml")


def prose(site: Path, path: str) -> str:
    """The page's article as text, on one line (no space before a full stop after a link)."""
    return re.sub(r" ([.,;:)])", r"\1", re.sub(r"\s+", " ", soup(site, path).select_one("article").get_text(" ")))


def html_pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def waitlist_links(site: Path) -> set[str]:
    """Every /waitlist/… address a built page links to or posts to (its path)."""
    found = set()
    for file in html_pages(site):
        page = "/" + file.relative_to(site).as_posix()
        doc = BeautifulSoup(file.read_text(encoding="utf-8"), "lxml")
        for target in [a["href"] for a in doc.select("a[href]")] + [f["action"] for f in doc.select("form[action]")]:
            path = urlsplit(urljoin(f"https://course.example.org{page}", target))
            if path.netloc == "course.example.org" and path.path.startswith("/waitlist/") and not target.startswith("#"):
                found.add(path.path.removesuffix("index.html"))
    return found


# --- hosted-form mode ------------------------------------------------------------------------

def test_hosted_mode_builds_only_the_thank_you_page(hosted: tuple[str, dict, Path]) -> None:
    _, _, site = hosted
    assert sorted(p.name for p in (site / "waitlist").iterdir()) == ["thanks"]
    assert waitlist_links(site) <= {"/waitlist/thanks/"}
    assert not (site / "_mail.json").exists()  # the provider writes its own emails


def test_no_page_posts_to_the_service(hosted: tuple[str, dict, Path]) -> None:
    _, block, site = hosted
    actions, ours = set(), []
    for file in html_pages(site):
        page = "https://course.example.org/" + file.relative_to(site).as_posix()
        doc = BeautifulSoup(file.read_text(encoding="utf-8"), "lxml")
        actions |= {form["action"] for form in doc.select("form[action]")}
        for element in doc.find_all(True):
            for value in element.attrs.values():
                for text in value if isinstance(value, list) else [value]:
                    address = urlsplit(urljoin(page, text))
                    if "api/" in text and address.netloc == "course.example.org" and address.path.startswith("/api/"):
                        ours.append(f"{file.relative_to(site)}: <{element.name}> {text}")
    assert not ours, ours
    for file in site.rglob("*"):
        if file.suffix in {".html", ".js", ".json", ".xml", ".txt", ".webmanifest"}:
            assert b"/api/waitlist" not in file.read_bytes(), file.relative_to(site)
    # The landing page's form, the search field's (no action), and the journal's forms (none
    # posts anywhere): the provider is the one place a sign-up goes.
    assert actions == {block["action"]}, actions


def test_the_sitemap_lists_no_waitlist_page(hosted: tuple[str, dict, Path]) -> None:
    _, _, site = hosted
    paths = sitemap_paths(site)
    assert "privacy/" in paths and len(paths) > 20
    assert not [p for p in paths if p.startswith("waitlist/")]


def test_the_privacy_note_names_the_provider_and_the_organisation(hosted: tuple[str, dict, Path]) -> None:
    provider, block, site = hosted
    note = prose(site, "privacy")
    name, contact = ORGANISATION
    assert f"Who holds the waitlist. {name} (“we” and “us” on this page)." in note
    assert f"to {provider}, the service that keeps the list for us, under its own privacy policy" in note
    assert f"To be removed, write to {contact}." in note
    links = [a["href"] for a in soup(site, "privacy").select("article a[href]")]
    assert f"mailto:{contact}" in links and not [h for h in links if "waitlist/" in h]
    assert "reply to any email" not in note and "removal page" not in note
    # An email only from a provider that sends one itself (DEPLOY.md's Buttondown block).
    assert ("then sends you one email with a link to confirm your address" in note) == bool(block.get("double_opt_in"))
    assert "We send one email" not in note


def test_the_form_is_the_providers(hosted: tuple[str, dict, Path]) -> None:
    provider, block, site = hosted
    form = soup(site, "").select_one("#rt-waitlist-form")
    assert form["action"] == block["action"] and form["method"] == "post"
    assert not form.has_attr("data-rt-json")  # json: false, an ordinary form
    assert form.select_one(f"input[name={block['honeypot_field']}]") is not None
    assert form.has_attr("data-netlify") == (provider == "Netlify")
    assert form["data-rt-msg-success"] == MESSAGES["success"].replace("'", "’")  # the default wording
    redirect = form.select_one("input[name=_next]")
    assert (redirect["value"] if redirect else None) == (SITE_URL + "waitlist/thanks/" if provider == "Formspree" else None)


# --- the bundled service ---------------------------------------------------------------------

def test_the_service_builds_every_waitlist_page_and_lists_none(service_without_mail: Path) -> None:
    site = service_without_mail
    assert sorted(p.name for p in (site / "waitlist").iterdir()) == sorted(WAITLIST_PAGES)
    assert not [p for p in sitemap_paths(site) if p.startswith("waitlist/")]
    assert "privacy/" in sitemap_paths(site)
    # The service's emails in mkdocs.yml's words, the course and the app named (sitebuild/waitlist.py).
    wording = json.loads((site / "_mail.json").read_text(encoding="utf-8"))
    assert sorted(wording) == ["confirm_intro", "confirm_subject", "removal_intro", "removal_subject"]
    for text in (wording["confirm_intro"], wording["removal_intro"]):
        assert "Rebuilding Trust" in text and "Wendo" in text and "{site}" in text and "{app}" not in text


def test_without_mail_the_privacy_note_promises_no_email(service_without_mail: Path) -> None:
    note = prose(service_without_mail, "privacy")
    name, contact = ORGANISATION
    assert f"Who holds the waitlist. {name}" in note and f"write to {contact}" in note
    assert "Signing up sends you nothing" in note
    assert "enter your address: it is deleted from the list at once" in note
    for promise in ("We send one email", "confirm", "expired", "Every email we send", "reply to any email"):
        assert promise not in note, promise
    assert "../waitlist/remove/" in [a["href"] for a in soup(service_without_mail, "privacy").select("article a[href]")]


def test_with_mail_the_privacy_note_describes_the_confirmation_email(service_with_mail: Path) -> None:
    note = prose(service_with_mail, "privacy")
    name, contact = ORGANISATION
    assert f"Who holds the waitlist. {name}" in note and f"You can also write to {contact}." in note
    assert "We send one email with a link." in note
    assert "We first send a link to that address, so nobody can remove someone else" in note
    assert "Signing up sends you nothing" not in note and "reply to any email" not in note
    assert not [p for p in sitemap_paths(service_with_mail) if p.startswith("waitlist/")]


def test_the_mail_servers_address_is_never_read_into_the_build(service_with_mail: Path) -> None:
    for file in service_with_mail.rglob("*"):
        if file.is_file() and file.suffix not in {".br", ".gz", ".png", ".pdf", ".ico", ".woff2"}:
            assert SECRET.encode() not in file.read_bytes(), file


# --- the settings ----------------------------------------------------------------------------

EXTRA = {"organisation": {"name": "Ana's Books & Co", "contact": "https://ana.example/contact"}}


def test_a_partial_block_gets_every_default() -> None:
    block, organisation, _ = settings({**EXTRA, "waitlist": {"action": "https://formspree.io/f/x"}}, SITE_URL, {})
    assert {k: block[k] for k in ("method", "json", "netlify", "double_opt_in", "mail", "mode", "source",
                                  "email_field", "consent_field", "honeypot_field")} == {
        "method": "post", "json": False, "netlify": False, "double_opt_in": False, "mail": False, "mode": "hosted",
        "source": "landing", "email_field": "email", "consent_field": "consent", "honeypot_field": "website"}
    assert block["messages"] == MESSAGES
    assert organisation == {"name": "Ana's Books & Co", "contact": "https://ana.example/contact",
                            "contact_url": "https://ana.example/contact"}
    service, _, _ = settings({**EXTRA, "waitlist": {"messages": {"success": "Done."}}}, SITE_URL, {})
    assert (service["mode"], service["json"], service["action"]) == ("service", True, "/api/waitlist")
    assert service["messages"] == {**MESSAGES, "success": "Done."}


def test_mail_comes_from_the_setting_else_from_where_the_service_reads_it() -> None:
    service = {"action": "/api/waitlist"}
    assert mail_setting(service, None, {})[0] is False
    assert mail_setting(service, None, {"SMTP_URL": "smtp://localhost"})[0] is True
    assert mail_setting(service, None, {"SMTP_URL": "smtp://localhost", "RT_WAITLIST_MAIL": "0"})[0] is False
    assert mail_setting(service, None, {"RT_WAITLIST_MAIL": "1"})[0] is True
    assert mail_setting({**service, "mail": False}, None, {"RT_WAITLIST_MAIL": "1"}) == (False, "extra.waitlist.mail in mkdocs.yml")
    assert mail_setting({"action": "https://formspree.io/f/x"}, "Formspree", {"SMTP_URL": "smtp://x"})[0] is False


def test_make_build_passes_on_only_whether_smtp_url_is_set(tmp_path: Path) -> None:
    """scripts/build.py: SMTP_URL in the environment, else in the environment file (ENV_FILE)."""
    from scripts.build import mail_configured

    env_file = tmp_path / "service.env"
    assert mail_configured({}, env_file) is False  # no file
    env_file.write_text("SITE_URL=https://x.example/\n# SMTP_URL=smtp://old\nSMTP_URL=\n", encoding="utf-8")
    assert mail_configured({}, env_file) is False  # commented out, empty
    assert mail_configured({"SMTP_URL": "smtp://localhost"}, env_file) is True
    env_file.write_text("SMTP_URL='smtps://u:p@mail.example:465'\n", encoding="utf-8")
    assert mail_configured({}, env_file) is True
    assert mail_configured({}, None) is False
    env_file.chmod(0o000)
    if not os.access(env_file, os.R_OK):  # root reads it anyway
        assert mail_configured({}, env_file) is None


@pytest.mark.parametrize(("extra", "expected"), [
    ({"waitlist": {}}, ["mkdocs.yml: extra.organisation: missing; give name (who holds the waitlist's addresses: "
                        "a person, team or company) and contact (an email address or an https:// page where "
                        "readers ask for removal); the privacy note names both"]),
    ({"organisation": {"contact": "x@example.org"}},
     ["mkdocs.yml: extra.organisation.name: missing; give who holds the waitlist's addresses (a person, team or "
      "company), on one line"]),
    ({"organisation": {"name": "Us", "contact": "http://us.example/"}},
     ["mkdocs.yml: extra.organisation.contact: found 'http://us.example/'; give an email address "
      "(privacy@your.domain) or an https:// page where readers ask to be removed or what is kept about them"]),
    ({**EXTRA, "waitlist": {"netlfy": True, "json": "no", "messages": {"sucess": "x"}}},
     ["mkdocs.yml: extra.waitlist.netlfy: not a setting of this block; the settings are action, method, "
      "email_field, consent_field, honeypot_field, source, json, netlify, double_opt_in, mail, provider, "
      "redirect_field, messages (DEPLOY.md, Form settings)",
      "mkdocs.yml: extra.waitlist.json: found 'no'; give true or false",
      "mkdocs.yml: extra.waitlist.messages.sucess: not a message of the form; the messages are success, "
      "check_inbox, invalid_email, consent_missing, rate_limited, unreachable, offline, confirm_subject, "
      "confirm_intro, removal_subject, removal_intro"]),
    ({**EXTRA, "waitlist": {"messages": {"confirm_intro": "Join {app} at {url}."}}},
     ["mkdocs.yml: extra.waitlist.messages.confirm_intro: found {url}; the email can fill in only {course}, {app}, "
      "{site}"]),
    ({**EXTRA, "waitlist": {"action": "https://formspree.io/f/x", "mail": True}},
     ["mkdocs.yml: extra.waitlist.mail: found True with Formspree; mail is the bundled service's (SMTP_URL): "
      "leave it out, and give double_opt_in: true if Formspree mails a confirmation link itself"]),
])
def test_each_wrong_setting_is_named(extra: dict, expected: list[str]) -> None:
    with pytest.raises(WaitlistError) as error:
        settings(extra, SITE_URL, {})
    assert str(error.value).splitlines() == expected


def test_make_check_names_what_the_build_would_refuse(tmp_path: Path) -> None:
    """`make check` printed `ok` before a build that then failed: it now runs the same checks."""
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    broken = tmp_path / "mkdocs.yml"
    broken.write_text(config.replace("    contact: privacy@example.org\n", "    contact: the office\n"), encoding="utf-8")
    line = next(n for n, text in enumerate(broken.read_text(encoding="utf-8").splitlines(), 1)
                if text == "    contact: the office")
    result = subprocess.run([sys.executable, "-m", "sitebuild.check", "--no-print", "--config", str(broken)], cwd=ROOT,
                            env=environment(), capture_output=True, text=True, timeout=300)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"  mkdocs.yml:{line}: extra.organisation.contact: found 'the office'; give an email address" in result.stderr
    assert "Traceback" not in result.stderr
    # DEPLOY.md's blocks, pasted as the whole block, pass the check as they pass the build.
    from sitebuild.check import config_problems

    for _, text in section_blocks():
        pasted = tmp_path / "pasted.yml"
        pasted.write_text(with_waitlist_block(config, filled(text)), encoding="utf-8")
        assert config_problems(pasted) == []
