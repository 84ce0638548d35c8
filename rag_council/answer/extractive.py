"""The offline default answerer: no LLM. It picks the sentences of the retrieved passages that
answer the question, in the passages' own words, each followed by its passage's marker.

A sentence's relevance mixes its embedding similarity to the question, how many of the
question's content words it contains, and how well its passage was retrieved. Below
`min_sentence_score` nothing is said."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass

from rag_council.answer.base import NO_ANSWER, GenerationResult, Generator
from rag_council.answer.decide import anchors_decline, counted_phrase, counts, missing_anchors
from rag_council.embedding import Embedder
from rag_council.ingest.injection import flagged  # instructions in documents are never answers
from rag_council.settings import AnswerSettings
from rag_council.text import (
    MONTHS,
    STOPWORDS,
    content_terms,
    sentence_spans,
    squash,
    stem,
    words,
)
from rag_council.types import Hit

__all__ = ["ExtractiveGenerator", "Weights", "anchors_decline", "asked_kinds", "missing_anchors"]

# Weight of the question's words a sentence adds to those already said (see select; chosen by
# cross-validation with the other weights, evals/extractive_cv.md).
NOVELTY = 0.2

_BULLET = re.compile(r"^\s*(?:[-•*·o▪]|\d{1,2}[.)])\s+")


_VERB = re.compile(
    r"\b(?:is|are|was|were|be|been|being|has|have|had|do|does|did|will|would|shall|should|can|"
    r"could|may|might|must|\w+(?:ed|es|ing))\b|\b\w{3,}s\b",
    re.I,
)
_DANGLING_END = re.compile(
    r"(?:[:;,\-–—]|\b(?:and|or|the|of|to|for|with|by|a|an|in|on|that|which))\s*$", re.I
)


_CAPS_PREFIX = re.compile(
    r"^\s*(?:\d{1,3}[.)]?\s+)?(?:[A-Z0-9][A-Z0-9'’&/,()-]*\s+){1,12}?(?=[A-Z][a-z])"
    r"|^\s*#+\s*[^\n]*\n\s*"
)


# A report's paragraph number before its sentence ("16 The draft strategy was circulated ...",
# "2.1 As part of ..."): a dotted number before a capital, or a bare one before a word that
# starts sentences (not "2 Special Guardianship Orders were granted", which is a count).
_PARA_NUMBER = re.compile(
    r"^\s*(?:[-–•*]\s+)?(?:\d{1,2}(?:\.\d{1,2}){1,3}\.?\s+(?=[A-Z])"
    r"|\d{1,3}\.?\s+(?=(?:The|This|That|These|Those|A|An|As|At|In|On|For|From|It|Its|We|Our|There|"
    r"Where|When|If|Following|During|Since|Of|To|With|By|All|Each|Every|Any|Some|Further|However|"
    r"Currently|Overall|Once|Although|While|Whilst|Work|Both|Children|Families)\b))"
)


def _heading_prefix(text: str) -> int:
    """Length of a heading in capitals ("CO-OPTED MEMBER RECRUITMENT UPDATE ") that starts a
    unit before its first sentence, else 0."""
    m = _CAPS_PREFIX.match(text)
    if not m:
        return 0
    letters = [c for c in m.group(0) if c.isalpha()]
    if len(letters) < 6 or not all(c.isupper() for c in letters if not m.group(0).lstrip().startswith("#")):
        return 0
    rest = text[m.end() :]
    return m.end() if len(words(rest)) >= 4 else 0


def not_a_sentence(text: str) -> str | None:
    """Why `text` cannot stand as an answer sentence (a heading, a table fragment, a dangling
    clause), else None."""
    t = squash(text)
    ws = words(t)
    if "\t" in text or t.count("|") >= 2:
        return "table fragment"
    letters = sum(c.isalpha() for c in t)
    if letters < 0.5 * max(1, len(t.replace(" ", ""))):
        return "table fragment"
    if re.match(r"^[A-Z][\w '’/-]{2,40}:\s*\S.*\d", re.sub(r"\*\*|__", "", t)) and len(ws) <= 12:
        return None  # a record's field and its value: "Review Date: September 2024"
    if _DANGLING_END.search(t.rstrip(".")) and not t.endswith("."):
        return "dangling clause"
    if t[:1].islower() and not re.match(r"^[a-z]\)|^[ivx]+\)", t):
        return "dangling clause"  # starts mid-sentence (a chunk edge)
    if not re.search(r"[.!?)\]”\"']\s*$", t):
        capitalised = sum(w[:1].isupper() for w in t.split() if w[:1].isalpha())
        alpha = sum(1 for w in t.split() if w[:1].isalpha())
        if len(ws) <= 12 and (capitalised >= 0.6 * max(1, alpha) or not _VERB.search(t)):
            return "heading"
    if len(ws) <= 8 and not _VERB.search(t):
        return "heading"
    return None


@dataclass(frozen=True)
class Weights:
    """How a sentence's relevance is made up (tuned by cross-validation over questions:
    evals/tune_extractive.py, evals/extractive_cv.md)."""

    cosine: float = 0.55  # embedding similarity to the question
    coverage: float = 0.30  # share of the question's content words it holds (rarer words count more)
    prior: float = 0.30  # how well its passage was retrieved (score / best score)
    kind: float = 0.15  # it holds the kind of thing asked for (a figure, a date, a person)
    novelty: float | None = None  # question words it adds to those already said (None: NOVELTY)
    idf: bool = False  # weigh the question's words by how rare they are among the passages' sentences


DEFAULT_WEIGHTS = Weights()

# Whether a sentence answers at all is decided with its passage's rank counted at this weight, the
# one `min_sentence_score` was set with: the prior is relative (the best passage always gets 1.0,
# however far off the question it is), so a larger ranking weight must not lower the bar. Without
# this, "What is the council's policy on dragons in the library?" was answered with quotes.
ADMIT_PRIOR = 0.15

# What a question asks for, wherever it is in the question (a question may ask for two things:
# "how many ..., and when ..."), and the test a sentence must pass to give it.
_ASKS_FIGURE = re.compile(
    r"\bhow\s+(?:many|much|fast|far|long|often|busy|big|large|quickly)\b|\bwhat\s+(?:proportion|percentage|"
    r"share|number|rate|figures?|level)\b|\bnumbers?\s+of\b|\bfigures?\b|\bcompared\s+with\b|\bgrowth\b|"
    r"\b(?:rise|risen|rose|grown|increase[ds]?|fell|fallen|reduced)\b|\bbudget\b|\bcosts?\b|\bspen[dt]\b|"
    r"\bmoney\b|\bfunding\b|\bgrant\b|\btimescales?\b",
    re.I,
)
_ASKS_DATE = re.compile(
    r"\bwhen\b|\bwhat\s+date\b|\b(?:due|deadline|until|timetable|review(?:ed)?\s+date|still\s+current)\b"
    r"|\bin\s+(?:what|which)\s+(?:year|month)\b",
    re.I,
)
_ASKS_PERSON = re.compile(
    r"\bwho\b|\bwhich\s+(?:councillors?|officers?|members?|person|people|cabinet\s+member)\b|\bnames?\s+of\b"
    r"|\bcontact\s+officer\b|\bchair(?:s|ed|ing)?\b",
    re.I,
)
_FIGURE = re.compile(
    r"£\s?\d|\d\s?%|\bper\s?cent\b|(?<![\w/])(?!(?:19|20)\d\d\b)\d[\d,.]*(?![\w/])"
    r"|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|"
    r"sixty|seventy|eighty|ninety|hundred|thousand|half|quarter|third|dozen)\b",
    re.I,
)
_DATE = re.compile(r"\b(?:19|20)\d\d\b|\b(?:" + "|".join(MONTHS) + r")\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b", re.I)
_HONORIFIC_NAME = re.compile(  # a person named: "Councillor Toni Fagan", "Ewen Archibald, Strategic ... Manager"
    r"\b(?:Councillor|Cllr\.?|Mr|Mrs|Ms|Miss|Dr|Professor)\.?\s+[A-Z][a-z'’-]+"
    r"|\b[A-Z][a-z'’-]{2,}\s+(?:[A-Z]\.\s+)?(?!(?:Committee|Board|Council|Panel|Group|Team|Services?|Strategy|"
    r"Plan|People|Partnership|Care|Education|Authority)\b)[A-Z][a-z'’-]{2,}\s*[,(]\s*(?:[\w&'’-]+\s+){0,5}?"
    r"(?:[Cc]hair\w*|Director|Manager|Officer|Head|Leader|Member|Commissioner|Adviser|Advisor|Lead)\b"
    r"|\b[A-Z][a-z'’-]{2,}\s+[A-Z][a-z'’-]{2,}\s+(?:has\s+(?:acted|been|served)\s+as|as\s+(?:the\s+)?"
    r"(?:Independent\s+)?(?:Chair|Vice|Director|Head))"
    r"|\b(?:[Cc]hair|Director|Manager|Officer|Commissioner),?\s+[A-Z][a-z'’-]+\s+[A-Z][a-z'’-]{2,}"
)


def asked_kinds(question: str) -> list[re.Pattern[str]]:
    """The tests of what the question asks for: a figure, a date, a person (any of them)."""
    kinds = []
    if _ASKS_FIGURE.search(question):
        kinds.append(_FIGURE)
    if _ASKS_DATE.search(question):
        kinds.append(_DATE)
    if _ASKS_PERSON.search(question):
        kinds.append(_HONORIFIC_NAME)
    return kinds


def counted(question: str) -> set[str]:
    """Stems of what a question counts: 'How many carers helped write ...' -> {'carer', 'help',
    'write'} (the words after 'how many' / 'number of' up to the first little word)."""
    m = re.search(r"\b(?:how\s+many|number\s+of)\s+((?:[\w'’-]+\s*){1,4})", question, re.I)
    if not m:
        return set()
    out: set[str] = set()
    for w in words(m.group(1)):
        if w in STOPWORDS:
            break
        out.add(stem(w))
    return out


def _gives(kind: re.Pattern[str], text: str, subject: set[str], count: set[str], reach: int = 60) -> bool:
    """Does `text` give the kind of thing asked for about the question's subject: a figure, date
    or name with what the question counts, or two of its words (one, for a question of two or
    fewer), within `reach` characters of it? '36 complaints between April 2015' gives a number
    of complaints; a sentence on the 20 week timescale gives no number of appeals."""
    need = 1 if len(subject) <= 2 else 2
    for m in kind.finditer(text):
        near = {stem(x) for x in words(text[max(0, m.start() - reach) : m.end() + reach])}
        if (count and count & near) or len(subject & near) >= need:
            return True
    return False


def _heading_line(text: str) -> int:
    """Length of a heading line ("Cladding on public buildings\n") that starts a unit before a
    sentence on the next line, else 0."""
    first, sep, rest = text.partition("\n")
    if not sep or len(words(rest)) < 4:
        return 0
    head = squash(first)
    if re.search(r"[.!?:;,]\s*$", head) or len(words(head)) > 10:
        return 0
    return len(first) + len(sep) + (len(rest) - len(rest.lstrip()))


class ExtractiveGenerator(Generator):
    name = "extractive"
    description = "the passages' own sentences, no LLM (the offline default)"
    incremental = False  # the whole answer at once
    quotes = True

    def __init__(self, embedder: Embedder, settings: AnswerSettings, weights: Weights | None = None) -> None:
        self.embedder = embedder
        self.settings = settings
        self.weights = weights or DEFAULT_WEIGHTS

    def units(self, passages: list[Hit]) -> list[tuple[int, int, int]]:
        """(passage number, start, end) of the sentences that may be said: no heading, table
        fragment, dangling clause, or instruction planted in a document."""
        units: list[tuple[int, int, int]] = []
        for number, hit in enumerate(passages, start=1):
            for a, b in sentence_spans(hit.chunk.text):
                a += _heading_prefix(hit.chunk.text[a:b])
                a += _heading_line(hit.chunk.text[a:b])
                if m := _PARA_NUMBER.match(hit.chunk.text[a:b]):
                    a += m.end()
                text = hit.chunk.text[a:b]
                if (
                    len(words(text)) >= 4
                    and not_a_sentence(_BULLET.sub("", text, count=1)) is None
                    and not flagged(hit.chunk, a, b)
                ):
                    units.append((number, a, b))
        return units

    def select(self, question: str, passages: list[Hit]) -> list[tuple[int, int, int, float]]:
        """(passage number, start, end, score) of the chosen sentences, in answer order.

        Greedy: each step takes the sentence whose relevance, plus what it adds (question words
        and asked-for kinds the chosen sentences have not said yet), is highest."""
        w = self.weights
        novelty = NOVELTY if w.novelty is None else w.novelty
        units = self.units(passages)
        if not units:
            return []
        texts = [squash(passages[n - 1].chunk.text[a:b]) for n, a, b in units]
        q_vec = self.embedder.embed_query(question)
        vecs = self.embedder.embed(texts)
        cos = vecs @ q_vec
        terms = content_terms(question)
        bags = [{stem(x) for x in words(t)} for t in texts]
        if w.idf and terms:
            df = {t: sum(t in bag for bag in bags) for t in terms}
            weight = {t: math.log((len(bags) + 1) / (df[t] + 0.5)) for t in terms}
        else:
            weight = {t: 1.0 for t in terms}
        total = sum(weight.values()) or 1.0
        kinds = asked_kinds(question)
        subject = {t for t in terms if not t[:1].isdigit()}
        count = counted(question)
        # "how many X": a number of X itself, as the decision reads it (decide.counts), not a
        # number near the words of X ("the six priorities" of a carers strategy are no carers)
        phrase = counted_phrase(question)

        def gives(kind: re.Pattern[str], text: str) -> bool:
            if kind is _FIGURE and phrase:
                return counts(text, phrase)
            return _gives(kind, text, subject, count if kind is _FIGURE else set())

        holds = [[gives(k, t) for k in kinds] for t in texts]
        best_hit = max(h.score for h in passages) or 1.0
        scored: list[tuple[float, int, int, int, int, float]] = []
        asks_about_questions = re.search(
            r"\b(ask|asked|asking|question|questions|enquir\w*|quer\w*)\b", question, re.I
        )
        for i, (number, a, b) in enumerate(units):
            coverage = sum(weight[t] for t in terms if t in bags[i]) / total if terms else 0.0
            prior = passages[number - 1].score / best_hit
            kind = sum(holds[i]) / len(kinds) if kinds else 0.0
            score = w.cosine * float(cos[i]) + w.coverage * coverage + w.prior * prior + w.kind * kind
            if texts[i].rstrip("\"'”’)").endswith("?") and not asks_about_questions:
                continue  # a question in the records (a public question, say) answers nothing
            admit = score - (w.prior - ADMIT_PRIOR) * prior
            scored.append((score, number, a, b, i, admit))
        scored.sort(key=lambda s: -s[0])
        chosen: list[tuple[int, int, int, float]] = []
        seen: list[set[str]] = []
        budget = getattr(self.settings, "max_answer_words", 80)
        used = 0
        said: set[str] = set()
        given = [False] * len(kinds)
        pool = scored[:60]
        while pool and len(chosen) < self.settings.max_sentences:
            # what the chosen sentences have not said yet counts for more (the question's subject,
            # constraints and the thing asked, together rather than the same words again)
            if chosen and (novelty or w.kind):
                gains = []
                for c in pool:
                    i = c[4]
                    # a year or number of the question said again about something else adds nothing
                    new_terms = sum(weight[t] for t in subject if t in bags[i] and t not in said) / total
                    new_kinds = (
                        sum(h and not g for h, g in zip(holds[i], given, strict=True)) / len(kinds)
                        if kinds
                        else 0.0
                    )
                    gains.append(
                        c[0]
                        + novelty * new_terms
                        + w.kind * (new_kinds - sum(holds[i]) / max(1, len(kinds))) * 0.5
                    )
            else:
                gains = [c[0] for c in pool]
            best = pool[max(range(len(pool)), key=gains.__getitem__)]
            pool.remove(best)
            score, number, a, b, i, admit = best
            if admit < self.settings.min_sentence_score:
                if chosen:
                    continue
                break
            length = len(words(passages[number - 1].chunk.text[a:b]))
            if chosen and used + length > budget:
                continue  # over the length budget: a shorter sentence may still fit
            bag = set(words(passages[number - 1].chunk.text[a:b]))
            if any(len(bag & other) / max(1, len(bag | other)) > 0.8 for other in seen):
                continue  # the same sentence again (chunk overlap, duplicated documents)
            if chosen and score < chosen[0][3] - 0.2:
                continue  # much weaker than the best: leave it out
            seen.append(bag)
            chosen.append((number, a, b, score))
            said |= bags[i]
            given = [g or h for g, h in zip(given, holds[i], strict=True)]
            used += length
        order = {n: i for i, n in enumerate(dict.fromkeys(n for n, *_ in chosen))}
        chosen.sort(key=lambda c: (order[c[0]], c[1]))
        return chosen

    def missing_anchors(self, question: str, passages: list[Hit]) -> list[str]:
        return missing_anchors(question, passages)

    def answer_text(self, question: str, passages: list[Hit]) -> str:
        """The answer (or a NO_ANSWER reply), all at once."""
        # Relevant-looking text about another year, quarter or person is no answer. (Checking
        # only the passages an answer would cite declined 13 of 138 answerable gold questions
        # to catch 4 of 28 unanswerable ones; checking all retrieved passages: 5 and 3.)
        declined = anchors_decline(question, passages)
        if declined:
            return declined
        chosen = self.select(question, passages)
        if not chosen:
            return NO_ANSWER
        lines: list[str] = []
        current = -1
        for number, a, b, _ in chosen:
            text = passages[number - 1].chunk.text[a:b]
            text = _BULLET.sub("", text, count=1)  # a list item's bullet is not part of the claim
            if number != current and lines:
                lines.append("")  # a new passage starts a new paragraph
            lines.append(f"{squash(text)} [{number}]")
            current = number
        return "\n".join(lines)

    def write(self, question: str, passages: list[Hit], result: GenerationResult) -> Iterator[str]:
        text = self.answer_text(question, passages)
        if text.startswith(NO_ANSWER):
            result.outcome = "declined"
            result.reason = text[len(NO_ANSWER) :].strip(" :")
        yield text
