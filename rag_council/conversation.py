"""Conversations: follow-up questions rewritten to stand alone, and the answerers on offer.

`standalone_question` is rule based (no model): a follow-up such as "and what did they decide?"
borrows the previous question's actor ("scrutiny"), topic ("about SGOs") and date ("on 14 November
2023"), so retrieval sees everything it needs. An LLM rewriter can replace it later; the rules stay
as the offline default.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .settings import Settings

_MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|November|December|"
    "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
)
DATE = re.compile(
    rf"\b(?:(?:on|in|at|from|during|since|until|by)\s+)?"
    rf"(?:\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{_MONTHS})\s+\d{{4}}|(?:{_MONTHS})\s+\d{{4}}"
    rf"|\d{{4}}-\d{{2}}-\d{{2}}|\d{{4}}[-/]\d{{2,4}}|\d{{4}})\b",
    re.IGNORECASE,
)
_ACTOR = re.compile(
    r"^\s*(?:what|how|why|when|where|which|who)\b.*?\b(?:did|does|do|has|have|will|would|was|were|is)\s+"
    r"(?P<actor>(?:the\s+)?[\w'-]+(?:\s+(?:[A-Z][\w'-]*|committee|scrutiny|council|cabinet|board))*)\s+"
    r"(?:say|said|discuss|decide|resolve|agree|answer|recommend|note|ask|approve|consider|report|propose|do)",
    re.IGNORECASE,
)
_TOPIC = re.compile(r"\b(?:about|regarding|concerning|on the subject of|for)\s+(?P<topic>.+)$", re.IGNORECASE)
_LEAD = re.compile(r"^\s*(?:and|so|also|then|ok(?:ay)?|but|plus)\b[\s,]*", re.IGNORECASE)
_WHAT_ABOUT = re.compile(r"^\s*(?:and\s+)?(?:what|how)\s+about\s+(?P<x>.+?)\s*\??$", re.IGNORECASE)
_ACTOR_PRONOUN = re.compile(r"\b(they|them|the committee|he|she)\b", re.IGNORECASE)
_TOPIC_PRONOUN = re.compile(
    r"\b(it|this|that|these|those|this issue|that issue)\b(?!\s+\w+\s+(?:is|was))", re.I
)
_FOLLOW_UP_WORDS = re.compile(
    r"\b(they|them|their|it|its|this|that|these|those|he|she|there|the same|also|else|then)\b", re.IGNORECASE
)


@dataclass
class Context:
    actor: str = ""
    topic: str = ""
    date: str = ""


def context_of(question: str) -> Context:
    """The actor, topic and date a question is about (each may be empty)."""
    q = question.strip().rstrip("?. ")
    dates = list(DATE.finditer(q))
    date_match = dates[-1] if dates else None  # the last date mentioned
    date = date_match.group(0).strip() if date_match else ""
    without_date = (q[: date_match.start()] + q[date_match.end() :]).strip() if date_match else q
    actor_match = _ACTOR.match(without_date)
    actor = actor_match.group("actor").strip() if actor_match else ""
    topic_match = _TOPIC.search(without_date)
    topic = topic_match.group("topic").strip(" ,") if topic_match else ""
    if date and not re.match(r"(?i)(on|in|at|from|during|since|until|by)\s", date):
        date = ("on " if re.match(r"\d{1,2}\s", date) else "in ") + date
    return Context(actor, topic, date)


def is_follow_up(question: str) -> bool:
    """A question that leans on the one before: it opens with "and"/"what about", or it is short
    and refers back with a pronoun."""
    q = question.strip()
    if _LEAD.match(q) or _WHAT_ABOUT.match(q):
        return True
    words = re.findall(r"[\w'-]+", q)
    return bool(_FOLLOW_UP_WORDS.search(q)) and len(words) <= 10


def standalone_question(history: Sequence[str], question: str) -> str:
    """The question rewritten to stand alone, given the earlier (standalone) questions of the
    conversation, oldest first. A question that already stands alone is returned unchanged."""
    question = " ".join(question.split())
    previous = next((h for h in reversed(history) if h and h.strip()), "")
    if not previous or not question or not is_follow_up(question):
        return question
    ctx = context_of(previous)
    what_about = _WHAT_ABOUT.match(question)
    if what_about:
        # "what about Cabinet?" -> the previous question, with the new subject added.
        return f"{previous.strip().rstrip('?. ')}, {what_about.group('x').strip()}?"
    q = _LEAD.sub("", question).strip()
    q = q[:1].upper() + q[1:]
    body = q.rstrip("?. ")
    if ctx.actor:
        body = _ACTOR_PRONOUN.sub(ctx.actor, body, count=1)
    own = context_of(body)
    if ctx.topic and (not own.topic or _TOPIC_PRONOUN.fullmatch(own.topic)):
        if _TOPIC_PRONOUN.search(body):
            body = _TOPIC_PRONOUN.sub(ctx.topic, body, count=1)
        else:
            body += f" about {ctx.topic}"
    if ctx.date and not own.date:
        body += f" {ctx.date}"
    if not (ctx.actor or ctx.topic) or body == q.rstrip("?. "):
        # no subject found to carry over: keep the whole previous question in view
        body += f" ({previous.strip().rstrip('?. ')})"
    return body + "?"


# --- answerers ---------------------------------------------------------------------------------


def available_answerers(settings: Settings | None = None) -> list[str]:
    """The answer generators this installation can use, the configured default first: always
    "extractive"; "local" when llama.cpp and its model are installed; "openai" when a server is
    configured (see rag_council.answering.available_generators). Never one that cannot answer."""
    if settings is None:
        return ["extractive"]
    from .answering import available_generators

    return available_generators(settings)
