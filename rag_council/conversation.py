"""Conversations: follow-up questions rewritten to stand alone, and the answerers on offer.

`standalone_question` is rule based (no model): a follow-up such as "and what did they decide?"
borrows the previous question's actor ("scrutiny"), topic ("about SGOs") and date ("on 14 November
2023"), so retrieval sees everything it needs. `rewrite_follow_up` asks an LLM instead when one is
configured (any generator with a `complete(prompt)` method: local or openai), checks that what it
wrote is a question about the same things, and falls back to the rules otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rag_council.text.dates import DATE_PHRASE
from rag_council.text.tokens import content_terms, loose_words, stem

if TYPE_CHECKING:
    from rag_council.settings import Settings

DATE = DATE_PHRASE  # the date a follow-up borrows (see rag_council.text.dates)
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
    words = loose_words(q)
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


REWRITE_PROMPT = """Rewrite the follow-up as one standalone question about council records. \
Keep every name, date, committee and topic it needs from the earlier questions. \
Do not answer it. Reply with the question only.

Earlier questions:
{history}

Follow-up: {question}
Standalone question:"""


def _plausible_rewrite(text: str, history: Sequence[str], question: str) -> str | None:
    """The LLM's rewrite when it looks like a standalone question about the same things."""
    line = next((ln.strip() for ln in text.strip().splitlines() if ln.strip()), "")
    line = re.sub(r"^(?:standalone question|question)\s*:\s*", "", line, flags=re.IGNORECASE).strip(" \"'“”")
    if not line or len(line) > 3 * (len(question) + len(history[-1] if history else "")) + 40:
        return None
    if re.search(r"\[\d+\]|documents (?:do|does) not", line, re.IGNORECASE):
        return None  # an answer, not a question
    known = set(content_terms(" ".join([*history[-3:], question])))
    own = set(content_terms(line))
    if not own or len(own - known - _REWRITE_FREE) > 1 or not own & known:
        return None  # it brought in things no question mentioned
    return line if line.endswith("?") else line + "?"


# Words a rewrite may add that were in no question (question words and glue).
_REWRITE_FREE = frozenset(
    stem(w)
    for w in (
        "decide",
        "decided",
        "decision",
        "say",
        "said",
        "council",
        "committee",
        "meeting",
        "agreed",
        "happen",
    )
)


def rewrite_follow_up(
    history: Sequence[str], question: str, complete: Callable[[str], str] | None = None
) -> str:
    """The question made standalone: by the LLM behind `complete` when given (and when its
    rewrite passes the checks), else by the rules of `standalone_question`."""
    question = " ".join(question.split())
    earlier = [h for h in history if h and h.strip()]
    if complete is None or not earlier or not question or not is_follow_up(question):
        return standalone_question(history, question)
    prompt = REWRITE_PROMPT.format(history="\n".join(f"- {h}" for h in earlier[-3:]), question=question)
    try:
        rewritten = _plausible_rewrite(complete(prompt), earlier, question)
    except Exception:  # a model that fails must not stop the conversation: the rules answer
        rewritten = None
    return rewritten or standalone_question(history, question)


# --- answerers ---------------------------------------------------------------------------------


def available_answerers(settings: Settings | None = None) -> list[str]:
    """The answer generators this installation can use, the configured default first: always
    "extractive"; "local" when llama.cpp and its model are installed; "openai" when a server is
    configured (see rag_council.answer.available_generators). Never one that cannot answer."""
    if settings is None:
        return ["extractive"]
    from rag_council.answer import available_generators

    return available_generators(settings)
