"""Answer generation: the Generator contract and its implementations.

* extractive: the passages' own sentences, no LLM (the offline default);
* local: an in-process llama.cpp model (xllamacpp) on a GGUF file;
* openai: any OpenAI-compatible chat server.

`make_generator(settings, embedder)` builds the one the settings name;
`available_generators(settings)` lists those this installation can use, default first."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rag_council.answer.base import NO_ANSWER, Generator
from rag_council.answer.extractive import ExtractiveGenerator
from rag_council.answer.prompt import DECLINE, is_decline

if TYPE_CHECKING:  # pragma: no cover
    from rag_council.embedding import Embedder
    from rag_council.settings import Settings

GENERATORS = ("extractive", "local", "openai")


def make_generator(settings: Settings, embedder: Embedder, name: str | None = None) -> Generator:
    kind = name or settings.answer.generator
    if kind == "extractive":
        return ExtractiveGenerator(embedder, settings.answer)
    if kind == "local":
        from rag_council.answer.fallback import GuardedGenerator
        from rag_council.answer.local import LocalGenerator

        s = settings.answer.local
        fallback = ExtractiveGenerator(embedder, settings.answer) if s.fallback == "extractive" else None
        return GuardedGenerator(
            LocalGenerator(s), fallback, min_relevance=s.fallback_min_relevance, trace_path=s.trace_path
        )
    if kind == "openai":
        from rag_council.answer.openai import OpenAIGenerator

        return OpenAIGenerator(settings.answer.openai)
    from rag_council.errors import ConfigError

    raise ConfigError(f"Unknown generator '{kind}'.", f"Use one of: {', '.join(GENERATORS)}.")


def local_problem(settings: Settings) -> str | None:
    """None when the local generator can run (runtime importable, model file or parts present)."""
    from rag_council.answer.local import runtime_available
    from rag_council.answer.model import DEFAULT_MODEL, MODELS

    problem = runtime_available()
    if problem:
        return problem
    s = settings.answer.local
    if s.model_path:
        from pathlib import Path

        return None if Path(s.model_path).expanduser().is_file() else f"no model file at {s.model_path}"
    import importlib.util

    model = MODELS[s.model or DEFAULT_MODEL]
    missing = [m for m in model.modules() if importlib.util.find_spec(m) is None]
    return f"the model packages are not installed ({missing[0]} ...)" if missing else None


def available_generators(settings: Settings) -> list[str]:
    """The generators this installation can use, the configured default first. Cheap: nothing
    is loaded. 'local' needs xllamacpp and the model; 'openai' needs answer.openai.base_url."""
    out = ["extractive"]
    if local_problem(settings) is None:
        out.append("local")
    if settings.answer.openai.base_url:
        out.append("openai")
    default = settings.answer.generator
    if default in out:
        out.remove(default)
        out.insert(0, default)
    return out


__all__ = [
    "DECLINE",
    "GENERATORS",
    "NO_ANSWER",
    "ExtractiveGenerator",
    "Generator",
    "available_generators",
    "is_decline",
    "make_generator",
]
