"""The third edition (EDITORIAL.md, "Third edition", issue 24): every quotation word for word as
its source gives it, and the same on the Sources page; a name only on an idea Sources cites; no
line that casts the partner who was hurt as a punisher or presses them to stay; ending the affair
and honest disclosure before the consistency chapter; a "Start here" page; safety planning.

Quotations are read from the pages' Markdown (what editors write) with straight and curly quotes
made the same; the rest from the built site (what readers see).
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest
import yaml
from bs4 import BeautifulSoup

from course.data import load_course
from tests.conftest import ROOT, sitemap_paths

COURSE = load_course(ROOT / "data")
CHAPTERS = [c.id for c in COURSE.chapters]
DOCS = ROOT / "docs"
# The pages a reader reads as the course: their Markdown sources.
COURSE_PAGES = ["start-here", "introduction", *CHAPTERS, "closing"]

# Every quotation the course makes from a public figure, with the author's surname, exactly as
# the source gives it (EDITORIAL.md, "Quotations" and "Third edition"). A chapter may quote part
# of one; the Sources page gives each whole.
QUOTATIONS: list[tuple[str, str]] = [
    # What Makes Love Last? (2012), as quoted in Shelf Awareness's review, 11 Sept 2012.
    ("Gottman", "Betrayal is the secret that lies at the heart of every failing relationship"),
    ("Gottman", "even if the couple is unaware of it"),
    # The Science of Trust (2011).
    ("Gottman", "sliding door moments"),
    # TED 2015, "Rethinking infidelity".
    ("Perel", "a wish to recapture lost parts of ourselves"),
    ("Perel", "Your first marriage is over. Would you like to create a second one together?"),
    # Mating in Captivity (2006) and TED 2013, "The secret to desire in a long-term relationship"
    # (the words as quoted from the book, and recalled from the talk, in public pages).
    ("Perel", "fire needs air"),
    # Rising Strong (2015).
    ("Brown", "the courage to show up and be seen when we have no control over the outcome"),
]
# Whose names a chapter line might put on an idea; Glass and Baker only ever on lines nobody
# found in their work.
NAMED = ("Perel", "Gottman", "Brown", "Glass", "Baker")
AUTHORS = {*NAMED, "Silver", "Worthington", "Spring", "Eisenberger", "Kross"}


def normalise(text: str) -> str:
    """Curly quotes and apostrophes made straight, runs of whitespace made one space."""
    text = text.replace("\u201c", '"').replace("\u201d", '"').replace("\u2018", "'").replace("\u2019", "'")
    return " ".join(text.split())


def same_words(quote: str, text: str) -> bool:
    """`quote` is in `text` word for word; only its first letter's case may differ (a quotation
    that starts a sentence takes a capital)."""
    return quote in text or (quote[:1].swapcase() + quote[1:]) in text


def markdown(name: str) -> str:
    return (DOCS / f"{name}.md").read_text(encoding="utf-8")


def paragraphs(source: str) -> list[str]:
    """A page's paragraphs and list items, one string each, without macro calls or HTML tags
    (whose quoted arguments are not quotations)."""
    source = re.sub(r"\{\{.*?\}\}|\{%.*?%\}|<[^>]+>", " ", source)
    blocks = []
    for block in re.split(r"\n\s*\n", source):
        blocks += re.split(r"\n(?=\s*(?:[-*] |\d+\. |!!! ))", block)
    return [normalise(b) for b in blocks if b.strip()]


QUOTED = re.compile(r'"([^"]+)"')


def quoted(text: str) -> list[tuple[int, str]]:
    """The strings in double quotes, with where each starts, without the punctuation a sentence
    puts inside the closing quote."""
    return [(m.start(), m.group(1).rstrip(".,;:")) for m in QUOTED.finditer(text)]


def sources_markdown() -> str:
    return normalise(markdown("sources"))


def cited_authors() -> set[str]:
    """The surnames of the Sources page's references (its list items start `- Surname, I.`)."""
    return set(re.findall(r"^- ([A-Z][\w-]+), [A-Z]\.", markdown("sources"), re.MULTILINE))


# --- quotations ------------------------------------------------------------------------------

@pytest.mark.parametrize(("author", "quote"), QUOTATIONS)
def test_each_quotation_is_word_for_word_in_a_chapter_and_on_the_sources_page(author: str, quote: str) -> None:
    pages = [name for name in COURSE_PAGES if same_words(quote, normalise(markdown(name)))]
    assert pages, f"{author}: {quote!r} is in no course page"
    for name in pages:  # each time with its author's name beside it
        paragraph = next(p for p in paragraphs(markdown(name)) if same_words(quote, p))
        assert author in paragraph, (name, paragraph)
    assert same_words(quote, sources_markdown()), f"{author}: {quote!r} is not on the Sources page"
    assert author in cited_authors()


def test_every_quotation_on_the_sources_page_is_in_the_table() -> None:
    """Nothing on the Sources page is quoted in other words than the table's (no drift)."""
    table = [quote.lower() for _, quote in QUOTATIONS]
    found = [q for paragraph in paragraphs(markdown("sources")) for _, q in quoted(paragraph)]
    assert len(found) >= len(QUOTATIONS)
    strays = [q for q in found if q.lower() not in table]
    assert not strays, strays


def attributed_quotations(name: str) -> list[tuple[str, str]]:
    """(paragraph, quoted string) for each string in quotes that follows an author's name in
    the same paragraph of a course page (so in the same sentence, too)."""
    found = []
    for paragraph in paragraphs(markdown(name)):
        for start, quote in quoted(paragraph):
            if re.search(r"\b(?:" + "|".join(AUTHORS) + r")\b", paragraph[:start]):
                found.append((paragraph, quote))
    return found


@pytest.mark.parametrize("name", COURSE_PAGES)
def test_a_quotation_after_an_authors_name_is_in_the_table(name: str) -> None:
    for paragraph, quote in attributed_quotations(name):
        sources = [author for author, q in QUOTATIONS if same_words(quote, q)]
        assert sources, f"{name}: {quote!r} is quoted in {paragraph!r} but is in no source's words"
        assert any(author in paragraph for author in sources), f"{name}: {quote!r} is not credited to its author"


def test_the_quotation_checks_catch_the_old_lines() -> None:
    old = 'In *What Makes Love Last?* (2012), he concludes that betrayal "lies at the heart of every unhappy relationship."'
    (_, quote), = quoted(normalise(old))
    assert not any(same_words(quote, q) for _, q in QUOTATIONS)
    assert same_words("a wish to recapture lost parts of ourselves", "She names \"A wish to recapture lost parts of ourselves\"")
    assert not same_words("fire needs air", "Desire \"needs air\"")
    assert [q for _, q in quoted('Perel says "Like fire, desire needs air." Then "this."')] == ["Like fire, desire needs air", "this"]


# --- names on ideas --------------------------------------------------------------------------

def test_sources_cite_the_quoted_authors_and_neither_glass_nor_baker() -> None:
    cited = cited_authors()
    assert {"Perel", "Gottman", "Brown", "Worthington", "Spring"} <= cited
    assert not {"Glass", "Baker"} & cited
    assert "Stauth" not in markdown("sources") and "Just Friends" not in markdown("sources")


@pytest.mark.parametrize("name", COURSE_PAGES)
def test_a_chapter_names_only_authors_sources_cites(name: str) -> None:
    cited = cited_authors()
    text = markdown(name)
    for author in NAMED:
        if re.search(rf"\b{author}\b", text):
            assert author in cited, f"{name} names {author}, whom Sources does not cite"
    assert not re.search(r"\b(?:Glass|Baker)\b", text), name


def test_the_desire_line_cites_perels_2013_talk() -> None:
    intimacy = normalise(markdown("intimacy"))
    assert "The secret to desire in a long-term relationship" in intimacy and "2013" in intimacy
    talk = next(line for line in markdown("sources").splitlines() if "The secret to desire in a long-term relationship" in line)
    assert "(2013)" in talk and "TEDSalon NY2013" in talk and "Fire needs air" in talk


# --- lines that are gone ---------------------------------------------------------------------

GONE = [
    "Staying only to punish keeps you both in the wound",
    "To stay when leaving would be easier",
    "understanding instead of vengeance",
    "Forgiveness without boundaries is self-abandonment",
    "self-abandonment",
    "lies at the heart of every unhappy relationship",
    "one of Perel's core teachings",
    "Perel often suggests",
    "punish indefinitely",
    "may not be ready for the rest of this chapter",
]


def reader_texts(site: Path) -> dict[str, str]:
    """What a reader can meet: every built page's <main>, and the data files' text."""
    texts = {}
    for path in sitemap_paths(site):
        doc = BeautifulSoup((site / path / "index.html").read_text(encoding="utf-8"), "lxml")
        texts[f"/{path}"] = normalise((doc.select_one("main") or doc).get_text(" "))
    for data in [ROOT / "data" / "prompts.yml", *sorted((ROOT / "data" / "worksheets").glob("*.yml"))]:
        texts[str(data.relative_to(ROOT))] = normalise(data.read_text(encoding="utf-8"))
    return texts


@pytest.mark.parametrize("line", GONE)
def test_the_third_editions_banned_lines_are_gone(site: Path, line: str) -> None:
    found = [where for where, text in reader_texts(site).items() if line.lower() in text.lower()]
    assert not found, f"{line!r} in {found}"


# --- the order of things ---------------------------------------------------------------------

def page(site: Path, path: str) -> BeautifulSoup:
    return BeautifulSoup((site / path / "index.html").read_text(encoding="utf-8"), "lxml")


def h2_ids(site: Path, path: str) -> list[str]:
    return [h["id"] for h in page(site, path).select("article h2[id]")]


def test_the_first_days_come_first_and_disclosure_follows_in_chapter_one(site: Path) -> None:
    betrayal = h2_ids(site, "betrayal")
    assert betrayal[0] == "the-first-days-after-finding-out", betrayal
    assert betrayal.index("ending-the-affair-and-honest-disclosure") > betrayal.index("the-first-days-after-finding-out")
    assert "ending-the-affair-and-honest-disclosure" not in h2_ids(site, "empathy")
    # Chapter one comes before consistency, in the course and in the navigation.
    assert CHAPTERS.index("betrayal") < CHAPTERS.index("consistency")
    hrefs = [a["href"] for a in page(site, "").select(".md-nav--primary a.md-nav__link[href]")]
    position = {name: next(i for i, h in enumerate(hrefs) if h.rstrip("/").endswith(name)) for name in ("betrayal", "consistency")}
    assert position["betrayal"] < position["consistency"]


def test_the_disclosure_prompt_moved_with_its_section(site: Path) -> None:
    prompt = page(site, "betrayal").select_one('article div.rt-reflection[data-rt-prompt="empathy-honest-answers"]')
    assert prompt is not None
    assert prompt.find_previous("h2")["id"] == "ending-the-affair-and-honest-disclosure"
    assert COURSE.prompts["empathy-honest-answers"].chapter == "betrayal"
    # Other pages link the section where it now is.
    for path in sitemap_paths(site):
        for link in page(site, path).select('a[href*="#ending-the-affair-and-honest-disclosure"]'):
            target = urlparse(urljoin(f"http://site/{path}", link["href"])).path
            assert target == "/betrayal/", (path, link["href"])


def test_what_each_chapter_promises_matches_where_the_sections_are(site: Path) -> None:
    def promises(chapter: str) -> str:
        return normalise(page(site, chapter).select_one("article .admonition.abstract").get_text(" ")).lower()

    def takeaways(chapter: str) -> str:
        heading = page(site, chapter).select_one("article h2#key-takeaways")
        return normalise(heading.find_next("ul").get_text(" ")).lower()

    for text in (promises("betrayal"), takeaways("betrayal")):
        assert "first days" in text and "piece by piece" in text
    for text in (promises("empathy"), takeaways("empathy")):
        assert "piece by piece" not in text and "affair to end" not in text


def test_the_partner_who_broke_trust_has_guidance_and_a_prompt_for_doing_this_alone(site: Path) -> None:
    heading = page(site, "forgiveness").select_one("article h2#when-only-one-of-you-is-doing-this")
    section = []
    for sibling in heading.find_next_siblings():
        if sibling.name == "h2":
            break
        section.append(sibling)
    text = normalise(" ".join(s.get_text(" ") for s in section)).lower()
    assert "the partner who broke trust" in text
    for needed in ('respect a "no', "therapist of your own", "pressure", "shame", "guilt"):
        assert needed in text, needed
    prompt = COURSE.prompts["forgiveness-alone-broke-trust"]
    assert (prompt.chapter, prompt.role) == ("forgiveness", "broke-trust")
    assert any(s.select_one('[data-rt-prompt="forgiveness-alone-broke-trust"]') or s.get("data-rt-prompt") == "forgiveness-alone-broke-trust"
               for s in section)


# --- start here ------------------------------------------------------------------------------

def links_to_start_here(element) -> list[str]:  # type: ignore[no-untyped-def]
    return [a["href"] for a in element.select("a[href]") if urlparse(a["href"]).path.rstrip("/").endswith("start-here")]


def test_start_here_is_first_in_the_navigation(site: Path) -> None:
    first = page(site, "").select_one(".md-nav--primary a.md-nav__link[href]")
    assert first.get_text(" ", strip=True) == "Start here"
    assert urlparse(first["href"]).path.rstrip("/").endswith("start-here")


def test_the_landing_pages_hero_and_faq_link_start_here(site: Path) -> None:
    home = page(site, "")
    hero = home.select_one(".rt-hero")
    assert hero is not None and links_to_start_here(hero)
    assert not hero.select('a.md-button--primary[href*="start-here"]'), "a text link, not another primary button"
    questions = home.select_one("article h2#questions")
    faq = []
    for sibling in questions.find_next_siblings():
        if sibling.name == "h2":
            break
        faq.append(sibling)
    begin = next(p for p in faq if "Where do I begin if I just found out?" in p.get_text(" "))
    assert links_to_start_here(begin)


START_HERE = {
    # heading id: the pages and anchors its part links to
    "i-just-found-out": ["betrayal/#the-first-days-after-finding-out", "worksheets/first-week/"],
    "im-doing-this-alone": ["forgiveness/#when-only-one-of-you-is-doing-this", "worksheets/is-repair-happening/"],
    "is-this-abuse": ["safety/#who-this-course-is-not-for", "safety/#where-to-get-help"],
    "finding-a-therapist": ["practices/#choosing-a-therapist", "worksheets/questions-for-a-therapist/"],
}


@pytest.mark.parametrize("heading_id", START_HERE)
def test_each_part_of_start_here_links_where_it_says(site: Path, heading_id: str) -> None:
    doc = page(site, "start-here")
    heading = doc.select_one(f"article h2#{heading_id}")
    assert heading is not None, heading_id
    part = []
    for sibling in heading.find_next_siblings():
        if sibling.name in ("h2", "aside"):
            break
        if sibling.has_attr("data-rt-urgent"):  # "If you are in danger now" (tests/test_urgent_help.py)
            continue
        part.append(sibling)
    for link in [a for p in part for a in p.select("a")]:
        link.string = "a link"  # a title such as "Is repair happening?" ends no sentence
    sentences = re.findall(r"[.!?](?:\s|$)", normalise(" ".join(p.get_text(" ") for p in part)))
    assert 2 <= len(sentences) <= 4, (heading_id, len(sentences))
    base = "http://site/start-here/"
    targets = [urljoin(base, a["href"]) for p in part for a in p.select("a[href]")]
    for wanted in START_HERE[heading_id]:
        assert urljoin("http://site/", wanted) in targets, (heading_id, wanted, targets)
    for target in targets:  # each link lands on a built page, and on its anchor
        url = urlparse(target)
        built = site / url.path.lstrip("/") / "index.html"
        assert built.exists(), target
        if url.fragment:
            assert page(site, url.path.strip("/")).select_one(f"[id='{url.fragment}']"), target


def test_start_here_has_a_title_and_description() -> None:
    front = yaml.safe_load(markdown("start-here").split("---")[1])
    assert front["title"] == "Start here" and front["description"]


# --- safety planning -------------------------------------------------------------------------

PLAN_COVERS = ["document", "money", "bag", "safe place", "code word", "phone"]


def section(site: Path, path: str, heading_id: str) -> str:
    """The text from an h2 to the next."""
    heading = page(site, path).select_one(f"article h2#{heading_id}")
    assert heading is not None, (path, heading_id)
    parts = []
    for sibling in heading.find_next_siblings():
        if sibling.name == "h2":
            break
        parts.append(sibling.get_text(" "))
    return normalise(" ".join(parts)).lower()


@pytest.mark.parametrize(("path", "heading_id"), [("safety", "making-a-safety-plan"), ("closing", "when-rebuilding-isnt-possible")])
def test_safety_and_closing_speak_of_a_safety_plan_and_the_danger_of_leaving(site: Path, path: str, heading_id: str) -> None:
    text = section(site, path, heading_id)
    assert "safety plan" in text
    assert re.search(r"leaving (?:an abusive partner )?can be the most dangerous time", text)
    assert re.search(r"helplines?[^.]*help people make a safety plan", text)
    for needed in PLAN_COVERS:
        assert needed in text, (path, needed)
    assert "promise safety" in text  # "No plan can promise safety"


def test_sources_give_the_safety_services_guidance(site: Path) -> None:
    sources = page(site, "sources")
    heading = sources.select_one("article h2#safety-planning")
    assert heading is not None
    hrefs = [a["href"] for a in heading.find_next("ul").select("a[href]")]
    for host in ("thehotline.org", "dvcccpa.org", "hoperising613.com"):
        assert any(urlparse(h).hostname and urlparse(h).hostname.endswith(host) for h in hrefs), host
    assert "survivor-support site's leaving guide" in normalise(heading.find_next("ul").get_text(" "))
