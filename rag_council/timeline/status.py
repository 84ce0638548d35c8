"""Document status over time: for each strategy, policy, plan or framework in the records, its
version, period, date (the meeting it went to), whether it was a draft, its review date, and
which other versions of the same document come before or after it.

Versions are grouped into a *series* by their title with the period, "draft", "appendix X"
and the council's name taken out ("Corporate parenting strategy 2017-2020" and the "Corporate
Parenting Strategy 2022 - 2024" draft are one series); a series is ordered by period, then
date. Two records of one version (the same title, version and review date in two files) are
one status, listing both files.

    statuses = document_statuses(records)       # records: RecordStore.list(...)
    for s in statuses: print(s.describe())
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rag_council.text.dates import month_start
from rag_council.types import Record, format_date

# Document types (records' notes["type"]) whose status is followed over time.
STATUS_TYPES = ("strategy", "policy", "plan", "action plan", "framework", "guidance")
_TITLE_WORDS = re.compile(r"\b(strateg(?:y|ies)|polic(?:y|ies)|plan|framework|guidance)\b", re.I)
_NOISE = re.compile(
    r"^appendix\s+\w+\s*[:.-]?\s*|\b(?:draft|final|joint|herefordshire(?:'s)?|for|a|the|of|and|version\s*\d+)\b"
    r"|\b(?:19|20)\d\d\s*(?:[-–/]|to)?\s*(?:(?:19|20)?\d\d)?\b|[^a-z ]",
    re.I,
)


def series_key(title: str) -> str:
    """'Appendix 1: Draft joint carers strategy for Herefordshire 2017 – 2021' -> 'carers strategy'."""
    return " ".join(_NOISE.sub(" ", title.lower()).split())


@dataclass
class DocumentStatus:
    """One version of a strategy/policy/plan, as the records show it."""

    series: str  # the title without period, draft, appendix: the key that groups versions
    title: str  # as the document names itself (its title line), else the record's title
    type: str
    record: Record  # the document record (the first file holding this version)
    copies: list[Record] = field(default_factory=list)  # other records of the same version
    version: str = ""
    period: str = ""  # e.g. "2017-2020"
    date: str = ""  # ISO date of the meeting it went to ("" when the file is undated)
    committee: str = ""
    draft: bool = False
    agreed_by: str = ""
    review_date: str = ""  # as written, e.g. "September 2024"
    review_iso: str = ""  # its first day, e.g. "2024-09-01"
    report: str = ""  # the officer report it was attached to
    recommended: str = ""  # the report's recommendation, when it went with one
    earlier: list[DocumentStatus] = field(default_factory=list)  # it supersedes these
    later: list[DocumentStatus] = field(default_factory=list)  # these supersede it

    @property
    def sort_key(self) -> tuple[str, str, str]:
        start = self.period[:4] if self.period else (self.date[:4] or "9999")
        return (start, self.date or "9999", self.version)

    @property
    def documents(self) -> list[str]:
        return [self.record.document] + [
            c.document for c in self.copies if c.document != self.record.document
        ]

    def name(self) -> str:
        """'Corporate Parenting Strategy 2022 - 2024 (draft, 12 March 2024)'."""
        bits = []
        if self.draft:
            bits.append("draft")
        if self.version:
            bits.append(f"version {self.version}")
        if self.date:
            bits.append(format_date(self.date))
        title = self.title
        if self.period and self.period[:4] not in title:
            title += f" {self.period}"
        return title + (f" ({', '.join(bits)})" if bits else "")

    def describe(self) -> str:
        """One line: 'version 1; period 2017-2020; went to Cabinet on 20 July 2017 ...'."""
        parts = []
        if self.version:
            parts.append(f"version {self.version}")
        if self.period:
            parts.append(f"period {self.period}")
        if self.date:
            where = f"{self.committee}, " if self.committee else ""
            what = "a draft, " if self.draft else ""
            parts.append(f"{what}in the papers of {where}{format_date(self.date)}")
        elif self.draft:
            parts.append("a draft")
        if self.recommended:
            parts.append("the report recommended its approval (a recommendation, not the decision)")
        if self.agreed_by:
            parts.append(f"agreed by {self.agreed_by}")
        if self.review_date:
            parts.append(f"review date {self.review_date}")
        if self.earlier:
            parts.append("supersedes " + "; ".join(e.name() for e in self.earlier))
        if self.later:
            parts.append("superseded by " + "; ".join(e.name() for e in self.later))
        elif self.review_date:
            parts.append("no later version in the index")
        return "; ".join(parts)

    def to_json(self) -> dict[str, object]:
        return {
            "series": self.series,
            "title": self.title,
            "type": self.type,
            "documents": self.documents,
            "record": self.record.record_id,
            "version": self.version,
            "period": self.period,
            "date": self.date,
            "committee": self.committee,
            "draft": self.draft,
            "agreed_by": self.agreed_by,
            "review_date": self.review_date,
            "report": self.report,
            "supersedes": [e.name() for e in self.earlier],
            "superseded_by": [e.name() for e in self.later],
        }


def _followed(record: Record) -> bool:
    kind = record.notes.get("type", "")
    if kind in STATUS_TYPES:
        return True
    return kind in ("appendix", "report") and bool(_TITLE_WORDS.search(record.value("title") or record.title))


def _title(record: Record) -> str:
    """The fuller of the document's own title line and the record's title."""
    own = " ".join(record.value("title").split())
    listed = re.sub(r"^Appendix\s+\w+\s*:\s*", "", record.title).strip()
    if (
        own
        and series_key(listed).endswith(series_key(own))
        and len(series_key(listed)) > len(series_key(own))
    ):
        return listed[:1].upper() + listed[1:]  # 'Parenting Strategy' under 'Corporate parenting strategy'
    return own or listed


def _recommends(text: str, title: str) -> bool:
    """Whether a report's recommendation asks for this appendix to be approved: it names the
    appendix ('the strategy at appendix A are approved'), or names none and the report has one."""
    if not re.search(r"\b(?:approv|adopt|agree|endorse)", text, re.I):
        return False
    named = re.findall(r"\bappendix\s+(\w+)", text, re.I)
    own = re.match(r"Appendix\s+(\w+)", title, re.I)
    if not named or own is None:
        return True
    return own.group(1).lower() in {n.lower() for n in named}


def document_statuses(records: list[Record]) -> list[DocumentStatus]:
    """The status of every followed document in `records`, each series in version order."""
    recs = [r for r in records if r.kind == "document" and _followed(r) and r.notes.get("type") != "report"]
    recommendations = {(r.doc_id, r.title): r for r in records if r.kind == "recommendation"}
    out: list[DocumentStatus] = []
    for r in recs:
        title = _title(r)
        status = DocumentStatus(
            series=series_key(title) or series_key(r.title),
            title=title,
            type=r.notes.get("type", ""),
            record=r,
            version=re.sub(r"^version\s*", "", r.value("version"), flags=re.I),
            period=r.notes.get("period", ""),
            date=r.date,
            committee=r.committee,
            draft=r.notes.get("draft") == "yes",
            agreed_by=r.value("agreed_by"),
            review_date=r.value("review_date"),
            review_iso=month_start(r.value("review_date")),
            report=r.notes.get("report", ""),
        )
        rec = recommendations.get((r.doc_id, status.report))
        if rec is not None and _recommends(rec.value("text"), r.title):
            status.recommended = rec.value("text")
        same = next(
            (
                s
                for s in out
                if s.series == status.series
                and s.version == status.version
                and s.period == status.period
                and s.review_date == status.review_date
                and s.draft == status.draft
                and (s.record.doc_id != r.doc_id)
            ),
            None,
        )
        if same is not None:
            if status.date and not same.date:  # keep the dated copy first
                status.copies = [same.record, *same.copies]
                out[out.index(same)] = status
            else:
                same.copies.append(r)
            continue
        out.append(status)
    by_series: dict[str, list[DocumentStatus]] = {}
    for s in out:
        by_series.setdefault(s.series, []).append(s)
    for versions in by_series.values():
        versions.sort(key=lambda s: s.sort_key)
        for i, s in enumerate(versions):
            s.earlier = versions[:i]
            s.later = versions[i + 1 :]
    return sorted(out, key=lambda s: (s.series, s.sort_key))


def statuses_named(statuses: list[DocumentStatus], text: str) -> list[DocumentStatus]:
    """The statuses whose series every word of is in `text` ('the corporate parenting strategy')."""
    lowered = " ".join(re.sub(r"[^a-z ]", " ", text.lower()).split())
    found = []
    for s in statuses:
        key = s.series
        if key and len(key.split()) >= 2 and re.search(rf"\b{re.escape(key)}\b", lowered):
            found.append(s)
    # 'corporate parenting strategy needs analysis' also holds 'corporate parenting strategy':
    # keep the longest series named.
    longest = max((len(s.series) for s in found), default=0)
    named = {s.series for s in found}
    return [s for s in found if not any(o != s.series and s.series in o and o in named for o in named)] or [
        s for s in found if len(s.series) == longest
    ]
