/* The site's navigation by keyboard and screen reader.
 *
 * - The menu and search buttons (partials/header.html) open Material's drawer and search,
 *   which Material opens with <label>s that a keyboard cannot reach.
 * - Below the desktop breakpoint (and at 400 % zoom) the drawer and the search are off-screen
 *   while closed: they are `inert` then, so Tab never lands on a link nobody can see. Open,
 *   they are the only part of the page that takes focus (everything else is inert), focus
 *   moves into them, and Escape closes them and returns focus to the button that opened them.
 * - After an instant navigation (Material swaps the page without a reload) focus moves to the
 *   new page's <h1> and a live region says the page's title: without this, focus stayed on
 *   <body> and a screen reader said nothing.
 *
 * - "Leave this site" ([data-rt-quick-exit] in the header, or Escape pressed three times within
 *   a second): the page is blanked at once, the journal saves what was just typed (waiting at
 *   most 150 ms), and the neutral page replaces this one in the history (location.replace), so
 *   Back does not return to it. Without JavaScript the link still leaves, as an ordinary link.
 *
 * Material opens and closes the drawer and search by setting the `checked` property of its
 * toggles (#__drawer, #__search), which fires no event, so `sync` runs after every event that
 * can change them (clicks, keys, the toggles' own change events, a new page, a resize).
 * Set up from Material's document$, safe to run twice; elements are found by data-* and ids.
 */
(() => {
  "use strict";

  if (window.rtNavigation) return;

  // Material's breakpoints: the drawer is off-canvas below 76.25em, search below 60em.
  const DRAWER_MEDIA = matchMedia("(max-width: 76.234375em)");
  const SEARCH_MEDIA = matchMedia("(max-width: 59.984375em)");

  const QUICK_EXIT = "[data-rt-quick-exit]";

  const parts = {
    drawer: {
      toggle: () => document.getElementById("__drawer"),
      panel: () => document.querySelector(".md-sidebar--primary"),
      button: () => document.querySelector("[data-rt-drawer-open]"),
      media: DRAWER_MEDIA,
      // Clicks on the overlay (a <label> for the toggle) close the drawer: it stays clickable.
      keep: ".md-overlay",
      // The drawer leaves the header's right end in view: "Leave this site" stays usable there.
      // (Search, open on a phone, covers the whole header: there only Escape × 3 reaches it.)
      keepExit: true,
    },
    search: {
      toggle: () => document.getElementById("__search"),
      panel: () => document.querySelector(".md-search"),
      button: () => document.querySelector("[data-rt-search-open]"),
      media: SEARCH_MEDIA,
      keep: ".md-search",
    },
  };

  /* --- a part that is open is the only thing that takes focus ---------------------------- */

  let modal = null; // { part, inerted: [elements made inert] }

  function trap(part) {
    const panel = part.panel();
    const inerted = [];
    const shut = (element) => {
      if (element.inert || element.matches("script, style, link, input.md-toggle")) return;
      if (part.keep && element.matches(part.keep)) return;
      if (part.keepExit && element.matches(QUICK_EXIT)) return;
      if (part.keepExit && element.querySelector(QUICK_EXIT)) {
        for (const child of element.children) shut(child); // all of it but the way out
        return;
      }
      element.inert = true;
      inerted.push(element);
    };
    for (let node = panel; node && node !== document.body; node = node.parentElement) {
      for (const sibling of node.parentElement.children) {
        if (sibling !== node) shut(sibling);
      }
    }
    modal = { part, inerted };
  }

  function release() {
    if (!modal) return;
    for (const element of modal.inerted) element.inert = false;
    modal = null;
  }

  function isOpen(part) {
    const toggle = part.toggle();
    return Boolean(toggle && toggle.checked);
  }

  function sync() {
    for (const name of Object.keys(parts)) {
      const part = parts[name];
      const panel = part.panel();
      if (!panel) continue;
      const open = isOpen(part);
      const offscreen = part.media.matches;
      const button = part.button();
      if (button) button.setAttribute("aria-expanded", String(open && offscreen));
      if (open && offscreen) {
        panel.inert = false;
        if (!modal || modal.part !== part) {
          release();
          trap(part);
        }
      } else {
        if (modal && modal.part === part) release();
        panel.inert = offscreen; // closed and off-screen: nothing in it takes focus
      }
    }
  }

  function firstFocusable(root) {
    return root.querySelector(
      "a[href]:not([tabindex='-1']), button:not([disabled]):not([tabindex='-1']), input:not([type=hidden]):not(.md-toggle):not([tabindex='-1']), [tabindex='0']",
    );
  }

  function open(part) {
    const toggle = part.toggle();
    if (!toggle) return;
    toggle.checked = true;
    toggle.dispatchEvent(new Event("change", { bubbles: true }));
    sync();
    const panel = part.panel();
    const target = part === parts.search
      ? panel.querySelector("[data-md-component=search-query]")
      : panel.querySelector(".md-nav__link--active[href]") || firstFocusable(panel);
    focusSoon(target);
  }

  /** Focus `target` once it can take focus: an opening panel may still be `visibility:
      hidden` for a frame, and focus() on a hidden element does nothing. */
  function focusSoon(target, tries = 10) {
    if (!target) return;
    target.focus();
    if (document.activeElement !== target && tries > 0) {
      requestAnimationFrame(() => focusSoon(target, tries - 1));
    }
  }

  function close(part, returnFocus) {
    const toggle = part.toggle();
    if (!toggle || !toggle.checked) return;
    toggle.checked = false;
    toggle.dispatchEvent(new Event("change", { bubbles: true }));
    if (part === parts.search) {
      const query = part.panel().querySelector("[data-md-component=search-query]");
      if (query) query.blur();
    }
    sync();
    const button = part.button();
    if (returnFocus && button && part.media.matches) button.focus();
  }

  /* --- events ---------------------------------------------------------------------------- */

  document.addEventListener("click", (event) => {
    const target = event.target instanceof Element ? event.target : null;
    if (target && target.closest("[data-rt-drawer-open]")) open(parts.drawer);
    else if (target && target.closest("[data-rt-search-open]")) open(parts.search);
    setTimeout(sync, 0); // the overlay, a link in the drawer or Material may have changed a toggle
  });

  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    for (const part of [parts.search, parts.drawer]) {
      if (isOpen(part) && part.media.matches) {
        // Material's own Escape handler closes search too; either way focus goes back.
        setTimeout(() => close(part, true), 0);
        return;
      }
    }
  });

  document.addEventListener("change", (event) => {
    if (event.target instanceof Element && event.target.matches("input.md-toggle")) sync();
  });

  // Whatever takes focus is wholly on screen: the browser scrolls a focused element into view
  // only when none of it shows, so a text box half below the bottom edge stayed there. And
  // on a wide screen, where search is part of the header, leaving the search field by Tab
  // closes search: its overlay would otherwise dim and cover the page focus moves through.
  document.addEventListener("focusin", (event) => {
    const target = event.target instanceof Element ? event.target : null;
    if (!target) return;
    const search = parts.search;
    if (isOpen(search) && !search.media.matches && !target.closest(".md-search")) close(search, false);
    if (!target.closest(".md-header")) showWhole(target);
  });

  function showWhole(target) {
    const r = target.getBoundingClientRect();
    const header = document.querySelector(".md-header");
    const top = header ? header.getBoundingClientRect().bottom : 0;
    const fits = r.height <= innerHeight - top;
    if (fits && (r.top < top || r.bottom > innerHeight)) target.scrollIntoView({ block: "nearest", inline: "nearest" });
  }

  // The search index holds plain apostrophes and quotes (publish/search.py); phones type
  // typographic ones. Make what was typed plain before Material's search reads it (this
  // listener runs first: it listens on the document while the event is on its way down).
  document.addEventListener("input", (event) => {
    const field = event.target;
    if (!(field instanceof HTMLInputElement) || !field.matches("[data-md-component=search-query]")) return;
    const plain = field.value.replace(/[\u2018\u2019]/g, "'").replace(/[\u201c\u201d]/g, '"');
    if (plain !== field.value) {
      const at = field.selectionStart;
      field.value = plain;
      field.setSelectionRange(at, at);
    }
  }, true);

  DRAWER_MEDIA.addEventListener("change", sync);
  SEARCH_MEDIA.addEventListener("change", sync);

  /* --- "Leave this site" ------------------------------------------------------------------ */

  const SAVE_WAIT_MS = 150; // the longest the journal may take to save before we leave
  const PRESSES = 3; // Escape this many times...
  const WITHIN_MS = 1000; // ...within this long
  let leaving = false;
  let escapes = [];

  /** Leave for `url` (the neutral page): nothing of the course stays on screen, the journal
      saves, and the neutral page takes this page's place in the history. */
  function leave(url) {
    if (leaving) return;
    leaving = true;
    const root = document.documentElement;
    // Hidden before anything else: the next frame the browser paints is blank.
    root.style.setProperty("visibility", "hidden", "important");
    // The neutral site is not told where the reader came from (the server says the same:
    // Referrer-Policy same-origin; this holds on hosts that do not send it).
    const policy = document.createElement("meta");
    policy.name = "referrer";
    policy.content = "no-referrer";
    document.head.appendChild(policy);
    // What was typed a moment ago is saved first (the journal may still read the page), then
    // the page is emptied.
    let saving = null;
    try {
      saving = window.rtJournal && typeof window.rtJournal.flush === "function" ? window.rtJournal.flush() : null;
    } catch (error) { /* leaving matters more than saving */ }
    try {
      document.title = new URL(url).hostname;
    } catch (error) {
      document.title = "";
    }
    document.body.replaceChildren();
    const go = () => { location.replace(url); };
    if (saving && typeof saving.then === "function") {
      Promise.race([saving, new Promise((done) => { setTimeout(done, SAVE_WAIT_MS); })]).then(go, go);
    } else {
      go();
    }
  }

  function exitUrl() {
    const link = document.querySelector(QUICK_EXIT);
    return link ? link.href : null;
  }

  // Capture on window: before Material's instant navigation and any other listener. Any press
  // of the link (also with Ctrl, Shift or the middle button, which would open the neutral page
  // in a new tab and leave this one on screen) leaves in this tab.
  function onExitPress(event) {
    const target = event.target instanceof Element ? event.target.closest(QUICK_EXIT) : null;
    if (!target || (event.type === "auxclick" && event.button !== 1)) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    leave(target.href);
  }
  window.addEventListener("click", onExitPress, true);
  window.addEventListener("auxclick", onExitPress, true);

  // Escape three times within a second, wherever focus is (a field, search, the drawer: the
  // first press may close them too). A key held down repeats: only real presses count.
  window.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" && event.key !== "Esc") return;
    if (event.repeat) return;
    const now = event.timeStamp || performance.now();
    escapes = escapes.filter((at) => now - at < WITHIN_MS);
    escapes.push(now);
    if (escapes.length >= PRESSES) {
      const url = exitUrl();
      if (!url) return;
      escapes = [];
      event.preventDefault();
      event.stopImmediatePropagation();
      leave(url);
    }
  }, true);

  /* --- a new page: focus its heading and say its title --------------------------------- */

  function announcer() {
    let region = document.querySelector("[data-rt-announce]");
    if (!region) {
      region = document.createElement("p");
      region.className = "rt-sr-only";
      region.setAttribute("data-rt-announce", "");
      region.setAttribute("aria-live", "polite");
      region.setAttribute("aria-atomic", "true");
      document.body.appendChild(region); // outside the swapped content: it survives navigation
    }
    return region;
  }

  let pages = 0;

  /* --- the menu's own tools on a phone: search and the colour scheme -------------------------
     The phone header keeps the menu, the course's name and "Leave this site" on one line (look.css);
     the light/dark switch, and below 360 px search too, move into the menu, at its top. */

  function visiblePalette() {
    return document.querySelector("[data-rt-palette-option]:not([hidden])");
  }

  function drawerTools() {
    const title = document.querySelector(".md-sidebar--primary .md-nav--primary > .md-nav__title");
    if (!title || title.parentElement.querySelector("[data-rt-drawer-tools]")) return;
    const tools = document.createElement("div");
    tools.className = "rt-drawer-tools";
    tools.setAttribute("data-rt-drawer-tools", "");
    for (const [name, label] of [["search", "Search"], ["scheme", ""]]) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "md-button rt-drawer-tools__" + name;
      button.setAttribute("data-rt-drawer-" + name, "");
      button.textContent = label;
      tools.appendChild(button);
    }
    title.after(tools);
    schemeLabel();
  }

  function schemeLabel() {
    const button = document.querySelector("[data-rt-drawer-scheme]");
    const palette = visiblePalette();
    if (button && palette) button.textContent = palette.getAttribute("aria-label");
  }

  document.addEventListener("click", (event) => {
    const target = event.target instanceof Element ? event.target : null;
    if (target && target.closest("[data-rt-drawer-search]")) {
      close(parts.drawer, false);
      open(parts.search);
    } else if (target && target.closest("[data-rt-drawer-scheme]")) {
      const palette = visiblePalette();
      if (palette) palette.click();
      schemeLabel();
    }
  });

  // "Skip to content" moves focus to the title (tabindex=-1, publish/markup.py) in place, before
  // Material's instant navigation sees the click: left to it, the link fetched the page again and
  // swapped it in, and on a busy machine the swap came after the focus, which fell to <body>.
  // The address keeps no "#title": Back goes where the reader was, not to the same page.
  window.addEventListener("click", (event) => {
    const link = event.target instanceof Element ? event.target.closest("a.md-skip") : null;
    if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
    const title = document.getElementById(decodeURIComponent(link.hash.slice(1)));
    if (!title) return;
    event.preventDefault();
    event.stopPropagation();
    title.focus(); // scrolled into view below the sticky header (scroll-padding-top, rt.css)
  }, true);

  function onPage() {
    pages += 1;
    release();
    drawerTools();
    // A new page starts with the drawer and search closed: after a link in them was followed
    // (Material closes them too, but not always before this runs), and after a reload in a
    // browser that restores the state of checkboxes (Firefox; the toggles no longer carry
    // autocomplete="off", which the HTML validator rejects on them).
    // On a first load, one the reader is already using (typing a search before the scripts
    // ran) stays open.
    for (const part of [parts.drawer, parts.search]) {
      const toggle = part.toggle();
      const panel = part.panel();
      const inUse = pages === 1 && panel && panel.contains(document.activeElement);
      if (toggle && toggle.checked && !inUse) toggle.checked = false;
    }
    sync();
    announcer();
    if (pages === 1) return; // a full page load: the browser starts at the top and says the title
    const heading = document.querySelector(".md-content h1");
    const say = () => { announcer().textContent = document.title; };
    setTimeout(say, 100); // after the swap, so screen readers hear a change
    // A link to a place in the page: Material scrolls to it; leave focus there. (A hash with no
    // target here is the old page's, left in the address by Material's anchor tracking.)
    if (location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)))) return;
    if (heading) {
      heading.setAttribute("tabindex", "-1");
      heading.focus({ preventScroll: true });
    }
  }

  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(onPage);
  } else {
    onPage();
  }

  window.rtNavigation = { sync };
})();
