"""From the parts of a council document to its sections: a strategy or an appendix split at
its headings, sections with (almost) no body merged, runs of table rows apart."""

from __future__ import annotations

import re

from rag_council.ingest.council.classify import TOC_LINE, Line, heading_level, is_heading
from rag_council.ingest.structure import clean_heading
from rag_council.types import DocType, Meta, Section


def split_at_headings(
    lines: list[Line], start: int, end: int, heading: str, meta: Meta, path: tuple[str, ...]
) -> list[Section]:
    """Split the part text[start:end] (a strategy or an appendix, headed `heading`) at its
    headings (numbered, markdown or plain)."""
    lines = [ln for ln in lines if start <= ln.start < end]
    out: list[Section] = []
    stack: list[tuple[int, str]] = []
    cur_start, cur_heading, cur_path = start, heading, path
    for ln in lines[1:]:
        if not is_heading(ln) or TOC_LINE.search(ln.text):
            continue
        title = clean_heading(ln.text)
        if not title:
            continue
        level = heading_level(ln.text)
        out.append(Section(cur_heading, cur_start, ln.start, cur_path, dict(meta)))
        stack = [(lv, h) for lv, h in stack if h.lower() not in ("contents", "table of contents")]
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, title))
        cur_start, cur_heading, cur_path = ln.start, title, (*path, *(h for _, h in stack))
    out.append(Section(cur_heading, cur_start, end, cur_path, dict(meta)))
    return out


def merge_small(sections: list[Section], text: str, small: int = 160) -> list[Section]:
    """A section with (almost) no body joins the next one (a heading over a subheading);
    a short one joins the previous one of the same part."""
    out: list[Section] = []
    pending: Section | None = None
    for s in sections:
        if pending is not None:
            if pending.path[:1] == s.path[:1] and pending.meta.get("doc_type") == s.meta.get("doc_type"):
                s = Section(s.heading, pending.start, s.end, s.path, s.meta)
            else:
                out.append(pending)
            pending = None
        body = text[s.start : s.end].strip()
        first_nl = body.find("\n")
        rest = body[first_nl + 1 :].strip() if first_nl >= 0 else ""
        if (
            len(rest) < 40
            and s.meta.get("doc_type") in (DocType.STRATEGY, DocType.APPENDIX)
            and s is not sections[-1]
        ):
            pending = s
            continue
        if (
            len(body) < small
            and out
            and out[-1].path[:1] == s.path[:1]
            and out[-1].meta.get("doc_type") == s.meta.get("doc_type")
            and s.meta.get("doc_type") not in (DocType.MINUTES, DocType.PUBLIC_QUESTIONS)
        ):
            prev = out.pop()
            out.append(Section(prev.heading, prev.start, s.end, prev.path, prev.meta))
            continue
        out.append(s)
    if pending is not None:
        out.append(pending)
    return out


def split_tables(sections: list[Section], text: str, min_rows: int = 3) -> list[Section]:
    """Runs of tab-separated rows become their own sections (kept whole by the chunker when
    they fit; tagged is_table)."""
    out: list[Section] = []
    row = re.compile(r"(?m)^[^\n]*\t[^\n]*\S[^\n]*(?:\n|$)")
    for s in sections:
        body = text[s.start : s.end]
        runs: list[tuple[int, int]] = []
        run_start = run_end = -1
        rows = 0
        for m in row.finditer(body):
            if run_end >= 0 and body[run_end : m.start()].strip() == "":
                run_end = m.end()
                rows += 1
            else:
                if rows >= min_rows:
                    runs.append((run_start, run_end))
                run_start, run_end, rows = m.start(), m.end(), 1
        if rows >= min_rows:
            runs.append((run_start, run_end))
        if not runs:
            out.append(s)
            continue
        cursor = s.start
        for a, b in runs:
            a, b = s.start + a, s.start + b
            if len(text[cursor:a].strip()) < 80:
                a = cursor  # a heading line over the table goes with it
            if text[cursor:a].strip():
                out.append(Section(s.heading, cursor, a, s.path, s.meta))
            out.append(Section(f"{s.heading} (table)", a, b, s.path, dict(s.meta) | {"is_table": True}))
            cursor = b
        if text[cursor : s.end].strip():
            out.append(Section(s.heading, cursor, s.end, s.path, s.meta))
    return out
