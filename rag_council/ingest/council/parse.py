"""Council documents: the parse. A small state machine walks the classified lines (see
`classify`) and turns them into parts (minutes items, public questions, officer reports and
their appendices, strategies, work programmes, boilerplate), then into sections: split at
headings, small ones merged, tables apart (see `sections`).

`parse_council(text, title, profile)` returns a CouncilParse (sections with metadata, document
metadata, warnings, the boilerplate dropped), or None when no council structure is recognised.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from rag_council.ingest.council.classify import (
    APPENDIX_LINE,
    COVER_FIELD,
    DECISION,
    ITEM,
    LONE_APPENDIX,
    MEETING_ENDED,
    MINUTES_HEAD,
    PQ_HEADING,
    QUESTIONER,
    RESPONSE_DATE,
    STRATEGY_FIELD,
    STRATEGY_META,
    SUPPLEMENT,
    WORK_PROGRAMME,
    Line,
    is_heading,
    lines_of,
    patterns,
    sentence_case,
)
from rag_council.ingest.council.profile import DEFAULT_PROFILE, CouncilProfile
from rag_council.ingest.council.sections import merge_small, split_at_headings, split_tables
from rag_council.ingest.structure import clean_heading
from rag_council.text.dates import MONTH_YEAR, find_date, month_number, numeric_date
from rag_council.text.tokens import title_words
from rag_council.types import DocType, Meta, Section, format_date


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
    def __init__(self, text: str, title: str, profile: CouncilProfile = DEFAULT_PROFILE) -> None:
        self.text = text
        self.title = title
        self.p = patterns(profile)
        self.lines = lines_of(text)
        self.parts: list[Part] = []
        self.warnings: list[str] = []
        self.dates: list[str] = []
        self.pack_date: str | None = None
        self.committee: str = ""
        self.doc_type: DocType | None = None
        self.strategy_meta: Meta = {}

    # -- helpers
    def add(self, part: Part) -> None:
        self.parts.append(part)

    def add_titled(self, kind: str, ln: Line, text: str, meta: Meta, *, split_headings: bool) -> None:
        """A part headed by its own title line (a strategy, a work programme)."""
        heading = clean_heading(text)
        self.add(Part(kind, ln.start, heading, meta, path=(heading,), split_headings=split_headings))

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
            self.doc_type = DocType.AGENDA
            self.committee = texts[1] if len(texts) > 1 else ""
            for t in texts:
                if t.startswith("Date:"):
                    self.pack_date = find_date(t)
                    break
            self.note_date(self.pack_date)
            self.add(Part("cover", 0, "Agenda", {"doc_type": DocType.AGENDA}))
            return 1
        for ln in self.lines[:5]:
            if MINUTES_HEAD.match(ln.text):
                self.doc_type = DocType.MINUTES
                return 0
        if any(STRATEGY_META.match(ln.text) for ln in self.lines[:20]) or "strategy" in self.title.lower():
            self.doc_type = DocType.STRATEGY
            meta: Meta = {"doc_type": DocType.STRATEGY}
            for ln in self.lines[:30]:
                field_ = STRATEGY_FIELD.match(ln.text.replace("**", "").strip())
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
            m = MINUTES_HEAD.match(t)
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
                        {"doc_type": DocType.MINUTES, "committee": committee, "date": date or ""},
                    )
                )
                state = "minutes"
                i += 1
                continue

            if state == "minutes":
                item = ITEM.match(t)
                if item and ln.blank_before:
                    no = int(item.group("no"))
                    title = sentence_case(item.group("title").strip(" .:"), self.p.acronyms)
                    meta: Meta = {"doc_type": DocType.MINUTES, "item_no": no, "item_title": title}
                    meta.update({k: v for k, v in minutes.items() if v})
                    self.add(Part("minute", ln.start, title, meta))
                    i += 1
                    continue
                dec = DECISION.match(t)
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
                if MEETING_ENDED.match(t):
                    state = "after_minutes"
                    i += 1
                    continue

            # public questions
            if SUPPLEMENT.match(t) or PQ_HEADING.match(t):
                self.add(
                    Part("pq_header", ln.start, "Public questions", {"doc_type": DocType.PUBLIC_QUESTIONS})
                )
                state = "pq"
                i += 1
                continue
            q = QUESTIONER.match(t)
            if q:
                i = self.public_question(i, minutes)
                state = "pq"
                continue

            # officer report cover sheet
            if COVER_FIELD.match(t) and self._is_cover(i):
                i, report = self.report(i)
                state = "report"
                continue

            if state == "report":
                rh = self.p.report_heading.match(t)
                if rh and (ln.blank_after or ln.text.endswith("-")):
                    heading = clean_heading(rh.group("h"))
                    key = heading.lower()
                    in_cover = self.parts[-1].kind == "report_cover"
                    if not in_cover or key in self.p.cover_end:
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
                and self.doc_type != DocType.STRATEGY
                and self._strategy_start(i)
            ):
                state = "strategy"
                meta = {"doc_type": DocType.STRATEGY}
                if self.doc_type in (DocType.AGENDA, DocType.MINUTES):
                    meta = {"doc_type": DocType.APPENDIX, "appendix": clean_heading(t)}
                    meta.update({k: v for k, v in minutes.items() if v})
                self.add_titled("strategy", ln, t, meta, split_headings=True)
                i += 1
                continue

            if (
                state in ("appendix", "after_minutes", "pq", "report", "cover")
                and WORK_PROGRAMME.match(t)
                and ln.blank_after
            ):
                meta = {"doc_type": DocType.WORK_PROGRAMME, "committee": self.committee}
                if self.pack_date:
                    meta["date"] = self.pack_date
                self.add_titled("work_programme", ln, t, meta, split_headings=False)
                state = "work_programme"
                i += 1
                continue

            if state == "appendix" and (is_heading(ln) or (ln.blank_before and len(ln.text) <= 60)):
                self.maybe_next_appendix(i, report)
                i += 1
                continue

            if self.p.boilerplate_heading.match(t) and state in ("cover", "boilerplate", "text"):
                self.add(Part("boilerplate", ln.start, clean_heading(t), {"doc_type": DocType.BOILERPLATE}))
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
        name = QUESTIONER.match(ln.text).group("name").strip().rstrip(",")  # type: ignore[union-attr]
        meta: Meta = {"doc_type": DocType.PUBLIC_QUESTIONS, "questioner": name, "supplementary": False}
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
        m = RESPONSE_DATE.search(self.text[ln.start : ln.start + 20000])
        response_date = numeric_date(*m.groups()) if m else None
        if response_date:
            meta["response_date"] = response_date
        heading = f"Public question from {name}" + (" (supplementary)" if meta["supplementary"] else "")
        self.add(Part("pq", ln.start, heading, meta))
        return j

    def _meeting_date(self, meeting: str, minutes: dict[str, str]) -> str | None:
        full = find_date(meeting)
        if full:
            return full
        my = MONTH_YEAR.search(meeting)
        if not my:
            return minutes.get("date") or self.pack_date
        month, year = month_number(my.group(1)), int(my.group(2))
        for iso in [minutes.get("date") or "", self.pack_date or "", *self.dates]:
            if iso and iso.startswith(f"{year:04d}-{month:02d}"):
                return iso
        return f"{year:04d}-{month:02d}-01"

    # -- reports
    def _is_cover(self, i: int) -> bool:
        fields = {m.group("field") for x in self.window(i, 6) if (m := COVER_FIELD.match(x.text))}
        return "Title of report" in fields and ("Meeting date" in fields or "Report by" in fields)

    def report(self, i: int) -> tuple[int, dict[str, object]]:
        start = self.lines[i].start
        fields: dict[str, str] = {}
        j = i
        while j < len(self.lines) and j < i + 10:
            m = COVER_FIELD.match(self.lines[j].text)
            if m:
                value = m.group("value").strip()
                # A value wrapped onto the next line ('Report by: X - Service Director, Early Help, QA and' / 'Prevention').
                nxt = self.lines[j + 1] if j + 1 < len(self.lines) else None
                if nxt and value.endswith(("and", ",", "-")) and not COVER_FIELD.match(nxt.text):
                    value = f"{value} {nxt.text}"
                fields[m.group("field")] = value
            elif fields and self.p.report_heading.match(self.lines[j].text):
                break
            j += 1
        title = fields.get("Title of report", "Report")
        committee = fields.get("Meeting") or self.committee
        date = find_date(fields.get("Meeting date", "")) or self.pack_date
        self.note_date(date)
        meta: Meta = {"doc_type": DocType.OFFICER_REPORT, "report_title": title}
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
            if self.p.report_heading.match(x.text):
                break
            m = APPENDIX_LINE.match(x.text.strip("*"))
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
        if MINUTES_HEAD.match(ln.text) or (COVER_FIELD.match(ln.text) and self._is_cover(i)):
            return
        listed: list[tuple[str, str]] = list(report.get("appendices") or [])  # type: ignore[arg-type]
        report["pending"] = listed[1:]
        ident, listed_title = listed[0] if listed else ("", "")
        self._add_appendix(ln.start, ident, listed_title or clean_heading(ln.text), report)

    def _add_appendix(self, start: int, ident: str, title: str, report: dict[str, object]) -> None:
        meta = dict(report["meta"])  # type: ignore[call-overload]
        meta.pop("report_by", None)
        meta["doc_type"] = DocType.APPENDIX
        meta["appendix"] = f"Appendix {ident}: {title}" if ident else title
        heading = str(meta["appendix"])
        self.add(
            Part("appendix", start, heading, meta, path=(str(report["title"]), heading), split_headings=True)
        )

    def maybe_next_appendix(self, i: int, report: dict[str, object]) -> None:
        ln = self.lines[i]
        lone = LONE_APPENDIX.match(ln.text.strip("*"))
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
        have = title_words(" ".join(window))
        ident, title = pending[0]
        want = title_words(title)
        current = next((p for p in reversed(self.parts) if p.kind == "appendix"), None)
        distinct = want - title_words(str(current.meta.get("appendix", ""))) if current else want
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
        if any(t.lower().startswith("contents") or MONTH_YEAR.fullmatch(t) for t in after):
            score += 0.5
        if after and after[0].startswith(("- ", "• ")):
            score -= 1.0
        if title_words(ln.text) <= want:  # the line is nothing but (part of) the listed title
            score += 0.5
        if score >= 1.6:
            report["pending"] = pending[1:]
            self._add_appendix(ln.start, ident, title or clean_heading(ln.text), report)

    def _line_index(self, offset: int) -> int:
        return bisect.bisect_left([ln.start for ln in self.lines], offset)

    def _strategy_start(self, i: int) -> bool:
        ln = self.lines[i]
        if not is_heading(ln) or len(ln.text) > 60:
            return False
        return any(STRATEGY_META.match(x.text) for x in self.window(i + 1, 3))

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
                and self.doc_type != DocType.STRATEGY
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
                sections.extend(split_at_headings(self.lines, part.start, part.end, part.heading, meta, path))
            else:
                sections.append(Section(part.heading, part.start, part.end, path, meta))
        sections = [s for s in merge_small(sections, text) if text[s.start : s.end].strip()]
        sections = split_tables(sections, text)
        doc_meta: Meta = {"doc_type": self.doc_type or DocType.REPORT, **self.strategy_meta}
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


def parse_council(text: str, title: str, profile: CouncilProfile = DEFAULT_PROFILE) -> CouncilParse | None:
    """Sections with metadata, document metadata and warnings; None when no council structure
    (minutes, public questions, a report cover sheet, a strategy) is recognised."""
    return _Parser(text, title, profile).run()
