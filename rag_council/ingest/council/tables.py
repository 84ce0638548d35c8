"""Tables in council documents: runs of tab-separated rows become sections of their own."""

from __future__ import annotations

import re

from rag_council.types import Section


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
