"""The Gradio app. It imports only `rag_council` (installed as `rag_council_app`)."""

from .main import build_app, build_server, check_bind, serve

__all__ = ["build_app", "build_server", "check_bind", "serve"]
