"""Files -> Documents: load (per format), clean (keeping offsets to the source), find structure.

    load_document(path, name, max_bytes) -> Document
"""

from __future__ import annotations

from pathlib import Path

from ..types import Document, PageSpan
from .cleaning import OffsetMap, TrackedText, clean_text
from .loaders import SUPPORTED, Discovered, RawDocument, discover, load_raw
from .structure import guess_title, markdown_sections

__all__ = ["SUPPORTED", "Discovered", "OffsetMap", "RawDocument", "TrackedText", "discover", "load_document", "parse"]


def load_document(path: Path, name: str, max_bytes: int) -> Document:
    return parse(load_raw(path, name, max_bytes))


def parse(raw: RawDocument) -> Document:
    """Clean the raw text, map pages into the cleaned text, and split it into sections."""
    tracked = clean_text(raw.text)
    text = tracked.text
    offsets = tracked.offset_map()
    pages = _page_spans(raw, tracked)
    title = raw.title or guess_title(text, Path(raw.name).stem)
    doc = Document(
        doc_id=raw.sha256[:16],
        name=raw.name,
        path=str(raw.path),
        format=raw.format,
        title=title,
        text=text,
        source_text=raw.text,
        origin=offsets.runs,
        pages=pages,
        warnings=list(raw.warnings),
    )
    doc.sections = markdown_sections(text, title)
    return doc


def _page_spans(raw: RawDocument, tracked: TrackedText) -> list[PageSpan]:
    if not raw.page_texts:
        return []
    # Source offset where each page starts in the joined text ("\n\n" between pages).
    starts, pos = [], 0
    for page_text in raw.page_texts:
        starts.append(pos)
        pos += len(page_text) + 2
    spans: list[PageSpan] = []
    origin = tracked.origin
    j = 0
    clean_starts: list[int] = []
    for src in starts:
        while j < len(origin) and origin[j] < src:
            j += 1
        clean_starts.append(j)
    clean_starts.append(len(origin))
    for number, (a, b) in enumerate(zip(clean_starts, clean_starts[1:], strict=False), start=1):
        if b > a:
            spans.append(PageSpan(number, a, b))
    return spans
