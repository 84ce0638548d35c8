"""One registry of the pluggable parts: answer generators, rerankers and support checkers.

Each entry is a name, a factory, a one-line description and a cheap `available(settings)`
check (None when this installation can use it, else why not; nothing is loaded). Settings
validation (answer.generator, retrieval.rerank), the CLI's `--generator` choices and the app's
answerer choices are all read from here, so a name is spelled once.

Factories:

* generators: `factory(settings: Settings, embedder: Embedder) -> Generator`;
* rerankers: `factory(settings: RetrievalSettings, stats: Stats | None) -> Reranker` (stats:
  `() -> (document frequency, chunks)` of the index);
* support checkers: `factory(embedder: Embedder | None, complete: Callable[[str], str] | None)
  -> SupportChecker`.

A plugin adds one through an entry point in the group `rag_council.generators`,
`rag_council.rerankers` or `rag_council.support_checkers`; the entry point's name is the
component's name, and it loads to a `Component` or to a bare factory (described by its
`description` attribute or the first line of its docstring, always available):

    [project.entry-points."rag_council.generators"]
    echo = "my_plugin:EchoGenerator"

Built-in names win over a plugin of the same name. Entry points are read once (`refresh()`
reads them again)."""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from rag_council.errors import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    from rag_council.answer.base import Generator
    from rag_council.embedding import Embedder
    from rag_council.retrieve.rerank import Reranker, Stats
    from rag_council.settings import RetrievalSettings, Settings
    from rag_council.verify.support import SupportChecker

T = TypeVar("T")


def _always(settings: Settings) -> str | None:
    return None


@dataclass(frozen=True)
class Component(Generic[T]):
    name: str
    factory: Callable[..., T]
    description: str
    available: Callable[[Settings], str | None] = _always  # None: usable here; else why not


class Registry(Generic[T]):
    """Components of one kind by name: the built-in ones, then the entry point group's."""

    def __init__(self, kind: str, group: str) -> None:
        self.kind = kind
        self.group = group
        self._builtin: dict[str, Component[T]] = {}
        self._plugins: dict[str, importlib.metadata.EntryPoint] | None = None
        self._loaded: dict[str, Component[T]] = {}

    def register(
        self,
        name: str,
        factory: Callable[..., T],
        description: str,
        available: Callable[[Settings], str | None] | None = None,
    ) -> None:
        self._builtin[name] = Component(name, factory, description, available or _always)

    def refresh(self) -> None:
        """Read the entry points again (after installing a plugin, or in tests)."""
        self._plugins = None
        self._loaded = {}

    def _entry_points(self) -> dict[str, importlib.metadata.EntryPoint]:
        if self._plugins is None:
            found = importlib.metadata.entry_points(group=self.group)
            self._plugins = {ep.name: ep for ep in found if ep.name not in self._builtin}
        return self._plugins

    def names(self) -> tuple[str, ...]:
        """Every known name, the built-in ones first. Cheap: no plugin is imported."""
        return (*self._builtin, *sorted(self._entry_points()))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self.names()

    def get(self, name: str) -> Component[T]:
        if name in self._builtin:
            return self._builtin[name]
        if name in self._loaded:
            return self._loaded[name]
        ep = self._entry_points().get(name)
        if ep is None:
            raise ConfigError(f"Unknown {self.kind} '{name}'.", f"Use one of: {', '.join(self.names())}.")
        try:
            target = ep.load()
        except Exception as exc:
            raise ConfigError(
                f"The {self.kind} plugin '{name}' ({ep.value}) does not load: {exc}.",
                "Reinstall the plugin, or choose another one.",
            ) from None
        component = target if isinstance(target, Component) else _component(name, target)
        self._loaded[name] = component
        return component

    def make(self, name: str, *args: Any, **kwargs: Any) -> T:
        return self.get(name).factory(*args, **kwargs)

    def problem(self, name: str, settings: Settings) -> str | None:
        """None when `name` can be used with these settings, else why not."""
        try:
            return self.get(name).available(settings)
        except ConfigError as exc:
            return str(exc)

    def available(self, settings: Settings) -> list[str]:
        """The names usable with these settings, in registry order."""
        return [n for n in self.names() if self.problem(n, settings) is None]

    def descriptions(self) -> dict[str, str]:
        """name -> description, for help texts (plugins are loaded)."""
        out: dict[str, str] = {}
        for name in self.names():
            try:
                out[name] = self.get(name).description
            except ConfigError as exc:
                out[name] = str(exc)
        return out


def _component(name: str, factory: Callable[..., Any]) -> Component[Any]:
    doc = (factory.__doc__ or "").strip().splitlines()
    description = str(vars(factory).get("description") or (doc[0] if doc else name))
    return Component(name, factory, description)


GENERATORS: Registry[Generator] = Registry("generator", "rag_council.generators")
RERANKERS: Registry[Reranker] = Registry("reranker", "rag_council.rerankers")
SUPPORT_CHECKERS: Registry[SupportChecker] = Registry("support checker", "rag_council.support_checkers")


# --- the built-in generators -------------------------------------------------------------------


def _extractive(settings: Settings, embedder: Embedder) -> Generator:
    from rag_council.answer.extractive import ExtractiveGenerator

    return ExtractiveGenerator(embedder, settings.answer)


def _local(settings: Settings, embedder: Embedder) -> Generator:
    from rag_council.answer.extractive import ExtractiveGenerator
    from rag_council.answer.fallback import GuardedGenerator
    from rag_council.answer.local import LocalGenerator

    s = settings.answer.local
    fallback = ExtractiveGenerator(embedder, settings.answer) if s.fallback == "extractive" else None
    return GuardedGenerator(
        LocalGenerator(s), fallback, min_relevance=s.fallback_min_relevance, trace_path=s.trace_path
    )


def _local_problem(settings: Settings) -> str | None:
    from rag_council.answer.local import problem

    return problem(settings.answer.local)


def _openai(settings: Settings, embedder: Embedder) -> Generator:
    from rag_council.answer.openai import OpenAIGenerator

    return OpenAIGenerator(settings.answer.openai)


def _openai_problem(settings: Settings) -> str | None:
    return None if settings.answer.openai.base_url else "answer.openai.base_url is not set"


GENERATORS.register("extractive", _extractive, "the passages' own sentences, no LLM (the offline default)")
GENERATORS.register(
    "local",
    _local,
    "an in-process llama.cpp model, checked, with the extractive answer as a fallback",
    _local_problem,
)
GENERATORS.register(
    "openai", _openai, "an OpenAI-compatible server (vLLM, llama.cpp, Ollama; answer.openai)", _openai_problem
)


# --- the built-in rerankers --------------------------------------------------------------------


def _lexical_reranker(settings: RetrievalSettings, stats: Stats | None = None) -> Reranker:
    from rag_council.retrieve.rerank import LexicalReranker

    return LexicalReranker(stats, settings.rerank_weight)


def _cross_encoder(settings: RetrievalSettings, stats: Stats | None = None) -> Reranker:
    from rag_council.retrieve.rerank import CrossEncoderReranker

    return CrossEncoderReranker(settings.rerank_model, settings.rerank_weight)


def _cross_encoder_problem(settings: Settings) -> str | None:
    from pathlib import Path

    path = settings.retrieval.rerank_model
    if path and (Path(path).expanduser() / "config.json").is_file():
        return None
    return "retrieval.rerank_model names no local CrossEncoder folder"


def _no_reranker(settings: RetrievalSettings, stats: Stats | None = None) -> Reranker:
    from rag_council.retrieve.rerank import NoReranker

    return NoReranker()


RERANKERS.register(
    "lexical", _lexical_reranker, "exact overlap of the question's terms, phrases, numbers and names"
)
RERANKERS.register(
    "cross-encoder",
    _cross_encoder,
    "a sentence-transformers CrossEncoder from a local folder (retrieval.rerank_model)",
    _cross_encoder_problem,
)
RERANKERS.register("none", _no_reranker, "keeps the fused order")


# --- the built-in support checkers -------------------------------------------------------------


def _lexical_checker(
    embedder: Embedder | None = None, complete: Callable[[str], str] | None = None
) -> SupportChecker:
    from rag_council.verify.support import LexicalSupportChecker

    return LexicalSupportChecker(embedder)


def _llm_checker(
    embedder: Embedder | None = None, complete: Callable[[str], str] | None = None
) -> SupportChecker:
    from rag_council.verify.support import LLMSupportChecker

    if complete is None:
        raise ConfigError(
            "The llm support checker needs a model to ask.", "Answer with an LLM generator (local or openai)."
        )
    return LLMSupportChecker(complete)


def _llm_checker_problem(settings: Settings) -> str | None:
    generator = settings.answer.generator
    if generator == "extractive":
        return "needs an LLM generator (answer.generator local or openai) to ask"
    return GENERATORS.problem(generator, settings)


SUPPORT_CHECKERS.register(
    "lexical", _lexical_checker, "lexical evidence in a short window (deterministic, no model)"
)
SUPPORT_CHECKERS.register(
    "llm", _llm_checker, "asks the answering LLM whether the passages support a claim", _llm_checker_problem
)


def make_generator(settings: Settings, embedder: Embedder, name: str | None = None) -> Generator:
    """The generator `name` (default: the settings' answer.generator)."""
    return GENERATORS.make(name or settings.answer.generator, settings, embedder)


def available_generators(settings: Settings) -> list[str]:
    """The generators this installation can use, the configured default first. Cheap."""
    out = GENERATORS.available(settings)
    default = settings.answer.generator
    if default in out:
        out.remove(default)
        out.insert(0, default)
    return out
