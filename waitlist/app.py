"""The ASGI application: static site, sign-up API, export and statistics, confirmation,
unsubscribe and removal, and the waitlist pages the service fills in."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from datetime import timedelta
from urllib.parse import parse_qsl, urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from waitlist import __version__, messages
from waitlist.config import Settings
from waitlist.errorpage import fill_error_page, fill_token
from waitlist.headers import SecurityHeaders, site_headers
from waitlist.mailer import CONFIRM_PAGE, UNSUBSCRIBE_PAGE, Mailer, OutgoingMail
from waitlist.mailgate import MailGate, MailOutcome
from waitlist.ratelimit import RateLimiter, client_address
from waitlist.signup import (
    BAD_REQUEST,
    MAX_BODY_BYTES,
    MAX_ECHO_LENGTH,
    TOO_LARGE,
    UNSUPPORTED_TYPE,
    BodyKind,
    Rejection,
    SignupForm,
    body_kind,
    canonical_email,
    parse_body,
    typed_email,
    validate,
)
from waitlist.static import StaticSite, compress_for
from waitlist.store import MailLimits, Store
from waitlist.tokens import CONFIRM_MAX_AGE_SECONDS, LinkSubject, Tokens
from waitlist.writer import GroupCommitWriter, StoreUnavailable

log = logging.getLogger("waitlist")

THANKS_PATH = "/waitlist/thanks/"
CHECK_INBOX_PATH = "/waitlist/check-inbox/"
ERROR_PATH = "/waitlist/error/"
CONFIRMED_PATH = "/waitlist/confirmed/"
REMOVE_PATH = "/waitlist/remove/"
REMOVAL_SENT_PATH = "/waitlist/removal-sent/"
REMOVED_PATH = "/waitlist/removed/"
HEALTH_PATH = "/api/health"
NO_STORE = {"Cache-Control": "no-store"}
UNAVAILABLE = Rejection("unavailable", 503)
MAIL_BUSY = Rejection("mail-busy", 503, retry_after=3600)
# Unconfirmed sign-ups are deleted once their link has expired; the service looks daily.
PURGE_UNCONFIRMED_AFTER = timedelta(seconds=CONFIRM_MAX_AGE_SECONDS)
PURGE_INTERVAL_SECONDS = 24 * 3600


class Service:
    """The parts that live as long as the process, and the request handlers that use them."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.site = StaticSite(settings.site_dir)
        self.limiter: RateLimiter | None = None
        self.tokens = Tokens(settings.secret) if settings.secret else None
        self.store: Store | None = None
        self.writer: GroupCommitWriter | None = None
        self.mailer: Mailer | None = None
        self.gate: MailGate | None = None
        # The one reply every accepted JSON sign-up gets, new or known: made once. With double
        # opt-in it says a link was mailed ("confirm": the form shows its check_inbox message).
        if settings.smtp is not None:
            reply = {"ok": True, "message": messages.SUCCESS_CONFIRM, "confirm": True}
        else:
            reply = {"ok": True, "message": messages.SUCCESS}
        self._success = _Prebuilt(200, reply)
        self._thanks_path = CHECK_INBOX_PATH if settings.smtp is not None else THANKS_PATH

    @asynccontextmanager
    async def lifespan(self, _app: Starlette) -> AsyncIterator[None]:
        settings = self.settings
        self.store = Store.from_url(settings.database_url)
        migrated = await asyncio.to_thread(self.store.create_schema)
        if migrated.changed:  # serve migrates before it starts the app: only another caller
            for line in migrated.lines():
                log.info("schema: %s", line.strip())
        if settings.rate_limit > 0:
            self.limiter = RateLimiter(self.store, settings.rate_limit, rate_limit_key(settings))
        purging: asyncio.Task[None] | None = None
        if settings.smtp is not None and self.tokens is not None:
            self.mailer = Mailer(settings.smtp, settings.smtp_from, settings.site_url, self.tokens,
                                 wording=messages.mail_wording(settings.site_dir))
            self.mailer.start()
            limits = MailLimits(per_hour=settings.mail_per_hour)
            self.gate = MailGate(self.store, self.mailer, self.tokens, limits)
            self.mailer.on_failure = self.gate.forget
            # Only with double opt-in: without it no sign-up is ever confirmed.
            purging = asyncio.create_task(purge_daily(self.store))
        self.writer = GroupCommitWriter(self.store, self.gate)
        self.writer.start()
        if not settings.site_dir.is_dir():
            log.warning("SITE_DIR %s is not a directory: every page will be 404", settings.site_dir)
        log.info("waitlist %s serving %s on port %d", __version__, settings.site_dir, settings.port)
        try:
            yield
        finally:
            # The server has stopped taking requests and finished the ones in flight:
            # commit whatever is still queued, then let go of the database.
            if purging is not None:
                purging.cancel()
                with suppress(asyncio.CancelledError):
                    await purging
            await self.writer.stop()
            if self.mailer is not None:
                await asyncio.to_thread(self.mailer.stop)
            self.store.dispose()
            log.info("stopped; every acknowledged sign-up is committed")

    # -- POST /api/waitlist ------------------------------------------------------------------

    async def signup(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Plain ASGI rather than a Starlette endpoint: this is the hot path under load."""
        headers = _Headers(scope)
        response = await self._sign_up(scope, receive, headers)
        await response(scope, receive, send)

    async def _sign_up(self, scope: Scope, receive: Receive, headers: _Headers) -> ASGIApp:
        kind = body_kind(headers.content_type)
        retry_after = await self._count_attempt(scope, headers)
        if retry_after is not None and kind != "form":
            return _json_rejection(Rejection("rate-limited", 429, retry_after=retry_after))
        if kind is None:
            return _json_rejection(UNSUPPORTED_TYPE)
        body = await _read_limited(receive, headers.content_length, MAX_BODY_BYTES)
        if body is None:
            return self._reject(kind, TOO_LARGE, None, scope)
        parsed = parse_body(kind, body)
        form = parsed if isinstance(parsed, SignupForm) else None
        if retry_after is not None:
            return self._reject(
                kind, Rejection("rate-limited", 429, retry_after=retry_after), form, scope
            )
        if form is None:
            return self._reject(kind, BAD_REQUEST, None, scope)
        if form.honeypot.strip():
            return self._accepted(kind)  # a bot: looks like success, nothing kept
        signup = validate(form)
        if isinstance(signup, Rejection):
            return self._reject(kind, signup, form, scope)
        try:
            saved = await self._writer().save(signup)
        except StoreUnavailable:
            return self._reject(kind, UNAVAILABLE, form, scope)
        if saved.mail == "busy":  # kept, but no mail could be sent: not "check your inbox"
            return self._reject(kind, MAIL_BUSY, form, scope)
        return self._accepted(kind)

    async def _count_attempt(self, scope: Scope, headers: _Headers) -> int | None:
        if self.limiter is None:
            return None
        address = client_address(
            scope.get("client"), headers.forwarded_for, self.settings.trust_proxy_hops
        )
        try:
            return await self.limiter.hit(address)
        except Exception:  # the database is away: the sign-up itself will get its 503
            log.exception("could not count a sign-up attempt")
            return None

    def _reject(
        self, kind: BodyKind, rejection: Rejection, form: SignupForm | None, scope: Scope
    ) -> Response:
        """JSON: the reason. A form: the error page itself, filled in, as the reply to the
        POST: what was typed stays in the page and never goes into an address (addresses
        end up in proxy logs and the browser's history)."""
        if kind == "json":
            return _json_rejection(rejection)
        return self._page_response(
            ERROR_PATH,
            lambda page: fill_error_page(
                page, messages.reason_message(rejection.reason), typed_email(form),
                consent=form is not None and form.consent,
            ),
            status=rejection.status,
            headers=_retry_after(rejection),
            accept_encoding=_accept_encoding(scope),
        )

    def _accepted(self, kind: BodyKind) -> ASGIApp:
        if kind == "form":
            return RedirectResponse(self._thanks_path, status_code=303, headers=NO_STORE)
        return self._success

    def _writer(self) -> GroupCommitWriter:
        if self.writer is None:
            raise StoreUnavailable("not started")
        return self.writer

    # -- GET /api/health: the container's HEALTHCHECK, a load balancer's probe ---------------

    async def health(self, _request: Request) -> Response:
        """200 while the service can take sign-ups: started, its writer thread running and its
        database answering ``SELECT 1``; 503 otherwise. Says nothing about the database."""
        if self.store is None or self.writer is None or not self.writer.running:
            return JSONResponse({"ok": False}, 503, headers=NO_STORE)
        try:
            await asyncio.to_thread(self.store.ping)
        except Exception as error:
            reason = str(getattr(error, "orig", None) or error).strip()
            log.warning("health check: the database did not answer: %s",
                        reason.splitlines()[0] if reason else type(error).__name__)
            return JSONResponse({"ok": False}, 503, headers=NO_STORE)
        return JSONResponse({"ok": True}, headers=NO_STORE)

    # -- GET /api/waitlist/export and /api/waitlist/stats (admin token) ----------------------

    def _admin_refusal(self, request: Request) -> Response | None:
        """None if the request carries the admin token, else the reply that refuses it."""
        token = self.settings.admin_token
        if token is None:
            return JSONResponse({"error": "Not found.", "field": None}, 404, headers=NO_STORE)
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            given.strip().encode("utf-8"), token.encode("utf-8")
        ):
            return JSONResponse(
                {"error": "A valid admin token is required.", "field": None},
                401,
                headers={**NO_STORE, "WWW-Authenticate": 'Bearer realm="waitlist"'},
            )
        if self.store is None:
            return _json_rejection(UNAVAILABLE)
        return None

    async def export(self, request: Request) -> Response:
        refusal = self._admin_refusal(request)
        if refusal is not None or self.store is None:
            return refusal or _json_rejection(UNAVAILABLE)
        csv_text = await asyncio.to_thread(self.store.export_csv)
        return Response(
            csv_text,
            media_type="text/csv; charset=utf-8",
            headers={**NO_STORE, "Content-Disposition": 'attachment; filename="waitlist.csv"'},
        )

    async def stats(self, request: Request) -> Response:
        refusal = self._admin_refusal(request)
        if refusal is not None or self.store is None:
            return refusal or _json_rejection(UNAVAILABLE)
        stats = await asyncio.to_thread(self.store.stats)
        return JSONResponse(stats.as_dict(), headers=NO_STORE)

    # -- confirmation: GET shows a page, its button POSTs ------------------------------------

    async def confirm_link(self, request: Request) -> Response:
        """GET /api/waitlist/confirm?token=... (links mailed before version 1.1): the page with
        the button. A GET changes nothing: mail scanners open every link."""
        return _redirect(f"{CONFIRM_PAGE}?{urlencode({'token': request.query_params.get('token', '')})}")

    async def confirm_page(self, request: Request) -> Response:
        return self._token_page(request, CONFIRM_PAGE, "bad-link")

    async def confirm(self, request: Request) -> Response:
        """POST /api/waitlist/confirm with the token: the address is confirmed."""
        fields = await _small_form(request)
        token = (fields or {}).get("token", "")
        subject = self.tokens.read_confirm(token) if self.tokens else None
        if subject is None or not await asyncio.to_thread(self._confirm, subject):
            return _redirect(f"{ERROR_PATH}?{urlencode({'reason': 'bad-link'})}")
        return _redirect(CONFIRMED_PATH)

    def _confirm(self, subject: LinkSubject) -> bool:
        assert self.store is not None and self.tokens is not None
        if subject.row_id is None:  # a link of the old kind: the address itself
            return subject.email is not None and self.store.confirm(subject.email)
        email = self.store.email_of(subject.row_id)
        if email is None or not self.tokens.matches(subject, email):
            return False
        return self.store.confirm(email, row_id=subject.row_id)

    # -- unsubscribe: the link shows a page; its button, or a mail client, POSTs --------------

    async def unsubscribe_link(self, request: Request) -> Response:
        """GET on the List-Unsubscribe address: the page with the button, nothing removed."""
        token = request.query_params.get("token", "")
        return _redirect(f"{UNSUBSCRIBE_PAGE}?{urlencode({'token': token})}")

    async def unsubscribe_page(self, request: Request) -> Response:
        return self._token_page(request, UNSUBSCRIBE_PAGE, "bad-unsubscribe-link")

    async def unsubscribe(self, request: Request) -> Response:
        """POST /api/waitlist/unsubscribe: from the page's button (token in the form), or
        RFC 8058's one-click POST (token in the address, body ``List-Unsubscribe=One-Click``)."""
        fields = await _small_form(request) or {}
        # The page's button sends the token in the form; a mail client sends it in the address
        # (its body, List-Unsubscribe=One-Click, may come urlencoded or as multipart).
        one_click = "token" not in fields
        token = request.query_params.get("token", "") if one_click else fields["token"]
        subject = self.tokens.read_unsubscribe(token) if self.tokens else None
        removed = subject is not None and await asyncio.to_thread(self._unsubscribe, subject)
        if one_click:
            if subject is None:
                return PlainTextResponse("This unsubscribe link is not valid.", 400, headers=NO_STORE)
            return PlainTextResponse("Unsubscribed: the address is not on the waitlist.",
                                     headers=NO_STORE)
        if subject is None:
            return _redirect(f"{REMOVE_PATH}?{urlencode({'reason': 'bad-unsubscribe-link'})}")
        if not removed:  # a second click, or a row we cannot find: say so, offer the form
            return _redirect(f"{REMOVE_PATH}?{urlencode({'reason': 'already-removed'})}")
        return _redirect(REMOVED_PATH)

    def _unsubscribe(self, subject: LinkSubject) -> bool:
        """Delete the row the token names; False if no row has both its id and address."""
        assert self.store is not None and self.tokens is not None
        if subject.row_id is None:
            return False
        email = self.store.email_of(subject.row_id)
        if email is None or not self.tokens.matches(subject, email):
            return False
        return self.store.remove(email, "unsubscribed", row_id=subject.row_id) > 0

    def _token_page(self, request: Request, path: str, bad_reason: str) -> Response:
        token = request.query_params.get("token", "")
        return self._page_response(
            path,
            lambda page: fill_token(
                page, token, message=messages.reason_message(bad_reason) if not token else ""
            ),
            accept_encoding=_accept_encoding(request.scope),
        )

    # -- POST /api/waitlist/remove: anyone may ask for an address to be removed --------------

    async def remove(self, request: Request) -> Response:
        """With mail, a removal link goes to the address (so nobody removes someone else);
        without, the address is removed at once. The reply never says whether it was on the
        list."""
        retry_after = await self._count_attempt(request.scope, _Headers(request.scope))
        fields = await _small_form(request)
        typed = (fields or {}).get("email", "")[:MAX_ECHO_LENGTH]
        if retry_after is not None:
            rate_limited = Rejection("rate-limited", 429, retry_after=retry_after)
            return self._remove_page(rate_limited, typed, request.scope)
        email = canonical_email(typed) if fields is not None else None
        if email is None or self.store is None:
            reason = BAD_REQUEST if fields is None else Rejection("invalid-email", 422, "email")
            return self._remove_page(reason if self.store else UNAVAILABLE, typed, request.scope)
        if self.gate is None:
            await asyncio.to_thread(self.store.remove, email, "removed")
            return _redirect(REMOVED_PATH)
        if await asyncio.to_thread(self._request_removal, email) == "busy":
            return self._remove_page(MAIL_BUSY, typed, request.scope)
        return _redirect(REMOVAL_SENT_PATH)

    def _request_removal(self, email: str) -> MailOutcome:
        """Count and queue a removal mail if ``email`` is on the list (executor thread)."""
        assert self.store is not None and self.gate is not None
        gate = self.gate
        counted: OutgoingMail | None = None
        try:
            with self.store.engine.begin() as connection:
                found = self.store.find(connection, email)
                if found is None:
                    return "busy" if gate.closed(connection) else "none"
                mail = OutgoingMail("removal", *found)
                outcome = gate.reserve(connection, mail)
                if outcome == "queued":
                    counted = mail
        except BaseException:
            if counted is not None:  # counted, but the commit failed
                gate.release(counted)
            raise
        if counted is not None:
            gate.send(counted)
        return outcome

    def _remove_page(self, rejection: Rejection, typed: str, scope: Scope) -> Response:
        return self._page_response(
            REMOVE_PATH,
            lambda page: fill_error_page(page, messages.reason_message(rejection.reason), typed,
                                         consent=False),
            status=rejection.status,
            headers=_retry_after(rejection),
            accept_encoding=_accept_encoding(scope),
        )

    async def remove_page(self, request: Request) -> Response:
        reason = request.query_params.get("reason", "")
        message = messages.reason_message(reason) if reason else ""
        return self._page_response(
            REMOVE_PATH, lambda page: fill_error_page(page, message, "", consent=False),
            accept_encoding=_accept_encoding(request.scope),
        )

    # -- GET /waitlist/error/ ----------------------------------------------------------------

    async def error_page(self, request: Request) -> Response:
        """The reason's message (a bad link); what a person typed never comes in an address."""
        message = messages.reason_message(request.query_params.get("reason", ""))
        return self._page_response(
            ERROR_PATH, lambda page: fill_error_page(page, message, "", consent=False),
            accept_encoding=_accept_encoding(request.scope),
        )

    def _page_response(
        self, path: str, fill: Callable[[str], str], status: int = 200,
        headers: dict[str, str] | None = None, accept_encoding: str = "",
    ) -> Response:
        """A page of the built site, filled in, never cached (it may hold what was typed)."""
        page = self.site.read_page(path)
        if page is None:
            return Response("Not found", 404, media_type="text/plain; charset=utf-8")
        filled = fill(page.decode("utf-8", errors="replace"))
        body, encoding = compress_for(filled.encode("utf-8"), accept_encoding)
        return Response(body, status, media_type="text/html; charset=utf-8",
                        headers={**NO_STORE, **encoding, **(headers or {})})


def rate_limit_key(settings: Settings) -> bytes | None:
    """The HMAC key for client addresses in the rate-limit table: derived from WAITLIST_SECRET
    (the same on every instance) when there is one."""
    if settings.secret is None:
        return None
    return hmac.new(settings.secret.encode("utf-8"), b"rate-limit", "sha256").digest()


async def purge_daily(store: Store, interval: float = PURGE_INTERVAL_SECONDS) -> None:
    """Delete expired unconfirmed sign-ups now, then every ``interval`` seconds."""
    while True:
        try:
            purged = await asyncio.to_thread(store.purge_unconfirmed, PURGE_UNCONFIRMED_AFTER)
            if purged:
                log.info("purged %d unconfirmed sign-ups whose link had expired", purged)
        except Exception:
            log.exception("could not purge expired unconfirmed sign-ups")
        await asyncio.sleep(interval)


def create_app(settings: Settings) -> ASGIApp:
    """The whole service as one ASGI app; reads ``SITE_DIR/_headers`` once, now."""
    service = Service(settings)
    app = Starlette(
        routes=[
            Route("/api/waitlist", _Endpoint(service.signup), methods=["POST"]),
            Route(HEALTH_PATH, service.health, methods=["GET"]),
            Route("/api/waitlist/export", service.export, methods=["GET"]),
            Route("/api/waitlist/stats", service.stats, methods=["GET"]),
            Route("/api/waitlist/confirm", service.confirm_link, methods=["GET"]),
            Route("/api/waitlist/confirm", service.confirm, methods=["POST"]),
            Route("/api/waitlist/unsubscribe", service.unsubscribe_link, methods=["GET"]),
            Route("/api/waitlist/unsubscribe", service.unsubscribe, methods=["POST"]),
            Route("/api/waitlist/remove", service.remove, methods=["POST"]),
            Route(CONFIRM_PAGE, service.confirm_page, methods=["GET"]),
            Route(UNSUBSCRIBE_PAGE, service.unsubscribe_page, methods=["GET"]),
            Route(REMOVE_PATH, service.remove_page, methods=["GET"]),
            Route(ERROR_PATH, service.error_page, methods=["GET"]),
        ],
        lifespan=service.lifespan,
    )
    # Everything the API does not claim is a file of the site; the site itself redirects
    # directory URLs that lack their slash.
    app.router.default = service.site
    app.router.redirect_slashes = False
    return SecurityHeaders(app, site_headers(settings.site_dir))


async def _read_limited(receive: Receive, declared: int | None, limit: int) -> bytes | None:
    """The request body, or None as soon as it is longer than ``limit`` bytes."""
    if declared is not None and declared > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b""
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


class _Headers:
    """The few request headers the sign-up reads, in one pass over the raw list."""

    __slots__ = ("content_length", "content_type", "forwarded_for")

    def __init__(self, scope: Scope) -> None:
        self.content_type: str | None = None
        self.content_length: int | None = None
        self.forwarded_for: list[str] = []
        for name, value in scope["headers"]:
            if name == b"content-type":
                self.content_type = value.decode("latin-1")
            elif name == b"content-length" and value.isdigit():
                self.content_length = int(value)
            elif name == b"x-forwarded-for":
                self.forwarded_for.append(value.decode("latin-1"))


class _Prebuilt:
    """A JSON reply rendered once and sent as is."""

    def __init__(self, status: int, content: object) -> None:
        body = json.dumps(content, separators=(",", ":")).encode()
        self._start = {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"),
            ],
        }
        self._body = {"type": "http.response.body", "body": body}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(dict(self._start))
        await send(self._body)


class _Endpoint:
    """Marks an ASGI callable as such for Starlette's Route (a bound method would be
    wrapped as a request -> response function)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


def _redirect(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=303, headers=NO_STORE)


def _accept_encoding(scope: Scope) -> str:
    return ", ".join(
        value.decode("latin-1") for name, value in scope["headers"] if name == b"accept-encoding"
    )


def _retry_after(rejection: Rejection) -> dict[str, str]:
    return {"Retry-After": str(rejection.retry_after)} if rejection.retry_after is not None else {}


async def _small_form(request: Request) -> dict[str, str] | None:
    """The fields of a small urlencoded body (each name once), or None if it is too large
    or malformed."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    try:
        pairs = parse_qsl(b"".join(chunks).decode("utf-8"), keep_blank_values=True,
                          max_num_fields=20)
    except (UnicodeDecodeError, ValueError):
        return None
    return dict(pairs)


def _json_rejection(rejection: Rejection) -> JSONResponse:
    headers = {**NO_STORE, **_retry_after(rejection)}
    body = {"error": messages.reason_message(rejection.reason), "field": rejection.field}
    return JSONResponse(body, status_code=rejection.status, headers=headers)
