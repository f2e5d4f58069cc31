"""The macros' HTML kept out of Markdown's way (macros/blocks.py): the site is the same, byte for
byte, as when every block goes through Markdown; HTML that is not on lines of its own stays put;
a token Markdown did not pass through stops the build, naming the page; the blocks' anchors are
known to MkDocs' link checks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import markdown
import pytest
from markupsafe import Markup

from macros.blocks import BlockLostError, Blocks
from tests.conftest import ROOT

pytestmark = pytest.mark.build  # scratch copies of the project, built whole (tests/conftest.py)

EXTENSIONS = ["md_in_html", "attr_list", "pymdownx.superfences"]
blocks = Blocks()  # one build's, as the build plugin holds it
BLOCK = '<div class="rt-x" id="here">\n<p>One</p>\n<a name="there"></a>\n</div>'


def through(text: str, page: str = "p.md") -> tuple[str, set[str]]:
    """`text` converted as a page is: swapped, converted, restored; and the anchors added."""
    anchors: set[str] = set()
    html = markdown.markdown(blocks.swap(page, text), extensions=EXTENSIONS)
    return blocks.restore(page, html, anchors), anchors


def test_the_built_site_is_the_same_as_with_every_block_through_markdown(site: Path, base_url: str,
                                                                         tmp_path: Path) -> None:
    old_way = tmp_path / "site"
    env = {**os.environ, "SITE_URL": base_url, "NO_MKDOCS_2_WARNING": "1", "RT_MACRO_BLOCKS": "markdown"}
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(old_way)],
                            cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    ours = sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file())
    theirs = sorted(p.relative_to(old_way).as_posix() for p in old_way.rglob("*") if p.is_file())
    assert ours == theirs
    different = [name for name in ours if (site / name).read_bytes() != (old_way / name).read_bytes()]
    assert different == []
    pages = [p for p in site.rglob("*.html")]
    assert len(pages) > 30
    assert not [p for p in pages if "data-rt-block" in p.read_text(encoding="utf-8")]  # no token left


def test_a_block_on_lines_of_its_own_is_restored_and_its_anchors_known() -> None:
    blocks.record("p.md", Markup(BLOCK))
    html, anchors = through(f"# Title\n\nBefore.\n\n{BLOCK}\n\nAfter & more.\n")
    assert html == markdown.markdown(f"# Title\n\nBefore.\n\n{BLOCK}\n\nAfter & more.\n", extensions=EXTENSIONS)
    assert "&amp; more" in html and BLOCK in html  # Markup did not escape what it was joined to
    assert anchors == {"here", "there"}


def test_html_in_the_middle_of_a_sentence_is_left_to_markdown() -> None:
    inline = '<span class="rt-y">x</span>'
    blocks.record("p.md", inline)
    text = f"Some words {inline} and more.\n"
    assert through(text) == (markdown.markdown(text, extensions=EXTENSIONS), set())
    blocks.record("p.md", BLOCK)
    text = f"Words first {BLOCK}\n"  # a block not at the start of its line
    assert through(text)[0] == markdown.markdown(text, extensions=EXTENSIONS)


def test_a_token_markdown_did_not_pass_through_stops_the_build_naming_the_page() -> None:
    blocks.record("chapter.md", BLOCK)
    with pytest.raises(BlockLostError, match=r"chapter\.md: .*rt-x.*on a line of its own"):
        through(f"```html\n{BLOCK}\n```\n", page="chapter.md")  # shown as code: escaped by Markdown


@pytest.mark.parametrize("text", [
    f"Text right before it\n{BLOCK}\n\nAfter.\n",
    f"Before.\n\n{BLOCK}\nText right after it\n",
    f"> A quote\n{BLOCK}\n",
    f"- An item\n\n{BLOCK}\n",
    f'<div class="rt-hero" markdown>\n\nIntro.\n\n{BLOCK}\n\n</div>\n',
])
def test_a_block_beside_other_markdown_comes_out_as_it_did_through_markdown(text: str) -> None:
    blocks.record("p.md", BLOCK)
    assert through(text)[0] == markdown.markdown(text, extensions=EXTENSIONS)


def test_the_same_block_twice_on_a_page_is_restored_twice() -> None:
    blocks.record("p.md", BLOCK)
    blocks.record("p.md", BLOCK)
    text = f"{BLOCK}\n\nBetween.\n\n{BLOCK}\n"
    assert through(text)[0] == markdown.markdown(text, extensions=EXTENSIONS)
