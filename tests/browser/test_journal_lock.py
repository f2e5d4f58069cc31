"""The journal's passphrase lock and discreet mode in Chromium, against the built site
(overrides/assets/js/journal/store.js, lock.js, crypto.js; JOURNAL.md, schema 2).

What a person who opens this browser could read is read here the same way: every key and value
of localStorage and sessionStorage, after locking.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.helpers import (
    PREFIX,
    chapter_with_prompt,
    follow,
    import_file,
    journal_link,
    local_storage,
    nav_link,
    open_page,
    prompt_box,
    wait_ready,
    write_prompt,
)

PASSPHRASE = "blue kettle morning rain"


@pytest.fixture
def other_device(browser) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A second, independent browser profile."""
    context = browser.new_context()
    yield context
    context.close()
VAULT = "/rt:v2:vault"


def storage_dump(page) -> str:  # type: ignore[no-untyped-def]
    """Every key and value of both storage areas, as one text."""
    return page.evaluate(
        "JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage)])")


def set_lock(page, served: str, passphrase: str = PASSPHRASE) -> None:  # type: ignore[no-untyped-def]
    if not page.url.endswith("/journal/"):
        open_page(page, served, "journal/")
    page.locator('[data-rt-lock-open="set"]').click()
    page.locator("#rt-lock-set-new").fill(passphrase)
    page.locator("#rt-lock-set-again").fill(passphrase)
    page.locator('[data-rt-lock-form="set"] button[type="submit"]').click()
    page.wait_for_function("() => document.documentElement.classList.contains('rt-lock-open')")


def unlock(page, passphrase: str = PASSPHRASE) -> None:  # type: ignore[no-untyped-def]
    if page.locator("[data-rt-unlock-form]").is_hidden():
        page.locator("[data-rt-unlock-open]").click()
    page.locator("#rt-unlock-passphrase").fill(passphrase)
    page.locator("[data-rt-unlock-form] button[type=submit]").click()


def is_locked(page) -> bool:  # type: ignore[no-untyped-def]
    return page.evaluate("document.documentElement.classList.contains('rt-locked')")


def seed_journal(page, served: str, site: Path, text: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """An answer, a role, a completed chapter and a partner's answer, saved unlocked. The role is
    "both", so that no prompt is folded away."""
    chapter, prompt = chapter_with_prompt(site)
    open_page(page, served, f"{chapter}/")
    write_prompt(page, prompt, text)
    page.evaluate(
        """([prefix, text]) => {
             localStorage.setItem(prefix + "role", JSON.stringify("both"));
             localStorage.setItem(prefix + "partner", JSON.stringify({imported: 1, role: "broke-trust",
               answers: {"prompt:x": {v: text + "-partner", t: 1}}, completed: {}}));
           }""",
        [PREFIX, text],
    )
    page.locator("[data-rt-complete]").first.click()
    return chapter, prompt


def test_locking_leaves_nothing_readable_in_storage(page, served: str, site: Path) -> None:  # type: ignore[no-untyped-def]
    secret = "QWX-lock-secret-9182"
    chapter, prompt = seed_journal(page, served, site, secret)
    before = local_storage(page)
    assert any(secret in v for v in before.values()) and PREFIX + "role" in before  # what the lock must hide

    set_lock(page, served)
    dump = storage_dump(page)
    assert secret not in dump  # neither the answer nor the partner's
    assert '"both"' not in dump and "broke-trust" not in dump  # no role, not even the partner's
    for key in local_storage(page):
        assert not key.startswith((PREFIX + "a:", PREFIX + "done:", PREFIX + "role", PREFIX + "partner")), key
    vault = json.loads(local_storage(page)[VAULT])
    assert vault["format"] == "rebuilding-trust-vault" and vault["version"] == 2
    assert vault["kdf"]["name"] == "PBKDF2" and vault["kdf"]["hash"] == "SHA-256"
    assert vault["kdf"]["iterations"] >= 310000 and len(vault["kdf"]["salt"]) >= 20
    assert vault["cipher"]["name"] == "AES-GCM"

    # Still open in this tab: the journal lists the answer; saving more stays encrypted.
    assert secret in page.locator("[data-rt-journal-entries]").inner_text()
    follow(page, nav_link(page, served, f"{chapter}/"), f"{chapter}/")
    assert prompt_box(page, prompt).input_value() == secret
    ivs = {vault["cipher"]["iv"]}
    write_prompt(page, prompt, secret + " and more")
    page.evaluate("window.rtJournal.flush()")
    page.wait_for_function("([k, iv]) => JSON.parse(localStorage.getItem(k)).cipher.iv !== iv",
                           arg=[VAULT, vault["cipher"]["iv"]])
    vault2 = json.loads(local_storage(page)[VAULT])
    assert vault2["cipher"]["iv"] not in ivs  # a fresh IV for every write
    assert secret not in storage_dump(page)


def test_a_reload_or_a_new_tab_is_locked_and_only_the_passphrase_opens_it(page, served: str, site: Path) -> None:  # type: ignore[no-untyped-def]
    secret = "QWX-reload-4410"
    chapter, prompt = seed_journal(page, served, site, secret)
    set_lock(page, served)
    open_page(page, served, f"{chapter}/")
    assert is_locked(page)
    bar = page.locator("[data-rt-lock-bar]")
    assert bar.is_visible()
    assert prompt_box(page, prompt).input_value() == ""
    assert not page.locator("[data-rt-role-ui]").is_visible()  # the role is hidden too

    stored = storage_dump(page)
    unlock(page, "not the passphrase")
    alert = page.locator("[data-rt-unlock-alert]")
    alert.filter(has_text="does not open").wait_for()
    assert storage_dump(page) == stored and is_locked(page)

    unlock(page)
    page.wait_for_function("() => document.documentElement.classList.contains('rt-lock-open')")
    assert prompt_box(page, prompt).input_value() == secret
    assert not bar.is_visible() and alert.inner_text() == ""
    assert page.locator("[data-rt-complete]").first.get_attribute("aria-pressed") == "true"

    # Instant navigation keeps it open; a new tab of the same browser does not.
    follow(page, journal_link(page), "journal/")
    assert not is_locked(page) and secret in page.locator("[data-rt-journal-entries]").inner_text()
    other = page.context.new_page()
    open_page(other, served, f"{chapter}/")
    assert is_locked(other) and prompt_box(other, prompt).input_value() == ""
    other.close()


def test_words_typed_while_locked_are_kept_and_saved_after_unlocking(page, served: str, site: Path) -> None:  # type: ignore[no-untyped-def]
    chapter, prompt = seed_journal(page, served, site, "QWX-first-1100")
    set_lock(page, served)
    open_page(page, served, f"{chapter}/")
    box = prompt_box(page, prompt)
    box.fill("typed while locked QWX-2200")
    status = page.locator(f'.rt-reflection[data-rt-prompt="{prompt}"] [data-rt-status]')
    status.filter(has_text="locked").wait_for()
    page.wait_for_timeout(500)
    assert "QWX-2200" not in storage_dump(page)  # nothing readable was written
    unlock(page)
    page.wait_for_function("() => document.documentElement.classList.contains('rt-lock-open')")
    assert box.input_value() == "typed while locked QWX-2200"  # the newer words win over the stored ones
    assert page.evaluate("document.activeElement.getAttribute('data-rt-key')") == f"prompt:{prompt}"
    page.evaluate("window.rtJournal.flush()")
    page.reload()
    wait_ready(page, f"{chapter}/")
    unlock(page)
    page.wait_for_function("() => document.documentElement.classList.contains('rt-lock-open')")
    assert box.input_value() == "typed while locked QWX-2200"
    assert "QWX-2200" not in storage_dump(page)


def test_the_journal_locks_itself_after_the_idle_time_and_not_before(page, served: str, site: Path) -> None:  # type: ignore[no-untyped-def]
    page.clock.install()
    chapter, prompt = seed_journal(page, served, site, "QWX-idle-5150")
    minutes = int(page.locator("[data-rt-lock-minutes]").get_attribute("data-rt-lock-minutes"))
    assert minutes == 15  # mkdocs.yml's extra.journal.lock_after_minutes
    set_lock(page, served)
    follow(page, nav_link(page, served, f"{chapter}/"), f"{chapter}/")
    page.clock.run_for((minutes - 5) * 60_000)
    page.keyboard.press("Shift")  # activity resets the watch
    page.clock.run_for((minutes - 5) * 60_000)
    assert not is_locked(page) and prompt_box(page, prompt).input_value() == "QWX-idle-5150"
    page.clock.run_for(6 * 60_000)
    page.wait_for_function("() => document.documentElement.classList.contains('rt-locked')")
    assert prompt_box(page, prompt).input_value() == ""
    assert page.locator("[data-rt-lock-bar]").is_visible()


def test_change_and_remove_the_passphrase(page, served: str, site: Path) -> None:  # type: ignore[no-untyped-def]
    chapter, prompt = seed_journal(page, served, site, "QWX-change-3030")
    set_lock(page, served)
    page.locator('[data-rt-lock-open="change"]').click()
    page.locator("#rt-lock-change-current").fill("wrong one entirely")
    page.locator("#rt-lock-change-new").fill("second pass phrase")
    page.locator("#rt-lock-change-again").fill("second pass phrase")
    vault = local_storage(page)[VAULT]
    page.locator('[data-rt-lock-form="change"] button[type=submit]').click()
    page.locator("[data-rt-journal-alert]").filter(has_text="not your current passphrase").wait_for()
    assert local_storage(page)[VAULT] == vault
    page.locator("#rt-lock-change-current").fill(PASSPHRASE)
    page.locator('[data-rt-lock-form="change"] button[type=submit]').click()
    page.locator("[data-rt-journal-status]").filter(has_text="passphrase was changed").wait_for()
    assert json.loads(local_storage(page)[VAULT])["kdf"]["salt"] != json.loads(vault)["kdf"]["salt"]

    page.reload()
    wait_ready(page, "journal/")
    unlock(page)
    page.locator("[data-rt-unlock-alert]").filter(has_text="does not open").wait_for()
    unlock(page, "second pass phrase")
    page.wait_for_function("() => document.documentElement.classList.contains('rt-lock-open')")

    page.locator('[data-rt-lock-open="remove"]').click()
    page.locator("#rt-lock-remove-current").fill("second pass phrase")
    page.locator('[data-rt-lock-form="remove"] button[type=submit]').click()
    page.locator("[data-rt-journal-status]").filter(has_text="lock was removed").wait_for()
    stored = local_storage(page)
    assert VAULT not in stored and "QWX-change-3030" in stored[PREFIX + f"a:prompt:{prompt}"]
    open_page(page, served, f"{chapter}/")
    assert not is_locked(page) and prompt_box(page, prompt).input_value() == "QWX-change-3030"


def test_a_forgotten_passphrase_leaves_only_delete_everything(page, served: str, site: Path) -> None:  # type: ignore[no-untyped-def]
    seed_journal(page, served, site, "QWX-forgot-6060")
    set_lock(page, served)
    page.reload()
    wait_ready(page, "journal/")
    assert page.locator('[data-rt-lock-when="locked"]').is_visible()
    assert "Delete everything" in page.locator('[data-rt-lock-when="locked"]').inner_text()
    page.locator("[data-rt-delete]").click()
    page.locator("[data-rt-delete-yes]").click()
    assert [k for k in local_storage(page) if k.startswith("/rt:")] == []
    assert not is_locked(page) and page.locator('[data-rt-lock-when="none"]').is_visible()


def test_encrypted_export_opens_only_with_its_passphrase(page, served: str, site: Path, other_device, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    secret = "QWX-export-7070"
    chapter, prompt = seed_journal(page, served, site, secret)
    set_lock(page, served)
    page.reload()
    wait_ready(page, "journal/")

    # A locked journal asks for the passphrase before any export.
    page.locator('[data-rt-export="encrypted"]').click()
    form = page.locator("[data-rt-export-form]")
    assert form.is_visible()
    page.locator("#rt-export-passphrase").fill("wrong passphrase here")
    page.locator("[data-rt-export-go]").click()
    page.locator("[data-rt-journal-alert]").filter(has_text="does not open").wait_for()
    page.locator("#rt-export-passphrase").fill(PASSPHRASE)
    with page.expect_download() as download:
        page.locator("[data-rt-export-go]").click()
    encrypted = Path(download.value.path())
    text = encrypted.read_text(encoding="utf-8")
    assert secret not in text and '"both"' not in text
    envelope = json.loads(text)
    assert envelope["format"] == "rebuilding-trust-journal-encrypted" and envelope["kdf"]["iterations"] >= 310000

    # The plain export is offered too, also after the passphrase, and is plain.
    page.locator('[data-rt-export="json"]').click()
    page.locator("#rt-export-passphrase").fill(PASSPHRASE)
    with page.expect_download() as download:
        page.locator("[data-rt-export-go]").click()
    plain = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert plain["answers"][f"prompt:{prompt}"]["v"] == secret

    fresh = other_device.new_page()
    open_page(fresh, served, "journal/")
    import_file(fresh, "mine", encrypted)
    asked = fresh.locator("[data-rt-import-form]")
    asked.wait_for()
    fresh.locator("#rt-import-passphrase").fill("not it at all")
    fresh.locator("[data-rt-import-form] button[type=submit]").click()
    fresh.locator("[data-rt-journal-alert]").filter(has_text="Nothing was changed").wait_for()
    assert [k for k in local_storage(fresh) if "a:" in k] == []
    fresh.locator("#rt-import-passphrase").fill(PASSPHRASE)
    fresh.locator("[data-rt-import-form] button[type=submit]").click()
    fresh.locator("[data-rt-journal-status]").filter(has_text="Imported").wait_for()
    assert secret in fresh.locator("[data-rt-journal-entries]").inner_text()


def test_plaintext_from_schema_1_is_encrypted_in_place(page, served: str, site: Path) -> None:  # type: ignore[no-untyped-def]
    chapter, prompt = chapter_with_prompt(site)
    old = {f"{PREFIX}a:prompt:{prompt}": {"v": "QWX-v1-8080", "t": 1718000000000},
           f"{PREFIX}role": "broke-trust", f"{PREFIX}role-asked": True, f"{PREFIX}done:{chapter}": {"t": 1718000100000}}
    page.goto(served + "sources/")
    page.evaluate("o => { for (const [k, v] of Object.entries(o)) localStorage.setItem(k, JSON.stringify(v)) }", old)
    set_lock(page, served)
    assert set(old) & set(local_storage(page)) == set()
    assert "QWX-v1-8080" not in storage_dump(page)

    # A tab still open on the old version (or a lock set in another tab) may write schema 1 keys
    # after the lock exists: they are taken into the vault at the next unlock.
    page.evaluate("k => localStorage.setItem(k, JSON.stringify({v: 'QWX-stray-9090', t: Date.now()}))",
                  f"{PREFIX}a:prompt:stray-one")
    open_page(page, served, f"{chapter}/")
    unlock(page)
    page.wait_for_function("() => document.documentElement.classList.contains('rt-lock-open')")
    assert prompt_box(page, prompt).input_value() == "QWX-v1-8080"
    assert f"{PREFIX}a:prompt:stray-one" not in local_storage(page)
    follow(page, journal_link(page), "journal/")
    assert "QWX-stray-9090" in page.locator("[data-rt-journal-entries]").inner_text()


def test_discreet_mode_gives_the_tab_a_neutral_name_and_icon(page, served: str, site: Path) -> None:  # type: ignore[no-untyped-def]
    chapter, prompt = chapter_with_prompt(site)
    open_page(page, served, "journal/")
    real = page.title()
    assert "Rebuilding Trust" in real
    page.locator('[data-rt-discreet-choice][value="always"]').check()
    assert page.title() == "Notes"
    assert page.evaluate("document.querySelector('link[rel=icon]').href").endswith("discreet.svg")
    follow(page, nav_link(page, served, f"{chapter}/"), f"{chapter}/")
    assert page.title() == "Notes"
    page.reload()
    wait_ready(page, f"{chapter}/")
    assert page.title() == "Notes"

    # "While locked": neutral only while the journal is locked in this tab.
    open_page(page, served, "journal/")
    page.locator('[data-rt-discreet-choice][value="locked"]').check()
    assert page.title() != "Notes"
    set_lock(page, served)
    assert page.title() != "Notes"
    page.locator("[data-rt-lock-now]").click()
    page.wait_for_function("() => document.title === 'Notes'")
    page.reload()
    wait_ready(page, "journal/")
    assert page.title() == "Notes"  # from the first paint: main.html's head script
    unlock(page)
    page.wait_for_function("() => document.title !== 'Notes'")
    assert "Rebuilding Trust" in page.title()

    page.locator('[data-rt-discreet-choice][value=""]').check()
    page.locator("[data-rt-lock-now]").click()
    page.wait_for_function("() => document.documentElement.classList.contains('rt-locked')")
    assert "Rebuilding Trust" in page.title()


def test_nothing_typed_in_a_locked_journal_is_ever_in_a_request(page, served: str, site: Path) -> None:  # type: ignore[no-untyped-def]
    marker = "ZQXJ-LOCKED-4242"
    seen: list[tuple[str, str]] = []
    page.context.on("request", lambda r: seen.append((r.url, r.post_data or "")))
    chapter, prompt = seed_journal(page, served, site, marker + "-a")
    set_lock(page, served)
    follow(page, nav_link(page, served, f"{chapter}/"), f"{chapter}/")
    write_prompt(page, prompt, marker + "-b")
    page.reload()
    wait_ready(page, f"{chapter}/")
    prompt_box(page, prompt).fill(marker + "-c")  # typed while locked
    unlock(page)
    page.wait_for_function("() => document.documentElement.classList.contains('rt-lock-open')")
    page.evaluate("window.rtJournal.flush()")
    follow(page, journal_link(page), "journal/")
    page.locator('[data-rt-export="encrypted"]').click()
    page.locator("#rt-export-passphrase").fill(PASSPHRASE)
    with page.expect_download():
        page.locator("[data-rt-export-go]").click()
    assert seen
    assert [(u, b[:80]) for u, b in seen if marker in u or marker in b] == []
    assert all(url.startswith((served, "blob:", "data:")) for url, _ in seen), [u for u, _ in seen]


def tab_to(page, selector: str) -> None:  # type: ignore[no-untyped-def]
    """Press Tab from where focus is until `selector` has it (past the navigation at most)."""
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


@pytest.mark.parametrize("width", [360, 1280])
def test_the_lock_works_by_keyboard_alone_and_escape_closes_its_forms(browser, served: str, site: Path, width: int) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": width, "height": 740})
    page = context.new_page()
    chapter, prompt = seed_journal(page, served, site, "QWX-keys-1212")

    # Setting the lock on the Journal page, by keyboard.
    open_page(page, served, "journal/")
    tab_to(page, '[data-rt-lock-open="set"]')
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "rt-lock-set-new"
    page.keyboard.type(PASSPHRASE)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSPHRASE)
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.documentElement.classList.contains('rt-lock-open')")
    assert page.evaluate("document.activeElement.hasAttribute('data-rt-lock-now')")

    # Unlocking a chapter, by keyboard; Escape closes the form and gives focus back.
    open_page(page, served, f"{chapter}/")
    opener = page.locator("[data-rt-unlock-open]")
    tab_to(page, "[data-rt-unlock-open]")
    page.keyboard.press("Enter")
    assert opener.get_attribute("aria-expanded") == "true"
    assert page.evaluate("document.activeElement.id") == "rt-unlock-passphrase"
    page.keyboard.press("Escape")
    assert page.locator("[data-rt-unlock-form]").is_hidden()
    assert page.evaluate("document.activeElement.hasAttribute('data-rt-unlock-open')")
    page.keyboard.press("Enter")
    page.keyboard.type(PASSPHRASE)
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.documentElement.classList.contains('rt-lock-open')")
    assert prompt_box(page, prompt).input_value() == "QWX-keys-1212"
    assert page.evaluate("document.activeElement.tagName") == "H1"  # not lost on a hidden button
    assert "unlocked" in page.locator("[data-rt-announce]").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # nothing scrolls sideways
    context.close()
