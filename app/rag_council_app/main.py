"""The app: chat with the council's documents (answers stream in, each ends with numbered sources;
a source opens beside the chat with the quoted span highlighted and a link to the original file),
a drafting desk for officers, and the library (documents, uploads, feedback export).

`serve()` runs it behind a small FastAPI app whose one extra route, /source/{doc_id}, opens the
original file of an indexed document, and nothing else. It binds to 127.0.0.1 unless told otherwise,
and refuses a network address without a username and password."""

from __future__ import annotations

import html
import ipaddress
import mimetypes
import socket
from typing import Any

import gradio as gr
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import FileResponse

from rag_council import Engine, Settings, open_index
from rag_council.errors import ConfigError

from .chat import build_chat_tab
from .context import AppContext
from .drafting import build_drafting_tab
from .library import build_library_tab
from .render import CSS, SOURCE_CLICK_JS
from .timeline import build_timeline_tab

__all__ = ["CSS", "build_app", "build_server", "check_bind", "serve"]


def build_app(engine: Engine, ctx: AppContext | None = None) -> gr.Blocks:
    ctx = ctx or AppContext(engine)
    with gr.Blocks(title="rag-council") as demo:
        gr.Markdown(
            f"## rag-council\nAsk about the council's records (index **{html.escape(engine.index.name)}**; "
            "the Library tab lists its documents). Every answer cites the passages it stands on; "
            "when the documents do not say, the app says so."
        )
        with gr.Tabs():
            with gr.Tab("Ask", id="ask-tab"):
                chat = build_chat_tab(ctx)
            with gr.Tab("Drafting desk", id="drafting-tab"):
                build_drafting_tab(ctx)
            with gr.Tab("Timeline", id="timeline-tab"):
                build_timeline_tab(ctx)
            with gr.Tab("Library", id="library-tab"):
                build_library_tab(ctx, chat["committee"])
    demo.queue(default_concurrency_limit=engine.settings.app.concurrency)
    return demo


def is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        try:
            return ipaddress.ip_address(socket.gethostbyname(host)).is_loopback
        except OSError:
            return False


def check_bind(host: str, settings: Settings) -> tuple[str, str] | None:
    """The (username, password) to require, or None on a loopback address without them.
    A network address without both is refused."""
    app = settings.app
    auth = (app.username, app.password) if app.username and app.password else None
    if auth is None and not is_loopback(host):
        raise ConfigError(
            f"Refusing to serve on {host} without a username and password: anyone on the network could use it.",
            "Set RAG_COUNCIL_APP__USERNAME and RAG_COUNCIL_APP__PASSWORD (or [app] username/password "
            "in rag-council.toml), or serve on 127.0.0.1.",
        )
    if bool(app.username) != bool(app.password):
        raise ConfigError(
            "Only one of the app's username and password is set.", "Set both, or neither (for 127.0.0.1)."
        )
    return auth


def build_server(engine: Engine, auth: tuple[str, str] | None = None) -> FastAPI:
    """The FastAPI app: /source/{doc_id} for indexed files, the Gradio app at /."""
    ctx = AppContext(engine)
    demo = build_app(engine, ctx)
    server = FastAPI(title="rag-council", docs_url=None, redoc_url=None, openapi_url=None)
    gradio_apps: list[Any] = []

    @server.get("/source/{doc_id}")
    def source(doc_id: str, request: Request) -> FileResponse:
        if auth is not None and not _logged_in(request, gradio_apps):
            raise HTTPException(status_code=401, detail="Log in to the app first.")
        found = ctx.indexed_file(doc_id)
        if found is None:
            raise HTTPException(status_code=404, detail="No such document in the index.")
        path, fmt = found
        media = (
            {
                "pdf": "application/pdf",
                "txt": "text/plain; charset=utf-8",
                "md": "text/plain; charset=utf-8",
                "html": "text/html; charset=utf-8",
            }.get(fmt)
            or mimetypes.guess_type(path.name)[0]
            or "application/octet-stream"
        )
        headers = {
            "Content-Disposition": f'inline; filename="{path.name}"',
            # An HTML file from the council (or an upload) must not run scripts on the app's origin.
            "Content-Security-Policy": "sandbox",
            "X-Content-Type-Options": "nosniff",
        }
        return FileResponse(path, media_type=media, headers=headers)

    gr.mount_gradio_app(server, demo, path="", auth=auth, css=CSS, head=SOURCE_CLICK_JS, show_error=True)
    gradio_apps += [r.app for r in server.routes if getattr(r, "path", None) == "" and hasattr(r, "app")]
    return server


def _logged_in(request: Request, gradio_apps: list[Any]) -> bool:
    for app in gradio_apps:
        cookie_id = getattr(app, "cookie_id", None)
        token = request.cookies.get(f"access-token-{cookie_id}") or request.cookies.get(
            f"access-token-unsecure-{cookie_id}"
        )
        if token and app.tokens.get(token):
            return True
    return False


def serve(settings: Settings, host: str | None = None, port: int | None = None) -> None:
    import uvicorn

    host = host or settings.app.host
    port = port or settings.app.port
    auth = check_bind(host, settings)
    engine = open_index(settings.index, settings)
    server = build_server(engine, auth)
    print(f"rag-council: serving index '{engine.index.name}' on http://{host}:{port}", flush=True)
    uvicorn.run(server, host=host, port=port, log_level="warning")
