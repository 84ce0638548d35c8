"""Sections -> chunks that fit the embedder, with stable content-hash ids.

A chunk never straddles two sections. Its text is exactly Document.text[start:end], so a
quote inside it has a position in the document and, through the offset map, in the source.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from rag_council.ingest.cleaning import OffsetMap
from rag_council.llama_adapter import sentence_splitter
from rag_council.settings import ChunkingSettings
from rag_council.types import Chunk, Document, Section

CHUNKER_VERSION = 1


def chunk_id(doc_id: str, start: int, end: int) -> str:
    return hashlib.sha256(f"{doc_id}:{start}:{end}".encode()).hexdigest()[:24]


def chunking_signature(settings: ChunkingSettings) -> dict[str, int]:
    return {
        "version": CHUNKER_VERSION,
        "chunk_tokens": settings.chunk_tokens,
        "overlap_tokens": settings.overlap_tokens,
        "heading_tokens": settings.heading_tokens,
    }


def embedding_text(chunk: Chunk) -> str:
    """What the embedder reads: the section heading, then the passage."""
    return f"{chunk.section}\n{chunk.text}" if chunk.section else chunk.text


class Chunker:
    def __init__(self, settings: ChunkingSettings, tokenize: Callable[[str], list]) -> None:
        self.settings = settings
        self.tokenize = tokenize
        self.split = sentence_splitter(settings.chunk_tokens, settings.overlap_tokens, tokenize)

    def chunk(self, doc: Document) -> list[Chunk]:
        offsets = OffsetMap(doc.origin) if doc.origin else None
        chunks: list[Chunk] = []
        for section in doc.sections or [Section(doc.title, 0, len(doc.text))]:
            for start, end in self._spans(doc.text, section):
                source = offsets.span_to_source(start, end) if offsets else (start, end)
                meta = {**doc.meta, **section.meta}
                meta["doc_format"] = doc.format
                if section.path:
                    meta["section_path"] = " > ".join(section.path)
                breaks = [f"{p.start - start}:{p.number}" for p in doc.pages if start < p.start < end]
                if breaks:  # pages that begin inside the chunk, as 'offset:page;...'
                    meta["page_breaks"] = ";".join(breaks)
                chunks.append(
                    Chunk(
                        chunk_id=chunk_id(doc.doc_id, start, end),
                        doc_id=doc.doc_id,
                        document=doc.name,
                        text=doc.text[start:end],
                        start=start,
                        end=end,
                        seq=len(chunks),
                        title=doc.title,
                        section=self._heading(section.heading),
                        page=doc.page_at(start),
                        page_end=doc.page_at(max(start, end - 1)),
                        source_start=source[0],
                        source_end=source[1],
                        meta=meta,
                    )
                )
        return chunks

    def _heading(self, heading: str) -> str:
        tokens = self.tokenize(heading)
        if len(tokens) <= self.settings.heading_tokens:
            return heading
        # Cut by words until it fits.
        words = heading.split()
        while words and len(self.tokenize(" ".join(words))) > self.settings.heading_tokens:
            words.pop()
        return " ".join(words) + " …"

    def _spans(self, text: str, section: Section) -> list[tuple[int, int]]:
        """Chunk spans of one section, as offsets into the document text."""
        body = text[section.start : section.end]
        if not body.strip():
            return []
        spans: list[tuple[int, int]] = []
        cursor = 0
        for piece in self.split(body):
            piece = piece.strip()
            if not piece:
                continue
            at = body.find(piece, cursor)
            if at < 0:  # the splitter changed the text (it should not): align on its first words
                at, piece = _align(body, piece, cursor)
            spans.append((section.start + at, section.start + at + len(piece)))
            cursor = at + 1
        return spans


def _align(body: str, piece: str, cursor: int) -> tuple[int, str]:
    head = piece[:40]
    at = body.find(head, cursor)
    at = cursor if at < 0 else at
    return at, body[at : at + len(piece)]
