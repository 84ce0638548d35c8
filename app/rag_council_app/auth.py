"""One login for every HTTP route of the server: the chat app, /source/... and the API.

When credentials are configured, every request except /healthz and the login page needs one of:
* `Authorization: Bearer KEY` with the API key (settings app.api_key), for API clients;
* the session cookie that POST /login sets after a right username and password (app.username,
  app.password), or the API key typed as the password, for people in a browser.

A browser asking for a page without a session is sent to /login; anything else gets 401 with a
JSON error. The session cookie is signed with a key made when the server starts (restarting the
server logs everyone out); nothing of Gradio's own login is used."""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import secrets
import time
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

    def allows(self, headers: dict[str, str], cookies: dict[str, str]) -> bool:
        scheme, _, key = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and self.key_ok(key.strip()):
            return True
        token = cookies.get(COOKIE)
        return bool(token) and self.session_ok(unquote(token))


def _error(status: int, message: str, kind: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": status}}


class AuthMiddleware:
    """Pure ASGI, so that streamed answers and Gradio's event streams pass through untouched."""

    def __init__(self, app: Any, credentials: Credentials) -> None:
        self.app = app
        self.credentials = credentials

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
        if self.credentials.allows(headers, {k: m.value for k, m in cookie.items()}):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 4401})
            return
        wants_page = (
            scope.get("method") == "GET"
            and "text/html" in headers.get("accept", "")
            and not path.startswith(("/v1/", "/source/"))
        )
        if wants_page:
            target = quote(
                path + (("?" + scope["query_string"].decode()) if scope.get("query_string") else "")
            )
            await _send(send, 303, b"", [(b"location", f"/login?next={target}".encode())])
            return
        body = json.dumps(
            _error(
                401,
                "Not logged in: this server needs an API key or a login. Send `Authorization: Bearer "
                "KEY` (the server's app.api_key), or log in at /login.",
                "unauthorized",
            )
        ).encode()
        await _send(
            send, 401, body, [(b"content-type", b"application/json"), (b"www-authenticate", b"Bearer")]
        )


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


def add_login_routes(server: FastAPI, credentials: Credentials) -> None:
    @server.get("/login", include_in_schema=False)
    def login_page(next: str = "/") -> HTMLResponse:
        return HTMLResponse(LOGIN_PAGE.format(error="", next=html.escape(_safe_next(next))))

    @server.post("/login", include_in_schema=False)
    async def login(request: Request) -> Any:
        form = await request.form()
        username, password = str(form.get("username") or ""), str(form.get("password") or "")
        target = _safe_next(str(form.get("next") or "/"))
        if not credentials.enabled or not credentials.login_ok(username, password):
            page = LOGIN_PAGE.format(
                error="<p class='error' role='alert'>Wrong username or password.</p>",
                next=html.escape(target),
            )
            return HTMLResponse(page, status_code=401)
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
