"""The drafting desk: help an officer answer a question from a member of the public.

For a pasted question it finds the most similar earlier public questions with the council's
responses (who asked, when, which meeting), the relevant facts (an extractive answer with
citations), and builds a draft response whose every statement carries a [n] marker that points at
a verbatim quote in the references. The draft is built only from retrieved passages. It can be
exported, with its references, as Markdown or .docx.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from rag_council.engine import Engine
from rag_council.text import sentence_spans
from rag_council.types import Answer, Chunk, DocType, Filters, format_date

_RESPONSE = re.compile(r"^Response(?:\s*\(provided[^)]*\))?\s*:", re.MULTILINE)
_QUESTION = re.compile(r"^(?:Supplementary\s+)?Question\s*:", re.MULTILINE)
_THANKS = re.compile(r"^\s*Thank you for (?:your|the)[^.]*\.\s*", re.IGNORECASE)


@dataclass
class Reference:
    marker: int
    label: str
    document: str
    quote: str
    doc_id: str = ""
    page: int | None = None


@dataclass
class EarlierQuestion:
    """An earlier public question and the council's response, as found in the index."""

    questioner: str
    date: str  # ISO date of the meeting, or ""
    meeting: str
    committee: str
    supplementary: bool
    question: str
    response: str
    excerpt: str  # the opening of the response, verbatim: what the draft quotes
    chunk: Chunk
    score: float

    @property
    def when(self) -> str:
        return format_date(self.date) if self.date else self.meeting


@dataclass
class Draft:
    question: str
    text: str
    references: list[Reference] = field(default_factory=list)
    facts: Answer | None = None
    earlier: list[EarlierQuestion] = field(default_factory=list)


def split_public_question(text: str) -> tuple[str, str]:
    """(question, response) of a public question section; the last response wins (a verbal
    response is often followed by the written one)."""
    q = _QUESTION.search(text)
    responses = list(_RESPONSE.finditer(text))
    if not responses:
        return (text[q.end() :] if q else text).strip(), ""
    question = text[q.end() if q else 0 : responses[0].start()].strip()
    response = text[responses[-1].end() :].strip()
    return question, response


def _excerpt(response: str, sentences: int = 2, limit: int = 500) -> str:
    """The first sentences of a response (after any "Thank you for your question."), verbatim."""
    body = _THANKS.sub("", response, count=1)
    spans = sentence_spans(body, min_chars=10)
    if not spans:
        return body[:limit].strip()
    end = spans[min(sentences, len(spans)) - 1][1]
    text = body[spans[0][0] : end].strip()
    if len(text) > limit:
        text = body[spans[0][0] : spans[0][1]].strip()[:limit]
    return text


# An earlier response is quoted in the draft only when its question is this close (cosine
# similarity, all-MiniLM-L6-v2) to the pasted one; below it, it is only listed for the officer.
DRAFT_MIN_SIMILARITY = 0.45


def similar_questions(
    engine: Engine, question: str, k: int = 3, candidates: int = 12, min_score: float | None = None
) -> list[EarlierQuestion]:
    """The k earlier public questions closest to `question`, each once, best first; none below
    `min_score` (default: the engine's minimum retrieval score)."""
    if min_score is None:
        min_score = engine.settings.answer.min_retrieval_score
    hits = engine.retriever.retrieve(question, candidates, Filters(doc_type=DocType.PUBLIC_QUESTIONS))
    seen: set[tuple[str, int]] = set()
    out: list[EarlierQuestion] = []
    for hit in hits:
        chunk = hit.chunk
        doc = engine.index.document(chunk.doc_id)
        section = None
        if doc is not None:
            section = next((s for s in doc.sections if s.start <= chunk.start < s.end), None)
        key = (chunk.doc_id, section.start if section else chunk.start)
        score = hit.dense if hit.dense is not None else hit.score
        if key in seen or score < min_score:
            continue
        seen.add(key)
        text = doc.text[section.start : section.end] if doc is not None and section else chunk.text
        asked, response = split_public_question(text)
        meta = chunk.meta
        out.append(
            EarlierQuestion(
                questioner=str(meta.get("questioner", "")),
                date=str(meta.get("date", "")),
                meeting=str(meta.get("meeting", "")),
                committee=str(meta.get("committee", "")),
                supplementary=bool(meta.get("supplementary", False)),
                question=asked,
                response=response,
                excerpt=_excerpt(response) if response else "",
                chunk=chunk,
                score=score,
            )
        )
        if len(out) == k:
            break
    return out


def build_draft(
    engine: Engine,
    question: str,
    k_similar: int = 3,
    top_k: int | None = None,
    min_similarity: float = DRAFT_MIN_SIMILARITY,
) -> Draft:
    """A draft response built only from retrieved passages, every statement cited."""
    facts = engine.ask(question, top_k=top_k)
    earlier = similar_questions(engine, question, k_similar)
    references: list[Reference] = []
    paragraphs = ["Thank you for your question."]
    if not facts.abstained and facts.citations:
        by_marker = {c.marker: c for c in facts.citations}
        renumber: dict[int, int] = {}
        sentences = []
        for claim in facts.claims:
            text = re.sub(r"\s*\[\d+\]", "", claim.text).strip()
            if not claim.markers or not is_statement(text):
                continue  # a question quoted from the records is not a fact to tell the public
            for m in claim.markers:
                if m in by_marker and m not in renumber:
                    renumber[m] = len(renumber) + 1
                    c = by_marker[m]
                    references.append(
                        Reference(
                            renumber[m], c.chunk.label, c.chunk.document, c.quote, c.chunk.doc_id, c.page
                        )
                    )
            marks = " ".join(f"[{renumber[m]}]" for m in claim.markers if m in renumber)
            sentences.append(f"{text} {marks}")
        if sentences:
            paragraphs.append(" ".join(sentences))
    if len(paragraphs) == 1:
        paragraphs.append(
            "We could not find an answer to this in the council's published documents; "
            "an officer will need to check with the service."
        )
    facts_count = marker = len(references)
    for eq in earlier:
        if eq.score < min_similarity or not eq.excerpt:
            continue  # not close enough to quote, or nothing to quote
        if any(_overlaps(eq.excerpt, r.quote) for r in references):
            continue  # nothing to add, or it repeats a fact already cited
        marker += 1
        who = eq.questioner or "a member of the public"
        paragraphs.append(
            f"In response to a similar question from {who} ({eq.when}), the council said: “{eq.excerpt}” [{marker}]"
        )
        references.append(
            Reference(marker, eq.chunk.label, eq.chunk.document, eq.excerpt, eq.chunk.doc_id, eq.chunk.page)
        )
        if marker - facts_count >= 2:
            break
    return Draft(question, "\n\n".join(paragraphs), references, facts, earlier)


def _overlaps(a: str, b: str) -> bool:
    a, b = " ".join(a.split()), " ".join(b.split())
    return bool(a and b) and (a in b or b in a)


def is_statement(sentence: str) -> bool:
    """A sentence that states something (not a question, not someone's first-person view)."""
    s = sentence.strip()
    return bool(s) and not s.endswith("?") and not re.search(r"\b(I|I'm|I've|my|you)\b", s)


def cited_markers(text: str) -> set[int]:
    return {int(m) for m in re.findall(r"\[(\d+)\]", text)}


def to_markdown(question: str, text: str, references: list[Reference]) -> str:
    lines = ["# Draft response", "", "**Question:** " + " ".join(question.split()), "", text.strip(), ""]
    used = cited_markers(text)
    refs = [r for r in references if r.marker in used] or references
    if refs:
        lines += ["## References", ""]
        for r in refs:
            where = r.document + (f", p. {r.page}" if r.page else "")
            quote = " ".join(r.quote.split())
            lines.append(f"{r.marker}. {r.label} — *{where}*  \n   > “{quote}”")
    return "\n".join(lines).rstrip() + "\n"


def to_docx(question: str, text: str, references: list[Reference], path: str | Path) -> Path:
    from docx import Document as DocxDocument  # python-docx, imported only to export

    path = Path(path)
    doc = DocxDocument()
    doc.add_heading("Draft response", level=1)
    p = doc.add_paragraph()
    p.add_run("Question: ").bold = True
    p.add_run(" ".join(question.split()))
    for para in re.split(r"\n\s*\n", text.strip()):
        if para.strip():
            doc.add_paragraph(para.strip())
    used = cited_markers(text)
    refs = [r for r in references if r.marker in used] or references
    if refs:
        doc.add_heading("References", level=2)
        for r in refs:
            where = r.document + (f", p. {r.page}" if r.page else "")
            item = doc.add_paragraph()
            item.add_run(f"[{r.marker}] {r.label}").bold = True
            item.add_run(f" — {where}")
            quote = doc.add_paragraph(f"“{' '.join(r.quote.split())}”")
            quote.paragraph_format.left_indent = 360000  # EMU: about 1 cm
            for run in quote.runs:
                run.italic = True
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path
