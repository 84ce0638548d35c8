"""Time-aware reading of the council's records (issue 13): topic timelines, document status
over time, the status of minutes, "as at" questions and relative time in the records."""

from rag_council.timeline.entries import (
    KINDS,
    TimelineCitation,
    TimelineEntry,
    format_timeline,
    group_by_meeting,
    timeline,
)
from rag_council.timeline.status import DocumentStatus, document_statuses

__all__ = [
    "KINDS",
    "DocumentStatus",
    "TimelineCitation",
    "TimelineEntry",
    "document_statuses",
    "format_timeline",
    "group_by_meeting",
    "timeline",
]
