"""Context: the answerer reads each retrieved passage with its neighbours in the same section.

A chunk is cut at about 200 word pieces, so a resolution can be split from its preamble and a
public question from its response. `with_context` widens each hit to the chunks just before and
after it in the same section, while the passage stays within `max_chars`: the widened chunk is
still an exact span of the cleaned document (so quotes stay exact and pages stay right), keeps
the id and label of the chunk that was retrieved, and lists the chunks it took in
meta["context"]. A neighbour that was retrieved itself is left to its own hit.

Retrieval metrics are taken on the hits as retrieved; only the answerer sees the wider text.
"""

from __future__ import annotations

from dataclasses import replace

from rag_council.index import Index
from rag_council.types import Chunk, Hit


def merge(chunks: list[Chunk], document_text: str | None = None) -> Chunk:
    """Consecutive chunks of one section as one chunk (the first one's id and labels)."""
    first, last = chunks[0], chunks[-1]
    if len(chunks) == 1:
        return first
    if document_text is not None and len(document_text) >= last.end:
        text = document_text[first.start : last.end]
    else:  # rebuild from the chunks themselves (they overlap or touch)
        text = first.text
        end = first.end
        for chunk in chunks[1:]:
            text += chunk.text[end - chunk.start :] if chunk.start <= end else " " + chunk.text
            end = chunk.end
    breaks: dict[int, int] = {}
    for chunk in chunks:
        shift = chunk.start - first.start
        if shift > 0 and chunk.page is not None and chunk.page != first.page:
            breaks.setdefault(shift, chunk.page)
        for item in str(chunk.meta.get("page_breaks", "")).split(";"):
            if item:
                at, number = item.split(":")
                breaks[int(at) + shift] = int(number)
    # keep only real page changes, in order
    ordered: list[tuple[int, int]] = []
    page = first.page
    for at, number in sorted(breaks.items()):
        if number != page:
            ordered.append((at, number))
            page = number
    meta = {**first.meta, "context": ",".join(c.chunk_id for c in chunks if c is not first)}
    meta.pop("page_breaks", None)
    if ordered:
        meta["page_breaks"] = ";".join(f"{at}:{number}" for at, number in ordered)
    starts = [c.source_start for c in chunks if c.source_start is not None]
    ends = [c.source_end for c in chunks if c.source_end is not None]
    return replace(
        first,
        text=text,
        end=last.end,
        page_end=last.page_end,
        source_start=min(starts) if starts else first.source_start,
        source_end=max(ends) if ends else first.source_end,
        meta=meta,
    )


def with_context(index: Index, hits: list[Hit], max_chars: int) -> list[Hit]:
    """Each hit widened by its neighbours in the same section (see the module's docstring);
    the central chunk's id, label and scores are kept."""
    retrieved = {h.chunk.chunk_id for h in hits}
    out: list[Hit] = []
    around = index.neighbours_of([h.chunk for h in hits], 1, 1)  # one read from the store
    for hit, (before, after) in zip(hits, around, strict=True):
        chunk = hit.chunk
        before = [c for c in before if c.chunk_id not in retrieved]
        after = [c for c in after if c.chunk_id not in retrieved]
        window = [chunk]
        # What follows first (a question's response, a resolution's lettered points), then what
        # comes before (a resolution's preamble), each only if it fits.
        for extra, at_end in ((after, True), (before, False)):
            for neighbour in extra:
                trial = [*window, neighbour] if at_end else [neighbour, *window]
                if trial[-1].end - trial[0].start <= max_chars:
                    window = trial
        if len(window) == 1:
            out.append(hit)
            continue
        doc = index.document(chunk.doc_id)
        widened = merge(window, doc.text if doc is not None else None)
        # the retrieved chunk's id and place (its label, when it has one), with the wider text
        meta = {**widened.meta, **{k: v for k, v in chunk.meta.items() if k == "label"}}
        widened = replace(widened, chunk_id=chunk.chunk_id, seq=chunk.seq, meta=meta)
        out.append(replace(hit, chunk=widened))
    return out
