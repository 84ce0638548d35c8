"""The support check reads passages as evidence only: a sentence that tells an AI (or a
reader) what to say is not support for saying it, and a claim that is itself such an
instruction, or that repeats what one tells to say, is never shown.

`Evidence(hits).texts` are the chunks' texts with every instruction-like sentence and every
span flagged at ingest (see rag_council.ingest.injection) blanked out with spaces: the same
length, so offsets stay offsets into the chunk, but nothing in those places can be quoted or
count as support. `Evidence.refuse(claim)` says why a claim is refused, or None."""

from __future__ import annotations

import re
from typing import Any

from rag_council.ingest.injection import chunk_spans, instruction_kind
from rag_council.text import find_span, sentence_spans

REFUSED = "instruction-like text from a document ({kind}): documents are evidence, not instructions"
ECHO = "repeats what an instruction in passage {n} tells to say: documents are evidence, not instructions"


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    if not spans:
        return text
    chars = list(text)
    for a, b in spans:
        for i in range(max(0, a), min(len(chars), b)):
            if chars[i] != "\n":
                chars[i] = " "
    return "".join(chars)


def evidence_text(chunk: Any) -> str:
    """chunk.text with the instruction sentences and flagged spans replaced by spaces."""
    text: str = chunk.text
    spans = list(chunk_spans(chunk))
    spans += [(a, b) for a, b in sentence_spans(text, min_chars=1) if instruction_kind(text[a:b])]
    return _blank(text, spans)


_CITE = re.compile(r"\s*\[\d+(?:\s*,\s*\d+)*\]")


class Evidence:
    """The passages of one answer, as the support check may read them."""

    def __init__(self, hits: list[Any]) -> None:
        self.originals = [h.chunk.text for h in hits]
        self.texts = [evidence_text(h.chunk) for h in hits]

    def refuse(self, claim: str) -> str | None:
        """Why `claim` is refused (an instruction itself, or the words an instruction in a
        passage tells to say), or None."""
        kind = instruction_kind(claim)
        if kind:
            return REFUSED.format(kind=kind)
        core = _CITE.sub("", claim).strip().rstrip(".!").strip()
        if len(core.split()) < 3:
            return None
        for n, (original, evidence) in enumerate(zip(self.originals, self.texts, strict=True), start=1):
            if original == evidence or find_span(evidence, core):
                continue  # nothing blanked, or the records themselves say it too
            span = find_span(original, core) or find_span(original.lower(), core.lower())
            if span and not evidence[span[0] : span[1]].strip():
                return ECHO.format(n=n)
        return None
