"""The Gradio chat app. It imports only `rag_council` (installed as `rag_council_app`)."""

from .main import build_app, serve

__all__ = ["build_app", "serve"]
