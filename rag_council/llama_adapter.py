"""The one module that imports llama-index. It lends the project llama-index's sentence
splitter; nothing here returns a llama-index type."""

from __future__ import annotations

from collections.abc import Callable


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
