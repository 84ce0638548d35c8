"""Reusable contract suites and honest fakes, shipped in the package for plugin authors (like
haystack's DocumentStoreBaseTests and ragna's parametrised component suites).

A suite is a class of pytest tests; subclass it in a test module as `Test...`, and provide the
implementation through the fixture it names:

    from rag_council.testing import GeneratorContract

    class TestMyGenerator(GeneratorContract):
        @pytest.fixture
        def generator(self):
            return MyGenerator()

Suites: StoreContract (fixture `store`), EmbedderContract (`embedder`), RetrieverContract
(`retriever`, over `contract_index`), RerankerContract (`reranker`), GeneratorContract
(`generator`), SupportCheckerContract (`checker`). They need pytest (a test dependency)."""

from rag_council.testing.fakes import (
    EchoGenerator,
    EchoModel,
    FakeOpenAIServer,
    FixedRetriever,
    ScriptedGenerator,
    sample_hits,
)

__all__ = [
    "EchoGenerator",
    "EchoModel",
    "EmbedderContract",
    "FakeOpenAIServer",
    "FixedRetriever",
    "GeneratorContract",
    "RerankerContract",
    "RetrieverContract",
    "ScriptedGenerator",
    "StoreContract",
    "SupportCheckerContract",
    "sample_hits",
]


def __getattr__(name: str):  # the suites import pytest: only when asked for
    if name in {
        "StoreContract",
        "EmbedderContract",
        "RetrieverContract",
        "RerankerContract",
        "GeneratorContract",
        "SupportCheckerContract",
    }:
        from rag_council.testing import contracts

        return vars(contracts)[name]
    raise AttributeError(name)
