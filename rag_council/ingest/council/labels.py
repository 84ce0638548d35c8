"""Labels: the human-readable place of a section in the council's records."""

from __future__ import annotations

from rag_council.types import DocType, Meta, format_date


def make_label(meta: Meta, heading: str, doc_title: str) -> str:
    """The human-readable place of a section, e.g. 'Children and Young People Scrutiny
    Committee, 14 November 2023, minute 168, Co-opted member recruitment update'."""
    committee = str(meta.get("committee") or "")
    date = format_date(str(meta["date"])) if meta.get("date") else ""
    kind = meta.get("doc_type")
    head = ", ".join(x for x in (committee, date) if x)
    if kind == DocType.MINUTES and "item_no" in meta:
        parts = [head, f"minute {meta['item_no']}", str(meta.get("item_title", ""))]
        if meta.get("decision") and heading in ("Resolved", "Recommendation", "Actions"):
            parts.append(heading)
        return ", ".join(p for p in parts if p)
    if kind == DocType.MINUTES:
        return ", ".join(p for p in (head, "minutes", heading) if p)
    if kind == DocType.PUBLIC_QUESTIONS:
        who = meta.get("questioner")
        if who:
            sup = "supplementary question" if meta.get("supplementary") else "public question"
            return ", ".join(p for p in (head, f"{sup} from {who}") if p)
        return ", ".join(p for p in (head, "public questions") if p)
    if kind == DocType.OFFICER_REPORT:
        return ", ".join(p for p in (head, f"report: {meta.get('report_title', '')}", heading) if p)
    if kind == DocType.APPENDIX:
        parts = [head, str(meta.get("report_title") or ""), str(meta.get("appendix") or "")]
        if meta.get("sub_appendix"):
            parts.append(str(meta["sub_appendix"]))
        if heading not in parts:
            parts.append(heading)
        return ", ".join(p for p in parts if p)
    if kind == DocType.STRATEGY:
        parts = [doc_title, heading] if heading != doc_title else [doc_title]
        return ", ".join(p for p in parts if p)
    if kind == DocType.WORK_PROGRAMME:
        return ", ".join(p for p in (head, "work programme") if p)
    if kind == DocType.AGENDA:
        return ", ".join(p for p in (head, "agenda") if p)
    return ", ".join(p for p in (head or doc_title, heading) if p)
