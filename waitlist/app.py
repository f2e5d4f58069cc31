"""The ASGI application: static site, sign-up API, export, confirmation and the error page."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from waitlist import messages
from waitlist.config import Settings
from waitlist.errorpage import fill_error_page
from waitlist.headers import SecurityHeaders, site_headers
from waitlist.mailer import ConfirmationMailer, confirm_serializer, read_confirm_token
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
    parse_body,
    typed_email,
    validate,
)
from waitlist.static import StaticSite, compress_for
from waitlist.store import Store
from waitlist.writer import GroupCommitWriter, StoreUnavailable

log = logging.getLogger("waitlist")

THANKS_PATH = "/waitlist/thanks/"
ERROR_PATH = "/waitlist/error/"
CONFIRMED_PATH = "/waitlist/confirmed/"
NO_STORE = {"Cache-Control": "no-store"}
UNAVAILABLE = Rejection("unavailable", 503)


class Service:
    """The parts that live as long as the process, and the request handlers that use them."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.site = StaticSite(settings.site_dir)
        self.limiter = RateLimiter(settings.rate_limit) if settings.rate_limit > 0 else None
        self.serializer = confirm_serializer(settings.secret) if settings.secret else None
        self.store: Store | None = None
        self.writer: GroupCommitWriter | None = None
        self.mailer: ConfirmationMailer | None = None
        # The one reply every accepted JSON sign-up gets, new or known: made once.
        message = messages.SUCCESS_CONFIRM if settings.smtp is not None else messages.SUCCESS
        self._success = _Prebuilt(200, {"ok": True, "message": message})

    @asynccontextmanager
    async def lifespan(self, _app: Starlette) -> AsyncIterator[None]:
        settings = self.settings
        self.store = Store.from_url(settings.database_url)
        await asyncio.to_thread(self.store.create_schema)
        if settings.smtp is not None and self.serializer is not None:
            self.mailer = ConfirmationMailer(
                settings.smtp, settings.smtp_from, settings.site_url, self.serializer
            )
            self.mailer.start()
        self.writer = GroupCommitWriter(self.store, want_unconfirmed=self.mailer is not None)
        self.writer.start()
        if not settings.site_dir.is_dir():
            log.warning("SITE_DIR %s is not a directory: every page will be 404", settings.site_dir)
        log.info("serving %s on port %d", settings.site_dir, settings.port)
        try:
            yield
        finally:
            # The server has stopped taking requests and finished the ones in flight:
            # commit whatever is still queued, then let go of the database.
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
        retry_after = self._count_attempt(scope, headers)
        if retry_after is not None and kind != "form":
            return _json_rejection(Rejection("rate-limited", 429, retry_after=retry_after))
        if kind is None:
            return _json_rejection(UNSUPPORTED_TYPE)
        body = await _read_limited(receive, headers.content_length, MAX_BODY_BYTES)
        if body is None:
            return _reject(kind, TOO_LARGE, None)
        parsed = parse_body(kind, body)
        form = parsed if isinstance(parsed, SignupForm) else None
        if retry_after is not None:
            return _reject(kind, Rejection("rate-limited", 429, retry_after=retry_after), form)
        if form is None:
            return _reject(kind, BAD_REQUEST, None)
        if form.honeypot.strip():
            return self._accepted(kind)  # a bot: looks like success, nothing kept
        signup = validate(form)
        if isinstance(signup, Rejection):
            return _reject(kind, signup, form)
        try:
            saved = await self._writer().save(signup)
        except StoreUnavailable:
            return _reject(kind, UNAVAILABLE, form)
        if self.mailer is not None and saved.unconfirmed:
            self.mailer.request(signup.email)
        return self._accepted(kind)

    def _count_attempt(self, scope: Scope, headers: _Headers) -> int | None:
        if self.limiter is None:
            return None
        address = client_address(
            scope.get("client"), headers.forwarded_for, self.settings.trust_proxy_hops
        )
        return self.limiter.hit(address)

    def _accepted(self, kind: BodyKind) -> ASGIApp:
        if kind == "form":
            return RedirectResponse(THANKS_PATH, status_code=303, headers=NO_STORE)
        return self._success

    def _writer(self) -> GroupCommitWriter:
        if self.writer is None:
            raise StoreUnavailable("not started")
        return self.writer

    # -- GET /api/waitlist/export ------------------------------------------------------------

    async def export(self, request: Request) -> Response:
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
        store = self.store
        if store is None:
            return _json_rejection(UNAVAILABLE)
        csv_text = await asyncio.to_thread(store.export_csv)
        return Response(
            csv_text,
            media_type="text/csv; charset=utf-8",
            headers={**NO_STORE, "Content-Disposition": 'attachment; filename="waitlist.csv"'},
        )

    # -- GET /api/waitlist/confirm?token=... -------------------------------------------------

    async def confirm(self, request: Request) -> Response:
        token = request.query_params.get("token", "")
        email = read_confirm_token(self.serializer, token) if self.serializer else None
        found = False
        if email is not None and self.store is not None:
            found = await asyncio.to_thread(self.store.confirm, email)
        if not found:
            location = f"{ERROR_PATH}?{urlencode({'reason': 'bad-link'})}"
            return RedirectResponse(location, status_code=303, headers=NO_STORE)
        return RedirectResponse(CONFIRMED_PATH, status_code=303, headers=NO_STORE)

    # -- GET /waitlist/error/ ----------------------------------------------------------------

    async def error_page(self, request: Request) -> Response:
        page = self.site.read_page(ERROR_PATH)
        if page is None:
            return Response("Not found", 404, media_type="text/plain; charset=utf-8")
        query = request.query_params
        filled = fill_error_page(
            page.decode("utf-8", errors="replace"),
            message=messages.reason_message(query.get("reason", "")),
            email=query.get("email", "")[:MAX_ECHO_LENGTH],
            consent=query.get("consent", "") == "on",
        )
        body, encoding = compress_for(filled.encode("utf-8"), request.headers.get("accept-encoding", ""))
        # The page holds what the person typed: keep it out of every cache.
        return Response(body, media_type="text/html; charset=utf-8", headers={**NO_STORE, **encoding})


def create_app(settings: Settings) -> ASGIApp:
    """The whole service as one ASGI app; reads ``SITE_DIR/_headers`` once, now."""
    service = Service(settings)
    app = Starlette(
        routes=[
            Route("/api/waitlist", _Endpoint(service.signup), methods=["POST"]),
            Route("/api/waitlist/export", service.export, methods=["GET"]),
            Route("/api/waitlist/confirm", service.confirm, methods=["GET"]),
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


def _reject(kind: BodyKind, rejection: Rejection, form: SignupForm | None) -> Response:
    if kind == "json":
        return _json_rejection(rejection)
    query = {
        "reason": rejection.reason,
        "email": typed_email(form),
        "consent": "on" if form is not None and form.consent else "",
    }
    return RedirectResponse(f"{ERROR_PATH}?{urlencode(query)}", status_code=303, headers=NO_STORE)


def _json_rejection(rejection: Rejection) -> JSONResponse:
    headers = dict(NO_STORE)
    if rejection.retry_after is not None:
        headers["Retry-After"] = str(rejection.retry_after)
    body = {"error": messages.reason_message(rejection.reason), "field": rejection.field}
    return JSONResponse(body, status_code=rejection.status, headers=headers)
