// ESLint for the site's own scripts: `make lint` (the Makefile) runs it from the project's root,
//   tests/eslint/node_modules/.bin/eslint --config tests/eslint/eslint.config.mjs overrides publish
// (with --config, the file patterns below are relative to the folder ESLint runs in: the root),
// and tests/test_checkers.py checks that these rules report what they are here for.
// ESLint, its rules and the browser's globals are pinned by package-lock.json beside this file.
import js from "@eslint/js";
import globals from "globals";

// Globals that the site's scripts read and that no script of ours declares: Material for
// MkDocs' bundle sets them (document$ and location$ are its RxJS subjects for instant
// navigation; __md_scope is the URL its storage keys are scoped to, __md_get and __md_set read
// and write that storage). The scripts use most of them as window.X; print.js reads document$
// bare, after a typeof check.
const material = {
  document$: "readonly",
  location$: "readonly",
  __md_scope: "readonly",
  __md_get: "readonly",
  __md_set: "readonly",
};

// The site's own window properties: each script sets its own once, as window.X (never by a bare
// assignment, which no-implicit-globals and no-global-assign report), so that a second copy of
// the script does nothing; tests (tests/browser/) read them through page.evaluate.
//   rtJournal: journal/main.js (flush() before a navigation, used by navigation.js; tests)
//   rtNavigation: navigation.js; rtOffline: offline.js (tests)
//   __rtPrint: print.js; __rtWaitlist: waitlist.js (set-up guards)
const site = {
  rtJournal: "readonly",
  rtNavigation: "readonly",
  rtOffline: "readonly",
  __rtPrint: "readonly",
  __rtWaitlist: "readonly",
};

const rules = {
  // A top-level var or function in a classic script would be a window property: every
  // classic script wraps itself in a function, and a window property is set as window.X.
  "no-implicit-globals": "error",
  "no-undef": ["error", { typeof: true }],
  // An unused catch binding (`catch (error) {}`) is allowed: the classic scripts keep to the
  // older syntax (search.js runs before Material's bundle and checks for Symbol), which has
  // no `catch {}`.
  "no-unused-vars": ["error", { caughtErrors: "none" }],
};

export default [
  {
    linterOptions: { reportUnusedDisableDirectives: "error" },
  },
  js.configs.recommended,
  {
    // The page scripts: classic scripts, but the journal's, which are ES modules
    // (mkdocs.yml's extra_javascript, `type: module`, and what they import).
    files: ["overrides/**/*.js"],
    languageOptions: {
      ecmaVersion: "latest",
      sourceType: "script",
      globals: { ...globals.browser, ...material, ...site },
    },
    rules,
  },
  {
    files: ["overrides/assets/js/journal/**/*.js"],
    languageOptions: { sourceType: "module" },
  },
  {
    // The service workers (publish/offline.py writes one of them as sw.js, with this build's
    // `const MANIFEST = {...};` in place of sw.js's marker line). A worker's global scope is
    // its own, shared with no page or other script: its top-level functions are not implicit
    // globals of the site's pages.
    files: ["publish/**/*.js"],
    languageOptions: {
      ecmaVersion: "latest",
      sourceType: "script",
      globals: { ...globals.serviceworker, MANIFEST: "readonly" },
    },
    rules: { ...rules, "no-implicit-globals": "off" },
  },
];
