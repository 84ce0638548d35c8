"""The council's records, read from a parsed Document: meetings, attendance, minute items
with their decisions, officer reports' recommendations, public questions and documents
(strategies, reports, appendices) with their details.

`extract_records(doc) -> (records, warnings)`. It works from what the parser already found
(the sections and their metadata) and reads the fields from `doc.text`; every field is a
Span of `doc.text`, so that it can be cited like a chunk (see rag_council.types.Record).

Kinds and their fields (all spans; `notes` are derived values):
    meeting         committee, date, venue, header; notes: status ("draft" for minutes printed
                    in a later agenda pack, "agenda" for the pack's own meeting, "minutes" for
                    published minutes), for_approval_at (ISO date: the pack's meeting)
    attendance      chair, vice_chair, members_present, apologies, apologies_statement,
                    substitutes, co_optees, in_attendance, remote
    item            number, title, points (the discussion points, one per bullet or numbered
                    paragraph), resolution, actions, recommendation (the committee's own,
                    to another body), vote, confirms (the sentence confirming earlier
                    minutes); notes: decision, confirms_minutes_of (ISO date)
    recommendation  text (what an officer report asks the meeting to decide), items (its
                    lettered parts), report_title, meeting, meeting_date, report_by, purpose,
                    decision_type
    question        questioner, meeting, question, response, responder, response_date;
                    notes: supplementary ("yes"/"no"), channel
    document        title, type_evidence, version, author, agreed_by, operational_from,
                    service_area, review_date, period, draft; notes: type (strategy, report,
                    appendix, plan, ...), period (e.g. "2017-2020"), draft ("yes"/"no")
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from rag_council.ingest.cleaning import OffsetMap
from rag_council.ingest.council import find_date, sentence_case
from rag_council.types import Document, Record, Section, Span, format_date

EXTRACTOR_VERSION = 4

_MINUTES_HEAD = re.compile(
    r"Minutes of the meeting of (?P<committee>.+?) held (?:at|in) (?P<venue>.+?) on "
    r"(?P<date>(?:[A-Z][a-z]+day )?\d{1,2}(?:st|nd|rd|th)? [A-Z][a-z]+ \d{4})",
)
_ATT_LABEL = re.compile(
    r"^(?P<label>Present|Board members present in person, voting|Councillors|Co-?[Oo]ptees|"
    r"In attendance|Officers in attendance|Officers|Group leaders in attendance|"
    r"Scrutiny chairmen in attendance|Other councillors in attendance|Others? present in person|"
    r"Board members in attendance remotely, non-voting|Others in attendance remotely)\b\s*:?\s*",
    re.IGNORECASE,
)
_ROLE_OF_LABEL = {
    "present": "members_present",
    "board members present in person, voting": "members_present",
    "councillors": "members_present",
    "co-optees": "co_optees",
    "cooptees": "co_optees",
    "in attendance": "in_attendance",
    "officers in attendance": "in_attendance",
    "officers": "in_attendance",
    "group leaders in attendance": "in_attendance",
    "scrutiny chairmen in attendance": "in_attendance",
    "other councillors in attendance": "in_attendance",
    "others present in person": "in_attendance",
    "other present in person": "in_attendance",
    "board members in attendance remotely, non-voting": "remote",
    "others in attendance remotely": "in_attendance",
}
_CHAIR = re.compile(r"\((?:the )?(?:chair|chairman|chairperson|chairwoman)\)", re.IGNORECASE)
_VICE = re.compile(r"\(vice[-\s]*(?:chair|chairman|chairperson)?", re.IGNORECASE)
_DECISION_LINE = re.compile(
    r"^(?:\*\*)?(?P<kind>Resolved|RESOLVED|Recommendations?|Actions?)\b(?:\*\*)?\s*:?", re.IGNORECASE
)
_VOTE = re.compile(
    r"[^.\n]*\b(?:voted|unanimous(?:ly)?|by (?:a )?majority|(?:was|were) (?:carried|lost)|abstention)"
    r"[^.\n]*[.:]?",
    re.IGNORECASE,
)
_CONFIRMS = re.compile(
    r"[^.\n]*minutes of the (?:previous )?meeting held on (?P<date>[^.\n]*?\d{4})[^.\n]*"
    r"(?:correct record|approved|confirmed|agreed)[^.\n]*\.?",
    re.IGNORECASE,
)
_STRATEGY_FIELD = re.compile(
    r"^(?:\*\*)?(?P<label>Operational From|Agreed by|Version|Author|Service Area|Review Date)"
    r"\s*:\s*(?:\*\*)?\s*(?P<value>.*?)\s*(?:\*\*)?\s*$",
    re.IGNORECASE,
)
_PERIOD = re.compile(r"\b((?:19|20)\d\d)\s*(?:[-–/]|to)\s*((?:19|20)?\d\d)\b")
_REPORT_HEAD = re.compile(
    r"^(?:Alternative options|Key considerations|Reasons for recommendations?|Community impact|"
    r"Classification|Decision type|Key decision|Wards affected|Purpose(?: and summary)?|"
    r"Recommendations?(?:\(s\))?)\s*$",
    re.IGNORECASE,
)
_LETTERED = re.compile(r"^(?:-\s*)?\(?[a-h]\)\s*", re.IGNORECASE)


@dataclass
class _Lines:
    text: str
    start: int
    end: int

    def __iter__(self) -> Iterator[tuple[int, int, str]]:
        for m in re.finditer(r"[^\n]+", self.text[self.start : self.end]):
            yield self.start + m.start(), self.start + m.end(), m.group(0)


@dataclass
class _Group:
    start: int
    end: int
    sections: list[Section] = field(default_factory=list)

    @property
    def meta(self) -> dict:
        return self.sections[0].meta if self.sections else {}


def _groups(sections: list[Section], key) -> list[_Group]:
    """Consecutive sections with the same key, as one range each (key None: skipped)."""
    out: list[_Group] = []
    last = None
    for s in sections:
        k = key(s)
        if k is None:
            last = None
            continue
        if out and k == last:
            out[-1].end = max(out[-1].end, s.end)
            out[-1].sections.append(s)
        else:
            out.append(_Group(s.start, s.end, [s]))
        last = k
    return out


class _Extractor:
    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.text = doc.text
        self.offsets = OffsetMap(doc.origin) if doc.origin else None
        self.records: list[Record] = []
        self.warnings: list[str] = []
        self.pack_date = str(doc.meta.get("date") or "")
        self.doc_type = str(doc.meta.get("doc_type") or "")

    # -- spans
    def span(self, a: int, b: int) -> Span:
        """doc.text[a:b], trimmed of whitespace and of the markup around it (bold, bullets)."""
        text = self.text
        while a < b and (text[a].isspace() or text[a] in "*"):
            a += 1
        while b > a and (text[b - 1].isspace() or text[b - 1] in "*"):
            b -= 1
        if text.startswith("- ", a):
            a += 2
        src = self.offsets.span_to_source(a, b) if self.offsets else (a, b)
        return Span(self.doc.doc_id, a, b, text[a:b], self.doc.page_at(a), src[0], src[1])

    def add(self, kind: str, key: str, whole: tuple[int, int], **kw) -> Record:
        fields = {k: v for k, v in kw.pop("fields", {}).items() if v}
        record = Record(kind, self.doc.doc_id, self.doc.name, key, self.span(*whole), fields=fields, **kw)
        self.records.append(record)
        return record

    # -- run
    def run(self) -> tuple[list[Record], list[str]]:
        sections = self.doc.sections
        self.pack_meeting()
        for group in _groups(
            sections, lambda s: s.meta.get("date") if s.meta.get("doc_type") == "minutes" else None
        ):
            self.minutes(group)
        for group in _groups(
            sections,
            lambda s: (
                s.heading.removesuffix(" (table)") if s.meta.get("doc_type") == "public_questions" else None
            ),
        ):
            self.question(group)
        for group in _groups(
            sections,
            lambda s: (
                (s.meta.get("report_title"), s.meta.get("date"))
                if s.meta.get("doc_type") == "officer_report"
                else None
            ),
        ):
            self.report(group)
        for group in _groups(
            sections,
            lambda s: (
                (s.meta.get("report_title"), s.meta.get("appendix"))
                if s.meta.get("doc_type") == "appendix"
                else None
            ),
        ):
            self.document_details(group, "appendix")
        if self.doc_type == "strategy":
            self.document_details(_Group(0, len(self.text), list(sections)), "strategy")
        return self.records, self.warnings

    # -- the agenda pack's own meeting
    def pack_meeting(self) -> None:
        if self.doc_type != "agenda" or not self.pack_date:
            return
        head = _Lines(self.text, 0, min(len(self.text), 2500))
        fields: dict[str, list[Span]] = {}
        committee = str(self.doc.meta.get("committee") or "")
        lines = list(head)
        for k, (a, b, line) in enumerate(lines):
            bare = line.replace("*", "").strip()
            if committee and bare == committee and "committee" not in fields:
                fields["committee"] = [self.span(a, b)]
            if bare.startswith("Date:") and "date" not in fields:
                fields["date"] = [self.span(a + line.index(":") + 1, b)]
            if bare.startswith("Place:") and "venue" not in fields:
                end = b
                if k + 1 < len(lines) and lines[k + 1][0] == b + 2 and ":" not in lines[k + 1][2]:
                    end = lines[k + 1][1]  # the address wraps onto the next line
                fields["venue"] = [self.span(a + line.index(":") + 1, end)]
        if "date" not in fields:
            self.warnings.append("records: the agenda pack's meeting date was not found on its cover")
            return
        whole = (fields["date"][0].start, fields.get("venue", fields["date"])[0].end)
        self.add(
            "meeting",
            f"meeting:{self.pack_date}",
            (min(whole), max(whole)),
            committee=committee,
            date=self.pack_date,
            title=f"{committee} meeting, {format_date(self.pack_date)}",
            fields=fields,
            notes={"status": "agenda", "source": "agenda pack cover"},
        )

    # -- minutes: meeting, attendance, items
    def minutes(self, group: _Group) -> None:
        date = str(group.meta.get("date") or "")
        committee = str(group.meta.get("committee") or self.doc.meta.get("committee") or "")
        where = f"minutes of {format_date(date)}" if date else "minutes"
        head = _MINUTES_HEAD.search(self.text, group.start, min(group.end, group.start + 600))
        items = [s for s in group.sections if "item_no" in s.meta]
        att_end = items[0].start if items else group.end
        if head is None:
            self.warnings.append(
                f"records: {where}: the minutes' header (committee, venue, date) was not found"
            )
            header_end = group.start
            fields: dict[str, list[Span]] = {}
        else:
            header_end = self.text.find("\n", head.start())
            header_end = len(self.text) if header_end < 0 else header_end
            fields = {
                "committee": [self.span(*head.span("committee"))],
                "venue": [self.span(*head.span("venue"))],
                "date": [self.span(*head.span("date"))],
                "header": [self.span(head.start(), header_end)],
            }
        notes = {"status": "minutes"}
        if self.doc_type == "agenda" and self.pack_date and date and date != self.pack_date:
            notes = {"status": "draft", "for_approval_at": self.pack_date}
        self.add(
            "meeting",
            f"meeting:{date}",
            (group.start, header_end if head else group.start + 1),
            committee=committee,
            date=date,
            title=f"{committee} meeting, {format_date(date)}" if date else committee,
            fields=fields,
            notes=notes,
        )
        attendance = self.attendance(header_end, att_end, where)
        by_no: dict[int, _Group] = {}
        for s in items:
            no = int(s.meta["item_no"])
            g = by_no.setdefault(no, _Group(s.start, s.end))
            g.start, g.end = min(g.start, s.start), max(g.end, s.end)
            g.sections.append(s)
        self._missed_items(by_no, where)
        for no, g in sorted(by_no.items()):
            self.item(no, g, date, committee, attendance, where)
        record = self.add(
            "attendance",
            f"attendance:{date}",
            (group.start, att_end),
            committee=committee,
            date=date,
            title=f"Attendance, {committee}, {format_date(date)}",
            fields=attendance,
        )
        if not record.fields.get("chair"):
            self.warnings.append(f"records: {where}: no chair is named in the attendance")

    def _missed_items(self, by_no: dict[int, _Group], where: str) -> None:
        """An item heading the parser did not take for one ('9. 16-19 LOCAL AUTHORITY ...'
        starts with a digit) splits the item before it, with a warning; the minutes end at
        'The meeting ended at ...'."""
        for no in sorted(by_no):
            g = by_no[no]
            ended = re.search(r"(?m)^The meeting (?:ended|closed) at\b", self.text[g.start : g.end])
            if ended:
                g.end = g.start + ended.start()
            if no + 1 in by_no:
                continue
            nl = self.text.find("\n", g.start)
            for a, _b, ln in _Lines(self.text, nl if 0 <= nl < g.end else g.end, g.end):
                m = re.match(rf"{no + 1}\.\s+(?=[0-9A-Z])([A-Z0-9 ,'’&()/\-–:.]{{6,}})$", ln.strip())
                if m and re.search(r"[A-Z]{3}", m.group(1)) and self.text[a - 2 : a] == "\n\n":
                    title = sentence_case(m.group(1).strip(" .:"))
                    meta = {**g.sections[0].meta, "item_no": no + 1, "item_title": title}
                    by_no[no + 1] = _Group(a, g.end, [Section(title, a, g.end, (), meta)])
                    g.end = a
                    self.warnings.append(
                        f"records: {where}: item {no + 1} ({title}) was not recognised as an item heading "
                        "by the parser; read from the text (its passages are filed under the item before it)"
                    )
                    break

    def attendance(self, start: int, end: int, where: str) -> dict[str, list[Span]]:
        out: dict[str, list[Span]] = {}
        role = "members_present"
        by_line = False  # a table flattened to one person a line (the label says 'present in person')
        entries: list[tuple[str, int, int]] = []  # (role, start, end)
        rows: set[int] = set()  # the starts of whole table rows kept for those in attendance
        for a, b, line in _Lines(self.text, start, end):
            stripped = line.strip()
            if stripped.startswith("Note:"):
                continue
            m = _ATT_LABEL.match(stripped)
            offset = a + (len(line) - len(line.lstrip()))
            if not m and by_line and "\t" not in line:
                if entries and _is_role_text(stripped):
                    r, s0, _ = entries[-1]
                    entries[-1] = (r, s0, b)  # 'Young People': the role wrapped onto its own line
                else:
                    entries.append((role, offset, b))
                continue
            if m:
                role = _ROLE_OF_LABEL.get(m.group("label").lower(), "members_present")
                label = m.group("label").lower()
                by_line = (role != "members_present" and "person" in label) or (
                    "remotely" in label and role == "in_attendance"
                )
                body_start = offset + m.end()
                if not self.text[body_start:b].strip():
                    if m.group("label").lower() == "officers" and role == "in_attendance":
                        self.warnings.append(
                            f"records: {where}: the 'Officers:' line of the attendance is empty"
                        )
                    continue
                a = body_start
            if "\t" in line:  # a table row: name, role, organisation
                cell_end = self.text.index("\t", a) if "\t" in self.text[a:b] else b
                if role in ("in_attendance", "remote"):
                    # those in attendance are known by their post: the whole row ("Gail Hancock
                    # Service Director Improvement Herefordshire Council"), as the lines of
                    # other minutes give it
                    rows.add(a)  # its name (the first cell) is read for chair and substitute
                    cell_end = len(self.text[:b].rstrip(" \t"))
                entries.append((role, a, cell_end))
                continue
            for x, y in _split_names(self.text, a, b):
                piece = self.text[x:y].strip()
                if entries and (
                    (piece[:1] in "(" and _CHAIR.search(piece))
                    or piece.lower().startswith(("chairperson)", "chairman)"))
                ):
                    r, s0, _ = entries[-1]
                    entries[-1] = (r, s0, y)  # '(Chairperson)' on a line of its own
                    continue
                entries.append((role, x, y))
        entries = [e for r, a, b in entries for e in _two_councillors(self.text, r, a, b)]
        # 'Councillors TM James, RI Matthews and AJW Powers': the first name without the title.
        entries = [
            (r, a + m.end(), b)
            if (m := re.match(r"\s*Councillors\s+(?=[A-Z])", self.text[a:b]))
            else (r, a, b)
            for r, a, b in entries
        ]
        for r, a, b in entries:
            s = self.span(a, b)
            if not s.text or len(s.text) < 3:
                continue
            name = s.text.split("\t", 1)[0] if a in rows else s.text
            if re.match(r"^Councillors?\s*$", name):
                continue
            if _VICE.search(name):
                out.setdefault("vice_chair", []).append(s)
            elif _CHAIR.search(name):
                out.setdefault("chair", []).append(s)
            if "substitute" in name.lower():
                out.setdefault("substitutes", []).append(s)
            if r == "members_present" and re.search(r"co-?opt", name, re.IGNORECASE):
                out.setdefault("co_optees", []).append(s)
            out.setdefault(r, []).append(s)
        return out

    def item(
        self, no: int, g: _Group, date: str, committee: str, attendance: dict[str, list[Span]], where: str
    ) -> None:
        text = self.text
        title = str(g.sections[0].meta.get("item_title", g.sections[0].heading))
        first_nl = text.find("\n", g.start)
        first_nl = g.end if first_nl < 0 or first_nl > g.end else first_nl
        line = text[g.start : first_nl]
        number = re.match(r"\s*(\d{1,3})\.", line)
        fields: dict[str, list[Span]] = {}
        if number:
            fields["number"] = [self.span(g.start + number.start(1), g.start + number.end(1))]
            title_at = g.start + number.end()
            page_ref = re.search(r"\s*\(Pages?[^)]*\)\s*$", line)
            fields["title"] = [self.span(title_at, g.start + (page_ref.start() if page_ref else len(line)))]
        notes: dict[str, str] = {}
        # Decision blocks: each marker line starts a block that runs to the next one.
        marks: list[tuple[str, int]] = []
        for a, _b, ln in _Lines(text, first_nl, g.end):
            m = _DECISION_LINE.match(ln.strip())
            if m:
                kind = m.group("kind").lower()
                kind = (
                    "resolution"
                    if kind.startswith("resolved")
                    else ("recommendation" if kind.startswith("recommendation") else "actions")
                )
                marks.append((kind, a))
        for k, (kind, a) in enumerate(marks):
            b = marks[k + 1][1] if k + 1 < len(marks) else g.end
            if kind == "actions":
                # An action line, or an 'Actions:' heading with its list under it.
                nl = text.find("\n\n", a, b)
                body = text[a:b] if nl < 0 else text[a:nl]
                b = a + len(body) if body.rstrip().endswith(":") is False else b
            fields.setdefault(kind, []).append(self.span(a, b))
        if marks:
            notes["decision"] = ", ".join(dict.fromkeys(kind for kind, _ in marks))
        points_end = marks[0][1] if marks else g.end
        points = [
            self.span(a, b)
            for a, b, ln in _Lines(text, first_nl, points_end)
            if re.match(r"\s*(?:-\s+(?:\d{1,2}\.\s+)?|\d{1,2}\.\s+)\S", ln) and len(ln) > 40
        ]
        if points:
            fields["points"] = points
        body = text[first_nl : g.end]
        votes = [self.span(first_nl + m.start(), first_nl + m.end()) for m in _VOTE.finditer(body)]
        if votes:
            fields["vote"] = votes
        conf = _CONFIRMS.search(body)
        if conf:
            fields["confirms"] = [self.span(first_nl + conf.start(), first_nl + conf.end())]
            confirmed = find_date(conf.group("date"))
            if confirmed:
                notes["confirms_minutes_of"] = confirmed
        lowered = title.lower()
        if lowered.startswith("apologies"):
            self._apologies(first_nl, g.end, attendance)
        elif lowered.startswith("named substitute"):
            for a, b, ln in _Lines(text, first_nl, g.end):
                if ln.strip() and not re.match(r"\s*(?:there were )?no\b", ln, re.IGNORECASE):
                    attendance.setdefault("substitutes", []).append(self.span(a, b))
        if not text[first_nl : g.end].strip():
            self.warnings.append(f"records: {where}: item {no} ({title}) has no text under its heading")
        self.add(
            "item",
            f"item:{date}:{no}",
            (g.start, g.end),
            committee=committee,
            date=date,
            title=title,
            fields=fields,
            notes=notes,
        )

    def _apologies(self, start: int, end: int, attendance: dict[str, list[Span]]) -> None:
        for a, b, ln in _Lines(self.text, start, end):
            if not ln.strip():
                continue
            attendance.setdefault("apologies_statement", []).append(self.span(a, b))
            m = re.search(r"\bfrom\s+", ln)
            if m and not re.search(r"\bno apologies\b", ln, re.IGNORECASE):
                tail_end = b - 1 if ln.rstrip().endswith(".") else b
                for x, y in _split_names(self.text, a + m.end(), tail_end):
                    attendance.setdefault("apologies", []).append(self.span(x, y))

    # -- public questions
    def question(self, group: _Group) -> None:
        text = self.text
        meta = group.meta
        fields: dict[str, list[Span]] = {}
        labels: list[tuple[str, int, int]] = []  # (label, line start, value start)
        for a, _b, ln in _Lines(text, group.start, group.end):
            m = re.match(r"(Questioner|Scrutiny Meeting|Supplementary Question|Question|Response)\s*:", ln)
            if m and m.group(1) not in {lab for lab, _, _ in labels}:
                labels.append((m.group(1), a, a + m.end()))
        for k, (label, _a, v) in enumerate(labels):
            b = labels[k + 1][1] if k + 1 < len(labels) else group.end
            if label in ("Questioner", "Scrutiny Meeting"):
                nl = text.find("\n", v)
                b = min(b, nl if nl >= 0 else b)
            name = {
                "Questioner": "questioner",
                "Scrutiny Meeting": "meeting",
                "Supplementary Question": "question",
                "Question": "question",
                "Response": "response",
            }[label]
            span = self.span(v, b)
            if span.text:
                fields[name] = [span]
        if "question" not in fields and fields.get("meeting"):
            # No 'Question:' label: the question is what comes between the meeting line and
            # the response.
            after = text.find("\n", fields["meeting"][0].end)
            resp_at = next((a for label, a, _v in labels if label == "Response"), group.end)
            if 0 <= after < resp_at:
                span = self.span(after, resp_at)
                if span.text:
                    fields["question"] = [span]
        response = fields.get("response")
        if response:
            r = response[0]
            body = text[r.start : r.end]
            who = re.search(
                r"\b(Councillor [A-Z][a-z]+(?: [A-Z][a-z]+)?)(?: gave a verbal response|'s verbal response)",
                body,
            )
            if who:
                fields["responder"] = [self.span(r.start + who.start(1), r.start + who.end(1))]
            when = re.search(r"Response \(provided [^)]*\)", body)
            if when:
                fields["response_date"] = [self.span(r.start + when.start(), r.start + when.end())]
        who_asked = str(meta.get("questioner") or "")
        if "response" not in fields:
            self.warnings.append(f"records: public question from {who_asked}: no response found")
        if "question" not in fields:
            self.warnings.append(f"records: public question from {who_asked}: no question text found")
        date = str(meta.get("date") or "")
        sup = bool(meta.get("supplementary"))
        notes = {"supplementary": "yes" if sup else "no"}
        if meta.get("channel"):
            notes["channel"] = str(meta["channel"])
        self.add(
            "question",
            f"question:{date}:{group.start}",
            (group.start, group.end),
            committee=str(meta.get("committee") or ""),
            date=date,
            title=("Supplementary question" if sup else "Public question") + f" from {who_asked}",
            fields=fields,
            notes=notes,
        )

    # -- officer reports: the report as a document, and its recommendation
    def report(self, group: _Group) -> None:
        text = self.text
        meta = group.meta
        title = str(meta.get("report_title") or "Report")
        date = str(meta.get("date") or "")
        committee = str(meta.get("committee") or "")
        fields: dict[str, list[Span]] = {}
        cover = [s for s in group.sections if s.heading.startswith("Cover sheet")]
        cover_end = max((s.end for s in cover), default=group.end)
        lines = list(_Lines(text, group.start, cover_end))
        heads: list[tuple[str, int, int]] = []  # (heading, line start, line end)
        for a, b, ln in lines:
            m = re.match(r"(Title of report|Meeting date|Meeting|Report by)\s*:\s*", ln)
            if m:
                name = {
                    "Title of report": "report_title",
                    "Meeting date": "meeting_date",
                    "Meeting": "meeting",
                    "Report by": "report_by",
                }[m.group(1)]
                end = b
                nxt = re.match(r"\n\n?([^\n]{1,30})\n", text[b : b + 40])
                if name == "report_by" and nxt and not _REPORT_HEAD.match(nxt.group(1).strip()):
                    end = b + nxt.end(1)  # 'Service Director, Safeguarding and Family' / 'Support'
                fields.setdefault(name, [self.span(a + m.end(), end)])
            elif _REPORT_HEAD.match(ln.strip()):
                heads.append((ln.strip().lower(), a, b))
        for k, (head, _a, b) in enumerate(heads):
            end = heads[k + 1][1] if k + 1 < len(heads) else cover_end
            if head.startswith("recommendation"):
                fields["text"] = [self.span(b, end)]
                fields["items"] = [
                    self.span(x, y) for x, y, ln in _Lines(text, b, end) if _LETTERED.match(ln.strip())
                ]
            elif head.startswith("purpose"):
                fields["purpose"] = [self.span(b, end)]
            elif head in ("decision type", "key decision"):
                fields["decision_type"] = [self.span(b, end)]
        if "text" not in fields:
            self.warnings.append(f"records: report '{title}': no recommendation found on its cover sheet")
        else:
            self.add(
                "recommendation",
                f"recommendation:{date}:{group.start}",
                (group.start, cover_end),
                committee=committee,
                date=date,
                title=title,
                fields=fields,
                notes={"report": title},
            )
        doc_fields: dict[str, list[Span]] = {
            "title": fields.get("report_title", []),
            "author": fields.get("report_by", []),
        }
        period = _PERIOD.search(title)
        notes = {"type": "report", "draft": "no"}
        if period and fields.get("report_title"):
            t = fields["report_title"][0]
            p = _PERIOD.search(t.text)
            if p:
                doc_fields["period"] = [self.span(t.start + p.start(), t.start + p.end())]
                notes["period"] = _period(p)
        self.add(
            "document",
            f"document:report:{date}:{group.start}",
            (group.start, group.end),
            committee=committee,
            date=date,
            title=title,
            fields=doc_fields,
            notes=notes,
        )

    # -- strategies, plans and appendices: their details
    def document_details(self, group: _Group, where: str) -> None:
        text = self.text
        meta = group.meta
        fields: dict[str, list[Span]] = {}
        if where == "strategy":
            heading = next(
                (
                    (a, b)
                    for a, b, ln in _Lines(text, 0, min(len(text), 3000))
                    if ln.strip("#* ").strip()
                    and ln.strip("#* ").lower() != "contents"
                    and not _STRATEGY_FIELD.match(ln.strip())
                ),
                None,
            )
            title = self.doc.title
            if heading:
                span = self.span(*heading)
                fields["title"] = [
                    Span(
                        span.doc_id,
                        span.start + _lead_marks(span.text),
                        span.end,
                        span.text[_lead_marks(span.text) :],
                        span.page,
                        span.source_start,
                        span.source_end,
                    )
                ]
                title = fields["title"][0].text
        else:
            if meta.get("sub_appendix"):
                return
            title = str(meta.get("appendix") or group.sections[0].heading)
            listed = set(re.findall(r"[a-z]{3,}", re.sub(r"^Appendix \w+:?", "", title).lower()))
            top = [
                x
                for x in _Lines(text, group.start, group.end)
                if len(x[2].strip()) <= 90
                and x[2].strip().lower() not in ("contents", "herefordshire council")
                and not re.match(r"[A-Z]{2,}:", x[2].strip())
                and not x[2].rstrip().endswith(".")
            ][:10]

            def overlap(x: tuple[int, int, str]) -> int:
                return len(listed & set(re.findall(r"[a-z]{3,}", x[2].lower())))

            top = top or [next(iter(_Lines(text, group.start, group.end)))]
            best = max(top, key=lambda x: (overlap(x), -x[0]))
            if overlap(best) > 0 or not listed:
                # (no line shares a word with the listed title: the document has no title of its own)
                a = best[0]
                before = text.rfind("\n", group.start, a - 1)
                prev = text[before + 1 : a - 1] if before >= 0 and text[a - 1] == "\n" else ""
                if (
                    prev
                    and len(prev) < 30
                    and text[a - 2] != "\n"
                    and prev.strip("* ").lower() not in ("contents", "council")
                ):
                    a = before + 1  # 'Corporate' / 'Parenting Strategy': a title wrapped onto two lines
                fields["title"] = [self.span(a, best[1])]
        # The details block: labelled lines near the top.
        labels: list[tuple[str, int, int, str]] = []
        for a, b, ln in _Lines(text, group.start, min(group.end, group.start + 3000)):
            m = _STRATEGY_FIELD.match(ln.strip())
            if m:
                labels.append((m.group("label").lower(), a, b, m.group("value")))
        lines = list(_Lines(text, group.start, min(group.end, group.start + 3000)))
        for label, a, b, value in labels:
            name = label.replace(" ", "_")
            if value:
                ln = text[a:b]
                colon = ln.index(":")
                fields[name] = [self.span(a + colon + 1, b)]
                continue
            # The value on the lines under the label, up to the next label or a blank line.
            after = [x for x in lines if x[0] > b]
            spans: list[Span] = []
            prev_end = b
            for x, y, ln in after:
                if _STRATEGY_FIELD.match(ln.strip()) or (spans and text[prev_end:x].count("\n") > 1):
                    break
                spans.append(self.span(x, y))
                prev_end = y
            if spans:
                fields[name] = spans
            else:
                self.warnings.append(f"records: '{title}': '{label.title()}' is blank")
        notes: dict[str, str] = {"type": _doc_type(title, where)}
        t = fields["title"][0] if fields.get("title") else None
        p = _PERIOD.search(text, t.start, min(group.end, t.end + 40)) if t else None
        if t and p:
            fields["period"] = [self.span(p.start(), p.end())]
            notes["period"] = _period(p)
        elif meta.get("report_title"):
            parent = [r for r in self.records if r.kind == "document" and r.title == meta.get("report_title")]
            if parent and parent[-1].fields.get("period") and _words(title) & _words(parent[-1].title):
                fields["period"] = parent[-1].fields["period"]
                notes["period"] = parent[-1].notes.get("period", "")
        draft = t is not None and re.search(r"\bdraft\b", t.text, re.IGNORECASE)
        if t and draft:
            fields["draft"] = [t]
        elif meta.get("report_title"):
            # 'A draft of the corporate parenting strategy is attached (appendix 1)' in the report.
            ident = re.match(r"Appendix (\w+)", str(meta.get("appendix") or ""))
            if ident:
                i = re.escape(ident.group(1))
                pat = re.compile(
                    rf"[^.\n]*\bdraft\b[^.\n]*\(?appendix {i}\)?[^.\n]*\.?|(?m:^[-\s]*Appendix {i}\b[^\n]*\bdraft\b[^\n]*$)",
                    re.IGNORECASE,
                )
                reports = [
                    r for r in self.records if r.kind == "document" and r.title == meta.get("report_title")
                ]
                for r in reports[-1:]:
                    m = pat.search(text, r.span.start, r.span.end)
                    if m:
                        fields["draft"] = [self.span(*m.span())]
        notes["draft"] = "yes" if fields.get("draft") else "no"
        date = str(meta.get("date") or "")
        if notes["type"] == "appendix" and not labels:
            notes["type"] = "appendix"
        self.add(
            "document",
            f"document:{where}:{group.start}",
            (group.start, group.end),
            committee=str(meta.get("committee") or "") if where != "strategy" else "",
            date=date,
            title=title,
            fields=fields,
            notes=notes | ({"report": str(meta["report_title"])} if meta.get("report_title") else {}),
        )


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]{4,}", text.lower())) - {"appendix", "herefordshire", "council", "report"}


def _lead_marks(text: str) -> int:
    return len(text) - len(text.lstrip("#* "))


def _doc_type(title: str, where: str) -> str:
    lowered = title.lower()
    for word in (
        "strategy",
        "action plan",
        "plan",
        "policy",
        "annual report",
        "statement of purpose",
        "guide",
        "needs analysis",
        "report",
    ):
        if word in lowered:
            return word
    return where


def _period(m: re.Match[str]) -> str:
    a, b = m.group(1), m.group(2)
    if len(b) == 2:
        b = a[:2] + b
    return f"{a}-{b}"


_ROLE_TEXT = (
    "young people quality assurance and prevention statutory scrutiny officer west mercia police "
    "herefordshire council children services service director manager support family families "
    "safeguarding education skills learning health care nhs icb department for of the trust"
)
_ROLE_WORDS = frozenset(re.findall(r"[a-z]+", _ROLE_TEXT))


def _is_role_text(line: str) -> bool:
    """'Young People', 'West Mercia Police': the rest of a role or organisation, not a person."""
    words = re.findall(r"[A-Za-z]+", line.lower())
    return bool(words) and all(w in _ROLE_WORDS for w in words)


def _two_councillors(text: str, role: str, a: int, b: int) -> list[tuple[str, int, int]]:
    """'Councillor Jim Kenyon Stuart Mitchell (Co-opted member)': a councillor's name (two
    words) run into the next person's; split after the councillor's name."""
    m = re.match(r"\s*Councillor ([A-Z][\w'’-]+ [A-Z][\w'’-]+) (?=[A-Z][a-z]+ [A-Z][a-z]+\b)", text[a:b])
    if m and "(" not in m.group(0) and role == "members_present":
        cut = a + m.end()
        return [(role, a, cut - 1), (role, cut, b)]
    return [(role, a, b)]


def _split_names(text: str, a: int, b: int) -> list[tuple[int, int]]:
    """Comma / 'and' / 'Councillor'-separated names in text[a:b], parentheses kept whole."""
    out: list[tuple[int, int]] = []
    depth = 0
    start = a
    i = a
    while i < b:
        ch = text[i]
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        if depth == 0:
            cut = 0
            if ch in ",;":
                cut = 1
            elif text.startswith(" and ", i):
                cut = 5
            elif text.startswith(" Councillor ", i) and text[start:i].strip() not in ("", "Councillors"):
                cut = 1
            elif ch == ")" and i + 1 < b and text[i + 1] == " " and text[i + 2 : i + 3].isupper():
                out.append((start, i + 1))  # 'Sam Pratley (online) Kate Joiner'
                start = i + 1
                i += 1
                continue
            if cut:
                if text[start:i].strip():
                    out.append((start, i))
                start = i + cut
                i += cut
                continue
        i += 1
    if text[start:b].strip(" .\t"):
        end = b
        while end > start and text[end - 1] in " .\t":
            end -= 1
        out.append((start, end))
    return [(x, y) for x, y in out if text[x:y].strip()]


def extract_records(doc: Document) -> tuple[list[Record], list[str]]:
    """The records of `doc` and what could not be read (one warning per problem)."""
    return _Extractor(doc).run()
