"""Mail as an SMTP server receives it: the bytes aiosmtpd is handed, not the ``EmailMessage``
the service built. Python's default email policy folds a header longer than 78 characters and,
with no space in a URL to fold at, writes it as RFC 2047 encoded words
(``List-Unsubscribe: =?utf-8?q?=3Chttps=3A//…``); mail clients then show no unsubscribe
button. A parser decodes those words again, so only the raw lines can tell."""

from __future__ import annotations

import email
import email.policy
import gzip
import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from tests.waitlist.conftest import SECRET, Service, free_port, local, signup_json
from tests.waitlist.helpers import add_row

ROOT = Path(__file__).resolve().parents[2]

# Long enough that the List-Unsubscribe line is well past 78 characters (about 190).
LONG_SITE_URL = "https://rebuilding-trust.a-rather-long-subdomain-for-the-course.example.org"
MAX_LINE = 998  # RFC 5322 section 2.1.1


@dataclass
class RawInbox:
    """The DATA of every mail exactly as it arrived (after SMTP's dot-unstuffing)."""

    received: list[bytes] = field(default_factory=list)

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.received.append(bytes(envelope.original_content))  # type: ignore[attr-defined]
        return "250 OK"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[bytes]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.received) >= count, self.received
        return self.received


@pytest.fixture
def raw_inbox() -> Iterator[tuple[RawInbox, int]]:
    box, port = RawInbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


@pytest.fixture
def wire_service(start: Callable[..., Service], raw_inbox: tuple[RawInbox, int]) -> Service:
    _, port = raw_inbox
    return start(SMTP_URL=f"smtp://127.0.0.1:{port}", WAITLIST_SECRET=SECRET,
                 SITE_URL=LONG_SITE_URL, WAITLIST_RATE_LIMIT="0")


def header_lines(raw: bytes) -> list[str]:
    """The header section's physical lines (CRLF-terminated on the wire)."""
    head, separator, _ = raw.partition(b"\r\n\r\n")
    assert separator, raw[:200]
    return head.decode("ascii").split("\r\n")


def raw_header(raw: bytes, name: str) -> str:
    """The value of header ``name`` as it arrived: one physical line, not continued."""
    lines = header_lines(raw)
    [index] = [i for i, line in enumerate(lines) if line.lower().startswith(f"{name.lower()}:")]
    following = lines[index + 1] if index + 1 < len(lines) else ""
    assert not following[:1].isspace(), f"{name} is folded onto a second line: {lines[index:index + 2]}"
    return lines[index].split(":", 1)[1].strip()


def check_headers_on_the_wire(raw: bytes) -> str:
    """Every header line is whole and plain; the List-Unsubscribe target."""
    for line in header_lines(raw):
        assert "=?" not in line, f"an encoded word on the wire: {line}"
        assert len(line) <= MAX_LINE
    unsubscribe = raw_header(raw, "List-Unsubscribe")
    match = re.fullmatch(rf"<({re.escape(LONG_SITE_URL)}/api/waitlist/unsubscribe\?token=[A-Za-z0-9_.\-]+)>",
                         unsubscribe)
    assert match, unsubscribe
    assert raw_header(raw, "List-Unsubscribe-Post") == "List-Unsubscribe=One-Click"
    return match.group(1)


def test_the_confirmation_mail_carries_a_plain_list_unsubscribe_whose_one_click_post_removes(
    wire_service: Service, raw_inbox: tuple[RawInbox, int]
) -> None:
    box, _ = raw_inbox
    with wire_service.client() as client:
        assert signup_json(client, "wire@example.org").status_code == 200
        [raw] = box.wait_for(1)
        target = check_headers_on_the_wire(raw)
        assert len(f"List-Unsubscribe: <{target}>") > 150  # the case the default policy folded
        # The links in the text arrive whole too (no quoted-printable "=" breaks).
        body = raw.partition(b"\r\n\r\n")[2].decode("ascii")
        assert f"{LONG_SITE_URL}/waitlist/confirm/?token=" in body
        assert "wire@example.org" in wire_service.emails()
        # What a mail provider does with the header (RFC 8058 section 3.2).
        reply = client.post(local(target), content=b"List-Unsubscribe=One-Click",
                            headers={"content-type": "application/x-www-form-urlencoded"})
        assert reply.status_code == 200
    assert "wire@example.org" not in wire_service.emails()


def test_the_removal_mail_carries_the_same_plain_header(
    wire_service: Service, raw_inbox: tuple[RawInbox, int]
) -> None:
    box, _ = raw_inbox
    add_row(wire_service.db_path, "member@example.org", age=timedelta(days=30), confirmed=True)
    with wire_service.client() as client:
        asked = client.post("/api/waitlist/remove", data={"email": "member@example.org"})
        assert asked.headers["location"] == "/waitlist/removal-sent/"
        [raw] = box.wait_for(1)
        assert raw_header(raw, "Subject") == "Remove your address from the waitlist?"
        target = check_headers_on_the_wire(raw)
        reply = client.post(local(target), content=b"List-Unsubscribe=One-Click",
                            headers={"content-type": "application/x-www-form-urlencoded"})
        assert reply.status_code == 200
    assert "member@example.org" not in wire_service.emails()


def test_an_international_domain_goes_out_in_its_ascii_form(
    wire_service: Service, raw_inbox: tuple[RawInbox, int]
) -> None:
    """The address as stored (punycode): the To line holds it as it is, no encoded words."""
    box, _ = raw_inbox
    with wire_service.client() as client:
        assert signup_json(client, "reader@bücher.example").status_code == 200
    [raw] = box.wait_for(1)
    assert "To: reader@xn--bcher-kva.example" in header_lines(raw)
    check_headers_on_the_wire(raw)


def test_the_mails_name_the_course_and_the_app_in_the_words_mkdocs_yml_gives(
    start: Callable[..., Service], raw_inbox: tuple[RawInbox, int], site_dir: Path, tmp_path: Path
) -> None:
    """The wording is `extra.waitlist.messages` (sitebuild/waitlist.py), which the build writes into
    the site's `_mail.json`, here from mkdocs.yml as it is; the service reads it at start and
    never serves it, nor a compressed copy of it."""
    import shutil

    import yaml

    from sitebuild.waitlist import MESSAGES, mail_wording

    class Loader(yaml.SafeLoader):  # mkdocs.yml's own tags (!ENV, !!python/name) read as nothing
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    Loader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)
    config = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=Loader)  # noqa: S506
    messages = {**MESSAGES, **config["extra"]["waitlist"].get("messages", {})}
    course, app = config["site_name"], config["extra"]["brand"]["app_name"]
    site = shutil.copytree(site_dir, tmp_path / "site")
    (site / "_mail.json").write_text(json.dumps(mail_wording(messages, course, app)), encoding="utf-8")
    (site / "_mail.json.gz").write_bytes(gzip.compress((site / "_mail.json").read_bytes()))
    box, port = raw_inbox
    service = start(site=site, SMTP_URL=f"smtp://127.0.0.1:{port}", WAITLIST_SECRET=SECRET,
                    SITE_URL="https://course.example.org", WAITLIST_RATE_LIMIT="0")
    add_row(service.db_path, "member@example.org", age=timedelta(days=30), confirmed=True)
    with service.client() as client:
        for name in ("_mail.json", "_mail.json.gz"):
            assert client.get(f"/{name}").status_code == 404, name
        assert signup_json(client, "new@example.org").status_code == 200
        assert client.post("/api/waitlist/remove", data={"email": "member@example.org"}).status_code == 303
        mails = [email.message_from_bytes(raw, policy=email.policy.default) for raw in box.wait_for(2)]
    confirm, removal = sorted(mails, key=lambda m: "Remove" in str(m["Subject"]))
    for mail in (confirm, removal):
        text = " ".join(mail.get_content().split())
        assert app in str(mail["Subject"]) and app in text and course in text, (mail["Subject"], text)
        assert "course.example.org" in text and "{" not in text + str(mail["Subject"])
