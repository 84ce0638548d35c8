"""The one module that imports llama-index. It lends the project llama-index's sentence
splitter; nothing here returns a llama-index type."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any


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
