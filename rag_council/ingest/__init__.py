"""Files -> Documents: load (per format), clean (keeping offsets to the source), find structure.

load_document(path, name, max_bytes) -> Document
"""

from __future__ import annotations

import itertools
from pathlib import Path

from rag_council.ingest.cleaning import PDF_RULES, OffsetMap, TrackedText
from rag_council.ingest.council import (
    DEFAULT_PROFILE,
    CouncilProfile,
    CouncilProfileError,
    council_clean,
    make_label,
    parse_council,
    profile_from_table,
)
from rag_council.ingest.injection import flag_document
from rag_council.ingest.loaders import SUPPORTED, Discovered, RawDocument, discover, load_raw
from rag_council.ingest.manifest import manifest_council, manifest_entry
from rag_council.ingest.structure import guess_title, markdown_sections
from rag_council.types import DocType, Document, PageSpan, Section

__all__ = [
    "SUPPORTED",
    "Discovered",
    "OffsetMap",
    "RawDocument",
    "TrackedText",
    "discover",
    "load_document",
    "parse",
]


def load_document(path: Path, name: str, max_bytes: int) -> Document:
    raw = load_raw(path, name, max_bytes)
    return flag_document(parse(raw), raw)  # instruction-like text: warnings + meta (injection.py)


def parse(raw: RawDocument) -> Document:
    """Clean the raw text, map pages into the cleaned text, and split it into sections:
    council structure (minutes, public questions, reports, appendices, strategies) when it
    is recognised, else markdown headings (with a warning). Then the sidecar manifest. The
    council rules are the manifest's `[council]` profile (Herefordshire's by default)."""
    profile, profile_warnings = council_profile(Path(raw.path))
    tracked = council_clean(raw.text, PDF_RULES if raw.format == "pdf" else (), profile)
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
        warnings=[*raw.warnings, *profile_warnings],
    )
    council = parse_council(text, title, profile)
    if council is None or not council.sections:
        doc.sections = markdown_sections(text, title)
        doc.meta = {"doc_type": DocType.DOCUMENT}
        doc.warnings.append(
            "structure not recognised (no minutes, public questions, report cover sheet or strategy found): "
            f"ingested as {len(doc.sections)} plain section(s)"
        )
    else:
        doc.sections = council.sections
        doc.meta = dict(council.meta)
        doc.warnings.extend(council.warnings)
        if council.boilerplate:
            doc.meta["boilerplate_dropped"] = "; ".join(dict.fromkeys(council.boilerplate))
        doc.title = _council_title(doc.meta, title)
    _apply_manifest(doc, raw)
    _label_sections(doc)
    doc.meta["sections"] = len(doc.sections)
    tables = sum(1 for s in doc.sections if s.meta.get("is_table"))
    if tables:
        doc.meta["tables"] = tables
    if not doc.sections:
        doc.warnings.append("no text found after cleaning")
    return doc


def council_profile(path: Path) -> tuple[CouncilProfile, list[str]]:
    """The council profile for the file at `path`: its manifest's `[council]` table over the
    default; a table that cannot be read is reported and the default used."""
    try:
        return profile_from_table(manifest_council(path)), []
    except CouncilProfileError as exc:
        return DEFAULT_PROFILE, [f"{exc}; the {DEFAULT_PROFILE.name} council rules are used"]


def _council_title(meta: dict, fallback: str) -> str:
    from rag_council.types import format_date

    committee, date, kind = meta.get("committee"), meta.get("date"), meta.get("doc_type")
    if kind == DocType.STRATEGY or not committee:
        return fallback
    what = {DocType.AGENDA: "agenda pack", DocType.MINUTES: "minutes"}.get(str(kind), str(kind))
    return f"{committee} {what}, {format_date(str(date))}" if date else f"{committee} {what}"


def _apply_manifest(doc: Document, raw: RawDocument) -> None:
    entry, warnings = manifest_entry(Path(raw.path), raw.name)
    doc.warnings.extend(warnings)
    if not entry:
        return
    parsed = dict(doc.meta)
    if "title" in entry:
        doc.title = entry["title"]
    if "source_url" in entry:
        doc.meta["source_url"] = entry["source_url"]
    for key in ("committee", "date", "doc_type"):
        if key not in entry or entry[key] == parsed.get(key):
            continue
        doc.meta[key] = entry[key]
        # Correct the sections that carried the parsed value; others keep their own.
        doc.sections = [
            Section(s.heading, s.start, s.end, s.path, {**s.meta, key: entry[key]})
            if key in s.meta and s.meta[key] == parsed.get(key)
            else s
            for s in doc.sections
        ]
    if "date" in entry:
        dates = set(filter(None, str(doc.meta.get("dates", "")).split(","))) | {entry["date"]}
        doc.meta["dates"] = ",".join(sorted(dates))


def _label_sections(doc: Document) -> None:
    doc.sections = [
        Section(
            s.heading,
            s.start,
            s.end,
            s.path,
            {**s.meta, "label": make_label({**doc.meta, **s.meta}, s.heading, doc.title)},
        )
        for s in doc.sections
    ]


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
    for number, (a, b) in enumerate(itertools.pairwise(clean_starts), start=1):
        if b > a:
            spans.append(PageSpan(number, a, b))
    return spans
