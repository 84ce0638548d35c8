"""The one module that imports llama-index, both ways round.

Inward, it lends the project llama-index's sentence splitter (no llama-index type leaves it).
Outward, it is the door for llama-index users (and only these return llama-index types):
* `RagCouncilRetriever`: a llama-index `BaseRetriever` over rag-council's hybrid retriever;
  chunks come back as `TextNode`s (id = chunk id, metadata with the citable label), and
  llama-index `MetadataFilters` are mapped to rag-council `Filters`;
* `RagCouncilQueryEngine` (`Engine.as_query_engine()`): a llama-index query engine whose
  `Response.source_nodes` are the verified citations (metadata: marker, quote, label, page) and
  whose `Response.metadata["rag_council"]` is the whole answer's JSON;
* `LlamaIndexGenerator`: any llama-index `LLM` as rag-council's Generator, so every LLM
  integration of llama-index can write the answers; the engine still checks them sentence by
  sentence against the passages they cite."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from rag_council.errors import ConfigError
from rag_council.types import Answer, Chunk, Filters, Hit

if TYPE_CHECKING:  # pragma: no cover
    from rag_council.engine import Engine
    from rag_council.retrieve.retrievers import Retriever


def sentence_splitter(
    chunk_tokens: int, overlap_tokens: int, tokenize: Callable[[str], list]
) -> Callable[[str], list[str]]:
    """A function text -> chunks that respects paragraphs and sentences and keeps each chunk
    within `chunk_tokens` as counted by `tokenize` (the embedder's own word pieces)."""
    from llama_index.core.node_parser import SentenceSplitter

    splitter = SentenceSplitter(
        chunk_size=chunk_tokens,
        chunk_overlap=min(overlap_tokens, chunk_tokens // 2),
        tokenizer=tokenize,
        paragraph_separator="\n\n",
        include_metadata=False,
        include_prev_next_rel=False,
    )
    return splitter.split_text


def default_pipeline(
    files: list, embedder: object, chroma_path: object, host: str = "", port: int = 8000
) -> Callable[[str, int], list[tuple[str, str]]]:
    """llama-index's default pipeline, for comparison (bench/scale.py): its reader, its default
    splitter and a VectorStoreIndex over a Chroma collection ("llama-default", beside ours),
    embedding with `embedder` (one of ours). Returns question, k -> [(file name, text)]."""
    from pathlib import Path

    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from llama_index.core import SimpleDirectoryReader, StorageContext, VectorStoreIndex
    from llama_index.core.embeddings import BaseEmbedding
    from llama_index.vector_stores.chroma import ChromaVectorStore
    from pydantic import PrivateAttr

    class Embedding(BaseEmbedding):
        _embedder: Any = PrivateAttr()

        def __init__(self, inner: Any) -> None:
            super().__init__(model_name=str(getattr(inner, "name", "rag-council")), embed_batch_size=64)
            self._embedder = inner

        def _get_query_embedding(self, query: str) -> list[float]:
            return self._embedder.embed_query(query).tolist()

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_query_embedding(query)

        def _get_text_embedding(self, text: str) -> list[float]:
            return self._embedder.embed([text])[0].tolist()

        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            return self._embedder.embed(texts).tolist()

    settings = ChromaSettings(anonymized_telemetry=False)
    client = (
        chromadb.HttpClient(host=host, port=port, settings=settings)
        if host
        else chromadb.PersistentClient(path=str(chroma_path), settings=settings)
    )
    with contextlib.suppress(Exception):
        client.delete_collection("llama-default")
    collection = client.get_or_create_collection("llama-default", embedding_function=None)
    documents = SimpleDirectoryReader(input_files=[str(f) for f in files]).load_data(show_progress=False)
    index = VectorStoreIndex.from_documents(
        documents,
        storage_context=StorageContext.from_defaults(
            vector_store=ChromaVectorStore(chroma_collection=collection)
        ),
        embed_model=Embedding(embedder),
        show_progress=False,
    )

    def query(question: str, k: int) -> list[tuple[str, str]]:
        nodes = index.as_retriever(similarity_top_k=k).retrieve(question)
        return [(Path(str(n.node.metadata.get("file_name", ""))).name, n.node.get_content()) for n in nodes]

    return query


# --- outward: rag-council for llama-index users ----------------------------------------------
# Importing llama-index takes over a second: these are defined on first use (PEP 562), so that
# `import rag_council` and the CLI do not pay for it.
OUTWARD = (
    "chunk_node",
    "to_filters",
    "RagCouncilRetriever",
    "hit_node",
    "RagCouncilQueryEngine",
    "to_response",
    "query_engine",
    "LlamaIndexGenerator",
)


def __getattr__(name: str) -> Any:
    if name in OUTWARD:
        globals().update(_outward())
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _outward() -> dict[str, Any]:
    from llama_index.core.base.base_query_engine import BaseQueryEngine
    from llama_index.core.base.response.schema import Response
    from llama_index.core.llms import LLM, ChatMessage
    from llama_index.core.retrievers import BaseRetriever
    from llama_index.core.schema import (
        NodeRelationship,
        NodeWithScore,
        QueryBundle,
        RelatedNodeInfo,
        TextNode,
    )
    from llama_index.core.vector_stores.types import (
        FilterCondition,
        FilterOperator,
        MetadataFilter,
        MetadataFilters,
    )

    # Metadata that locates a passage but means nothing to an LLM or an embedder.
    _HIDDEN = ("chunk_id", "doc_id", "seq", "start", "end", "source_start", "source_end")

    def chunk_node(chunk: Chunk, **extra: Any) -> TextNode:
        """A chunk as a llama-index TextNode: id = chunk id, text = the exact passage, metadata with
        its citable label, document, date, page and the document's metadata (committee, doc_type)."""
        meta: dict[str, Any] = {k: v for k, v in chunk.meta.items() if k not in ("page_breaks", "label")}
        meta |= {
            "label": chunk.label,
            "document": chunk.document,
            "doc_id": chunk.doc_id,
            "chunk_id": chunk.chunk_id,
            "title": chunk.title,
            "section": chunk.section,
            "page": chunk.page,
            "date": chunk.date,
            "seq": chunk.seq,
            "start": chunk.start,
            "end": chunk.end,
        }
        meta |= extra
        hidden = [k for k in meta if k in _HIDDEN or k not in ("label", "quote", "marker")]
        return TextNode(
            id_=chunk.chunk_id,
            text=chunk.text,
            metadata={k: v for k, v in meta.items() if v is not None},
            excluded_llm_metadata_keys=hidden,
            excluded_embed_metadata_keys=hidden,
            relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=chunk.doc_id)},
        )

    def _day(value: Any, key: str) -> dt.date:
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value)[:10])
        except ValueError:
            raise ConfigError(f"Filter '{key}': '{value}' is not a date.", "Use YYYY-MM-DD.") from None

    def to_filters(filters: MetadataFilters | Filters | None) -> Filters | None:
        """llama-index MetadataFilters -> rag-council Filters. Understood (AND only): committee ==,
        doc_type ==, date >= / > (since) and <= / < (until), document == or in (file names)."""
        if filters is None or isinstance(filters, Filters):
            return filters
        if filters.condition not in (None, FilterCondition.AND) and len(filters.filters) > 1:
            raise ConfigError(
                f"rag-council cannot combine filters with {filters.condition.value.upper()}.",
                "Use AND (the default) of committee, doc_type, date and document filters.",
            )
        out = Filters()
        for f in filters.filters:
            if isinstance(f, MetadataFilters):
                nested = to_filters(f)
                assert nested is not None
                out = Filters(
                    committee=nested.committee or out.committee,
                    doc_type=nested.doc_type or out.doc_type,
                    since=nested.since or out.since,
                    until=nested.until or out.until,
                    documents=nested.documents or out.documents,
                )
                continue
            assert isinstance(f, MetadataFilter)
            op = f.operator
            if f.key in ("committee", "doc_type") and op == FilterOperator.EQ:
                out = Filters(**{**out.__dict__, f.key: str(f.value)})
            elif f.key == "date" and op in (FilterOperator.GTE, FilterOperator.GT):
                since = _day(f.value, f.key) + dt.timedelta(days=1 if op == FilterOperator.GT else 0)
                out = Filters(**{**out.__dict__, "since": since})
            elif f.key == "date" and op in (FilterOperator.LTE, FilterOperator.LT):
                until = _day(f.value, f.key) - dt.timedelta(days=1 if op == FilterOperator.LT else 0)
                out = Filters(**{**out.__dict__, "until": until})
            elif f.key == "date" and op == FilterOperator.EQ:
                day = _day(f.value, f.key)
                out = Filters(**{**out.__dict__, "since": day, "until": day})
            elif f.key == "document" and op in (FilterOperator.EQ, FilterOperator.IN):
                names = f.value if isinstance(f.value, list) else [f.value]
                out = Filters(**{**out.__dict__, "documents": tuple(str(n) for n in names)})
            else:
                raise ConfigError(
                    f"rag-council cannot filter on {f.key} {op.value} {f.value!r}.",
                    "Filter on committee (==), doc_type (==), date (>=, >, <=, <, ==) or document (==, in).",
                )
        return out

    class RagCouncilRetriever(BaseRetriever):
        """rag-council's retriever (hybrid by default: dense + BM25, question understanding,
        reranking) as a llama-index retriever. Pass an Engine (or a rag-council Retriever)."""

        def __init__(
            self,
            source: Engine | Retriever,
            top_k: int | None = None,
            filters: MetadataFilters | Filters | None = None,
            **kwargs: Any,
        ) -> None:
            self._retriever = getattr(source, "retriever", source)
            settings = getattr(source, "settings", None)
            self._top_k = top_k or (settings.retrieval.top_k if settings is not None else 5)
            self._filters = to_filters(filters)
            super().__init__(**kwargs)

        def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
            hits = self._retriever.retrieve(
                " ".join(query_bundle.query_str.split()), self._top_k, self._filters
            )
            return [hit_node(h) for h in hits]

    def hit_node(hit: Hit) -> NodeWithScore:
        extra = {"rank": hit.rank, "dense_score": hit.dense, "keyword_score": hit.keyword}
        return NodeWithScore(node=chunk_node(hit.chunk, **extra), score=float(hit.score))

    class RagCouncilQueryEngine(BaseQueryEngine):
        """Engine.ask as a llama-index query engine: `response` is the checked answer (or the
        decline), `source_nodes` its verified citations, `metadata["rag_council"]` its JSON."""

        def __init__(
            self, engine: Engine, filters: MetadataFilters | Filters | None = None, top_k: int | None = None
        ) -> None:
            self._engine = engine
            self._filters = to_filters(filters)
            self._top_k = top_k
            super().__init__(callback_manager=None)

        def _get_prompt_modules(self) -> dict[str, Any]:
            return {}

        def _query(self, query_bundle: QueryBundle) -> Response:
            return to_response(self._engine.ask(query_bundle.query_str, self._filters, top_k=self._top_k))

        async def _aquery(self, query_bundle: QueryBundle) -> Response:
            import asyncio

            return await asyncio.to_thread(self._query, query_bundle)

    def to_response(answer: Answer) -> Response:
        scores = {h.chunk.chunk_id: float(h.score) for h in answer.retrieved}
        nodes = [
            NodeWithScore(
                node=chunk_node(
                    c.chunk, marker=c.marker, quote=c.quote, quote_start=c.quote_start, page=c.page
                ),
                score=scores.get(c.chunk.chunk_id),
            )
            for c in answer.citations
        ]
        metadata = {"rag_council": answer.to_json(), "abstained": answer.abstained, "notice": answer.notice}
        return Response(response=answer.text, source_nodes=nodes, metadata=metadata)

    def query_engine(engine: Engine, **kwargs: Any) -> RagCouncilQueryEngine:
        return RagCouncilQueryEngine(engine, **kwargs)

    from rag_council.answer.base import GenerationResult, Generator
    from rag_council.errors import GeneratorError

    class LlamaIndexGenerator(Generator):
        """Any llama-index LLM (OpenAI, Ollama, vLLM, Bedrock, a llama.cpp server ...) writing the
        answer from rag-council's prompt: numbered passages with their labels. The engine then checks
        every sentence against the passage it cites, as for the other generators.

            engine = open_index().with_generator(LlamaIndexGenerator(llm))"""

        description = "any llama-index LLM"

        def __init__(
            self, llm: LLM, *, max_passages: int = 5, passage_chars: int = 1500, name: str = "llama-index"
        ) -> None:
            self.llm = llm
            self.max_passages = max_passages
            self.passage_chars = passage_chars
            self.name = name

        def _messages(self, question: str, passages: list[Hit]) -> list[ChatMessage]:
            from rag_council.answer.prompt import messages

            return [
                ChatMessage(role=m["role"], content=m["content"])
                for m in messages(question, passages[: self.max_passages], self.passage_chars)
            ]

        def write(self, question: str, passages: list[Hit], result: GenerationResult) -> Iterator[str]:
            result.writer = self.name
            try:
                for part in self.llm.stream_chat(self._messages(question, passages)):
                    if part.delta:
                        yield part.delta
            except (ConfigError, GeneratorError):
                raise
            except Exception as exc:  # every integration raises its own types
                raise GeneratorError(
                    f"The llama-index LLM {type(self.llm).__name__} failed: {exc}.",
                    "Check the LLM's settings (model, URL, key), or use --generator extractive.",
                ) from None

        def complete(self, prompt: str) -> str:
            """A plain completion (follow-up rewriting)."""
            try:
                return self.llm.complete(prompt).text or ""
            except Exception as exc:
                raise GeneratorError(
                    f"The llama-index LLM failed: {exc}.", "Check the LLM's settings."
                ) from None

    return {n: v for n, v in locals().items() if n in OUTWARD}
