"""The macros' HTML, kept out of Markdown's way.

A macro's HTML (a reflection prompt, a worksheet, the journal) reaches Markdown inside the page's
text, and Python-Markdown passes it through unchanged; but first it reads every tag of it twice
(MkDocs' scan for anchors, and md_in_html), which was 40 % of the time spent converting pages.
So, once the macros have rendered a page (`Blocks.swap`, from mkdocs-macros' on_post_page_macros), each
macro's HTML that stands on lines of its own, starting with a block-level tag, is swapped for an
empty element of that tag holding a random token, which Markdown passes through the same way;
once Markdown is done (`Blocks.restore`, the build plugin's on_page_content, before anything reads the
page's HTML) the token is replaced by the HTML, and its anchors are added to the ones MkDocs
found, for its link checks. HTML elsewhere (in the middle of a sentence) is left where it is.

A token Markdown did not pass through is never silently dropped: `Blocks.restore` raises
BlockLostError naming the page and the start of the HTML. `RT_MACRO_BLOCKS=markdown` builds
the old way, every block through Markdown (macros/__init__.py); tests/test_blocks.py checks that
both ways give the same site, byte for byte.
"""

from __future__ import annotations

import re
import secrets

from markdown.util import BLOCK_LEVEL_ELEMENTS

FIRST_TAG = re.compile(r"<([a-zA-Z][a-zA-Z0-9]*)[\s>]")
ID_OR_NAME = re.compile(r"""<([a-zA-Z][a-zA-Z0-9]*)\b([^>]*)>""")
ATTRIBUTE = re.compile(r"""\s(id|name)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


class BlockLostError(Exception):
    pass


class Blocks:
    """One build's blocks: what each page's macros returned, then the tokens standing for them.
    The build's plugin holds one (sitebuild/plugin.py), made new for every build."""

    def __init__(self) -> None:
        self.rendered: dict[str, list[str]] = {}  # page -> the HTML its macros returned, in order
        self.swapped: dict[str, dict[str, str]] = {}  # page -> token element -> the HTML it stands for

    def record(self, page: str, html: object) -> object:
        """Note a macro's output for `page` (its source path); returns it unchanged."""
        if isinstance(html, str):
            self.rendered.setdefault(page, []).append(str(html))  # plain text: Markup would escape what it is joined to
        return html

    def forget(self, page: str) -> None:
        """Drop what was recorded for `page` (its blocks go through Markdown)."""
        self.rendered.pop(page, None)

    def swap(self, page: str, markdown: str) -> str:
        """`markdown` (the page after its macros ran) with each recorded HTML block that stands on
        lines of its own replaced by a token element."""
        tokens: dict[str, str] = {}
        for html in self.rendered.pop(page, []):
            block = html.strip("\n")
            tag = FIRST_TAG.match(block)
            if not tag or tag.group(1).lower() not in BLOCK_LEVEL_ELEMENTS:
                continue
            at = _own_lines(markdown, block)
            if at < 0:
                continue
            element = f'<{tag.group(1)} data-rt-block="{secrets.token_hex(8)}"></{tag.group(1)}>'
            markdown = markdown[:at] + element + markdown[at + len(block):]
            tokens[element] = block
        if tokens:
            self.swapped[page] = tokens
        return markdown

    def restore(self, page: str, html: str, anchors: set[str] | None) -> str:
        """The page's HTML with every token element of `page` replaced by the HTML it stands for.
        The ids (and <a name>s) in that HTML are added to `anchors`, as MkDocs would have found them."""
        tokens = self.swapped.pop(page, {})
        for element, block in tokens.items():
            parts = html.split(element)
            if len(parts) != 2:
                raise BlockLostError(f"{page}: Markdown did not pass a macro's output through "
                                     f"({block[:60]!r}…); write the macro call on a line of its own")
            html = block.join(parts)
            if anchors is not None:
                anchors.update(_anchors(block))
        return html


def _own_lines(text: str, block: str) -> int:
    """Where `block` starts in `text` on a line of its own and ends a line, or -1."""
    at = text.find(block)
    while at >= 0:
        end = at + len(block)
        if (at == 0 or text[at - 1] == "\n") and (end == len(text) or text[end] == "\n"):
            return at
        at = text.find(block, at + 1)
    return -1



def _anchors(html: str) -> set[str]:
    found = set()
    for tag, attributes in ID_OR_NAME.findall(html):
        for name, double, single in ATTRIBUTE.findall(attributes):
            if name == "id" or tag.lower() == "a":
                found.add(double or single)
    return found
