"""The landing page's waitlist form in a real browser, against the real service and its
SQLite file: with JavaScript (JSON post, message in place) and without (plain POST, 303)."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path


def stored(database: Path, email: str) -> int:
    with sqlite3.connect(database) as db:
        return db.execute("SELECT count(*) FROM waitlist_signups WHERE email = ?", (email,)).fetchone()[0]


def test_signing_up_with_javascript_shows_success_in_place(page, served: str, database: Path) -> None:  # type: ignore[no-untyped-def]
    email = f"js-{uuid.uuid4().hex[:8]}@example.com"
    page.goto(served)
    page.fill("#rt-waitlist-email", email.upper())
    page.check("#rt-waitlist-consent")
    page.click("#rt-waitlist-form button[type=submit]")
    message = page.locator("#rt-waitlist-message.rt-waitlist__message--success")
    message.wait_for()
    assert "on the list" in message.inner_text()
    assert page.evaluate("document.activeElement.id") == "rt-waitlist-message"
    assert page.url.split("#")[0] == served  # no navigation: the reply was shown in place
    assert stored(database, email) == 1


def test_with_double_opt_in_the_form_says_to_check_the_inbox(page, served: str) -> None:  # type: ignore[no-untyped-def]
    """The served site has no mail server: the reply of one that has is played to the page."""
    page.goto(served)
    page.route("**/api/waitlist", lambda route: route.fulfill(
        status=200, content_type="application/json",
        body='{"ok": true, "message": "Thank you.", "confirm": true}'))
    page.fill("#rt-waitlist-email", "inbox@example.com")
    page.check("#rt-waitlist-consent")
    page.click("#rt-waitlist-form button[type=submit]")
    message = page.locator("#rt-waitlist-message.rt-waitlist__message--success")
    message.wait_for()
    assert "check your inbox" in message.inner_text()


def test_errors_are_tied_to_their_field_and_focused(page, served: str, database: Path) -> None:  # type: ignore[no-untyped-def]
    page.goto(served)
    page.fill("#rt-waitlist-email", "not-an-email")
    page.check("#rt-waitlist-consent")
    page.click("#rt-waitlist-form button[type=submit]")
    assert page.get_attribute("#rt-waitlist-email", "aria-invalid") == "true"
    assert "name@example.com" in page.inner_text("#rt-waitlist-email-error")
    assert page.get_attribute("#rt-waitlist-email", "aria-describedby") == "rt-waitlist-email-error"
    assert page.evaluate("document.activeElement.id") == "rt-waitlist-message"
    page.fill("#rt-waitlist-email", "consent-missing@example.com")
    page.uncheck("#rt-waitlist-consent")
    page.click("#rt-waitlist-form button[type=submit]")
    assert "tick the box" in page.inner_text("#rt-waitlist-consent-error")
    assert stored(database, "consent-missing@example.com") == 0


def test_service_unreachable_is_explained(page, served: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(served)
    page.route("**/api/waitlist", lambda route: route.abort())
    page.fill("#rt-waitlist-email", "offline@example.com")
    page.check("#rt-waitlist-consent")
    page.click("#rt-waitlist-form button[type=submit]")
    page.locator(".rt-waitlist__message--error").wait_for()
    assert "couldn’t reach" in page.inner_text("#rt-waitlist-message")


def test_without_javascript_the_form_posts_and_lands_on_the_thank_you_page(browser, served: str, database: Path) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    email = f"nojs-{uuid.uuid4().hex[:8]}@example.com"
    page.goto(served)
    page.fill("#rt-waitlist-email", email)
    page.check("#rt-waitlist-consent")
    with page.expect_navigation():
        page.click("#rt-waitlist-form button[type=submit]")
    assert page.url == served + "waitlist/thanks/"
    assert "on the list" in page.inner_text("article")
    assert stored(database, email) == 1
    context.close()


def test_without_javascript_an_error_page_explains_and_keeps_what_was_typed(browser, served: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(served)
    # An address the browser's own check lets through and the service refuses (no dot).
    page.fill("#rt-waitlist-email", "kept@example")
    page.check("#rt-waitlist-consent")
    with page.expect_navigation():
        page.click("#rt-waitlist-form button[type=submit]")
    assert "kept" not in page.url  # the reply to the POST is the page: nothing typed in the address
    assert "name@example.com" in page.inner_text("#rt-waitlist-message")
    assert page.input_value("#rt-waitlist-email") == "kept@example"
    assert page.is_checked("#rt-waitlist-consent")
    assert page.locator("link[rel=stylesheet]").count() > 0
    context.close()


def test_without_javascript_a_reader_removes_their_address_from_the_privacy_note(browser, served: str, database: Path) -> None:  # type: ignore[no-untyped-def]
    """The served site has no mail server: the removal is immediate (with one, a link is sent)."""
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    email = f"leave-{uuid.uuid4().hex[:8]}@example.com"
    page.request.post(served + "api/waitlist", form={"email": email, "consent": "on"}, max_redirects=0)
    assert stored(database, email) == 1
    page.goto(served + "privacy/")
    with page.expect_navigation():
        page.click("text=removal page")
    assert page.url == served + "waitlist/remove/"
    assert page.get_attribute("#rt-waitlist-email", "aria-describedby") == "rt-waitlist-message"
    page.fill("#rt-waitlist-email", email.upper())
    with page.expect_navigation():
        page.click("#rt-waitlist-action button[type=submit]")
    assert page.url == served + "waitlist/removed/"
    assert stored(database, email) == 0
    context.close()
