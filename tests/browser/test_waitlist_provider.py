"""The waitlist form with a hosted provider (DEPLOY.md's Formspree settings), in Chromium: the
site is built with them, served by the bundled service (its headers: CSP, `Referrer-Policy:
same-origin`), and the provider's address is intercepted. The post carries the redirect back
to our thank-you page and the site's origin, and nothing else leaves the site. The privacy
note names the provider; the default build's names none (sitebuild/waitlist.py)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from urllib.request import urlopen

import pytest

from tests.conftest import free_port, start_serving
from tests.rebrand import copy_project, replace_line
from tests.shared import keep_running, once

ACTION = "https://formspree.io/f/xtestform"
# DEPLOY.md's "Formspree" block, as an owner changes extra.waitlist in mkdocs.yml.
FORMSPREE = {
    "    action: /api/waitlist\n": f"    action: {ACTION}\n",
    "    json: true\n": "    json: false\n",
    "    honeypot_field: website\n": "    honeypot_field: _gotcha\n",
}


# DEPLOY.md's "Buttondown" block, with its double opt-in turned on.
BUTTONDOWN = {
    "    action: /api/waitlist\n": "    action: https://buttondown.com/api/emails/embed-subscribe/someone\n",
    "    json: true\n": "    json: false\n    double_opt_in: true\n",
}


def build(tmp: Path, settings: dict[str, str], base: str) -> Path:
    """The project, with these lines of mkdocs.yml changed, built with `mkdocs build --strict`."""
    project = copy_project(tmp / "project")
    config = project / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    for old, new in settings.items():
        text = replace_line(text, old, new)
    config.write_text(text, encoding="utf-8")
    env = {**os.environ, "SITE_URL": base, "RT_PDF": "0", "NO_MKDOCS_2_WARNING": "1"}
    site = project / "site"
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
                            cwd=project, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-4000:]
    return site


def text_of(site: Path, page: str) -> str:
    """The page's article, on one line."""
    html = (site / page / "index.html").read_text(encoding="utf-8")
    article = re.search(r"<article.*?</article>", html, re.S)
    assert article, page
    return re.sub(r"\s+", " ", article.group(0))


@pytest.fixture(scope="session")
def formspree_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """The project built with Formspree's settings and served by the bundled service, once per
    run for every worker (tests/shared.py)."""

    def make(tmp: Path) -> list[str]:
        port = free_port()
        site = build(tmp, FORMSPREE, f"http://127.0.0.1:{port}/")
        keep_running(tmp_path_factory, start_serving(site, port, tmp / "db.sqlite3"))
        return [f"http://127.0.0.1:{port}/", str(site)]

    base, site = once(tmp_path_factory, "formspree", make)
    return base, Path(site)


def test_the_post_goes_to_formspree_with_the_way_back_and_the_sites_origin(browser, formspree_site: tuple[str, Path]) -> None:  # type: ignore[no-untyped-def]
    base, _ = formspree_site
    origin = base.rstrip("/")
    context = browser.new_context()
    page = context.new_page()
    elsewhere: list[str] = []
    page.on("request", lambda r: elsewhere.append(f"{r.method} {r.url}") if not r.url.startswith(base) else None)
    posted: list[dict] = []

    def formspree(route) -> None:  # type: ignore[no-untyped-def]
        request = route.request
        posted.append({"headers": request.all_headers(), "form": parse_qs(request.post_data or "")})
        # What Formspree does with `_next`: send the visitor there.
        route.fulfill(status=303, headers={"Location": posted[-1]["form"]["_next"][0]})

    page.route("https://formspree.io/**", formspree)
    page.goto(base)
    page.fill("#rt-waitlist-email", "reader@example.com")
    page.check("#rt-waitlist-consent")
    with page.expect_navigation(url=base + "waitlist/thanks/"):
        page.click("#rt-waitlist-form button[type=submit]")
    thanks = page.inner_text("article")
    assert "on the list" in thanks and "write to" in thanks and "reply to any email" not in thanks
    assert page.locator("article a[href*='remove']").count() == 0  # no removal page without the service
    assert len(posted) == 1
    form, headers = posted[0]["form"], posted[0]["headers"]
    assert form == {"email": ["reader@example.com"], "consent": ["on"], "source": ["landing"],
                    "_next": [base + "waitlist/thanks/"]}
    # strict-origin-when-cross-origin: the site's origin, never the page's path (the service
    # itself sends Referrer-Policy: same-origin, which would post Origin: null and no Referer).
    assert headers["origin"] == origin
    assert headers["referer"] == base
    assert elsewhere == [f"POST {ACTION}"]
    context.close()


def test_only_the_landing_page_sets_the_referrer_policy(formspree_site: tuple[str, Path]) -> None:
    _, site = formspree_site
    meta = '<meta name="referrer" content="strict-origin-when-cross-origin">'
    assert meta in (site / "index.html").read_text(encoding="utf-8")
    assert meta not in (site / "privacy" / "index.html").read_text(encoding="utf-8")


def test_the_privacy_note_names_formspree(formspree_site: tuple[str, Path]) -> None:
    _, site = formspree_site
    note = text_of(site, "privacy")
    assert "to Formspree, the service that keeps the list for us" in note
    assert "Apart from the waitlist form, which sends what you type in it to Formspree" in note
    assert "This site loads nothing from other websites" not in note
    assert "we store your email address" not in note  # the bundled service's paragraph


def test_the_default_build_names_no_provider_and_keeps_the_sites_referrer_policy(site: Path) -> None:
    landing = (site / "index.html").read_text(encoding="utf-8")
    note = re.sub(r"\s+", " ", (site / "privacy" / "index.html").read_text(encoding="utf-8"))
    assert 'name="referrer"' not in landing and 'name="_next"' not in landing
    assert "Formspree" not in note and "the service that keeps the list" not in note
    assert "This site loads nothing from other websites" in note
    assert "we store your email address" in note


def test_formspree_form_action_is_allowed_by_the_policy(formspree_site: tuple[str, Path]) -> None:
    base, _ = formspree_site
    with urlopen(base) as response:
        csp = response.headers["Content-Security-Policy"]
    form_action = next(d.strip() for d in csp.split(";") if d.strip().startswith("form-action"))
    assert form_action == "form-action 'self' https://formspree.io"
    assert urlsplit(ACTION).netloc in csp


def test_with_a_providers_double_opt_in_the_thanks_page_says_to_check_the_inbox(tmp_path_factory: pytest.TempPathFactory) -> None:
    site = build(tmp_path_factory.mktemp("buttondown"), BUTTONDOWN, "https://course.example.org/")
    thanks = text_of(site, "waitlist/thanks")
    assert "Please check your inbox: Buttondown has sent you an email with a link to confirm your address." in thanks
    assert "You're on the list" not in thanks and "You’re on the list" not in thanks
    assert "to Buttondown, the service that keeps the list for us" in text_of(site, "privacy")
    assert 'name="_next"' not in (site / "index.html").read_text(encoding="utf-8")  # a Buttondown setting


def test_the_default_thanks_page_links_to_the_removal_page(site: Path) -> None:
    thanks = (site / "waitlist" / "thanks" / "index.html").read_text(encoding="utf-8")
    assert "on the list" in thanks and 'href="../remove/"' in thanks and "check your inbox" not in thanks
