"""Under the service's strict content security policy, nothing is blocked and nothing errs:
every page, search, a reflection box, the journal and the waitlist form."""

from __future__ import annotations

from pathlib import Path
from urllib.request import urlopen

from tests.conftest import page_paths

RECORD_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  const seen = JSON.parse(sessionStorage.getItem("__csp") || "[]");
  seen.push(`${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`);
  sessionStorage.setItem("__csp", JSON.stringify(seen));
});
"""


def test_the_service_sends_a_strict_policy(served: str) -> None:
    with urlopen(served) as response:
        csp = response.headers["Content-Security-Policy"]
    script_src = next(d for d in csp.split(";") if d.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script_src and "sha256-" in script_src


def test_no_policy_violation_or_console_error_anywhere(browser, served: str, site: Path) -> None:  # type: ignore[no-untyped-def]
    # With the offline worker (tests/conftest.py blocks it elsewhere): it registers on the first
    # page and then answers for the rest, under the same policy (worker-src, manifest-src).
    context = browser.new_context(service_workers="allow")
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text} @ {page.url}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e} @ {page.url}"))

    def violations() -> list[str]:
        return page.evaluate("JSON.parse(sessionStorage.getItem('__csp') || '[]')")

    for path in page_paths(site):
        page.goto(served + path)
    # Search, as a reader uses it.
    page.goto(served)
    box = page.locator("input[data-md-component=search-query]")
    box.click()
    box.press_sequentially("forgiveness", delay=10)
    page.locator(".md-search-result__item").first.wait_for()
    # A reflection box.
    page.goto(served + "betrayal/")
    page.locator("textarea[data-rt-key^='prompt:']").first.fill("A private answer")
    page.wait_for_timeout(600)
    # The journal, and the waitlist form (JSON post to the service).
    page.goto(served + "journal/")
    page.goto(served)
    page.fill("#rt-waitlist-email", "csp-test@example.com")
    page.check("#rt-waitlist-consent")
    page.click("#rt-waitlist-form button[type=submit]")
    page.locator(".rt-waitlist__message--success").wait_for()
    assert violations() == []
    context.close()
    assert problems == []
