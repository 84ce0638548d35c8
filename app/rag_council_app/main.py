"""The app: chat with the council's documents (answers stream in, each ends with numbered sources;
a source opens beside the chat with the quoted span highlighted and a link to the original file),
a drafting desk for officers, and the library (documents, uploads, feedback export).

`serve()` runs it on a FastAPI server that also holds /source/{doc_id} (the original file of an
indexed document, and nothing else) and the HTTP API (/v1/..., see api.py; docs at /docs). It
binds to 127.0.0.1 unless told otherwise, and refuses a network address without credentials
(auth.py: one login, checked by FastAPI, guards the app, /source/... and the API)."""

from __future__ import annotations

import html
import ipaddress
import mimetypes
import socket
from typing import Any

import gradio as gr
from fastapi import FastAPI, HTTPException
from fastapi.responses import FileResponse

from rag_council import Engine, Settings, open_index
from rag_council.errors import ConfigError

from . import api as api_module
from .api import add_api_routes
from .auth import AuthMiddleware, Credentials, LoginGuard, add_login_routes
from .chat import build_chat_tab
from .context import AppContext
from .drafting import build_drafting_tab
from .library import build_library_tab
from .render import CSS, SOURCE_CLICK_JS
from .timeline import build_timeline_tab

__all__ = ["CSS", "build_app", "build_server", "check_bind", "serve", "upload_limit_bytes", "uvicorn_config"]

UPLOAD_SWEEP_S = 3600

api_doc = (api_module.__doc__ or "").split("\n\n", 1)[-1]
try:
    from importlib.metadata import version as _version

    __version__ = _version("rag-council")
except Exception:  # not installed: run from a checkout
    __version__ = "0"


def build_app(engine: Engine, ctx: AppContext | None = None) -> gr.Blocks:
    ctx = ctx or AppContext(engine)
    # Uploads that never reach "Add to the index" are deleted by Gradio after an hour (and all of
    # them when the server stops); those that do are deleted once ingested or refused (library.py).
    with gr.Blocks(title="rag-council", delete_cache=(UPLOAD_SWEEP_S, UPLOAD_SWEEP_S)) as demo:
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


def check_bind(host: str, settings: Settings, *, api: bool = False) -> Credentials | None:
    """The credentials to require, or None on a loopback address without any. A network address
    is refused without an API key (`api`: for `rag-council api`) or without a username and
    password or an API key (for the app)."""
    app = settings.app
    if bool(app.username) != bool(app.password):
        raise ConfigError(
            "Only one of the app's username and password is set.", "Set both, or neither (for 127.0.0.1)."
        )
    creds = Credentials(app.username, app.password, app.api_key)
    if not is_loopback(host):
        if api and not app.api_key:
            raise ConfigError(
                f"Refusing to serve the API on {host} without an API key: anyone on the network could use it.",
                "Set RAG_COUNCIL_APP__API_KEY (or [app] api_key in rag-council.toml) and send it as "
                "`Authorization: Bearer KEY`, or serve on 127.0.0.1.",
            )
        if not creds.enabled:
            raise ConfigError(
                f"Refusing to serve on {host} without a username and password: anyone on the network could use it.",
                "Set RAG_COUNCIL_APP__USERNAME and RAG_COUNCIL_APP__PASSWORD (or [app] username/password, "
                "or api_key, in rag-council.toml), or serve on 127.0.0.1.",
            )
    return creds if creds.enabled else None


def upload_limit_bytes(settings: Settings) -> int:
    """app.max_upload_mb in bytes (MB = 10^6 bytes, as the library's check counts them)."""
    return int(settings.app.max_upload_mb * 1_000_000)


def build_server(
    engine: Engine, auth: Credentials | tuple[str, str] | None = None, guard: LoginGuard | None = None
) -> FastAPI:
    """The FastAPI app: the API under /v1 (docs at /docs), /source/{doc_id} for indexed files, the
    Gradio app at /. With `auth` (credentials, or a (username, password) pair) every route but
    /healthz and /login needs a login or the API key; failed logins and keys are slowed per
    client by `guard` (default: from the app.login_* settings; `server.state.login_guard`)."""
    if isinstance(auth, tuple):
        auth = Credentials(*auth)
    credentials = auth or Credentials()
    guard = guard if guard is not None else LoginGuard.from_settings(engine.settings.app)
    ctx = AppContext(engine)
    demo = build_app(engine, ctx)
    server = FastAPI(
        title="rag-council",
        summary="Answers about a council's records that cite the exact passages.",
        description=api_doc,
        version=__version__,
    )
    server.state.login_guard = guard
    add_login_routes(server, credentials, guard)
    add_api_routes(server, ctx)

    @server.get("/source/{doc_id}", include_in_schema=False)
    def source(doc_id: str) -> FileResponse:
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

    # Gradio's own login is not used: AuthMiddleware guards the mounted app like every route.
    # Gradio's own size limit refuses an over-limit upload (413) while it is received, before
    # anything is stored; the library's checks then see only files within it.
    gr.mount_gradio_app(
        server,
        demo,
        path="",
        css=CSS,
        head=SOURCE_CLICK_JS,
        show_error=True,
        max_file_size=upload_limit_bytes(engine.settings),
    )
    # Gradio checks the files an event names (inputs: only its own uploads; outputs: the temp
    # folder, the working folder, allowed_paths) only once it has "launched", which a mounted
    # app never does: without this, a request naming any file on the server had it copied in.
    demo.has_launched = True
    server.add_middleware(AuthMiddleware, credentials=credentials, guard=guard)
    return server


def uvicorn_config(server: FastAPI, settings: Settings, host: str, port: int) -> Any:
    """How serve() runs the server (tests run it the same way). X-Forwarded-For/-Proto only
    from a proxy the settings trust: else any client could give itself a new address for each
    guess at the login."""
    import uvicorn

    return uvicorn.Config(
        server, host=host, port=port, log_level="warning", proxy_headers=settings.app.trust_proxy
    )


def serve(settings: Settings, host: str | None = None, port: int | None = None, *, api: bool = False) -> None:
    """The app (and the API) on host:port. `api`: started as `rag-council api`, which needs an
    API key on a network address."""
    import uvicorn

    host = host or settings.app.host
    port = port or settings.app.port
    auth = check_bind(host, settings, api=api)
    engine = open_index(settings.index, settings)
    server = build_server(engine, auth)
    what = "the API (docs at /docs) and the app" if api else "the app (API at /v1, docs at /docs)"
    print(f"rag-council: serving {what} for index '{engine.index.name}' on http://{host}:{port}", flush=True)
    uvicorn.Server(uvicorn_config(server, settings, host, port)).run()
