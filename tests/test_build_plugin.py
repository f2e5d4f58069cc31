"""The build as one MkDocs plugin (sitebuild/plugin.py), with its post-build steps in one named
order (sitebuild/steps.py).

- MkDocs finds the plugin by its entry point, the one mkdocs.yml lists after `macros`, and
  mkdocs.yml declares no hooks.
- No module of the project edits `sys.path`: the project is installed, and commands run as
  `python -m …` from its folder.
- The steps run in STEP_NAMES' order, a list in another order is refused, and a preview
  (`mkdocs serve`) skips the steps an editor does not see. The plugin hands `run_steps` every
  step, in order (recorded from a real `on_post_build`, each step's work stubbed out).
- A build's state is the plugin's: two plugins (two builds) share no blocks and no course.
"""

from __future__ import annotations

import re
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from sitebuild import plugin as build
from sitebuild.steps import STEP_NAMES, Step, run_steps

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("course", "macros", "printing", "sitebuild", "publish", "waitlist", "scripts", "bench")


def test_mkdocs_finds_the_plugin_by_its_entry_point_and_the_config_lists_it_after_macros() -> None:
    found = [e for e in entry_points(group="mkdocs.plugins") if e.name == build.NAME]
    assert len(found) == 1, "the project is not installed: make .venv/bin/.installed (pip install --editable .)"
    assert found[0].load() is build.RebuildingTrustPlugin
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert not re.search(r"^hooks:", config, re.MULTILINE), "mkdocs.yml still lists hooks: the build is one plugin"
    plugins = re.search(r"^plugins:\n((?:[ \t]+[^\n]*\n|[ \t]*\n)+)", config, re.MULTILINE)
    assert plugins, "mkdocs.yml has no plugins: list"
    listed = re.findall(r"^  - ([a-z-]+)", plugins.group(1), re.MULTILINE)
    assert listed.index("macros") < listed.index(build.NAME), listed


def test_no_module_edits_sys_path() -> None:
    edits = [f"{path.relative_to(ROOT)}:{n}" for package in PACKAGES for path in (ROOT / package).rglob("*.py")
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if re.search(r"sys\.path\.(insert|append)|sys\.path\s*=", line)]
    assert not edits, f"sys.path edited at {', '.join(edits)}: import the installed packages instead"


def recorder(names: list[str]):  # type: ignore[no-untyped-def]
    return [Step(name, lambda name=name: names.append(name), full_only=name in ("csp",)) for name in STEP_NAMES]


def test_the_steps_run_in_their_order_and_a_preview_skips_what_an_editor_does_not_see() -> None:
    ran: list[str] = []
    assert run_steps(recorder(ran), full_site=True, log=lambda text: None) == list(STEP_NAMES) == ran
    ran.clear()
    done = run_steps(recorder(ran), full_site=False, log=lambda text: None)
    assert "csp" not in done and ran == done == [name for name in STEP_NAMES if name != "csp"]


def test_steps_given_out_of_order_are_refused_before_any_runs() -> None:
    ran: list[str] = []
    steps = recorder(ran)
    steps[1], steps[-2] = steps[-2], steps[1]  # the PDFs after the offline worker's manifest
    with pytest.raises(AssertionError, match="out of order"):
        run_steps(steps, full_site=True, log=lambda text: None)
    assert ran == []


def test_the_plugin_runs_every_step_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    """A real on_post_build, with run_steps recording the steps it is given instead of running them."""
    from mkdocs.config import load_config

    given: list[tuple[str, bool]] = []

    def record(steps: list[Step], full_site: bool, log) -> list[str]:  # type: ignore[no-untyped-def]
        given.extend((step.name, step.full_only) for step in steps)
        return []

    monkeypatch.setattr(build, "run_steps", record)
    config = load_config(str(ROOT / "mkdocs.yml"), site_url="http://127.0.0.1:8000/")
    plugin = config.plugins[build.NAME]
    assert isinstance(plugin, build.RebuildingTrustPlugin)
    for handler in plugin.on_config.methods:  # a CombinedEvent: [100], then [0]
        config = handler(config)
    plugin.on_post_build(config=config)
    assert [name for name, _ in given] == list(STEP_NAMES)
    assert {name for name, full_only in given if full_only} == {"social", "stylesheet", "csp", "compression"}


def test_each_build_has_its_own_state() -> None:
    first, second = build.RebuildingTrustPlugin(), build.RebuildingTrustPlugin()
    first.blocks.record("page.md", "<div>one</div>")
    assert second.blocks.rendered == {} and first.blocks is not second.blocks
    with pytest.raises(Exception, match="on_config"):
        second.this_build()
