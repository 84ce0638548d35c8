"""Answer generation: the Generator contract (answer.base) and its implementations.

* extractive: the passages' own sentences, no LLM (the offline default);
* local: an in-process llama.cpp model (xllamacpp) on a GGUF file, guarded (answer.fallback);
* openai: any OpenAI-compatible chat server.

The generators are registered by name in rag_council.registry (with plugins from the
`rag_council.generators` entry point group): `make_generator(settings, embedder)` builds the
one the settings name; `available_generators(settings)` lists those this installation can use,
default first."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rag_council.answer.base import (
    NO_ANSWER,
    OUTCOMES,
    Completer,
    Generation,
    GenerationResult,
    Generator,
    declines,
)
from rag_council.answer.extractive import ExtractiveGenerator
from rag_council.answer.prompt import DECLINE, is_decline
from rag_council.registry import available_generators, make_generator

if TYPE_CHECKING:  # pragma: no cover
    from rag_council.settings import Settings


def local_problem(settings: Settings) -> str | None:
    """None when the local generator can run here, else why not (see answer.local.problem)."""
    from rag_council.registry import GENERATORS

    return GENERATORS.problem("local", settings)


__all__ = [
    "DECLINE",
    "NO_ANSWER",
    "OUTCOMES",
    "Completer",
    "ExtractiveGenerator",
    "Generation",
    "GenerationResult",
    "Generator",
    "available_generators",
    "declines",
    "is_decline",
    "local_problem",
    "make_generator",
]
