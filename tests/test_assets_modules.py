"""ES modules under hashed names, without a bundler (publish/assets.py): a module's relative
imports are rewritten to the hashed names of the files they import, which are made first, so a
change in one module renames every module that imports it; what cannot be served that way is
refused with the file's name."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import rjsmin

from publish.assets import Assets, Script, build

HASHED = r"[0-9a-f]{8}"


def write(folder: Path, files: dict[str, str]) -> list[Path]:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    return [folder]


GRAPH = {
    "js/app/main.js": (
        "/* The entry.\n"
        " * import { nothing } from \"./comment.js\" is a comment, not an import.\n"
        " */\n"
        "import * as store from \"./store.js\";\n"
        "import {\n  el,\n  all\n} from './dom.js';\n"
        "import \"./side.js\";\n"
        "export { helper } from \"./lib/helper.js\";\n"
        "export const text = \"import x from './nowhere.js'\";\n"
        "store.get(el, all);\n"
    ),
    "js/app/store.js": "import { isObject } from \"./dom.js\";\nexport function get() { return isObject; }\n",
    "js/app/dom.js": "export function el() {}\nexport function all() {}\nexport function isObject() {}\n",
    "js/app/side.js": "window.side = true;\n",
    "js/app/lib/helper.js": "import { el } from \"../dom.js\";\nexport function helper() { return el; }\n",
}


def test_imports_are_rewritten_to_the_hashed_names_of_what_they_import(tmp_path: Path) -> None:
    assets = Assets(write(tmp_path, GRAPH))
    main = assets.module("js/app/main.js")
    assert re.fullmatch(rf"js/app/main\.{HASHED}\.js", main)
    text = assets.files[main].decode("utf-8")
    names = assets.names
    assert f'import*as store from"./{Path(names["js/app/store.js"]).name}";' in text
    assert f"}}from'./{Path(names['js/app/dom.js']).name}';" in text  # a list over several lines, its quotes kept
    assert f'import"./{Path(names["js/app/side.js"]).name}";' in text
    assert f'export{{helper}}from"./lib/{Path(names["js/app/lib/helper.js"]).name}";' in text
    helper = assets.files[names["js/app/lib/helper.js"]].decode("utf-8")
    assert f'from"../{Path(names["js/app/dom.js"]).name}";' in helper
    # Strings are left alone (a comment's "import" is not followed: ./comment.js does not exist);
    # the rest is the source, minified (comments and spacing gone, names kept).
    assert "export const text=\"import x from './nowhere.js'\"" in text
    assert re.sub(rf"\.{HASHED}\.js", ".js", text) == rjsmin.jsmin(GRAPH["js/app/main.js"])
    assert "comment" not in text
    # Every module of the graph is written under its hashed name, and its source is not served.
    assert set(assets.files) == {names[p] for p in GRAPH}
    assert assets.replaced == set(GRAPH)


def test_the_graph_lists_every_module_once_each_after_what_it_imports(tmp_path: Path) -> None:
    assets = Assets(write(tmp_path, GRAPH))
    assets.module("js/app/main.js")
    order = assets.graph("js/app/main.js")
    assert sorted(order) == sorted(p for p in GRAPH if p != "js/app/main.js")
    for module, imported in assets.imports.items():
        for dependency in imported:
            assert module == "js/app/main.js" or order.index(dependency) < order.index(module)
    script = assets.script("js/app/main.js", module=True)
    assert script == Script(assets.names["js/app/main.js"], True, tuple(assets.names[p] for p in order))


def test_a_change_in_a_module_renames_every_module_that_imports_it_and_no_other(tmp_path: Path) -> None:
    before = Assets(write(tmp_path, GRAPH))
    before.module("js/app/main.js")
    write(tmp_path, {"js/app/dom.js": GRAPH["js/app/dom.js"] + "export function more() {}\n"})
    after = Assets([tmp_path])
    after.module("js/app/main.js")
    changed = {p for p in GRAPH if before.names[p] != after.names[p]}
    # dom.js changed; store.js and helper.js import it; main.js imports those. side.js does not.
    assert changed == {"js/app/dom.js", "js/app/store.js", "js/app/lib/helper.js", "js/app/main.js"}


def test_an_import_cycle_is_refused_naming_the_file_and_the_import(tmp_path: Path) -> None:
    folders = write(tmp_path, {
        "js/a.js": 'import { b } from "./b.js";\nexport const a = 1;\n',
        "js/b.js": 'import { c } from "./c.js";\nexport const b = 2;\n',
        "js/c.js": 'import { a } from "./a.js";\nexport const c = 3;\n',
    })
    with pytest.raises(ValueError, match=r'^js/c\.js: import "\./a\.js" makes a cycle \(a\.js → b\.js → c\.js → a\.js\)'):
        Assets(folders).module("js/a.js")
    write(tmp_path, {"js/self.js": 'import "./self.js";\n'})
    with pytest.raises(ValueError, match=r'^js/self\.js: import "\./self\.js" makes a cycle'):
        Assets(folders).module("js/self.js")


def test_a_missing_file_is_refused_naming_the_file_and_the_import(tmp_path: Path) -> None:
    folders = write(tmp_path, {
        "js/main.js": 'import { a } from "./here.js";\n',
        "js/here.js": 'export { gone } from "./gone.js";\n',
        "js/out.js": 'import "../../outside.js";\n',
    })
    with pytest.raises(ValueError, match=r'^js/here\.js: import "\./gone\.js": js/gone\.js is not found'):
        Assets(folders).module("js/main.js")
    with pytest.raises(ValueError, match=r'^js/out\.js: import "\.\./\.\./outside\.js": \.\./outside\.js is not found'):
        Assets(folders).module("js/out.js")
    with pytest.raises(FileNotFoundError, match=r"^js/none\.js: not found"):
        Assets(folders).module("js/none.js")


@pytest.mark.parametrize("specifier", ["lodash", "/assets/js/x.js", "https://cdn.example.org/x.js", "x.js"])
def test_a_bare_or_absolute_specifier_is_refused(tmp_path: Path, specifier: str) -> None:
    folders = write(tmp_path, {"js/main.js": f'import {{ x }} from "{specifier}";\n'})
    with pytest.raises(ValueError, match=rf'^js/main\.js: import "{re.escape(specifier)}" is not relative \(\./ or \.\./\)'):
        Assets(folders).module("js/main.js")


def test_a_dynamic_import_of_a_file_is_refused(tmp_path: Path) -> None:
    folders = write(tmp_path, {"js/main.js": 'button.onclick = () => import("./later.js");\n', "js/later.js": ""})
    with pytest.raises(ValueError, match=r'^js/main\.js: import\("\./later\.js"\) would keep an unhashed name'):
        Assets(folders).module("js/main.js")


def test_build_lists_modules_with_their_graph_and_classic_scripts_alone(tmp_path: Path) -> None:
    theme = tmp_path / "theme"
    write(theme, {
        **GRAPH,
        "js/plain.js": "var plain = 1;\n",
        "base.html": "<script src=\"{{ 'assets/javascripts/bundle.0123abcd.min.js' | url }}\">"
                     "<link href=\"{{ 'assets/stylesheets/main.0123abcd.min.css' | url }}\">",
        "assets/stylesheets/main.0123abcd.min.css": "body{}",
    })
    write(theme, {"js/early.js": "var early = 1;\n"})
    assets = build([tmp_path / "docs", theme], [], False, ["js/plain.js", "js/early.js", "js/app/main.js"], ["js/app/main.js"],
                   before_bundle=["js/early.js"])
    early, bundle, plain, main = assets.scripts
    assert re.fullmatch(rf"js/early\.{HASHED}\.js", early.src) and not early.bundle  # before the bundle, as asked
    assert bundle == Script("assets/javascripts/bundle.0123abcd.min.js", bundle=True)
    assert not plain.module and re.fullmatch(rf"js/plain\.{HASHED}\.js", plain.src) and plain.imports == ()
    assert main.module and main.src == assets.names["js/app/main.js"] and len(main.imports) == 4
    assert assets.files[plain.src] == b"var plain=1;"  # a classic script is minified, not rewritten


def test_a_script_to_run_before_the_bundle_must_be_listed_in_extra_javascript(tmp_path: Path) -> None:
    theme = tmp_path / "theme"
    write(theme, {"base.html": "<script src=\"{{ 'assets/javascripts/bundle.0123abcd.min.js' | url }}\">"
                               "<link href=\"{{ 'assets/stylesheets/main.0123abcd.min.css' | url }}\">",
                  "assets/stylesheets/main.0123abcd.min.css": "body{}"})
    with pytest.raises(ValueError, match=r"js/early\.js: to run before Material's bundle, list it in mkdocs.yml's extra_javascript"):
        build([tmp_path / "docs", theme], [], False, [], [], before_bundle=["js/early.js"])
