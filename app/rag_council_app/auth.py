"""One login for every HTTP route of the server: the chat app, /source/... and the API.

When credentials are configured, every request except /healthz and the login page needs one of:
* `Authorization: Bearer KEY` with the API key (settings app.api_key), for API clients;
* the session cookie that POST /login sets after a right username and password (app.username,
  app.password), or the API key typed as the password, for people in a browser.

A browser asking for a page without a session is sent to /login; anything else gets 401 with a
JSON error. The session cookie is signed with a key made when the server starts (restarting the
server logs everyone out); nothing of Gradio's own login is used.

Guessing is slowed per client (LoginGuard): after app.login_free_attempts wrong passwords or API
keys in a row from one address, that address must wait app.login_delay_s, doubled with each
further failure up to app.login_max_delay_s; meanwhile its logins and keys are not even checked
but answered 429 with Retry-After. A right one resets the count; other addresses are unaffected.
The address is the connection's (the proxy's client only with app.trust_proxy)."""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import math
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import quote, unquote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse

COOKIE = "rag_council_session"
PUBLIC = ("/healthz", "/login", "/logout")
SESSION_S = 12 * 3600


@dataclass(frozen=True)
class Credentials:
    username: str = ""
    password: str = ""
    api_key: str = ""
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False, compare=False)

    @property
    def enabled(self) -> bool:
        return bool(self.api_key or (self.username and self.password))

    def key_ok(self, key: str) -> bool:
        return bool(self.api_key) and hmac.compare_digest(key.encode(), self.api_key.encode())

    def login_ok(self, username: str, password: str) -> bool:
        if self.username and self.password:
            same_user = hmac.compare_digest(username.encode(), self.username.encode())
            if same_user & hmac.compare_digest(password.encode(), self.password.encode()):
                return True
        return self.key_ok(password)

    def session(self, username: str, now: float | None = None) -> str:
        expires = int((now or time.time()) + SESSION_S)
        body = f"{quote(username, safe='')}|{expires}"
        return f"{body}|{self._sign(body)}"

    def session_ok(self, token: str, now: float | None = None) -> bool:
        body, _, sig = token.rpartition("|")
        if not body or not hmac.compare_digest(sig, self._sign(body)):
            return False
        try:
            return int(body.rpartition("|")[2]) > (now or time.time())
        except ValueError:
            return False

    def _sign(self, body: str) -> str:
        return hmac.new(self.secret, body.encode(), hashlib.sha256).hexdigest()


@dataclass
class _Failures:
    count: int = 0
    last: float = 0.0
    until: float = 0.0  # no attempt is checked before this time


class LoginGuard:
    """Failed logins per client, with a wait that grows: the `free`-th failure in a row makes the
    client wait `delay_s` (the ones before cost nothing), each further one doubles it, up to
    `max_delay_s`; while it waits, nothing it sends is checked or counted.
    `clock` is injectable (tests); memory is bounded: a client is forgotten `forget_s` after its
    last failure, and at most `max_clients` are remembered (the longest idle go first)."""

    def __init__(
        self,
        free: int = 5,
        delay_s: float = 1.0,
        max_delay_s: float = 300.0,
        *,
        forget_s: float | None = None,
        max_clients: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.free = free
        self.delay_s = delay_s
        self.max_delay_s = max_delay_s
        self.forget_s = forget_s if forget_s is not None else max(3600.0, 2 * max_delay_s)
        self.max_clients = max_clients
        self.clock = clock
        self._clients: OrderedDict[str, _Failures] = OrderedDict()  # oldest last failure first
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, app: Any, clock: Callable[[], float] = time.monotonic) -> LoginGuard:
        return cls(app.login_free_attempts, app.login_delay_s, app.login_max_delay_s, clock=clock)

    def wait(self, client: str) -> float:
        """Seconds before `client` may try again (0: now)."""
        with self._lock:
            entry = self._clients.get(client)
            return max(0.0, entry.until - self.clock()) if entry else 0.0

    def failed(self, client: str) -> float:
        """Count a wrong password or key; returns the wait it starts (0: none yet)."""
        now = self.clock()
        with self._lock:
            self._expire(now)
            entry = self._clients.pop(client, None) or _Failures()
            entry.count += 1
            entry.last = now
            over = entry.count - self.free
            wait = 0.0 if over < 0 else min(self.max_delay_s, self.delay_s * 2.0 ** min(over, 64))
            entry.until = now + wait
            self._clients[client] = entry  # now the newest
            while len(self._clients) > self.max_clients:
                self._clients.popitem(last=False)
            return wait

    def succeeded(self, client: str) -> None:
        if client in self._clients:
            with self._lock:
                self._clients.pop(client, None)

    def __len__(self) -> int:
        return len(self._clients)

    def _expire(self, now: float) -> None:
        while self._clients:
            oldest = next(iter(self._clients.values()))
            if now - oldest.last < self.forget_s:
                break
            self._clients.popitem(last=False)


def client_address(scope: dict[str, Any]) -> str:
    """The client's address as the server sees it (uvicorn puts a trusted proxy's
    X-Forwarded-For here only when serve() runs it with app.trust_proxy)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def too_many_message(wait: float) -> str:
    return (
        f"Too many failed logins from your address: try again in {_seconds(wait)} "
        "(each further wrong password or key doubles the wait)."
    )


def _seconds(wait: float) -> str:
    n = math.ceil(wait)
    return "1 second" if n == 1 else f"{n} seconds"


def _retry_after(wait: float) -> tuple[bytes, bytes]:
    return (b"retry-after", str(max(1, math.ceil(wait))).encode())


def _error(status: int, message: str, kind: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": status}}


class AuthMiddleware:
    """Pure ASGI, so that streamed answers and Gradio's event streams pass through untouched."""

    def __init__(self, app: Any, credentials: Credentials, guard: LoginGuard | None = None) -> None:
        self.app = app
        self.credentials = credentials
        self.guard = guard if guard is not None else LoginGuard()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket") or not self.credentials.enabled:
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        if path in PUBLIC:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        cookie = SimpleCookie()
        try:
            cookie.load(headers.get("cookie", ""))
        except Exception:  # a malformed cookie header is no session
            cookie = SimpleCookie()
        token = cookie[COOKIE].value if COOKIE in cookie else ""
        if token and self.credentials.session_ok(unquote(token)):  # signed: nothing to guess
            await self.app(scope, receive, send)
            return
        scheme, _, key = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer":
            client = client_address(scope)
            wait = self.guard.wait(client)
            if not wait:
                if self.credentials.key_ok(key.strip()):
                    self.guard.succeeded(client)
                    await self.app(scope, receive, send)
                    return
                wait = self.guard.failed(client)
            if wait:
                await self._refuse(scope, send, 429, too_many_message(wait), "rate_limited", wait)
                return
        if scope["type"] == "http" and self._wants_page(scope, headers, path):
            target = quote(
                path + (("?" + scope["query_string"].decode()) if scope.get("query_string") else "")
            )
            await _send(send, 303, b"", [(b"location", f"/login?next={target}".encode())])
            return
        await self._refuse(
            scope,
            send,
            401,
            "Not logged in: this server needs an API key or a login. Send `Authorization: Bearer "
            "KEY` (the server's app.api_key), or log in at /login.",
            "unauthorized",
        )

    @staticmethod
    def _wants_page(scope: dict[str, Any], headers: dict[str, str], path: str) -> bool:
        return (
            scope.get("method") == "GET"
            and "text/html" in headers.get("accept", "")
            and not path.startswith(("/v1/", "/source/"))
        )

    @staticmethod
    async def _refuse(
        scope: dict[str, Any], send: Any, status: int, message: str, kind: str, wait: float = 0.0
    ) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 4000 + status})
            return
        headers = [(b"content-type", b"application/json")]
        headers.append(_retry_after(wait) if status == 429 else (b"www-authenticate", b"Bearer"))
        await _send(send, status, json.dumps(_error(status, message, kind)).encode(), headers)


async def _send(send: Any, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _safe_next(target: str) -> str:
    """Only a path on this server (never //host or a scheme)."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


LOGIN_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>rag-council: log in</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:system-ui,sans-serif;max-width:22rem;margin:4rem auto;padding:0 1rem}}
label{{display:block;margin:.8rem 0 .2rem}}input{{width:100%;padding:.4rem;box-sizing:border-box}}
button{{margin-top:1rem;padding:.5rem 1.2rem}}.error{{color:#a00}}</style></head><body>
<h1>rag-council</h1><p>Log in to ask about the council's documents.</p>{error}
<form method="post" action="/login"><input type="hidden" name="next" value="{next}">
<label for="username">Username</label><input id="username" name="username" autocomplete="username">
<label for="password">Password (or the API key)</label>
<input id="password" name="password" type="password" autocomplete="current-password">
<button type="submit">Log in</button></form></body></html>"""


def add_login_routes(server: FastAPI, credentials: Credentials, guard: LoginGuard | None = None) -> None:
    guard = guard if guard is not None else LoginGuard()

    def page(target: str, error: str, status: int, wait: float = 0.0) -> HTMLResponse:
        body = LOGIN_PAGE.format(
            error=f"<p class='error' role='alert'>{html.escape(error)}</p>", next=html.escape(target)
        )
        headers = {"Retry-After": _retry_after(wait)[1].decode()} if status == 429 else None
        return HTMLResponse(body, status_code=status, headers=headers)

    @server.get("/login", include_in_schema=False)
    def login_page(next: str = "/") -> HTMLResponse:
        return HTMLResponse(LOGIN_PAGE.format(error="", next=html.escape(_safe_next(next))))

    @server.post("/login", include_in_schema=False)
    async def login(request: Request) -> Any:
        form = await request.form()
        username, password = str(form.get("username") or ""), str(form.get("password") or "")
        target = _safe_next(str(form.get("next") or "/"))
        client = client_address(request.scope)
        wait = guard.wait(client)
        if wait:  # not even checked while the client waits
            return page(target, too_many_message(wait), 429, wait)
        if not credentials.enabled or not credentials.login_ok(username, password):
            wait = guard.failed(client)
            if wait:
                return page(target, f"Wrong username or password. {too_many_message(wait)}", 429, wait)
            return page(target, "Wrong username or password.", 401)
        guard.succeeded(client)
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(
            COOKIE,
            quote(credentials.session(username)),
            max_age=SESSION_S,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )
        return response

    @server.get("/logout", include_in_schema=False)
    def logout() -> RedirectResponse:
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE)
        return response
