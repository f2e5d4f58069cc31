"""The journal's ES modules one by one (overrides/assets/js/journal/), in Chromium, against the
built site: each test imports a module by the hashed URL the page preloads it under and calls
its exports. The page's own copy is the same module instance (one URL, one module), so the
storage they share is the page's; each test has a fresh browser profile. The whole journal, as
a reader uses it, is tests/browser/test_journal.py's.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

PREFIX = "/rt:v1:"  # the site is served at the root

STORAGE_OFF = """
Object.defineProperty(window, "localStorage", {
  configurable: true,
  get() { throw new DOMException("The operation is insecure.", "SecurityError"); }
});
"""


def open_page(page, served: str, path: str = "journal/") -> None:  # type: ignore[no-untyped-def]
    page.goto(served + path)
    page.wait_for_function(
        "p => { const ui = document.querySelector('[data-rt-ready]'); return !!ui && ui.dataset.rtReady === p }",
        arg="/" + path,
    )


def module_url(page, name: str) -> str:  # type: ignore[no-untyped-def]
    """The URL the page preloads the module `name` (e.g. "store") under."""
    hrefs = page.eval_on_selector_all('link[rel="modulepreload"]', "links => links.map(l => l.href)")
    found = [h for h in hrefs if re.search(rf"/assets/js/journal/{re.escape(name)}\.[0-9a-f]{{8}}\.js$", h)]
    assert len(found) == 1, (name, hrefs)
    return found[0]


def run(page, name: str, body: str, arg: Any = None) -> Any:  # type: ignore[no-untyped-def]
    """Runs `body` (an async function body with `m`, the module, and `arg`) in the page."""
    return page.evaluate(f"async ([url, arg]) => {{ const m = await import(url); {body} }}", [module_url(page, name), arg])


def storage(page) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return page.evaluate("Object.fromEntries(Object.entries(localStorage))")


# --- store.js -------------------------------------------------------------------------------


def test_the_page_runs_the_same_module_instance_the_tests_import(page, served: str) -> None:  # type: ignore[no-untyped-def]
    open_page(page, served)
    assert run(page, "store", "return [m.SCOPE, m.PREFIX, m.VERSION, window.rtJournal.prefix, window.rtJournal.flush === m.flush]") == [
        "/", PREFIX, 1, PREFIX, True]


def test_store_reads_and_writes_only_under_its_scope_prefix(page, served: str) -> None:  # type: ignore[no-untyped-def]
    open_page(page, served)
    page.evaluate("""() => {
      localStorage.setItem("unrelated", "1");
      localStorage.setItem("/course/rt:v1:a:prompt:theirs", JSON.stringify({v: "another copy", t: 1}));
      localStorage.setItem("/rt:v1:a:prompt:mine", JSON.stringify({v: "mine", t: 2}));
      localStorage.setItem("/rt:v1:done:betrayal", "{damaged");
    }""")
    result = run(page, "store", """
      const wrote = m.set("a:prompt:new", {v: "new", t: 3});
      return {
        wrote,
        stored: localStorage.getItem("/rt:v1:a:prompt:new"),
        got: m.get("a:prompt:new"),
        damaged: m.get("done:betrayal"),
        absent: m.get("a:prompt:theirs"),
        names: m.names("a:").sort(),
        answers: m.allAnswers(),
        removed: m.remove("a:prompt:mine"),
      };
    """)
    assert result["wrote"] is True
    assert json.loads(result["stored"]) == {"v": "new", "t": 3}
    assert result["got"] == {"v": "new", "t": 3}
    assert result["damaged"] is None and result["absent"] is None
    assert result["names"] == ["a:prompt:mine", "a:prompt:new"]
    assert result["answers"] == {"prompt:mine": {"v": "mine", "t": 2}, "prompt:new": {"v": "new", "t": 3}}
    assert result["removed"] is True
    left = storage(page)
    assert "/rt:v1:a:prompt:mine" not in left
    assert left["unrelated"] == "1" and "/course/rt:v1:a:prompt:theirs" in left


def test_wipe_removes_this_sites_keys_of_any_version_and_materials_and_nothing_else(page, served: str) -> None:  # type: ignore[no-untyped-def]
    open_page(page, served)
    page.evaluate("""() => {
      for (const area of [localStorage, sessionStorage]) {
        area.setItem("/rt:v1:a:prompt:x", "{}");
        area.setItem("/rt:v2:vault", "{}");
        area.setItem("/.__palette", "{}");
        area.setItem("/course/rt:v1:role", '"hurt"');
        area.setItem("/course/.__palette", "{}");
        area.setItem("unrelated", "1");
      }
    }""")
    clean = run(page, "store", "return m.wipe()")
    assert clean is True
    for area in ("localStorage", "sessionStorage"):
        keys = page.evaluate(f"Object.keys({area}).sort()")
        assert keys == ["/course/.__palette", "/course/rt:v1:role", "unrelated"], (area, keys)


def test_write_answer_stores_a_timed_value_and_removes_the_key_for_empty_or_unticked(page, served: str) -> None:  # type: ignore[no-untyped-def]
    open_page(page, served)
    result = run(page, "store", """
      const out = {};
      out.text = m.writeAnswer("prompt:p", "Words");
      out.afterText = localStorage.getItem("/rt:v1:a:prompt:p");
      out.read = m.readAnswer("prompt:p");
      out.empty = m.writeAnswer("prompt:p", "");
      out.afterEmpty = localStorage.getItem("/rt:v1:a:prompt:p");
      out.tick = m.writeAnswer("ws:w:f:0", true);
      out.afterTick = localStorage.getItem("/rt:v1:a:ws:w:f:0");
      out.untick = m.writeAnswer("ws:w:f:0", false);
      out.afterUntick = localStorage.getItem("/rt:v1:a:ws:w:f:0");
      return out;
    """)
    saved = json.loads(result["afterText"])
    assert result["text"] is True and saved["v"] == "Words" and isinstance(saved["t"], int) and saved["t"] > 0
    assert result["read"] == saved
    assert result["empty"] is True and result["afterEmpty"] is None
    assert result["tick"] is True and json.loads(result["afterTick"])["v"] is True
    assert result["untick"] is True and result["afterUntick"] is None


def test_schedule_waits_and_flush_writes_and_resolves(page, served: str) -> None:  # type: ignore[no-untyped-def]
    open_page(page, served)
    result = run(page, "store", """
      const reports = [];
      m.schedule("prompt:later", "Typed", (saved) => reports.push(saved));
      const before = { stored: localStorage.getItem("/rt:v1:a:prompt:later"), waiting: m.pendingValue("prompt:later") };
      const flushed = m.flush();
      const isPromise = flushed instanceof Promise;
      await flushed;
      const after = { stored: localStorage.getItem("/rt:v1:a:prompt:later"), waits: m.pendingValue("prompt:later") !== undefined };
      m.schedule("prompt:debounced", "On its own", null);
      const none = m.pendingValue("prompt:other") === undefined;
      await new Promise((resolve) => setTimeout(resolve, 450));
      return { before, isPromise, after, reports, none, debounced: localStorage.getItem("/rt:v1:a:prompt:debounced") };
    """)
    assert result["before"] == {"stored": None, "waiting": "Typed"}
    assert result["isPromise"] is True
    assert json.loads(result["after"]["stored"])["v"] == "Typed" and result["after"]["waits"] is False
    assert result["reports"] == [True]
    assert result["none"] is True  # nothing waits for a key never edited
    assert json.loads(result["debounced"])["v"] == "On its own"  # written 300 ms after the edit


def test_with_storage_unavailable_the_store_keeps_values_in_memory(browser, served: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context()
    context.add_init_script(STORAGE_OFF)
    page = context.new_page()
    try:
        open_page(page, served)
        result = run(page, "store", """
          const out = { state: m.state() };
          out.set = m.set("role", "hurt");
          out.get = m.get("role");
          out.answer = m.writeAnswer("prompt:p", "Only here");
          out.read = m.readAnswer("prompt:p");
          out.names = m.names("").sort();
          out.removed = m.remove("role");
          out.afterRemove = m.get("role");
          out.wiped = m.wipe();
          out.afterWipe = m.names("");
          return out;
        """)
    finally:
        context.close()
    assert result["state"] == "unavailable"
    assert result["set"] is False and result["get"] == "hurt"  # kept, though not saved
    assert result["answer"] is False and result["read"]["v"] == "Only here"
    assert result["names"] == ["a:prompt:p", "role"]
    assert result["removed"] is True and result["afterRemove"] is None
    assert result["wiped"] is True and result["afterWipe"] == []


def test_a_full_storage_is_reported_to_subscribers_and_so_is_its_recovery(page, served: str) -> None:  # type: ignore[no-untyped-def]
    open_page(page, served)
    result = run(page, "store", """
      const seen = [];
      m.onStateChange((state) => seen.push(state));
      const setItem = Storage.prototype.setItem;
      Storage.prototype.setItem = function () { throw new DOMException("Quota exceeded", "QuotaExceededError"); };
      const refused = m.set("role", "hurt");
      const whileFull = m.state();
      Storage.prototype.setItem = setItem;
      const kept = m.set("role", "hurt");
      return { refused, whileFull, kept, seen, state: m.state(), stored: localStorage.getItem("/rt:v1:role") };
    """)
    assert result["refused"] is False and result["whileFull"] == "full"
    assert result["kept"] is True and result["state"] == "ok" and result["stored"] == '"hurt"'
    assert result["seen"] == ["full", "ok"]
    assert page.locator("[data-rt-storage-notice]").count() == 0  # the page's notice came and went


# --- role.js --------------------------------------------------------------------------------


def test_current_role_is_one_of_the_four_or_none(page, served: str) -> None:  # type: ignore[no-untyped-def]
    open_page(page, served)
    result = run(page, "role", """
      const seen = {};
      for (const [label, stored] of Object.entries(arg)) {
        if (stored === null) localStorage.removeItem("/rt:v1:role"); else localStorage.setItem("/rt:v1:role", stored);
        seen[label] = m.currentRole();
      }
      return { seen, names: Object.keys(m.ROLE_NAMES), folds: [m.folds("broke-trust", "hurt"), m.folds("hurt", "hurt"),
        m.folds("both", "hurt"), m.folds("hurt", "both"), m.folds("hurt", null)] };
    """, {"hurt": '"hurt"', "reading": '"reading"', "unknown": '"admin"', "inherited": '"constructor"',
          "a number": "3", "damaged": '"hurt', "none": None})
    assert result["seen"] == {"hurt": "hurt", "reading": "reading", "unknown": None, "inherited": None,
                              "a number": None, "damaged": None, "none": None}
    assert result["names"] == ["hurt", "broke-trust", "both", "reading"]
    assert result["folds"] == [True, False, False, False, False]


# --- progress.js ----------------------------------------------------------------------------


def test_completed_chapters_are_read_and_set_under_done(page, served: str) -> None:  # type: ignore[no-untyped-def]
    open_page(page, served)
    page.evaluate("""() => {
      localStorage.setItem("/rt:v1:done:betrayal", JSON.stringify({t: 5}));
      localStorage.setItem("/rt:v1:done:broken", JSON.stringify("not a record"));
      localStorage.setItem("/course/rt:v1:done:empathy", JSON.stringify({t: 6}));
    }""")
    result = run(page, "progress", """
      const before = m.completed();
      m.setComplete("empathy", true);
      const marked = m.completed();
      const stored = JSON.parse(localStorage.getItem("/rt:v1:done:empathy"));
      m.setComplete("betrayal", false);
      return { before, marked, stored, after: m.completed() };
    """)
    assert result["before"] == {"betrayal": 5}
    assert set(result["marked"]) == {"betrayal", "empathy"} and result["marked"]["empathy"] == result["stored"]["t"] > 0
    assert result["after"] == {"empathy": result["stored"]["t"]}


# --- exchange.js ----------------------------------------------------------------------------

GOOD = {
    "format": "rebuilding-trust-journal", "version": 1, "exported": "2025-06-10T08:30:00.000Z",
    "site": "Rebuilding Trust", "role": "hurt",
    "answers": {"prompt:betrayal-first-question": {"v": "I keep replaying it.", "t": 1718000000000},
                "ws:consistency-tracker:tracker:r0c1": {"v": "Yes", "t": 1718000050000},
                "ws:consistency-tracker:list:2": {"v": True, "t": 1}},
    "completed": {"betrayal": 1718000100000},
}


def with_(**changes: Any) -> str:
    return json.dumps({**GOOD, **changes})


BAD = [
    ("not-json", "{not json"),
    ("not-json", ""),
    ("version", with_(version=2)),
    ("shape", json.dumps({"answers": {}})),
    ("shape", with_(format="something-else")),
    ("shape", json.dumps([GOOD])),
    ("shape", with_(answers=[])),
    ("shape", with_(answers={"notes:x": {"v": "a", "t": 1}})),
    ("shape", with_(answers={"prompt:x": {"v": 3, "t": 1}})),
    ("shape", with_(answers={"prompt:x": {"v": "a", "t": -1}})),
    ("shape", with_(answers={"prompt:x": {"v": "a"}})),
    ("shape", with_(answers={"prompt:x": {"v": "a" * 100001, "t": 1}})),
    ("shape", with_(completed=["betrayal"])),
    ("shape", with_(completed={"Betrayal!": 1})),
    ("shape", with_(completed={"betrayal": "yes"})),
    ("shape", with_(role="admin")),
]


def test_parse_export_accepts_a_good_export(page, served: str) -> None:  # type: ignore[no-untyped-def]
    open_page(page, served)
    result = run(page, "exchange", "return [m.parseExport(arg), m.parseExport(arg.replace('\"hurt\"', 'null'))]", with_())
    assert result[0] == {"ok": True, "data": GOOD}
    assert result[1]["ok"] is True and result[1]["data"]["role"] is None


def test_parse_export_refuses_each_kind_of_bad_file_with_its_kind(page, served: str) -> None:  # type: ignore[no-untyped-def]
    open_page(page, served)
    results = run(page, "exchange", "return arg.map((text) => m.parseExport(text))", [text for _, text in BAD])
    for (kind, text), result in zip(BAD, results, strict=True):
        assert result["ok"] is False and result["kind"] == kind, (text[:80], result)
        assert result["message"].endswith("Nothing was changed."), result
    large = run(page, "exchange", "return m.tooLarge(2 * 1048576)")
    assert large["ok"] is False and large["kind"] == "too-large" and "2.0 MB" in large["message"]


def test_merge_mine_keeps_the_newer_answer_and_adds_the_rest(page, served: str) -> None:  # type: ignore[no-untyped-def]
    open_page(page, served)
    page.evaluate("""() => {
      localStorage.setItem("/rt:v1:a:prompt:older-here", JSON.stringify({v: "old here", t: 100}));
      localStorage.setItem("/rt:v1:a:prompt:newer-here", JSON.stringify({v: "new here", t: 300}));
      localStorage.setItem("/rt:v1:a:prompt:same", JSON.stringify({v: "same here", t: 200}));
    }""")
    data = {**GOOD, "role": "broke-trust", "completed": {"betrayal": 7}, "answers": {
        "prompt:older-here": {"v": "newer in the file", "t": 200},
        "prompt:newer-here": {"v": "older in the file", "t": 200},
        "prompt:same": {"v": "same time in the file", "t": 200},
        "prompt:only-there": {"v": "only in the file", "t": 1},
    }}
    counts = run(page, "exchange", "return m.mergeMine(arg)", data)
    assert counts == {"added": 2, "kept": 2, "failed": 0}
    stored = {k.removeprefix(PREFIX): json.loads(v) for k, v in storage(page).items() if k.startswith(PREFIX)}
    assert stored["a:prompt:older-here"] == {"v": "newer in the file", "t": 200}
    assert stored["a:prompt:newer-here"] == {"v": "new here", "t": 300}
    assert stored["a:prompt:same"] == {"v": "same here", "t": 200}
    assert stored["a:prompt:only-there"] == {"v": "only in the file", "t": 1}
    assert stored["done:betrayal"] == {"t": 7}
    assert stored["role"] == "broke-trust" and stored["role-asked"] is True  # none was chosen here
    # A role chosen here stays.
    page.evaluate("localStorage.setItem('/rt:v1:role', JSON.stringify('hurt'))")
    run(page, "exchange", "return m.mergeMine(arg)", data)
    assert json.loads(storage(page)[PREFIX + "role"]) == "hurt"


def test_export_data_holds_the_readers_own_journal_and_round_trips(page, served: str) -> None:  # type: ignore[no-untyped-def]
    open_page(page, served)
    page.evaluate("""() => {
      localStorage.setItem("/rt:v1:a:prompt:p", JSON.stringify({v: "Mine", t: 2}));
      localStorage.setItem("/rt:v1:partner", JSON.stringify({imported: 1, role: null, answers: {"prompt:q": {v: "Theirs", t: 1}}}));
      localStorage.setItem("/rt:v1:done:betrayal", JSON.stringify({t: 3}));
    }""")
    result = run(page, "exchange", "const data = m.exportData(); return { data, again: m.parseExport(JSON.stringify(data)) }")
    data = result["data"]
    assert data["format"] == "rebuilding-trust-journal" and data["version"] == 1 and data["role"] is None
    assert data["answers"] == {"prompt:p": {"v": "Mine", "t": 2}}  # never the partner's
    assert data["completed"] == {"betrayal": 3}
    assert result["again"]["ok"] is True


# --- journal-page.js ------------------------------------------------------------------------

OUTLINE = {"chapters": [{
    "id": "betrayal", "number": 1, "title": "Understanding betrayal", "items": [
        {"kind": "prompt", "key": "prompt:answered", "question": "Which question is louder?",
         "role_label": "For the partner who was hurt", "href": "/betrayal/#answered"},
        {"kind": "prompt", "key": "prompt:unanswered", "question": "Not answered?",
         "role_label": "For both of you", "href": "/betrayal/#unanswered"},
    ]}]}


def test_render_draws_only_the_answered_items_of_an_outline(page, served: str) -> None:  # type: ignore[no-untyped-def]
    open_page(page, served)
    page.evaluate("localStorage.setItem('/rt:v1:a:prompt:answered', JSON.stringify({v: 'I keep replaying it.', t: 1}))")
    result = run(page, "journal-page", """
      const root = document.createElement("div");
      const outline = root.appendChild(document.createElement("div"));
      outline.setAttribute("data-rt-journal-outline", JSON.stringify(arg));
      const host = root.appendChild(document.createElement("div"));
      host.setAttribute("data-rt-journal-entries", "");
      m.render(root);
      const entries = [...host.querySelectorAll("[data-rt-journal-entry]")];
      const drawn = {
        chapters: [...host.querySelectorAll("[data-rt-journal-chapter]")].map((s) => s.getAttribute("data-rt-journal-chapter")),
        heading: host.querySelector("h2").textContent,
        entries: entries.map((e) => e.getAttribute("data-rt-journal-entry")),
        question: entries[0].querySelector("h3").textContent,
        mine: entries[0].querySelector("[data-rt-journal-mine] .rt-journal__text").textContent,
        partner: host.querySelectorAll("[data-rt-journal-partner]").length,
        back: entries[0].querySelector(".rt-journal__back a").getAttribute("href"),
      };
      localStorage.removeItem("/rt:v1:a:prompt:answered");
      m.render(root);
      drawn.emptied = !!host.querySelector("[data-rt-journal-empty]") && !host.querySelector("[data-rt-journal-entry]");
      return drawn;
    """, OUTLINE)
    assert result == {
        "chapters": ["betrayal"], "heading": "1. Understanding betrayal", "entries": ["prompt:answered"],
        "question": "Which question is louder?", "mine": "I keep replaying it.", "partner": 0,
        "back": "/betrayal/#answered", "emptied": True,
    }


def test_describe_puts_a_worksheet_answer_into_words(page, served: str) -> None:  # type: ignore[no-untyped-def]
    open_page(page, served)
    result = run(page, "journal-page", """
      const answers = {
        "ws:w:scale": {v: "7", t: 1}, "ws:w:list:1": {v: true, t: 1}, "ws:w:list:0": {v: false, t: 1},
        "ws:w:table:r1c0": {v: "Called", t: 1}, "ws:w:blank": {v: "   ", t: 1},
      };
      return [
        m.describe({type: "scale", key: "ws:w:scale", low: "Not at all", high: "Completely"}, answers),
        m.describe({type: "checklist", key: "ws:w:list", items: ["First", "Second"]}, answers),
        m.describe({type: "table", key: "ws:w:table", rows: ["Day 1", "Day 2"], columns: ["Promise", "Kept?"]}, answers),
        m.describe({type: "text", key: "ws:w:blank"}, answers),
      ];
    """)
    assert result == [
        {"text": "7 out of 10 (1 = Not at all, 10 = Completely)"},
        {"list": ["Second"]},
        {"table": [{"label": "Day 2", "cells": ["Called", ""]}]},
        None,
    ]


# --- fields.js, dom.js, notice.js -----------------------------------------------------------


@pytest.mark.parametrize(("markup", "checked", "expected"), [
    ('<input type="checkbox">', True, True),
    ('<input type="checkbox">', False, False),
    ('<input type="radio" value="7">', True, "7"),
    ('<input type="radio" value="7">', False, None),
    ("<textarea></textarea>", False, "typed"),
])
def test_value_of_reads_each_kind_of_field(page, served: str, markup: str, checked: bool, expected: Any) -> None:  # type: ignore[no-untyped-def]
    open_page(page, served)
    result = run(page, "fields", """
      const box = document.createElement("div");
      box.innerHTML = arg[0];
      const field = box.firstChild;
      if (field.type === "checkbox" || field.type === "radio") field.checked = arg[1]; else field.value = "typed";
      return [m.valueOf(field), m.savedText()];
    """, [markup, checked])
    assert result == [expected, "Saved on this device"]


def test_dom_helpers(page, served: str) -> None:  # type: ignore[no-untyped-def]
    open_page(page, served)
    result = run(page, "dom", """
      const node = m.el("p", {"class": "a", "data-x": "1"}, "<b>text</b>");
      return [node.outerHTML, Array.isArray(m.all(document, "p")), m.isObject({}), m.isObject([]), m.isObject(null),
        [false, null, undefined, "  ", "", "x", true].map(m.isBlank)];
    """)
    assert result == ['<p class="a" data-x="1">&lt;b&gt;text&lt;/b&gt;</p>', True, True, False, False,
                      [True, True, True, True, True, False, False]]


def test_the_notice_shows_only_while_storage_fails_and_until_dismissed(browser, served: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context()
    context.add_init_script(STORAGE_OFF)
    page = context.new_page()
    try:
        open_page(page, served)
        assert page.locator("[data-rt-storage-notice]").count() == 1
        run(page, "notice", "m.dismiss(); m.show()")
        assert page.locator("[data-rt-storage-notice]").count() == 0
    finally:
        context.close()


# --- crypto.js ------------------------------------------------------------------------------


def test_crypto_seals_with_a_fresh_iv_and_opens_only_with_its_key_and_context(page, served: str) -> None:  # type: ignore[no-untyped-def]
    open_page(page, served)
    result = run(page, "crypto", """
      const made = await m.newKey("correct horse battery");
      const a = await m.seal(made.key, made.kdf, "a private answer", "ctx-1");
      const b = await m.seal(made.key, made.kdf, "a private answer", "ctx-1");
      const again = await m.keyFor("correct horse battery", a);
      const wrong = await m.keyFor("incorrect horse", a);
      const fails = async (f) => { try { await f(); return null; } catch (e) { return e.name; } };
      const tampered = Object.assign({}, a, {data: a.data.slice(0, -4) + (a.data.endsWith("AAAA") ? "BBBB" : "AAAA")});
      return {
        kdf: a.kdf, iv: a.cipher.iv, ivs_differ: a.cipher.iv !== b.cipher.iv, data_differ: a.data !== b.data,
        readable: a.data.includes("private") || atob(a.data).includes("private"),
        opened: await m.open(again, a, "ctx-1"),
        wrong_key: await fails(() => m.open(wrong, a, "ctx-1")),
        wrong_context: await fails(() => m.open(again, a, "ctx-2")),
        tampered: await fails(() => m.open(again, tampered, "ctx-1")),
        envelope: m.isEnvelope(a),
        weak: m.isEnvelope(Object.assign({}, a, {kdf: Object.assign({}, a.kdf, {iterations: 1000})})),
        other_cipher: m.isEnvelope(Object.assign({}, a, {cipher: {name: "AES-CBC", iv: a.cipher.iv}})),
        round_trip: Array.from(m.fromBase64(m.toBase64(new Uint8Array([0, 1, 254, 255])))),
      };
    """)
    assert result["kdf"]["name"] == "PBKDF2" and result["kdf"]["hash"] == "SHA-256"
    assert result["kdf"]["iterations"] >= 310000 and len(result["kdf"]["salt"]) == 24  # 16 bytes
    assert len(result["iv"]) == 16  # 12 bytes
    assert result["ivs_differ"] and result["data_differ"] and not result["readable"]
    assert result["opened"] == "a private answer"
    assert result["wrong_key"] == result["wrong_context"] == result["tampered"] == "WrongPassphrase"
    assert result["envelope"] and not result["weak"] and not result["other_cipher"]
    assert result["round_trip"] == [0, 1, 254, 255]


# --- store.js: the lock ------------------------------------------------------------------------


def test_store_lock_states_and_what_is_sealed(page, served: str) -> None:  # type: ignore[no-untyped-def]
    open_page(page, served)
    result = run(page, "store", """
      const states = [m.lockState()];
      m.set("a:prompt:one", {v: "sealed words", t: 5});
      m.set("country", "uk");
      await m.setLock("a passphrase here");
      states.push(m.lockState());
      const keys = Object.keys(localStorage).sort();
      m.set("role", "both");
      await m.flush();
      const open_reads = [m.get("a:prompt:one"), m.get("role"), m.names("a:")];
      await m.lock();
      states.push(m.lockState());
      const locked_reads = [m.get("a:prompt:one"), m.get("role"), m.names("a:"), m.get("country")];
      const held = m.set("a:prompt:two", {v: "typed while locked", t: 9});
      const wrong = await m.unlock("not the passphrase");
      states.push(m.lockState());
      const right = await m.unlock("a passphrase here");
      states.push(m.lockState());
      const after = [m.get("a:prompt:two"), m.names("a:").sort()];
      const removed = await m.removeLock("a passphrase here");
      states.push(m.lockState());
      return {states, keys, open_reads, locked_reads, held, wrong, right, after, removed,
              final: Object.keys(localStorage).sort()};
    """)
    assert result["states"] == ["none", "open", "locked", "locked", "open", "none"]
    assert result["keys"] == ["/rt:v1:country", "/rt:v2:vault"]  # the country stays plain
    assert result["open_reads"] == [{"v": "sealed words", "t": 5}, "both", ["a:prompt:one"]]
    assert result["locked_reads"] == [None, None, [], "uk"]
    assert result["held"] is False and result["wrong"] is False and result["right"] is True
    assert result["after"] == [{"v": "typed while locked", "t": 9}, ["a:prompt:one", "a:prompt:two"]]
    assert result["removed"] is True
    assert result["final"] == ["/rt:v1:a:prompt:one", "/rt:v1:a:prompt:two", "/rt:v1:country", "/rt:v1:role"]


def test_store_keeps_what_another_tab_sealed_meanwhile(page, served: str) -> None:  # type: ignore[no-untyped-def]
    open_page(page, served)
    run(page, "store", 'await m.setLock("a passphrase here"); m.set("a:prompt:here", {v: "from this tab", t: 1}); await m.flush();')
    other = page.context.new_page()
    open_page(other, served)
    run(other, "store", 'await m.unlock("a passphrase here"); m.set("a:prompt:there", {v: "from the other tab", t: 2}); await m.flush();')
    names = run(page, "store", 'm.set("a:prompt:later", {v: "later here", t: 3}); await m.flush(); await m.lock();'
                " await m.unlock(\"a passphrase here\"); return m.names(\"a:\").sort();")
    assert names == ["a:prompt:here", "a:prompt:later", "a:prompt:there"]
    other.close()


# --- exchange.js: the encrypted export ---------------------------------------------------------


def test_exchange_encrypted_export_round_trip_and_refusals(page, served: str) -> None:  # type: ignore[no-untyped-def]
    open_page(page, served)
    result = run(page, "exchange", """
      const data = {format: m.FORMAT, version: 1, exported: "2025-06-10T08:30:00.000Z", role: "hurt",
                    answers: {"prompt:betrayal-first-question": {v: "words", t: 1}}, completed: {}};
      const text = await m.sealExport(data, "export passphrase");
      const parsed = m.parseExport(text);
      const wrong = await m.openExport(parsed.envelope, "nope nope nope");
      const right = await m.openExport(parsed.envelope, "export passphrase");
      const damaged = m.parseExport(JSON.stringify(Object.assign(JSON.parse(text), {kdf: {name: "PBKDF2"}})));
      return {plain: text.includes("words") || text.includes("hurt"), kind: parsed.kind, format: JSON.parse(text).format,
              wrong: wrong.kind, right: right.ok && right.data.answers["prompt:betrayal-first-question"].v,
              damaged: damaged.kind, badrole: m.validate(Object.assign({}, data, {role: "constructor"}))};
    """)
    assert result["plain"] is False
    assert result["kind"] == "encrypted" and result["format"] == "rebuilding-trust-journal-encrypted"
    assert result["wrong"] == "wrong-passphrase" and result["right"] == "words"
    assert result["damaged"] == "shape"
    assert result["badrole"] == "its role is not one this course knows"
