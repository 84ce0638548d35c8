"""Generic structure: sections from markdown headings, and `clean_heading`, the one heading
cleaner (council parsing uses it too). Council-specific structure (minute items, public
questions, report cover sheets) plugs in ahead of this in `ingest.parse`."""

from __future__ import annotations

import re

from rag_council.types import Section

_HEADING = re.compile(r"(?m)^(#{1,6})[ \t]+(.+?)[ \t#]*$")
MD_HEADING = re.compile(r"^(?P<hashes>#{1,6})\s+(?P<title>.+?)\s*#*$")


def clean_heading(text: str) -> str:
    """A heading as shown: a markdown heading's hashes, emphasis marks (* _ `) and surrounding
    colons and dashes off, whitespace folded."""
    md = MD_HEADING.match(text)
    if md:
        text = md.group("title")
    return " ".join(re.sub(r"[*_`]+", "", text).split()).strip(" :-–")


def markdown_sections(text: str, title: str) -> list[Section]:
    """Sections between markdown headings; the text before the first one is headed `title`."""
    matches = list(_HEADING.finditer(text))
    sections: list[Section] = []
    stack: list[tuple[int, str]] = []
    if not matches or matches[0].start() > 0:
        first_end = matches[0].start() if matches else len(text)
        if text[:first_end].strip():
            sections.append(Section(title, 0, first_end, (title,)))
    for i, match in enumerate(matches):
        level = len(match.group(1))
        heading = clean_heading(match.group(2)) or title
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, heading))
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        sections.append(Section(heading, match.start(), end, tuple(h for _, h in stack)))
    return [s for s in sections if text[s.start : s.end].strip()] or [Section(title, 0, len(text), (title,))]


def guess_title(text: str, fallback: str) -> str:
    for line in text.splitlines()[:40]:
        line = clean_heading(line.lstrip("#"))
        if len(line) >= 4 and not line.isdigit():
            return line[:120]
    return fallback
