"""axe-core on every page of the sitemap, in the light and the dark scheme: zero violations."""

from __future__ import annotations

from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.conftest import sitemap_paths

AXE = Axe()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_page_has_no_axe_violations(browser, served: str, site: Path, scheme: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(color_scheme=scheme)
    page = context.new_page()
    failures = {}
    paths = sitemap_paths(site)
    assert len(paths) > 20
    for path in paths:
        page.goto(served + path)
        expected = "slate" if scheme == "dark" else "default"
        assert page.get_attribute("body", "data-md-color-scheme") == expected
        results = AXE.run(page)
        if results.violations_count:
            failures[path] = [
                (v["id"], [n["target"] for n in v["nodes"]][:3]) for v in results.response["violations"]
            ]
    context.close()
    assert not failures, failures
