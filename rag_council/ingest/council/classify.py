"""Council documents line by line: the lines of a text, what each looks like (minutes header,
minute item, questioner, report cover field, report heading, appendix title, boilerplate
heading, generic heading), heading levels and titles in sentence case.

The patterns of the document templates common to councils are fixed here; what differs from
one council to another (boilerplate and report headings, acronyms) comes from the
`CouncilProfile` as `Patterns`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rag_council.ingest.council.profile import DEFAULT_PROFILE, CouncilProfile
from rag_council.ingest.structure import MD_HEADING, clean_heading

MINUTES_HEAD = re.compile(r"^Minutes of the meeting of (?P<committee>.+?) held\b(?P<rest>.*)$", re.IGNORECASE)
ITEM = re.compile(
    r"^(?P<no>\d{1,3})\.\s+(?P<title>[A-Z][A-Z0-9 ,'’&()/\-–:.]{2,}?)\s*(?:\(Pages? [\d\s\-–]+\))?$"
)
MEETING_ENDED = re.compile(r"^The meeting (?:ended|closed) at\b", re.IGNORECASE)
SUPPLEMENT = re.compile(r"^SUPPLEMENT TO THE AGENDA FOR\b")
PQ_HEADING = re.compile(r"^Supplementary Questions\b.*$")
QUESTIONER = re.compile(r"^Questioner:\s*(?P<name>.*)$")
COVER_FIELD = re.compile(r"^(?P<field>Title of report|Meeting date|Meeting|Report by):\s*(?P<value>.*)$")
DECISION = re.compile(r"^(?:\*\*)?(?P<kind>Resolved|RESOLVED|Recommendation|Actions?)\b\s*:?", re.IGNORECASE)
APPENDIX_LINE = re.compile(
    r"^(?:-\s*)?Appendix\s*(?P<id>[A-Z0-9]{1,2})\b\s*[:\-–—]?\s*(?P<title>.*)$", re.IGNORECASE
)
LONE_APPENDIX = re.compile(
    r"^(?:\d{1,2}\s+)?Appendix\s*(?P<id>[A-Z0-9]{1,2})\s*[:\-–—]?\s*(?P<title>.{0,90})$"
)
NUMBERED_HEADING = re.compile(r"^(?P<num>\d{1,2}(?:\.\d{1,2})*)\.?\s+(?P<title>[A-Z][^\t]{2,90})$")
FIELD_LINE = re.compile(
    r"^(?:Author|Service Area|Operational From|Agreed by|Version|Review Date)\b", re.IGNORECASE
)
WORK_PROGRAMME = re.compile(r"^.{0,80}\bwork programme\s*$", re.IGNORECASE)
STRATEGY_META = re.compile(r"^(?:\*\*)?(?:Operational From|Agreed by|Review Date|Version)\s*:", re.IGNORECASE)
STRATEGY_FIELD = re.compile(r"^(Version|Review Date|Author)\s*:\s*(\S.*)$")
RESPONSE_DATE = re.compile(r"Response \(provided (\d{1,2})/(\d{1,2})/(\d{2,4})\)")
TOC_LINE = re.compile(r"(?:\.{3,}|\t)\s*\d+\s*$")


@dataclass(frozen=True)
class Patterns:
    """The council-specific line patterns of a profile."""

    boilerplate_heading: re.Pattern[str]
    report_heading: re.Pattern[str]
    cover_end: frozenset[str]
    acronyms: frozenset[str]


@lru_cache(maxsize=8)
def patterns(profile: CouncilProfile = DEFAULT_PROFILE) -> Patterns:
    return Patterns(
        re.compile(r"^(?:" + "|".join(profile.boilerplate_headings) + r")\s*$", re.IGNORECASE),
        re.compile(
            r"^(?:\d{1,2}\.\s+)?(?P<h>"
            + "|".join(re.escape(h) for h in profile.report_headings)
            + r")\s*[:.\-–]?\s*$",
            re.IGNORECASE,
        ),
        frozenset(profile.cover_end),
        frozenset(profile.acronyms),
    )


@dataclass
class Line:
    no: int
    start: int  # offset of the line in the text
    end: int  # offset after the line (without the newline)
    text: str  # stripped
    blank_before: bool
    blank_after: bool


def lines_of(text: str) -> list[Line]:
    """The non-blank lines of `text`, stripped, with their offsets and blank neighbours."""
    out: list[Line] = []
    pos = 0
    raw = text.split("\n")
    for i, line in enumerate(raw):
        stripped = line.strip()
        if stripped:
            prev_blank = i == 0 or not raw[i - 1].strip()
            next_blank = i + 1 >= len(raw) or not raw[i + 1].strip()
            lead = len(line) - len(line.lstrip())
            out.append(Line(i, pos + lead, pos + lead + len(stripped), stripped, prev_blank, next_blank))
        pos += len(line) + 1
    return out


def is_heading(line: Line) -> bool:
    """A short standalone line that reads like a heading."""
    text = line.text
    if not (line.blank_before and line.blank_after):
        return False
    if MD_HEADING.match(text):
        return True
    text = text.strip("*").strip()
    if not (3 <= len(text) <= 90) or "\t" in text or "|" in text:
        return False
    if text.startswith(("- ", "• ", "o ", "(", "[", ">", '"', "'", "“")):
        return False
    if not (text[0].isupper() or text[0].isdigit()):
        return False
    if text[0].isdigit() and not NUMBERED_HEADING.match(text):
        return False
    if text.endswith((".", ",", ";", ":")) or STRATEGY_META.match(text) or FIELD_LINE.match(text):
        return False
    if len(text.split()) > 13 or re.fullmatch(r"[\d\s.%£,:/-]+", text):
        return False
    return not re.match(r"^(?:Tel|Email|Date|Time|Place|Notes|Page|Pages|None|That|THAT)\b", text)


def heading_level(text: str) -> int:
    """Numbered headings ('3.', '4.2') rank by their number, whatever their markup (the
    markdown levels of converted documents are unreliable); other headings sit below them."""
    md = MD_HEADING.match(text)
    bare = clean_heading(text)
    num = NUMBERED_HEADING.match(bare)
    if num:
        return 1 + num.group("num").count(".")
    if bare.lower() in ("contents", "table of contents"):
        return 1
    if md:
        return max(len(md.group("hashes")), 2) + 1
    return 4


def sentence_case(title: str, acronyms: frozenset[str] = patterns().acronyms) -> str:
    """'SPECIAL EDUCATIONAL NEEDS (SEND) ACTION PLAN' -> 'Special educational needs (SEND) action plan'."""
    title = " ".join(title.replace("**", "").split())
    if not title or title.upper() != title:
        return title
    words = []
    in_parens = False
    for i, word in enumerate(title.split()):
        opened = word.startswith("(")
        in_parens = in_parens or opened
        core = re.sub(r"[^A-Za-z]", "", word)
        keep = in_parens and 1 < len(core) <= 6
        if re.fullmatch(r"[A-Z]{2,5}\d*", core) and core in acronyms:
            keep = True
        words.append(word if keep else (word.capitalize() if i == 0 else word.lower()))
        if word.endswith(")"):
            in_parens = False
    return " ".join(words)
