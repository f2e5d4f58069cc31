"""sitebuild/waitlist.py: who receives the waitlist form, from `extra.waitlist` (no MkDocs build)."""

from __future__ import annotations

import pytest

from sitebuild.waitlist import WaitlistError, provider_settings

SITE = "https://course.example.org/"


def test_the_bundled_service_is_no_provider() -> None:
    """The default form posts to our own /api/waitlist: nothing to name, nowhere to redirect."""
    assert provider_settings({"action": "/api/waitlist"}, SITE) == {
        "double_opt_in": False, "provider": None, "provider_origin": None, "redirect_field": None,
        "thanks_url": "https://course.example.org/waitlist/thanks/",
    }


def test_formspree_is_named_and_sends_the_visitor_back_with_next() -> None:
    assert provider_settings({"action": "https://formspree.io/f/abc"}, "https://x.example") == {
        "double_opt_in": False, "provider": "Formspree", "provider_origin": "https://formspree.io", "redirect_field": "_next",
        "thanks_url": "https://x.example/waitlist/thanks/",
    }


def test_buttondown_is_named_and_has_no_redirect_field() -> None:
    settings = provider_settings({"action": "https://buttondown.com/api/emails/embed-subscribe/me"}, SITE)
    assert (settings["provider"], settings["redirect_field"]) == ("Buttondown", None)


def test_netlify_forms_post_to_the_site_itself_and_are_named() -> None:
    settings = provider_settings({"action": "/waitlist/thanks/", "netlify": True}, SITE)
    assert (settings["provider"], settings["provider_origin"]) == ("Netlify", None)


def test_another_host_needs_a_provider_name() -> None:
    with pytest.raises(WaitlistError) as error:
        provider_settings({"action": "https://forms.example.net/x"}, SITE)
    assert str(error.value) == (
        "mkdocs.yml: extra.waitlist.provider: missing; the form posts to forms.example.net: give the name "
        "of the service that keeps the list (the privacy note names it), or one of buttondown.com, "
        "buttondown.email, formspree.io as the action's host"
    )
    settings = provider_settings({"action": "https://forms.example.net/x", "provider": "Example Forms",
                                  "redirect_field": "redirect_to"}, SITE)
    assert (settings["provider"], settings["redirect_field"]) == ("Example Forms", "redirect_to")


def test_double_opt_in_is_a_providers_and_a_boolean() -> None:
    """The bundled service says "check your inbox" itself (SMTP_URL): the flag is for providers."""
    action = {"action": "https://buttondown.com/api/emails/embed-subscribe/me"}
    assert provider_settings({**action, "double_opt_in": True}, SITE)["double_opt_in"] is True
    for block in ({"action": "/api/waitlist", "double_opt_in": True}, {**action, "double_opt_in": "yes"}):
        with pytest.raises(WaitlistError) as error:
            provider_settings(block, SITE)
        assert str(error.value).startswith(
            f"mkdocs.yml: extra.waitlist.double_opt_in: found {block['double_opt_in']!r}; give true when a hosted provider")
