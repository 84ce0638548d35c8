"""Council documents: cleaning rules and the structure of minutes, agenda packs, public
questions, officer reports, appendices and strategies.

`council_clean(text)` returns a TrackedText (origins kept, see cleaning.py).
`parse_council(text, title)` returns a CouncilParse: sections with metadata, document
metadata and warnings, or None when no council structure is recognised (the caller then
falls back to generic markdown sections, with a warning).

Parsing is line-based: every line is classified (minutes header, minute item, questioner,
report cover field, report heading, appendix title, boilerplate heading, generic heading),
and a small state machine turns the classified lines into sections.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from rag_council.ingest.cleaning import GENERIC_RULES, Replacement, TrackedText
from rag_council.text import MONTHS
from rag_council.types import Meta, Section, format_date

# --- cleaning ------------------------------------------------------------------------------

# Before the generic rules: HTML inside a tab-separated table row becomes inline text, so the
# row stays on one line (the generic rule would turn <p> into line breaks).
_ROW_WITH_HTML = re.compile(r"(?m)^[^\n]*\t[^\n]*<[^\n]*$")
_TAG = r"</?(?:p|ul|ol|li|br|div|span|u|i|b|em|strong)\b[^>]*>"
_ROW_TAG_RULES: list[tuple[str, Replacement]] = [
    (r"</(?:p|li|div)>\s*<(?:p|li|div)\b[^>]*>", "; "),
    (rf"(?:(?<=\t)|^)(?:[ ]*{_TAG}[ ]*)+|(?:[ ]*{_TAG}[ ]*)+(?=\t|$)", ""),
    (rf"(?:[ ]*{_TAG}[ ]*)+", " "),
]

COUNCIL_RULES: list[tuple[str, Replacement]] = [
    # Running footer of officer reports, with the contact line under it.
    (
        r"(?m)^Further information on the subject of this report is available from[ \t]*\n+"
        r"(?:[^\n]*(?:Tel|tel|email|\(0\d{4}\)|0\d{4} ?\d{6})[^\n]*\n+)?",
        "",
    ),
    # Running header of agenda packs: 'Herefordshire Council 12 MARCH 2024'.
    (r"(?m)^Herefordshire Council \d{1,2} [A-Z]{3,9} \d{4}[ \t]*\n+", ""),
    # DRAFT watermarks on their own line.
    (r"(?m)^[ \t]*DRAFT[ \t]*\n+", ""),
    # Template residue.
    (r"Click or tap (?:here )?to enter (?:text|a date)\.", ""),
    (
        r"(?m)^Please include a glossary of terms, abbreviations and acronyms used in this report\.[ \t]*\n*",
        "",
    ),
    (r"(?m)^[ \t]*Insert signature[ \t]*\n+", ""),
    (r"[ \t]*\(\*?insert hyperlink\*?\)", ""),
    (r"[ \t]*I will update these details", ""),
    (r"(?m)^\(Add estimated figures[^)\n]*\)[ \t]*\n*", ""),
    # Lone page numbers left by the removals above, trailing blanks, broken sentences again.
    (r"(?m)^[ \t]*\d{1,3}[ \t]*$\n?", ""),
    (r"(?m)[ \t]+$", ""),
    (r"(?<=[a-z,;])\n{2,}(?=[a-z])", " "),
    (r"\n{3,}", "\n\n"),
]


def sub_within(
    tracked: TrackedText, outer: re.Pattern[str], rules: Iterable[tuple[str, Replacement]]
) -> TrackedText:
    """Apply `rules` only inside matches of `outer`, keeping exact origins elsewhere."""
    rules = list(rules)
    text, origin = tracked.text, tracked.origin
    parts: list[str] = []
    origins: list[int] = []
    last = 0
    for match in outer.finditer(text):
        a, b = match.span()
        parts.append(text[last:a])
        origins.extend(origin[last:a])
        inner = TrackedText(text[a:b], origin[a:b]).apply(rules)
        parts.append(inner.text)
        origins.extend(inner.origin)
        last = b
    if last == 0:
        return tracked
    parts.append(text[last:])
    origins.extend(origin[last:])
    return TrackedText("".join(parts), origins)


def council_clean(text: str, format_rules: Iterable[tuple[str, Replacement]] = ()) -> TrackedText:
    """HTML in table rows made inline, then the generic rules, `format_rules` (e.g. PDF line
    joins), then the council rules."""
    tracked = sub_within(TrackedText(text), _ROW_WITH_HTML, _ROW_TAG_RULES)
    return tracked.apply(GENERIC_RULES).apply(format_rules).apply(COUNCIL_RULES)


# --- dates and names -----------------------------------------------------------------------

_MONTHS = {m: i for i, m in enumerate(MONTHS, start=1)}
_MONTH_RE = "January|February|March|April|May|June|July|August|September|October|November|December"
_DATE = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTH_RE})\s+(\d{{4}})\b", re.IGNORECASE)
_MONTH_YEAR = re.compile(rf"\b({_MONTH_RE})\s+(\d{{4}})\b", re.IGNORECASE)


def find_date(text: str) -> str | None:
    """First 'day Month year' in `text`, as an ISO date."""
    match = _DATE.search(text)
    if not match:
        return None
    try:
        return dt.date(int(match.group(3)), _MONTHS[match.group(2).lower()], int(match.group(1))).isoformat()
    except ValueError:
        return None


def sentence_case(title: str) -> str:
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
        if re.fullmatch(r"[A-Z]{2,5}\d*", core) and core in _ACRONYMS:
            keep = True
        words.append(word if keep else (word.capitalize() if i == 0 else word.lower()))
        if word.endswith(")"):
            in_parens = False
    return " ".join(words)


_ACRONYMS = {
    "SEND",
    "CAMHS",
    "HSCP",
    "EHCP",
    "NHS",
    "ICB",
    "LGA",
    "SGO",
    "CYP",
    "UK",
    "ICT",
    "IRO",
    "MASH",
    "DCO",
}


# --- line classification -------------------------------------------------------------------

_MINUTES_HEAD = re.compile(
    r"^Minutes of the meeting of (?P<committee>.+?) held\b(?P<rest>.*)$", re.IGNORECASE
)
_ITEM = re.compile(
    r"^(?P<no>\d{1,3})\.\s+(?P<title>[A-Z][A-Z0-9 ,'’&()/\-–:.]{2,}?)\s*(?:\(Pages? [\d\s\-–]+\))?$"
)
_MEETING_ENDED = re.compile(r"^The meeting (?:ended|closed) at\b", re.IGNORECASE)
_SUPPLEMENT = re.compile(r"^SUPPLEMENT TO THE AGENDA FOR\b")
_PQ_HEADING = re.compile(r"^Supplementary Questions\b.*$")
_QUESTIONER = re.compile(r"^Questioner:\s*(?P<name>.*)$")
_COVER_FIELD = re.compile(r"^(?P<field>Title of report|Meeting date|Meeting|Report by):\s*(?P<value>.*)$")
_DECISION = re.compile(r"^(?:\*\*)?(?P<kind>Resolved|RESOLVED|Recommendation|Actions?)\b\s*:?", re.IGNORECASE)
_APPENDIX_LINE = re.compile(
    r"^(?:-\s*)?Appendix\s*(?P<id>[A-Z0-9]{1,2})\b\s*[:\-–—]?\s*(?P<title>.*)$", re.IGNORECASE
)
_LONE_APPENDIX = re.compile(
    r"^(?:\d{1,2}\s+)?Appendix\s*(?P<id>[A-Z0-9]{1,2})\s*[:\-–—]?\s*(?P<title>.{0,90})$"
)
_NUMBERED_HEADING = re.compile(r"^(?P<num>\d{1,2}(?:\.\d{1,2})*)\.?\s+(?P<title>[A-Z][^\t]{2,90})$")
_MD_HEADING = re.compile(r"^(?P<hashes>#{1,6})\s+(?P<title>.+?)\s*#*$")
_FIELD_LINE = re.compile(
    r"^(?:Author|Service Area|Operational From|Agreed by|Version|Review Date)\b", re.IGNORECASE
)
_WORK_PROGRAMME = re.compile(r"^.{0,80}\bwork programme\s*$", re.IGNORECASE)
_STRATEGY_META = re.compile(
    r"^(?:\*\*)?(?:Operational From|Agreed by|Review Date|Version)\s*:", re.IGNORECASE
)

BOILERPLATE_HEADINGS = re.compile(
    r"^(?:The public'?s rights to information and attendance at meetings|"
    r"Recording of (?:this )?meetings?|Public transport links|"
    r"Fire and emergency evacuation procedure|Guide to Cabinet|"
    r"The seven principles of public life|\(Nolan Principles\)|Who attends cabinet meetings\??)\s*$",
    re.IGNORECASE,
)

# Headings of the officer report template, in the order they usually come.
REPORT_HEADINGS = [
    "Classification",
    "Decision type",
    "Key decision",
    "Wards affected",
    "Purpose",
    "Purpose and summary",
    "Recommendation(s)",
    "Recommendations",
    "Alternative options",
    "Key considerations",
    "Officer's Response",
    "Reasons for recommendations",
    "Community impact",
    "Environmental impact",
    "Equality duty",
    "Resource implications",
    "Financial implications",
    "Legal implications",
    "Risk management",
    "Consultees",
    "Appendices",
    "Background papers",
    "Report Reviewers Used for appraising this report",
    "Glossary of terms, abbreviations and acronyms used in this report",
]
_REPORT_HEADING = re.compile(
    r"^(?:\d{1,2}\.\s+)?(?P<h>" + "|".join(re.escape(h) for h in REPORT_HEADINGS) + r")\s*[:.\-–]?\s*$",
    re.IGNORECASE,
)
_COVER_END = {"alternative options", "key considerations", "reasons for recommendations"}

_STOP = {
    "a", "an", "and", "the", "of", "for", "to", "in", "on", "with", "our", "by", "at", "is", "be",
    "are", "as", "from", "draft", "final", "proposed", "its", "this", "that",
} | set(_MONTHS)  # fmt: skip


def _words(text: str) -> set[str]:
    """Content words, for matching an appendix title listed in a report with the title line
    of the appendix (dates and numbers left out: they are written differently)."""
    words = (re.sub(r"'s?$", "", w) for w in re.findall(r"[a-z][a-z0-9'’]*", text.lower().replace("’", "'")))
    return {w for w in words if w not in _STOP and w != "appendix" and len(w) > 1}


@dataclass
class Line:
    no: int
    start: int  # offset of the line in the text
    end: int  # offset after the line (without the newline)
    text: str  # stripped
    blank_before: bool
    blank_after: bool


def _lines(text: str) -> list[Line]:
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
    if _MD_HEADING.match(text):
        return True
    text = text.strip("*").strip()
    if not (3 <= len(text) <= 90) or "\t" in text or "|" in text:
        return False
    if text.startswith(("- ", "• ", "o ", "(", "[", ">", '"', "'", "“")):
        return False
    if not (text[0].isupper() or text[0].isdigit()):
        return False
    if text[0].isdigit() and not _NUMBERED_HEADING.match(text):
        return False
    if text.endswith((".", ",", ";", ":")) or _STRATEGY_META.match(text) or _FIELD_LINE.match(text):
        return False
    if len(text.split()) > 13 or re.fullmatch(r"[\d\s.%£,:/-]+", text):
        return False
    return not re.match(r"^(?:Tel|Email|Date|Time|Place|Notes|Page|Pages|None|That|THAT)\b", text)


def heading_level(text: str) -> int:
    """Numbered headings ('3.', '4.2') rank by their number, whatever their markup (the
    markdown levels of converted documents are unreliable); other headings sit below them."""
    md = _MD_HEADING.match(text)
    bare = clean_heading(text)
    num = _NUMBERED_HEADING.match(bare)
    if num:
        return 1 + num.group("num").count(".")
    if bare.lower() in ("contents", "table of contents"):
        return 1
    if md:
        return max(len(md.group("hashes")), 2) + 1
    return 4


def clean_heading(text: str) -> str:
    md = _MD_HEADING.match(text)
    if md:
        text = md.group("title")
    return " ".join(text.replace("**", "").replace("*", "").split()).strip(" :-–")


# --- the parse ---------------------------------------------------------------------------


@dataclass
class Part:
    """A run of text with one kind (minutes item, public question, report...)."""

    kind: str  # cover, boilerplate, attendance, minute, pq, pq_header, report, appendix, strategy, work_programme, text
    start: int
    heading: str
    meta: Meta = field(default_factory=dict)
    path: tuple[str, ...] = ()
    end: int = -1
    split_headings: bool = False  # split further at generic headings


@dataclass
class CouncilParse:
    sections: list[Section]
    meta: Meta
    warnings: list[str]
    boilerplate: list[str]


class _Parser:
    def __init__(self, text: str, title: str) -> None:
        self.text = text
        self.title = title
        self.lines = _lines(text)
        self.parts: list[Part] = []
        self.warnings: list[str] = []
        self.dates: list[str] = []
        self.pack_date: str | None = None
        self.committee: str = ""
        self.doc_type = ""
        self.strategy_meta: Meta = {}

    # -- helpers
    def add(self, part: Part) -> None:
        self.parts.append(part)

    def note_date(self, iso: str | None) -> None:
        if iso and iso not in self.dates:
            self.dates.append(iso)

    def window(self, i: int, n: int) -> list[Line]:
        return self.lines[i : i + n]

    # -- front matter
    def front(self) -> int:
        """Recognise the first lines: agenda cover, minutes, or a strategy. Returns the line
        index where the body starts."""
        head = self.lines[:12]
        texts = [ln.text.replace("**", "") for ln in head]
        if texts and texts[0] == "Agenda":
            self.doc_type = "agenda"
            self.committee = texts[1] if len(texts) > 1 else ""
            for t in texts:
                if t.startswith("Date:"):
                    self.pack_date = find_date(t)
                    break
            self.note_date(self.pack_date)
            self.add(Part("cover", 0, "Agenda", {"doc_type": "agenda"}))
            return 1
        for ln in self.lines[:5]:
            if _MINUTES_HEAD.match(ln.text):
                self.doc_type = "minutes"
                return 0
        if any(_STRATEGY_META.match(ln.text) for ln in self.lines[:20]) or "strategy" in self.title.lower():
            self.doc_type = "strategy"
            meta: Meta = {"doc_type": "strategy"}
            for ln in self.lines[:30]:
                field_ = re.match(
                    r"^(Version|Review Date|Author)\s*:\s*(\S.*)$", ln.text.replace("**", "").strip()
                )
                if field_:
                    meta[field_.group(1).lower().replace(" ", "_")] = field_.group(2).strip()
            self.strategy_meta = {k: v for k, v in meta.items() if k != "doc_type"}
            self.add(Part("strategy", 0, self.title, meta, split_headings=True))
            return 1
        return 0

    def run(self) -> CouncilParse | None:
        i = self.front()
        state = self.parts[-1].kind if self.parts else "text"
        minutes: dict[str, str] = {}
        report: dict[str, object] = {}
        lines = self.lines
        n = len(lines)
        while i < n:
            ln = lines[i]
            t = ln.text.replace("**", "").strip()

            # minutes header
            m = _MINUTES_HEAD.match(t)
            if m:
                date = find_date(t) or find_date(" ".join(x.text for x in self.window(i, 3)))
                committee = m.group("committee").strip()
                self.committee = self.committee or committee
                self.note_date(date)
                minutes = {"committee": committee, "date": date or ""}
                self.add(
                    Part(
                        "attendance",
                        ln.start,
                        "Attendance",
                        {"doc_type": "minutes", "committee": committee, "date": date or ""},
                    )
                )
                state = "minutes"
                i += 1
                continue

            if state == "minutes":
                item = _ITEM.match(t)
                if item and ln.blank_before:
                    no = int(item.group("no"))
                    title = sentence_case(item.group("title").strip(" .:"))
                    meta: Meta = {"doc_type": "minutes", "item_no": no, "item_title": title}
                    meta.update({k: v for k, v in minutes.items() if v})
                    self.add(Part("minute", ln.start, title, meta))
                    i += 1
                    continue
                dec = _DECISION.match(t)
                if dec and self.parts and self.parts[-1].kind == "minute" and ln.blank_before:
                    kind = dec.group("kind").lower().rstrip("s")
                    kind = {"resolved": "resolved", "recommendation": "recommendation"}.get(kind, "action")
                    last = self.parts[-1]
                    body_before = ln.start - last.start
                    if body_before > 700:
                        meta = dict(last.meta) | {"decision": kind}
                        heading = {"resolved": "Resolved", "recommendation": "Recommendation"}.get(
                            kind, "Actions"
                        )
                        self.add(Part("decision", ln.start, heading, meta, path=(last.heading,)))
                    else:
                        last.meta["decision"] = kind
                    i += 1
                    continue
                if _MEETING_ENDED.match(t):
                    state = "after_minutes"
                    i += 1
                    continue

            # public questions
            if _SUPPLEMENT.match(t) or _PQ_HEADING.match(t):
                self.add(Part("pq_header", ln.start, "Public questions", {"doc_type": "public_questions"}))
                state = "pq"
                i += 1
                continue
            q = _QUESTIONER.match(t)
            if q:
                i = self.public_question(i, minutes)
                state = "pq"
                continue

            # officer report cover sheet
            if _COVER_FIELD.match(t) and self._is_cover(i):
                i, report = self.report(i)
                state = "report"
                continue

            if state == "report":
                rh = _REPORT_HEADING.match(t)
                if rh and (ln.blank_after or ln.text.endswith("-")):
                    heading = clean_heading(rh.group("h"))
                    key = heading.lower()
                    in_cover = self.parts[-1].kind == "report_cover"
                    if not in_cover or key in _COVER_END:
                        meta = dict(report["meta"])  # type: ignore[call-overload]
                        self.add(Part("report", ln.start, heading, meta, path=(str(report["title"]),)))
                    if key == "appendices":
                        report["appendices"] = self._appendix_list(i + 1)
                    if key in ("background papers", "report reviewers used for appraising this report"):
                        i = self._report_tail(i)
                        self.start_appendices(i, report)
                        state = "appendix"
                        continue
                    i += 1
                    continue

            if (
                state in ("after_minutes", "pq", "text")
                and self.doc_type != "strategy"
                and self._strategy_start(i)
            ):
                state = "strategy"
                meta = {"doc_type": "strategy"}
                if self.doc_type in ("agenda", "minutes"):
                    meta = {"doc_type": "appendix", "appendix": clean_heading(t)}
                    meta.update({k: v for k, v in minutes.items() if v})
                self.add(
                    Part(
                        "strategy",
                        ln.start,
                        clean_heading(t),
                        meta,
                        path=(clean_heading(t),),
                        split_headings=True,
                    )
                )
                i += 1
                continue

            if (
                state in ("appendix", "after_minutes", "pq", "report", "cover")
                and _WORK_PROGRAMME.match(t)
                and ln.blank_after
            ):
                meta = {"doc_type": "work_programme", "committee": self.committee}
                if self.pack_date:
                    meta["date"] = self.pack_date
                self.add(
                    Part(
                        "work_programme",
                        ln.start,
                        clean_heading(t),
                        meta,
                        path=(clean_heading(t),),
                        split_headings=False,
                    )
                )
                state = "work_programme"
                i += 1
                continue

            if state == "appendix" and (is_heading(ln) or (ln.blank_before and len(ln.text) <= 60)):
                self.maybe_next_appendix(i, report)
                i += 1
                continue

            if BOILERPLATE_HEADINGS.match(t) and state in ("cover", "boilerplate", "text"):
                self.add(Part("boilerplate", ln.start, clean_heading(t), {"doc_type": "boilerplate"}))
                state = "boilerplate"
                i += 1
                continue
            i += 1

        if not any(p.kind in ("minute", "pq", "report_cover", "strategy") for p in self.parts):
            return None
        return self.finish()

    # -- public questions
    def public_question(self, i: int, minutes: dict[str, str]) -> int:
        ln = self.lines[i]
        name = _QUESTIONER.match(ln.text).group("name").strip().rstrip(",")  # type: ignore[union-attr]
        meta: Meta = {"doc_type": "public_questions", "questioner": name, "supplementary": False}
        j = i + 1
        for x in self.window(i + 1, 4):
            t = x.text
            if t.startswith("Scrutiny Meeting:"):
                meeting = t.split(":", 1)[1].strip()
                meta["meeting"] = meeting
                if "email" in meeting.lower():
                    meta["channel"] = "email"
                elif "verbal" in meeting.lower():
                    meta["channel"] = "verbal"
                date = self._meeting_date(meeting, minutes)
                if date:
                    meta["date"] = date
            if t.startswith("Supplementary Question"):
                meta["supplementary"] = True
        m = re.search(
            r"Response \(provided (\d{1,2})/(\d{1,2})/(\d{2,4})\)", self.text[ln.start : ln.start + 20000]
        )
        if m:
            year = int(m.group(3))
            year = year + 2000 if year < 100 else year
            with contextlib.suppress(ValueError):
                meta["response_date"] = dt.date(year, int(m.group(2)), int(m.group(1))).isoformat()
        heading = f"Public question from {name}" + (" (supplementary)" if meta["supplementary"] else "")
        self.add(Part("pq", ln.start, heading, meta))
        return j

    def _meeting_date(self, meeting: str, minutes: dict[str, str]) -> str | None:
        full = find_date(meeting)
        if full:
            return full
        my = _MONTH_YEAR.search(meeting)
        if not my:
            return minutes.get("date") or self.pack_date
        month, year = _MONTHS[my.group(1).lower()], int(my.group(2))
        for iso in [minutes.get("date") or "", self.pack_date or "", *self.dates]:
            if iso and iso.startswith(f"{year:04d}-{month:02d}"):
                return iso
        return f"{year:04d}-{month:02d}-01"

    # -- reports
    def _is_cover(self, i: int) -> bool:
        fields = {m.group("field") for x in self.window(i, 6) if (m := _COVER_FIELD.match(x.text))}
        return "Title of report" in fields and ("Meeting date" in fields or "Report by" in fields)

    def report(self, i: int) -> tuple[int, dict[str, object]]:
        start = self.lines[i].start
        fields: dict[str, str] = {}
        j = i
        while j < len(self.lines) and j < i + 10:
            m = _COVER_FIELD.match(self.lines[j].text)
            if m:
                value = m.group("value").strip()
                # A value wrapped onto the next line ('Report by: X - Service Director, Early Help, QA and' / 'Prevention').
                nxt = self.lines[j + 1] if j + 1 < len(self.lines) else None
                if nxt and value.endswith(("and", ",", "-")) and not _COVER_FIELD.match(nxt.text):
                    value = f"{value} {nxt.text}"
                fields[m.group("field")] = value
            elif fields and _REPORT_HEADING.match(self.lines[j].text):
                break
            j += 1
        title = fields.get("Title of report", "Report")
        committee = fields.get("Meeting") or self.committee
        date = find_date(fields.get("Meeting date", "")) or self.pack_date
        self.note_date(date)
        meta: Meta = {"doc_type": "officer_report", "report_title": title}
        if committee:
            meta["committee"] = committee
        if date:
            meta["date"] = date
        if fields.get("Report by"):
            meta["report_by"] = fields["Report by"]
        self.add(Part("report_cover", start, "Cover sheet", dict(meta), path=(title,)))
        return j, {"title": title, "meta": meta, "appendices": []}

    def _appendix_list(self, i: int) -> list[tuple[str, str]]:
        out = []
        for x in self.window(i, 8):
            if _REPORT_HEADING.match(x.text):
                break
            m = _APPENDIX_LINE.match(x.text.strip("*"))
            if m:
                out.append((m.group("id").upper(), clean_heading(m.group("title"))))
        return out

    def _report_tail(self, i: int) -> int:
        """After 'Background papers': its body, and the reviewers table. Returns the line
        index where the report ends."""
        j = i + 1
        n = len(self.lines)
        # body of 'Background papers': up to the next blank-separated heading-like line
        while j < n:
            t = self.lines[j].text
            if t.startswith("Report Reviewers"):
                j += 1
                while j < n and not self.lines[j - 1].text.startswith("Approved by"):
                    j += 1
                continue
            if t.startswith("Glossary of terms"):
                j += 1
                continue
            if j > i + 1 and self.lines[j].blank_before and not self.lines[j].text.startswith(("-", "None")):
                break
            if j > i + 1 and not t.startswith(("-", "None")):
                break
            j += 1
        return j

    def start_appendices(self, i: int, report: dict[str, object]) -> None:
        if i >= len(self.lines):
            return
        ln = self.lines[i]
        if _MINUTES_HEAD.match(ln.text) or (_COVER_FIELD.match(ln.text) and self._is_cover(i)):
            return
        listed: list[tuple[str, str]] = list(report.get("appendices") or [])  # type: ignore[arg-type]
        report["pending"] = listed[1:]
        ident, listed_title = listed[0] if listed else ("", "")
        self._add_appendix(ln.start, ident, listed_title or clean_heading(ln.text), report)

    def _add_appendix(self, start: int, ident: str, title: str, report: dict[str, object]) -> None:
        meta = dict(report["meta"])  # type: ignore[call-overload]
        meta.pop("report_by", None)
        meta["doc_type"] = "appendix"
        meta["appendix"] = f"Appendix {ident}: {title}" if ident else title
        heading = str(meta["appendix"])
        self.add(
            Part("appendix", start, heading, meta, path=(str(report["title"]), heading), split_headings=True)
        )

    def maybe_next_appendix(self, i: int, report: dict[str, object]) -> None:
        ln = self.lines[i]
        lone = _LONE_APPENDIX.match(ln.text.strip("*"))
        pending: list[tuple[str, str]] = report.get("pending") or []  # type: ignore[assignment]
        if lone:
            # 'Appendix A' inside an appendix: a sub-appendix of it (heading from the next line).
            title = lone.group("title").strip() if lone else ""
            if not title and i + 1 < len(self.lines):
                title = clean_heading(self.lines[i + 1].text)
            parent = next((p for p in reversed(self.parts) if p.kind == "appendix"), None)
            if parent is not None:
                meta = dict(parent.meta)
                sub = f"Appendix {lone.group('id')}: {title}" if lone else title  # type: ignore[union-attr]
                meta["sub_appendix"] = sub
                self.add(
                    Part("appendix_sub", ln.start, sub, meta, path=(*parent.path, sub), split_headings=True)
                )
                return
        if not pending:
            return
        # The title may wrap onto the next line or two when they are short.
        window = [ln.text]
        for x in self.window(i + 1, 2):
            if len(x.text) > 60 or x.text.endswith(".") or x.text.lower().startswith("contents"):
                break
            window.append(x.text)
        have = _words(" ".join(window))
        ident, title = pending[0]
        want = _words(title)
        current = next((p for p in reversed(self.parts) if p.kind == "appendix"), None)
        distinct = want - _words(str(current.meta.get("appendix", ""))) if current else want
        distinct = distinct or want
        if current is not None and i - self._line_index(current.start) < 4:
            return  # the title block of the current appendix
        if not want:
            return
        # Score: how much of the listed title (and of what tells it from the current
        # appendix) the line holds; a title page (contents, a date) counts for, a bullet list
        # under it (a slide quoting the title) against.
        score = len(want & have) / len(want) + len(distinct & have) / len(distinct)
        after = [x.text for x in self.window(i + len(window), 3)]
        if any(t.lower().startswith("contents") or _MONTH_YEAR.fullmatch(t) for t in after):
            score += 0.5
        if after and after[0].startswith(("- ", "• ")):
            score -= 1.0
        if _words(ln.text) <= want:  # the line is nothing but (part of) the listed title
            score += 0.5
        if score >= 1.6:
            report["pending"] = pending[1:]
            self._add_appendix(ln.start, ident, title or clean_heading(ln.text), report)

    def _line_index(self, offset: int) -> int:
        import bisect

        return bisect.bisect_left([ln.start for ln in self.lines], offset)

    def _strategy_start(self, i: int) -> bool:
        ln = self.lines[i]
        if not is_heading(ln) or len(ln.text) > 60:
            return False
        return any(_STRATEGY_META.match(x.text) for x in self.window(i + 1, 3))

    # -- sections
    def finish(self) -> CouncilParse:
        text = self.text
        parts = self.parts
        for k, part in enumerate(parts):
            part.end = parts[k + 1].start if k + 1 < len(parts) else len(text)
        committee = self.committee
        sections: list[Section] = []
        boilerplate: list[str] = []
        for part in parts:
            meta = dict(part.meta)
            if (
                committee
                and "committee" not in meta
                and part.kind not in ("strategy",)
                and self.doc_type != "strategy"
            ):
                meta["committee"] = committee
            if "date" not in meta and self.pack_date and part.kind in ("cover", "boilerplate", "pq_header"):
                meta["date"] = self.pack_date
            if part.kind == "boilerplate" or (
                part.kind == "pq_header" and len(text[part.start : part.end].strip()) < 400
            ):
                boilerplate.append(part.heading if part.kind == "boilerplate" else "Supplement cover page")
                continue
            path = part.path or (part.heading,)
            if part.kind == "minute":
                path = (self._minutes_name(meta), f"{meta['item_no']}. {part.heading}")
            elif part.kind in ("attendance",):
                path = (self._minutes_name(meta), part.heading)
            elif part.kind == "decision":
                path = (self._minutes_name(meta), f"{meta['item_no']}. {meta['item_title']}", part.heading)
            elif part.kind in ("pq", "pq_header"):
                path = ("Public questions", part.heading) if part.kind == "pq" else ("Public questions",)
            elif part.kind in ("report_cover", "report"):
                path = (str(meta.get("report_title", "")), part.heading)
            if part.split_headings:
                sections.extend(self._split(part, meta, path))
            else:
                sections.append(Section(part.heading, part.start, part.end, path, meta))
        sections = [s for s in _merge_small(sections, text) if text[s.start : s.end].strip()]
        sections = _split_tables(sections, text)
        doc_meta: Meta = {"doc_type": self.doc_type or "report", **self.strategy_meta}
        if committee:
            doc_meta["committee"] = committee
        date = self.pack_date or (self.dates[0] if self.dates else None)
        if date:
            doc_meta["date"] = date
        if self.dates:
            doc_meta["dates"] = ",".join(sorted(self.dates))
        return CouncilParse(sections, doc_meta, self.warnings, boilerplate)

    def _minutes_name(self, meta: Meta) -> str:
        date = meta.get("date")
        return f"Minutes, {format_date(str(date))}" if date else "Minutes"

    def _split(self, part: Part, meta: Meta, path: tuple[str, ...]) -> list[Section]:
        """Split a strategy or an appendix at its headings (numbered, markdown or plain)."""
        lines = [ln for ln in self.lines if part.start <= ln.start < part.end]
        out: list[Section] = []
        stack: list[tuple[int, str]] = []
        cur_start, cur_heading, cur_path = part.start, part.heading, path
        for ln in lines[1:]:
            if not is_heading(ln) or _TOC_LINE.search(ln.text):
                continue
            heading = clean_heading(ln.text)
            if not heading:
                continue
            level = heading_level(ln.text)
            out.append(Section(cur_heading, cur_start, ln.start, cur_path, dict(meta)))
            stack = [(lv, h) for lv, h in stack if h.lower() not in ("contents", "table of contents")]
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, heading))
            cur_start, cur_heading, cur_path = ln.start, heading, (*path, *(h for _, h in stack))
        out.append(Section(cur_heading, cur_start, part.end, cur_path, dict(meta)))
        return out


_TOC_LINE = re.compile(r"(?:\.{3,}|\t)\s*\d+\s*$")


def _merge_small(sections: list[Section], text: str, small: int = 160) -> list[Section]:
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
        if len(rest) < 40 and s.meta.get("doc_type") in ("strategy", "appendix") and s is not sections[-1]:
            pending = s
            continue
        if (
            len(body) < small
            and out
            and out[-1].path[:1] == s.path[:1]
            and out[-1].meta.get("doc_type") == s.meta.get("doc_type")
            and s.meta.get("doc_type") not in ("minutes", "public_questions")
        ):
            prev = out.pop()
            out.append(Section(prev.heading, prev.start, s.end, prev.path, prev.meta))
            continue
        out.append(s)
    if pending is not None:
        out.append(pending)
    return out


def _split_tables(sections: list[Section], text: str, min_rows: int = 3) -> list[Section]:
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


def parse_council(text: str, title: str) -> CouncilParse | None:
    return _Parser(text, title).run()


def make_label(meta: Meta, heading: str, doc_title: str) -> str:
    """The human-readable place of a section, e.g. 'Children and Young People Scrutiny
    Committee, 14 November 2023, minute 168, Co-opted member recruitment update'."""
    committee = str(meta.get("committee") or "")
    date = format_date(str(meta["date"])) if meta.get("date") else ""
    kind = meta.get("doc_type")
    head = ", ".join(x for x in (committee, date) if x)
    if kind == "minutes" and "item_no" in meta:
        parts = [head, f"minute {meta['item_no']}", str(meta.get("item_title", ""))]
        if meta.get("decision") and heading in ("Resolved", "Recommendation", "Actions"):
            parts.append(heading)
        return ", ".join(p for p in parts if p)
    if kind == "minutes":
        return ", ".join(p for p in (head, "minutes", heading) if p)
    if kind == "public_questions":
        who = meta.get("questioner")
        if who:
            sup = "supplementary question" if meta.get("supplementary") else "public question"
            return ", ".join(p for p in (head, f"{sup} from {who}") if p)
        return ", ".join(p for p in (head, "public questions") if p)
    if kind == "officer_report":
        return ", ".join(p for p in (head, f"report: {meta.get('report_title', '')}", heading) if p)
    if kind == "appendix":
        parts = [head, str(meta.get("report_title") or ""), str(meta.get("appendix") or "")]
        if meta.get("sub_appendix"):
            parts.append(str(meta["sub_appendix"]))
        if heading not in parts:
            parts.append(heading)
        return ", ".join(p for p in parts if p)
    if kind == "strategy":
        parts = [doc_title, heading] if heading != doc_title else [doc_title]
        return ", ".join(p for p in parts if p)
    if kind == "work_programme":
        return ", ".join(p for p in (head, "work programme") if p)
    if kind == "agenda":
        return ", ".join(p for p in (head, "agenda") if p)
    return ", ".join(p for p in (head or doc_title, heading) if p)
