"""The llama-index doors: retriever, query engine, and any llama-index LLM as the generator."""

import datetime as dt

import pytest
from llama_index.core.llms import CompletionResponse, CustomLLM, LLMMetadata
from llama_index.core.query_engine import RetrieverQueryEngine
from llama_index.core.schema import QueryBundle
from llama_index.core.vector_stores.types import (
    FilterCondition,
    FilterOperator,
    MetadataFilter,
    MetadataFilters,
)
from pydantic import Field

from rag_council.errors import ConfigError, GeneratorError
from rag_council.llama_adapter import LlamaIndexGenerator, RagCouncilRetriever, to_filters

DOCS = {
    "transport.txt": "School transport.\n\nThe committee approved a school transport budget of £4.2 million for 2025/26.",
    "library.txt": "Libraries.\n\nThe central library will open on Sundays from 1 June 2025 as a twelve month trial.",
}


class ScriptedLLM(CustomLLM):
    """A llama-index LLM that replies with a fixed text (streamed word by word)."""

    reply: str = ""
    prompts: list[str] = Field(default_factory=list)

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(model_name="scripted")

    def complete(self, prompt: str, formatted: bool = False, **kwargs):
        self.prompts.append(prompt)
        return CompletionResponse(text=self.reply)

    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs):
        self.prompts.append(prompt)
        text = ""
        for word in self.reply.split(" "):
            piece = word if not text else " " + word
            text += piece
            yield CompletionResponse(text=text, delta=piece)


class BrokenLLM(ScriptedLLM):
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs):
        raise ConnectionError("connection refused")
        yield  # pragma: no cover


@pytest.fixture
def engine(small_engine):
    return small_engine(DOCS)


def test_retriever_gives_text_nodes_with_labels(engine):
    nodes = RagCouncilRetriever(engine, top_k=2).retrieve("library Sundays")
    assert nodes and nodes[0].node.metadata["document"] == "library.txt"
    first = nodes[0].node
    assert first.node_id == first.metadata["chunk_id"] and first.metadata["label"]
    assert first.get_content() == engine.index.chunks([first.node_id])[0].text
    assert "label" in first.get_content(metadata_mode="llm") and "chunk_id" not in first.get_content(
        metadata_mode="llm"
    )


def test_metadata_filters_map_to_ours(engine):
    f = to_filters(
        MetadataFilters(
            filters=[
                MetadataFilter(key="committee", value="Cabinet"),
                MetadataFilter(key="date", value="2025-01-01", operator=FilterOperator.GTE),
                MetadataFilter(key="date", value="2025-07-01", operator=FilterOperator.LT),
                MetadataFilter(key="document", value=["library.txt"], operator=FilterOperator.IN),
            ]
        )
    )
    assert f.committee == "Cabinet" and f.since == dt.date(2025, 1, 1) and f.until == dt.date(2025, 6, 30)
    assert f.documents == ("library.txt",)
    with pytest.raises(ConfigError, match="cannot filter on"):
        to_filters(MetadataFilters(filters=[MetadataFilter(key="colour", value="red")]))
    with pytest.raises(ConfigError, match="OR"):
        to_filters(
            MetadataFilters(
                filters=[
                    MetadataFilter(key="committee", value="A"),
                    MetadataFilter(key="doc_type", value="b"),
                ],
                condition=FilterCondition.OR,
            )
        )
    only_library = RagCouncilRetriever(
        engine, filters=MetadataFilters(filters=[MetadataFilter(key="document", value="library.txt")])
    ).retrieve("school transport budget")
    assert only_library and {n.node.metadata["document"] for n in only_library} == {"library.txt"}


def test_retriever_query_engine_runs_on_our_retriever(engine):
    llm = ScriptedLLM(reply="The budget was £4.2 million.")
    qe = RetrieverQueryEngine.from_args(RagCouncilRetriever(engine, top_k=2), llm=llm)
    response = qe.query("What school transport budget did the committee approve?")
    assert str(response) == "The budget was £4.2 million."
    assert response.source_nodes[0].node.metadata["document"] == "transport.txt"
    assert "£4.2 million" in llm.prompts[-1]  # our passage reached the LLM's prompt


def test_as_query_engine_sources_are_the_verified_citations(engine):
    response = engine.as_query_engine().query(
        QueryBundle("What school transport budget did the committee approve?")
    )
    answer = response.metadata["rag_council"]
    assert not response.metadata["abstained"] and "£4.2 million" in response.response
    assert len(response.source_nodes) == len(answer["citations"]) >= 1
    for node, cited in zip(response.source_nodes, answer["citations"], strict=True):
        assert node.node.metadata["quote"] == cited["quote"] and cited["quote"] in node.node.get_content()
    declined = engine.as_query_engine().query("What is the policy on potholes in rural roads?")
    assert declined.metadata["abstained"] and declined.source_nodes == []


def test_any_llama_index_llm_writes_answers_that_are_still_checked(engine):
    llm = ScriptedLLM(
        reply="The committee approved a school transport budget of £4.2 million for 2025/26. [1] "
        "The council also bought a spaceship. [1]"
    )
    answer = engine.with_generator(LlamaIndexGenerator(llm)).ask("What school transport budget was approved?")
    assert not answer.abstained and "£4.2 million" in answer.text
    assert "spaceship" not in answer.text  # not in the passage: removed by the check
    assert any(c.text.startswith("The council also bought") and not c.supported for c in answer.claims)
    assert "Passages:" in llm.prompts[-1]
    with pytest.raises(GeneratorError, match="BrokenLLM failed: connection refused"):
        engine.with_generator(LlamaIndexGenerator(BrokenLLM())).ask(
            "What school transport budget was approved?"
        )
