"""Every implementation runs its role's contract suite (rag_council.testing): the stores, the
embedder, the retrievers, the rerankers, the generators (extractive, a scripted fake, the fake
LLM guarded like the local model, the openai one against a fake server) and the support
checkers. Real models and servers run the same suites under tests/integration."""

from __future__ import annotations

import pytest

from rag_council import HashEmbedder, Settings
from rag_council.answer.extractive import ExtractiveGenerator
from rag_council.answer.fallback import GuardedGenerator
from rag_council.index.store import ChromaStore, MemoryStore
from rag_council.registry import make_generator
from rag_council.retrieve.rerank import LexicalReranker, NoReranker
from rag_council.retrieve.retrievers import DenseRetriever, HybridRetriever, KeywordRetriever
from rag_council.settings import RetrievalSettings, StoreSettings
from rag_council.testing import (
    EchoGenerator,
    EchoModel,
    EmbedderContract,
    FakeOpenAIServer,
    GeneratorContract,
    RerankerContract,
    RetrieverContract,
    ScriptedGenerator,
    StoreContract,
    SupportCheckerContract,
)
from rag_council.verify.support import LexicalSupportChecker, LLMSupportChecker

# ---------------------------------------------------------------------------------------- stores


class TestMemoryStore(StoreContract):
    @pytest.fixture
    def store(self):
        return MemoryStore()


class TestEmbeddedChromaStore(StoreContract):
    @pytest.fixture
    def store(self, tmp_path):
        return ChromaStore(StoreSettings(), tmp_path, "test")


# ------------------------------------------------------------------------------------- embedders


class TestHashEmbedder(EmbedderContract):
    @pytest.fixture
    def embedder(self):
        return HashEmbedder()


# ------------------------------------------------------------------------------------ retrievers


class TestDenseRetriever(RetrieverContract):
    @pytest.fixture
    def retriever(self, contract_index):
        return DenseRetriever(contract_index)


class TestKeywordRetriever(RetrieverContract):
    @pytest.fixture
    def retriever(self, contract_index):
        return KeywordRetriever(contract_index)


class TestHybridRetriever(RetrieverContract):
    @pytest.fixture
    def retriever(self, contract_index):
        return HybridRetriever(contract_index, RetrievalSettings(), LexicalReranker())


# ------------------------------------------------------------------------------------- rerankers


class TestNoReranker(RerankerContract):
    reads_words = False

    @pytest.fixture
    def reranker(self):
        return NoReranker()


class TestLexicalReranker(RerankerContract):
    @pytest.fixture
    def reranker(self):
        return LexicalReranker()


# ------------------------------------------------------------------------------------ generators


class TestExtractiveGenerator(GeneratorContract):
    @pytest.fixture
    def generator(self):
        return ExtractiveGenerator(HashEmbedder(), Settings(embedder={"kind": "hash"}).answer)


class TestScriptedGenerator(GeneratorContract):
    """The scripted fake the unit tests use behaves like a generator too."""

    @pytest.fixture
    def generator(self):
        def reply(question: str, passages) -> str:
            if "2031" in question:
                return "The documents do not say."
            return "The central library will open on Sundays from 1 June 2025. [2]"

        return ScriptedGenerator(reply)


class TestGuardedEchoModel(GeneratorContract):
    """The fake LLM wrapped like the local model (anchor declines, checking, the fallback)."""

    @pytest.fixture
    def generator(self):
        fallback = ExtractiveGenerator(HashEmbedder(), Settings(embedder={"kind": "hash"}).answer)
        return GuardedGenerator(EchoGenerator(), fallback)


class TestOpenAIGeneratorOnAFakeServer(GeneratorContract):
    @pytest.fixture(scope="class")
    def server(self):
        with FakeOpenAIServer() as server:
            yield server

    @pytest.fixture
    def generator(self, server):
        settings = Settings(embedder={"kind": "hash"}, answer={"openai": {"base_url": server.base_url}})
        return make_generator(settings, HashEmbedder(), "openai")


# ------------------------------------------------------------------------------ support checkers


class TestLexicalSupportChecker(SupportCheckerContract):
    @pytest.fixture
    def checker(self):
        return LexicalSupportChecker()


class TestLexicalSupportCheckerWithEmbeddings(SupportCheckerContract):
    @pytest.fixture
    def checker(self):
        return LexicalSupportChecker(HashEmbedder())


class TestLLMSupportCheckerOnAFakeModel(SupportCheckerContract):
    """The LLM checker's reading of replies, on a fake model that judges by shared words."""

    detects_changed_numbers = False

    @pytest.fixture
    def checker(self):
        from rag_council.text import content_terms

        def complete(prompt: str) -> str:
            claim = prompt.rsplit("Claim:", 1)[1].split("Verdict:")[0]
            passages = prompt.split("Passages:", 1)[1].rsplit("Claim:", 1)[0]
            terms = set(content_terms(claim))
            shared = terms & set(content_terms(passages))
            ok = bool(terms) and len(shared) >= 0.8 * len(terms)
            return f"{'SUPPORTED' if ok else 'UNSUPPORTED'}\n{1 if ok else 0} shared {len(shared)} words"

        return LLMSupportChecker(complete)


def test_the_echo_model_reads_the_prompt_it_is_given():
    from rag_council.answer.prompt import messages
    from rag_council.testing import sample_hits

    user = messages("When will the central library open on Sundays?", sample_hits())[1]["content"]
    assert EchoModel().reply_to_prompt(user).endswith("[2]")
