"""Decide to answer: its own step, after the draft answer is written and checked.

An answer is given only when the cited text gives the kind of thing the question asks for (an
organisation, a person, a number, an amount, a date, an ordinal such as "seventh", a list of
votes, a name) about the thing asked (the year, meeting, body or document the question names).
Near misses are most of what the answerers used to get wrong: a passage about the right topic
with another year's figures, a sentence about the board that names no chair.

Three tests, in order; the first that fails declines, with a reason the engine shows:

1. anchors: the specific things the question names (a year, a quarter, a number, a proper name,
   an ordinal with its noun: "seventh ... visit") must be in the retrieved passages;
2. kind: what the question's opening asks for must be in the answer (rag_council.answer.kind
   for amounts, numbers, percentages and dates; here for organisations, people, names, votes);
3. score: how much of what the question asks about the answer's sentences say (the question's
   content words, weighted by how rare they are in the index), blended with how close the best
   passage is, must reach a threshold. `Params` holds the weights; evals/tune_decide.py chooses
   them by cross-validation over the gold questions (see evals/decide_curve.md).

An optional judge (the local model, `answer.verify = "local"`) can veto an answer that passed:
see rag_council.answer.judge."""

from __future__ import annotations

import contextlib
import math
import re
import weakref
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from rag_council.answer.base import NO_ANSWER
from rag_council.answer.kind import asked_kind
from rag_council.text import STOPWORDS, anchor_present, content_terms, question_anchors, stem, words
from rag_council.text.dates import DATE_PHRASE, MONTH_NAMES
from rag_council.types import Hit

CLOSEST = "the passages closest to your question"

# --- anchors -------------------------------------------------------------------------------

_ORDINAL_WORDS = (
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth".split()  # noqa: SIM905
)
_ORDINALS = "|".join(_ORDINAL_WORDS[1:]) + r"|2nd|3rd|[4-9]th|1[0-2]th"
_ORDINAL = re.compile(rf"\b({_ORDINALS})\b", re.I)
_ORDINAL_NOUNS = re.compile(
    r"^(?:visits?|meetings?|inspections?|reviews?|reports?|item|round|year|time|session|"
    r"freem[ae]n|version|quarter|edition|strateg(?:y|ies)|plans?|panel|board|"
    # the numbered parts of a strategy or a report: "the eighth priority outcome"
    r"priorit(?:y|ies)|outcomes?|objectives?|aims?|ambitions?|principles?|recommendations?|"
    r"actions?|steps?|themes?|goals?|commitments?|pillars?|areas?)$",
    re.I,
)
_ORDINAL_NUMBER = {word: str(n) for n, word in enumerate(_ORDINAL_WORDS, start=1)}


def ordinal_anchors(question: str) -> list[tuple[str, str]]:
    """(ordinal, noun) pairs the question names: "the seventh Ofsted monitoring visit" gives
    ("seventh", "visit")."""
    pairs = []
    for m in _ORDINAL.finditer(question):
        for word in words(question[m.end() : m.end() + 60])[:4]:
            if _ORDINAL_NOUNS.match(word):
                pairs.append((m.group(1).lower(), stem(word.lower())))
                break
    return pairs


def _ordinal_present(ordinal: str, noun: str, text: str) -> bool:
    """The ordinal before its noun ("the eighth priority"), or the noun numbered ("Priority 8")."""
    for m in re.finditer(rf"\b{re.escape(ordinal)}\b", text):
        after = [stem(w) for w in words(text[m.end() : m.end() + 60])[:5]]
        if noun in after:
            return True
    number = _ORDINAL_NUMBER.get(ordinal) or (ordinal[:-2] if ordinal[:-2].isdigit() else None)
    if number is None:
        return False
    for m in re.finditer(rf"\b{re.escape(number)}\b", text):
        before = [stem(w) for w in words(text[max(0, m.start() - 30) : m.start()])[-2:]]
        if noun in before:
            return True
    return False


def missing_anchors(question: str, passages: list[Hit]) -> list[str]:
    """Specific things the question names (a year, a quarter, a number, a name, an ordinal with
    its noun) that none of `passages` mentions, in its text or its metadata."""
    haystack = " ".join(
        f"{h.chunk.text} {h.chunk.label} {' '.join(str(v) for v in h.chunk.meta.values())}" for h in passages
    ).lower()
    anchors = question_anchors(question)
    missing = [a for a in anchors if not anchor_present(a, haystack)]
    years = [a for a in anchors if re.fullmatch(r"(?:19|20)\d\d", a)]
    if len(years) > 1 and any(y not in missing for y in years):
        # "How did X in 2016 compare with 2023?": the passages of one of its years answer part
        # of it; only a question none of whose years the passages name is declined for them
        missing = [a for a in missing if a not in years]
    ordinals = ordinal_anchors(question)
    if ordinals and years:
        # "the eighth priority of the 2022-2024 strategy": the ordinal in a passage of a year the
        # question names, not in another year's document ("Priority 8" of the 2017 strategy)
        of_years = [
            text
            for h in passages
            if any(
                anchor_present(
                    y, text := f"{h.chunk.text} {h.chunk.label} {h.chunk.meta.get('date', '')}".lower()
                )
                for y in years
            )
        ]
        haystack = " ".join(of_years)
    for ordinal, noun in ordinals:
        if not _ordinal_present(ordinal, noun, haystack):
            missing.append(ordinal)
    return missing


def anchors_decline(question: str, passages: list[Hit]) -> str | None:
    """The NO_ANSWER reply for a question that names something no passage mentions, else None."""
    missing = missing_anchors(question, passages)
    if not missing:
        return None
    return f"{NO_ANSWER}: {CLOSEST} do not mention " + ", ".join(f"“{m}”" for m in missing)


# --- kinds ---------------------------------------------------------------------------------

_HONORIFIC = r"(?:Councillor|Cllr\.?|Mr|Mrs|Ms|Miss|Dr|Professor|Sir|Dame|Lord|Lady)\.?"
_INSTITUTION = (
    "Board|Council|Committee|Strategy|Service|Services|Team|Group|Trust|Plan|Partnership|Panel|"
    "Agency|Children|Childrens|Young|People|Care|Scrutiny|Cabinet|Report|Director|Directorate|"
    "Department|Education|Health|Social|Family|Families|Herefordshire|England|Officer|Head|"
    "Corporate|Parenting|Safeguarding|Early|Help|Fostering|Adoption|Court|Office|Government|"
    "Annual|Action|Update|Item|Minutes|Executive|Summary|Appendix|Chair|Vice|The|This|That|Our|"
    "National|Local|Authority|Public|Policy|Programme|Project|Review|School|Schools|Support|"
    "Commission|Commissioner|Member|Members|Unit|Centre|House|Street|Road|Fund|Funding|"
    # roles and the words of role titles: "Permanence Champion", "Virtual Head Teacher"
    "Champion|Manager|Teacher|Worker|Workers|Scrutineer|Lead|Advisor|Adviser|Coordinator|Co-ordinator|"
    "Assistant|Practitioner|Practitioners|Reviewing|Independent|Statutory|Strategic|Senior|Principal|"
    "Interim|Deputy|Virtual|Registered|Permanence|Case|Progression|Quality|Assurance|Operations|"
    "Business|Partner|Partners|Specialist|Consultant|Nurse|Visitor|Clerk|Governance|Democratic"
)
_PERSON = re.compile(
    rf"\b{_HONORIFIC}\s+[A-Z][a-z'’-]+|\b(?!(?:{_INSTITUTION})\b)[A-Z][a-z'’-]+\s+"
    rf"(?:[A-Z]\.\s+)?(?!(?:{_INSTITUTION})\b)[A-Z][a-z'’-]{{2,}}\b"
)
_ROLE = re.compile(
    r"\b(?:head of|director|chair(?:man|person|ed by)?|manager|officer|leader|commissioner|"
    r"cabinet member|scrutineer|member for|lead member|chief executive)\b",
    re.I,
)
_SCHOOL = re.compile(
    r"\b[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)*\s+(?:School|Academy|College|Nursery|High|Primary|Infants|Juniors)\b"
)
_ROLE_WORD = (
    r"(?:[Hh]ead\s+of|[Hh]ead|[Dd]irector|[Cc]hair(?:man|person|woman)?|[Mm]anager|[Oo]fficer|[Ll]eader|"
    r"[Cc]ommissioner|[Cc]abinet\s+[Mm]ember|[Ss]crutineer|[Ll]ead\s+[Mm]ember|[Cc]hief\s+[Ee]xecutive)"
)
# A role with the capitalised words around it: "the Head of Service", "Chair of the Task and Finish Group"
_ROLE_RUN = re.compile(
    rf"(?:[A-Z][\w'’-]*\s+(?:(?:of|for|and|the|&)\s+)*)*\b{_ROLE_WORD}\b"
    r"(?:\s+(?:(?:of|for|and|the|&)\s+)*[A-Z][\w'’-]*)*"
)
_NAMED_ROLE = re.compile(
    r"\bnames?\s+of\b.*\b(?:head|teacher|chair\w*|director|manager|officer|champion|councillor|member|"
    r"scrutineer|leader|commissioner|author|clerk|lead|author|mayor|advis[eo]r|worker)\b",
    re.I,
)
_ORG_SUFFIX = re.compile(
    r"\b[A-Z][\w&'’-]*(?:\s+(?:[A-Z][\w&'’-]*|of|and|for|the|&))*\s+"
    r"(?:Ltd|Limited|plc|PLC|LLP|CIC|Trust|Group|Partnership|Foundation|Charity|Agency|Services|"
    r"Council|Centre|Association|Society|Company|Consortium|Network|England|Alliance|Care|School|Academy|"
    r"College|Nursery|High|Primary)\b"
    r"|\b[A-Z]{2,}\b(?:\s+[A-Z][a-z]+)*"
)
_VOTE = re.compile(
    r"\b(?:voted|unanimous(?:ly)?|abstain\w*|abstentions?|carried|\d+\s+(?:votes?\s+)?"
    r"(?:for|against|in favour))\b",
    re.I,
)
_VOTE_COUNT = re.compile(
    r"\b\d+\s+(?:votes?\s+)?(?:for|against|in favour|abstentions?)\b|\b(?:for|against):\s*\S", re.I
)


@dataclass(frozen=True)
class Ask:
    """What a question asks for, and the test an answer's text must pass."""

    kind: str  # "an organisation", "a person", "a name", "a list of votes", "a number", ...
    test: Callable[[str], bool]


def _has(pattern: re.Pattern[str]) -> Callable[[str], bool]:
    return lambda text: pattern.search(text) is not None


def _new_names(question: str, pattern: re.Pattern[str]) -> Callable[[str], bool]:
    """The text names something (matching `pattern`) that the question does not already name."""
    asked = {stem(w) for w in words(question)}

    def test(text: str) -> bool:
        for m in pattern.finditer(text):
            said = {stem(w) for w in words(m.group(0)) if w not in STOPWORDS}
            if said - asked - {"councillor", "cllr", "mr", "mrs", "ms"}:
                return True
        return False

    return test


_ASKS: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(
            r"\bvot(?:e|es|ed|ing)\b.*\b(?:result|results|member by member|for and against|how many|"
            r"who)\b|\b(?:how many|which|who)\b.*\bvoted\b",
            re.I,
        ),
        "a list of votes",
    ),
    (
        re.compile(
            r"^\s*(?:which|what)\s+(?:secondary\s+|primary\s+|special\s+|private\s+)?(?:company|companies|firm|firms|organisation|organisations|"
            r"organization|provider|providers|agency|agencies|contractor|contractors|supplier|"
            r"suppliers|charity|charities|developer|builder|consultancy|business|(?:schools?|academy|academies|"
            r"colleges?|nursery|nurseries)(?=\s+(?:did|does|do|was|were|is|are|has|have|had|will|would|can|could|"
            r"in|on|of|at|that|which|who|won|took|left|got|ran|joined|withdrew|\w+ed)\b|\s*\?))\b",
            re.I,
        ),
        "an organisation",
    ),
    (
        re.compile(
            r"^\s*(?:which|what)\s+(?:councillor|councillors|officer|officers|member|members|person|"
            r"people|director|manager|chair)\b|^\s*who\s+(?:replaced|succeeded|became|was appointed|"
            r"took over|chaired|chairs|is the|was the|signed|wrote|proposed|seconded)\b"
            # "Who has been named as the police's representative?", "Who was elected chair?"
            r"|^\s*who\s+(?:has|have|had|was|were|is|are|will)\s+(?:been\s+|be\s+|now\s+)?(?:named|appointed|"
            r"nominated|elected|selected|chosen|identified|recruited|designated)\b",
            re.I,
        ),
        "a person",
    ),
    (re.compile(r"^\s*what\s+(?:is|was|were|are)\s+the\s+names?\s+of\b", re.I), "a name"),
]


_RATING_ASKED = re.compile(
    r"^\s*(?:what|which)\s+(?:rating|grade|judgement|judgment|ofsted\s+rating)\b|^\s*how\s+(?:was|were|did)\b.*\b(?:rated|judged|graded)\b",
    re.I,
)
_RATING = re.compile(
    r"\b(?:outstanding|good|requires?\s+improvement|inadequate|satisfactory|rated|judged|graded|rating)\b",
    re.I,
)
_DAY_ASKED = re.compile(r"^\s*(?:on\s+)?(?:what|which)\s+(?:date|day)\b", re.I)
_DAY = re.compile(
    r"\b\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:january|february|march|april|may|june|july|august|september|"
    r"october|november|december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b"
    r"|\b(?:january|february|march|april|may|june|july|august|september|october|november|december)\s+\d{1,2}"
    r"(?:st|nd|rd|th)?\b",
    re.I,
)


# Contact details: asked for by name ("What is the email address of ...?", "Which website ...?"),
# answered only by the thing itself; not "What does the website say about ...?"
def _asks_for(thing: str) -> re.Pattern[str]:
    return re.compile(
        rf"^\s*(?:what|which)\s+(?:is|was|are|were)\s+(?:the\s+)?(?:[\w'’()-]+\s+){{0,5}}?{thing}\b(?!.*\b(?:say|says|said|state|show)\b)"
        rf"|^\s*(?:what|which)\s+{thing}\b(?!.*\b(?:say|says|said|state|show)\b)",
        re.I,
    )


_CONTACTS: list[tuple[re.Pattern[str], str, re.Pattern[str]]] = [
    (
        _asks_for(r"(?:e-?mail(?:\s+address)?)"),
        "an email address",
        re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
    ),
    (
        _asks_for(r"(?:(?:tele)?phone|contact|helpline)\s+number"),
        "a telephone number",
        re.compile(r"(?<!\d)(?:\+44\s?|0)\d{2,4}[\s-]?\d{3,4}[\s-]?\d{3,4}(?!\d)"),
    ),
    (
        _asks_for(r"(?:postal\s+address|postcode|post\s+code|(?<!e-mail\s)(?<!email\s)(?<!web\s)address)"),
        "an address",
        re.compile(
            r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b|\b\d+\s+[A-Z][a-z]+\s+(?:Street|Road|Lane|Avenue|Square|Way|Place|Row)\b"
            r"|\b[A-Z][a-z'’]+\s+(?:Street|Road|Lane|Avenue|Square|Way|Place|Row)\b"
        ),
    ),
    (
        _asks_for(r"(?:web\s*site|web\s+address|web\s*page|url)"),
        "a web address",
        re.compile(r"\bhttps?://\S+|\bwww\.\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:gov|org|co|ac|nhs)\.uk\b", re.I),
    ),
]
# "What time did the meeting start / finish?": a time of day; an ending asks for the ending's
_TIME_ASKED = re.compile(
    r"^\s*(?:at\s+)?what\s+time\b(?!\s+(?:of\s+(?:the\s+)?year|frame|period|limit|scale))|^\s*when\s+did\b.*\b(?:finish|end|close|conclude)\b",
    re.I,
)
_TIME = re.compile(
    r"\b\d{1,2}(?:[.:]\d\d)?\s*(?:am|pm|a\.m\.|p\.m\.)|\b\d{1,2}[.:]\d\d\b|\bnoon\b|\bmidday\b", re.I
)
_ENDING_ASKED = re.compile(r"\b(?:finish\w*|end|ended|ends|clos\w*|conclu\w*)\b", re.I)
_ENDING = re.compile(r"\b(?:finish\w*|ended|closed?|conclu\w*|terminat\w*)\b", re.I)


def _time_test(ending: bool) -> Callable[[str], bool]:
    def test(text: str) -> bool:
        if ending:  # the time must be the ending's: "The meeting ended at 4.15 pm"
            return any(_ENDING.search(s) and _TIME.search(s) for s in re.split(r"(?<=[.;!?])\s+|\n+", text))
        return _TIME.search(text) is not None

    return test


def asked(question: str) -> Ask | None:
    """What the question asks for (None: nothing this step can check)."""
    for opening, kind, pattern in _CONTACTS:
        if opening.search(question):
            return Ask(kind, _has(pattern))
    if _TIME_ASKED.search(question):
        return Ask("a time", _time_test(_ENDING_ASKED.search(question) is not None))
    if _RATING_ASKED.search(question):
        return Ask("a rating", _has(_RATING))
    if _DAY_ASKED.search(question):
        return Ask("a date", _has(_DAY))  # "on what date": a day, not a month or a year
    for opening, kind in _ASKS:
        if opening.search(question):
            if kind == "a list of votes":
                per_member = re.search(r"member by member|how many|for and against|results?", question, re.I)
                return Ask(kind, _has(_VOTE_COUNT if per_member else _VOTE))
            if kind == "an organisation":
                if re.search(
                    r"^\s*(?:which|what)\s+(?:\w+\s+)?(?:schools?|academy|academies|colleges?|nurser)",
                    question,
                    re.I,
                ):
                    return Ask(kind, _new_names(question, _SCHOOL))  # a school by its name
                return Ask(kind, _new_names(question, _ORG_SUFFIX))
            if kind == "a person":
                person = _new_names(question, _PERSON)
                # "Who chairs the panel?" is answered by a role ("the Head of Service") too, but
                # not by the role the question names ("the Chair of the group"), nor when it
                # asks which councillor
                role = (
                    re.search(r"^\s*which\s+(?:councillor|member|person|people)", question, re.I) is None
                    # "who replaced the director?": a person, not the post again
                    and re.search(r"\b(?:replac|succeed|took\s+over|became|appointed|new)\w*", question, re.I)
                    is None
                )
                roles = _new_names(question, _ROLE_RUN)
                return Ask(kind, lambda t, p=person, r=role, q=roles: p(t) or (r and q(t)))
            if kind == "a name":
                people, orgs = _new_names(question, _PERSON), _new_names(question, _ORG_SUFFIX)
                if _NAMED_ROLE.search(question):
                    return Ask("a person", people)  # the name of a role holder is a person's
                return Ask(kind, lambda t, p=people, o=orgs: p(t) or o(t))
    found = asked_kind(question)
    if found is None:
        return None
    kind, pattern = found
    return Ask(kind, _has(pattern))


def missing_kind(question: str, answer: str) -> str | None:
    """The kind of thing the question asks for when the answer (markers aside) holds none."""
    ask = asked(question)
    if ask is None:
        return None
    text = re.sub(r"\[\d+(?:\s*,\s*\d+)*\]", " ", answer)
    return None if ask.test(text) else ask.kind


# --- the kind asked for, about the thing asked, in the answer's own sentences ----------------

_MARKS = re.compile(r"((?:\s*\[\d+(?:\s*,\s*\d+)*\])+)")
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
# Numbers that are no answer to "how many": dates, years and periods, the numbers of clauses,
# paragraphs, items, pages and appendices, and a rate's denominator.
_NOT_A_COUNT = re.compile(
    rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{_MONTHS})\b(?:\s+\d{{4}})?"
    rf"|\b(?:{_MONTHS})\s+\d{{4}}\b"
    r"|\b(?:19|20)\d\d(?:\s*[-/–]\s*(?:19|20)?\d\d)?\b"
    r"|\b\d+(?:\.\d+){2,}\b"
    r"|^\s*[-–•(]*\s*\(?[a-z0-9]{1,3}[.)]\s|^\s*[-–•]+\s*\d{1,3}\s+(?-i:[A-Z])"
    r"|\b(?:paragraphs?|sections?|items?|pages?|appendix|appendices|minutes?|standards?|tier|"
    r"priority|recommendation|q|quarter|ks|key stage|phase|level|annex|table|figure|chapter)\s*\d[\d.]*"
    r"(?:\s*(?:-|–|to|and)\s*\d[\d.]*)?"
    r"|\bper\s+\d[\d,]*\b|\b\d{1,2}(?::|\.)\d\d\s*(?:am|pm)\b|\b\d{1,2}\s*(?:am|pm)\b"
    r"|\btel\b[^a-z]*|\(\d{4,5}\)\s*\d+"
    r"|\baged?\s+(?:over\s+|under\s+)?\d+(?:\s*(?:-|to)\s*\d+)?|\b\d+\s*(?:years?\s+old|-?\s*year[- ]olds?)\b"
    r"|\b(?:under|over)[- ]\d+s?\b|\b\d+\s*(?:-|–)\s*\d+\s+year",
    re.I,
)
_COUNT_WORD = re.compile(
    r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
    r"fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|"
    r"eighty|ninety|hundred|thousand|million|half|third|quarter|dozen|none|no one|nobody)\b",
    re.I,
)
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")


def sentences_of(draft: str, cited: list[Hit]) -> list[tuple[str, list[Hit]]]:
    """The answer's sentences (text up to each run of [n] markers), each with the passages its
    markers cite ([n] is cited[n-1]). Text after the last marker counts as a sentence citing
    nothing."""
    parts = _MARKS.split(draft)
    out: list[tuple[str, list[Hit]]] = []
    for i in range(0, len(parts), 2):
        text = parts[i].strip()
        marks = parts[i + 1] if i + 1 < len(parts) else ""
        if not text:
            continue
        numbers = {int(n) for n in re.findall(r"\d+", marks)}
        out.append((text, [cited[n - 1] for n in sorted(numbers) if 0 < n <= len(cited)]))
    return out


def has_count(text: str) -> bool:
    """A number that could answer "how many": not a date, a year, a clause or page number."""
    rest = _NOT_A_COUNT.sub(" ", text)
    return re.search(r"\d", rest) is not None or _COUNT_WORD.search(rest) is not None


# The words that say which kind of thing is asked for, not what it is about.
_KIND_TEXT = (
    "how many much number numbers total amount value cost price rate percentage proportion "
    "when date year month day time name names who whom whose which what company companies firm "
    "organisation organization provider providers agency contractor supplier person councillor "
    "officer member members vote votes voted result results figure figures"
)
_KIND_WORDS = frozenset(stem(w) for w in _KIND_TEXT.split())


def subject_terms(question: str) -> list[str]:
    """What the question is about: its content words that are neither the words every question
    about council records uses nor the words that ask for a kind of thing, nor years."""
    return [
        t
        for t in content_terms(question)
        if t not in _GENERIC and t not in _KIND_WORDS and not t.isdigit() and len(t) > 2
    ]


def _says(term: str, said: set[str]) -> bool:
    """`term` or a word of its family ("servic" ~ "service", "fost" ~ "fostering") is in `said`."""
    if term in said:
        return True
    if len(term) < 4:
        return False
    return any(len(w) >= 4 and (w.startswith(term) or term.startswith(w)) for w in said)


def _weigher(idf: Mapping[str, float] | None) -> Callable[[str], float]:
    """A word's weight: its rarity in `idf` ("" the rarity of an unseen word), or 1 without one."""
    if idf is None:
        return lambda t: 1.0
    unseen = idf.get("", 1.0)
    return lambda t: idf.get(t, unseen)


def sentence_coverage(terms: list[str], sentence: str, idf: Mapping[str, float] | None) -> float:
    """Share of `terms` (rare ones weigh more) that `sentence` says."""
    if not terms:
        return 1.0
    said = {stem(w) for w in words(sentence)}
    weight = _weigher(idf)
    total = sum(weight(t) for t in terms)
    return sum(weight(t) for t in terms if _says(t, said)) / total if total else 1.0


_COUNTED_END = re.compile(
    r"^(?:did|do|does|were|was|are|is|has|have|had|will|would|can|could|should|might|in|of|for|on|at|"
    r"from|about|with|by|during|since|between|per|to|and|or|that|who|which|were|been|a|an|the)$",
    re.I,
)


_PAST = frozenset(
    [
        "left",
        "went",
        "got",
        "took",
        "came",
        "won",
        "made",
        "gave",
        "had",
        "saw",
        "met",
        "began",
        "became",
        "ran",
        "paid",
    ]
)


def _how_many_words(question: str, *, through_and: bool = False, limit: int = 0) -> list[str]:
    """The words after "how many" up to the end of the thing counted (a little word, or a verb
    after a plural: "How many social workers left ..."); with `through_and`, "children and
    families" is one thing; at most `limit` words (0: no limit)."""
    m = re.search(r"\bhow\s+many\b", question, re.I)
    if m is None:
        return []
    phrase: list[str] = []
    for w in words(question[m.end() :]):
        if through_and and w.lower() == "and" and phrase:
            continue
        if _COUNTED_END.match(w):
            break
        if phrase and phrase[-1].endswith("s") and (w.endswith("ed") or w in _PAST):
            break
        phrase.append(w)
        if len(phrase) == limit:
            break
    return phrase


def counted(question: str) -> str | None:
    """The thing a "how many" question counts, by its head word, when it is a specific one:
    "How many complaints about ... did the council receive" counts complaints; "How many
    children were adopted" counts children, a word every question here uses (None)."""
    phrase = _how_many_words(question)
    if not phrase:
        return None
    head = stem(phrase[-1])
    if head in _GENERIC or head in _KIND_WORDS or len(head) < 3:
        return None
    return head


def counted_phrase(question: str) -> list[str]:
    """The stems of what a "how many" question counts, common words included: "How many
    adopted children and families went to the fun day?" counts ["adopt", "children", "famili"]
    (empty when the question is not "how many" or names nothing after it)."""
    phrase = _how_many_words(question, through_and=True, limit=5)  # "children and families": both
    return [stem(w.lower()) for w in phrase if len(w) > 2]


_NUMBER_TOKEN = re.compile(r"\d[\d,]*(?:\.\d+)?%?")


def counts(sentence: str, phrase: list[str], before: int = 3, after: int = 5) -> bool:
    """A number in the sentence (not a date, clause or age) counts the thing asked about: a word
    of `phrase` just before it ("families: 4") or in the words after it up to a stop word,
    where a capitalised word counts only as the last ("attended by 4 families", "1 Special
    Guardianship Order (SGO) was"), so that "Two 'Family Fun' days" counts days, and "27% of
    those" nothing asked."""
    rest = re.sub(r"\([^()]*\)", " ", _NOT_A_COUNT.sub(" , ", sentence))
    tokens = re.findall(_NUMBER_TOKEN.pattern + r"|[A-Za-z][A-Za-z'’-]*|[.;:,]", rest)
    wanted = set(phrase)

    def said(word: str) -> bool:
        return _says(stem(word.lower()), wanted) or any(_says(t, {stem(word.lower())}) for t in wanted)

    for i, token in enumerate(tokens):
        if not (_NUMBER_TOKEN.fullmatch(token) or _COUNT_WORD.fullmatch(token)):
            continue
        if any(w[:1].isalpha() and w[:1].islower() and said(w) for w in tokens[max(0, i - before) : i]):
            return True
        run: list[str] = []
        for w in tokens[i + 1 : i + 1 + after]:
            if not w[:1].isalpha() or _COUNTED_END.match(w):
                break
            run.append(w)
        if any(said(w) for j, w in enumerate(run) if w[:1].islower() or j == len(run) - 1):
            return True
    return False


def kind_sentences(question: str, draft: str, cited: list[Hit]) -> list[tuple[str, list[Hit]]] | None:
    """The answer's sentences that give the kind of thing the question asks for (None: the
    question asks for nothing this step can check). For "how many", a number must count the
    thing asked about (see `counts`)."""
    ask = asked(question)
    if ask is None:
        return None
    test = has_count if ask.kind in ("a number", "a figure") else ask.test
    given = [(s, hits) for s, hits in sentences_of(draft, cited) if test(s)]
    phrase = counted_phrase(question) if ask.kind == "a number" else []
    if phrase:
        given = [(s, hits) for s, hits in given if counts(s, phrase)]
    return given


_FINANCIAL = re.compile(r"\b(?:19|20)\d\d\s*[-/–]\s*(?:19|20)?\d\d\b")


def _around(sentence: str, text: str, before: int = 400, after: int = 100) -> str:
    """The passage's text about where `sentence` stands in it (the whole passage when it is not
    found)."""
    probe = " ".join(sentence.split()[:6])
    at = " ".join(text.split()).find(probe) if probe else -1
    if at < 0:
        return text
    flat = " ".join(text.split())
    return flat[max(0, at - before) : at + len(sentence) + after]


def period_forms(question: str, year: str) -> list[str]:
    """How a text names the period the question names with `year`: a financial year the
    question names ("2017/18", "2017-18") is that one only, in its usual spellings; a calendar
    year is itself or a financial year that holds it."""
    m = re.search(rf"\b{year}\s*[-/–]\s*((?:19|20)?\d\d)\b", question)
    if m is None:
        return _year_forms(year)
    nxt = int(year) + 1
    if int(m.group(1)[-2:]) != nxt % 100:
        return _year_forms(year)  # "2017-20": a span of years, each a year of the span
    return [
        f"{year}{sep}{end}"
        for sep in ("-", "/", "–", " to ", " - ")
        for end in (f"{nxt % 100:02d}", str(nxt))
    ]


# "What did full Council decide ...", "Did Cabinet approve ...": a decision the question says a body made
_DECIDER = re.compile(
    r"\b(?:did|has|have|does|do|will)\s+(?:the\s+)?(?P<body>full\s+council|council|cabinet|"
    r"(?:[\w'’-]+\s+){0,5}?(?:committee|board|panel))\s+"
    r"(?P<verb>decide|resolve|agree|approve|endorse|adopt|reject|vote|respond|accept|defer|refuse|make|"
    r"turn\s+down|postpone)\b",
    re.I,
)
_DECISION = re.compile(
    r"\b(?:resolved|agreed|decided|approved|endorsed|adopted|rejected|deferred|refused|voted|carried|"
    r"accepted|noted|responded|response)\b",
    re.I,
)


# a decision not to: the answer must say so ("deferred", "rejected", "turned down")
_NOT_TO = r"\b(?:reject\w*|refus\w*|turn\w*\s+down|declin\w*|not\s+(?:agree|approve)\w*)"
_PUT_OFF = r"\b(?:defer\w*|postpon\w*|adjourn\w*)"
_NEGATIVE = {
    "defer": _PUT_OFF,
    "postpone": _PUT_OFF,
    "reject": _NOT_TO,
    "refuse": _NOT_TO,
    "turn down": _NOT_TO,
}


def _decider_verb(question: str) -> str:
    m = _DECIDER.search(question)
    return " ".join(m.group("verb").lower().split()) if m else ""


def _names_decision_by(body: str, sentence: str) -> bool:
    """The sentence says the body (or its head noun: "the board") decided: "endorsed by the
    board", "the Board agreed"."""
    head = body.split()[-1]
    names = rf"(?:{re.escape(body)}|(?:the|its)\s+{re.escape(head)})"
    verb = r"(?:resolved|agreed|decided|approved|endorsed|adopted|rejected|deferred|refused|voted|accepted|noted)"
    pattern = rf"\b{names}\b(?:\W+\w+){{0,6}}?\W+{verb}\b|\b{verb}\s+by\s+{names}\b"
    return re.search(pattern, sentence, re.I) is not None


def decider(question: str) -> tuple[str, bool] | None:
    """The body a question says made a decision, and whether it asks yes or no ("Did Cabinet
    approve ...?")."""
    m = _DECIDER.search(question)
    if m is None:
        return None
    body = " ".join(m.group("body").lower().split())
    parts = [w for w in body.split() if w not in STOPWORDS and w != "the"]
    if body == "council" or (parts[-1] in ("committee", "board", "panel") and len(parts) < 2):
        return None  # "the committee", "the council": no body named, so none to check
    return body, re.match(r"\s*(?:did|has|have|does|do|will)\b", question, re.I) is not None


def _body_of(body: str, hit: Hit) -> bool:
    """`hit` is from the papers of `body` (its meetings' minutes or agenda packs)."""
    committee = str(hit.chunk.meta.get("committee", "")).lower()
    if not committee:
        return False
    if body in ("full council", "council"):
        return committee in ("council", "full council", "county council")
    wanted = {stem(w) for w in words(body) if w not in STOPWORDS and w != "the"}
    return wanted <= {stem(w) for w in words(committee)}


_WHAT_DECIDED = re.compile(
    r"^\s*what\s+(?:did|has|have|had)\s+(?:the\s+)?(?:[\w'’-]+\s+){0,5}?(?:decide|resolve|agree)\b", re.I
)


def _states_decision(sentence: str) -> bool:
    """The sentence states a decision, not a recommendation put to one."""
    return _DECISION.search(sentence) is not None and not (
        re.search(r"recommend", sentence, re.I) and not re.search(r"resolved", sentence, re.I)
    )


def decision_features(
    question: str, given: list[tuple[str, list[Hit]]], records: bool = False
) -> dict[str, bool]:
    """For a question about a body's decision: whether none of the answer's sentences cites the
    papers of that body ("body_missing"), and, for a yes/no question, whether none states a
    decision rather than a recommendation ("no_decision")."""
    found = decider(question)
    if found is None and given and not records and _WHAT_DECIDED.search(question):
        # "What did the committee decide at its March meeting?": no body to check, but the
        # answer must come from a record of decisions (minutes), not from a report's
        # recommendations put to the meeting
        # (a paper of no known type, such as an uploaded note, may record a decision too)
        cited = [h for _, hits in given for h in hits]
        reports = all(
            h.chunk.meta.get("doc_type") not in (None, "", "minutes") and not h.chunk.meta.get("decision")
            for h in cited
        )
        return {"body_missing": False, "no_decision": bool(cited) and reports}
    if found is None or not given:
        return {"body_missing": False, "no_decision": False}
    body, yes_no = found
    of_body = [
        (s, hits) for s, hits in given if any(_body_of(body, h) for h in hits) or _names_decision_by(body, s)
    ]
    decided = [s for s, _ in of_body if _states_decision(s)]
    negative = _NEGATIVE.get(_decider_verb(question))
    if negative:  # "Why did Cabinet defer ...": the sentences must say it deferred
        decided = [s for s, _ in of_body if re.search(negative, s, re.I)]
    return {"body_missing": not of_body, "no_decision": (yes_no or bool(negative)) and not decided}


def _of_year(year: str, sentence: str, hits: list[Hit], forms: list[str] | None = None) -> bool:
    """A sentence gives a figure of `year` when it names the year (or a financial year that holds
    it), or names no year and cites papers of that year or the next (a year's figures are
    reported after it ends)."""
    forms = forms or _year_forms(year)
    financial = forms != _year_forms(year)
    nxt = str(int(year) + 1)

    def names(text: str) -> bool:
        if any(f in text for f in forms):
            return True
        # "October 2015 to October 2016" is the financial year 2015-16's period; "2016/17" is not
        return financial and re.search(rf"\b(?:{year}|{nxt})\b", _FINANCIAL.sub(" ", text)) is not None

    low = sentence.lower()
    if names(low):
        return True
    if _YEAR.search(sentence):
        return False  # it names another year: another year's figure
    # "For this period the budget was £663k": the period is the passage's, around the sentence
    around = " ".join(_around(sentence, h.chunk.text) for h in hits).lower()
    if names(around):
        return True
    if _YEAR.search(around):
        return False
    dates = {str(h.chunk.meta.get("date", ""))[:4] for h in hits}
    return year in dates or str(int(year) + 1) in dates


# --- score ---------------------------------------------------------------------------------

# The words every question about council records uses: they say nothing about what is asked.
_GENERIC = frozenset(
    stem(w)
    for w in [
        "council",
        "herefordshire",
        "children",
        "child",
        "young",
        "people",
        "committee",
        "scrutiny",
        "meeting",
        "report",
        "say",
        "said",
        "says",
        "tell",
        "give",
        "given",
        "happen",
        "happened",
        "many",
        "much",
        "number",
        "what",
        "which",
        "who",
        "when",
        "there",
        "their",
        "does",
        "did",
        "done",
        "get",
        "got",
        "make",
        "made",
        "say",
    ]
)


@dataclass(frozen=True)
class Params:
    """The decision's weights. Chosen by evals/tune_decide.py (5-fold cross-validation over
    the gold questions, stratified by kind): score = weight * coverage + (1 - weight) *
    relevance, answer when score >= threshold."""

    weight: float = 0.5
    threshold: float = 0.0
    # a year the question names must be in a passage the answer cites (not only in one retrieved)
    cited_years: bool = True
    # the answer's sentences that give the kind asked for must say this share of what the
    # question is about (its rarer words weigh more); 0 turns the test off
    kind_coverage: float = 0.1
    # ... said by those sentences with the answer's sentence before each
    kind_before: bool = False
    # a figure asked for a year must come from a sentence of that year (the whole answer's
    # papers standing for the year when False)
    sentence_years: bool = True
    # a "how many" question's counted thing must be in a sentence giving a number
    counted: bool = False
    # a decision the question says a body made must be cited from that body's papers, and a
    # yes/no question about it answered by a decision (not a recommendation)
    bodies: bool = True


DEFAULT = Params()


@dataclass(frozen=True)
class Decision:
    answer: bool
    reason: str  # why not (empty when answering)
    score: float  # the blended score (1.0 when nothing could be scored)
    features: Mapping[str, float] = field(default_factory=dict)


_IDF: weakref.WeakKeyDictionary[object, dict[str, float]] = weakref.WeakKeyDictionary()


class _KeptIdf(Mapping[str, float]):
    """Inverse document frequency read from the index's kept word counts ("" : an unseen word)."""

    def __init__(self, frequency: Mapping[str, int], chunks: int) -> None:
        self.frequency = frequency
        self.n = max(1, chunks)

    def __getitem__(self, term: str) -> float:
        if term == "":
            return math.log(self.n + 1)
        df = self.frequency.get(term)
        if not df:
            raise KeyError(term)
        return math.log((self.n + 1) / (df + 0.5))

    def __iter__(self) -> Iterator[str]:  # the words are not listed: read as asked
        return iter(())

    def __len__(self) -> int:
        return 0


def idf_of(index: object) -> Mapping[str, float]:
    """Inverse document frequency of every stemmed word over an index's chunks (computed once
    per index object, about a second for the bundled corpus)."""
    overview = getattr(index, "overview", None)
    if overview is not None and hasattr(overview, "document_frequency"):
        # an rag_council.index.Index: its keyword side keeps each word's chunk count (of the
        # chunks' labels and texts), read as asked; reading every chunk instead took 10-26 s on
        # the first answer of a process at 101k chunks
        return _KeptIdf(overview.document_frequency, overview.chunks)
    try:
        cached = _IDF.get(index)
    except TypeError:  # not weak-referenceable
        cached = None
    if cached is not None:
        return cached
    all_ids = getattr(index, "all_chunk_ids", None)
    chunks = getattr(index, "chunks", None)
    documents = getattr(getattr(index, "manifest", None), "documents", None)
    ids: list[str] = []
    if callable(all_ids):
        ids = list(all_ids())
    elif isinstance(documents, Mapping):  # an rag_council.index.Index: its documents' chunks
        for record in documents.values():
            ids += list(getattr(record, "chunk_ids", []))
    table: dict[str, float] = {}
    if ids and callable(chunks):
        texts = [c.text for c in chunks(ids)]
        df: Counter[str] = Counter()
        for text in texts:
            df.update({stem(w) for w in words(text)})
        n = max(1, len(texts))
        table = {w: math.log((n + 1) / (c + 0.5)) for w, c in df.items()}
        table[""] = math.log(n + 1)  # a word the index never saw
    with contextlib.suppress(TypeError):
        _IDF[index] = table
    return table


def coverage(question: str, answer: str, idf: Mapping[str, float] | None = None) -> tuple[float, list[str]]:
    """Share of the question's content words (rare ones weigh more) that the answer says, and the
    missing ones."""
    terms = [t for t in content_terms(question) if t not in _GENERIC]
    if not terms:
        return 1.0, []
    said = {stem(w) for w in words(answer)}
    weight = _weigher(idf)
    total = sum(weight(t) for t in terms)
    missing = [t for t in terms if t not in said]
    return (1.0 - sum(weight(t) for t in missing) / total) if total else 1.0, missing


def relevance(passages: list[Hit]) -> float:
    dense = [h.dense for h in passages if h.dense is not None]
    return max(dense) if dense else (max((h.score for h in passages), default=0.0))


def features(
    question: str,
    passages: list[Hit],
    draft: str,
    idf: Mapping[str, float] | None = None,
    cited: list[Hit] | None = None,
    records: bool = False,
) -> dict[str, float | str | list[str]]:
    """Everything the decision reads, for the decision and for tuning it. `cited`: the passages
    the draft's markers number ([n] is cited[n-1]) when they are not `passages` (a checked
    answer's markers are renumbered to its citations). `records`: the draft is an answer from
    the council's records, whose passages are the spans it cites; the records were chosen by
    the question's date, meeting and body already, so the anchors are not looked for in them."""
    text = re.sub(r"\[\d+(?:\s*,\s*\d+)*\]", " ", draft)
    cov, missing = coverage(question, text, idf)
    numbered = passages if cited is None else cited
    markers = sorted(
        {int(n) for m in re.finditer(r"\[(\d+(?:\s*,\s*\d+)*)\]", draft) for n in m.group(1).split(",")}
    )
    cited_hits = [numbered[n - 1] for n in markers if 0 < n <= len(numbered)]
    years = [a for a in question_anchors(question) if re.fullmatch(r"(?:19|20)\d\d", a)]
    ask = asked(question)
    given = kind_sentences(question, draft, numbered)
    terms = subject_terms(question)
    kind_cov = (
        1.0 if given is None else max((sentence_coverage(terms, s, idf) for s, _ in given), default=0.0)
    )
    # the same with the answer's sentence before each ("The WEST pilot ... 48% of schools were
    # involved in the scheme": the subject is often named once, then referred to)
    # (of the same passage: a sentence of another meeting's papers is about something else)
    said_in = sentences_of(draft, numbered)
    order = [s for s, _ in said_in]
    ids = [{h.chunk.chunk_id for h in hits} for _, hits in said_in]
    with_before = [
        (order[i - 1] + " " + s) if (i := order.index(s)) > 0 and ids[i - 1] & ids[i] else s
        for s, _ in (given or [])
        if s in order
    ]
    kind_cov_before = (
        1.0 if given is None else max((sentence_coverage(terms, s, idf) for s in with_before), default=0.0)
    )
    figure = ask is not None and ask.kind in _FIGURES
    return {
        "missing_anchors": [] if records else missing_anchors(question, passages),
        "missing_cited_years": [] if records else _missing_cited_years(question, years, cited_hits),
        "figure_without_year": figure_without_year(question, text, cited_hits, years),
        # the answer's sentences that give a figure give none of the year asked about
        "figure_not_of_year": [
            y
            for y in years
            if figure and given and not any(_of_year(y, s, h, period_forms(question, y)) for s, h in given)
        ],
        "missing_kind": "" if given is None or given else ask.kind if ask else "",
        "figure_numbers_missing": figure_numbers_missing(question, [s for s, _ in given or []], with_before)
        if figure
        else [],
        "kind_coverage": kind_cov,
        "kind_coverage_before": kind_cov_before,
        **decision_features(question, sentences_of(draft, numbered), records),
        # a "how many" question's counted thing ("complaints") in none of the sentences giving a number
        "counted_missing": bool(
            (head := counted(question))
            and given is not None
            and given
            and not any(_says(head, {stem(w) for w in words(s)}) for s, _ in given)
        ),
        "coverage": cov,
        "missing_terms": missing,
        "relevance": relevance(passages),
    }


_FIGURES = ("a number", "a figure", "an amount", "a percentage", "a rating")


def figure_numbers_missing(question: str, given: list[str], with_before: list[str]) -> list[str]:
    """The numbers a question asking for a figure names (not its years, not the days of its
    dates) that none of the answer's figure sentences (alone or with the sentence before) gives:
    "the allowance for a 16-year-old" is not answered by the most common allowance."""
    if not given:
        return []
    plain = DATE_PHRASE.sub(
        " ", re.sub(rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?={MONTH_NAMES})", " ", question, flags=re.I)
    )
    numbers = [a for a in question_anchors(plain) if a[0].isdigit() and not re.fullmatch(r"(?:19|20)\d\d", a)]
    said = " ".join(given + with_before).lower()
    return [n for n in numbers if not anchor_present(n, said)]


def _one_per_range(question: str, years: list[str]) -> list[str]:
    """The years a question names, a range ("from 2017 to 2024", "between 2021 and 2022") as
    one item "2017..2024": a passage of any year in it is of the range."""
    out, spanned = [], set()
    for m in re.finditer(
        r"\b(?:from|between)\s+((?:19|20)\d\d)\s+(?:to|and|until|-)\s+((?:19|20)\d\d)\b", question, re.I
    ):
        out.append(f"{m.group(1)}..{m.group(2)}")
        spanned |= {m.group(1), m.group(2)}
    return out + [y for y in years if y not in spanned]


def _missing_cited_years(question: str, years: list[str], cited: list[Hit]) -> list[str]:
    """The years (or ranges) the question names that no cited passage is of; none when the
    question names several and the cited passages are of one (the answer gives part of it, as
    the anchors rule allows)."""
    items = _one_per_range(question, years)
    if not cited:
        return []
    missing = [y for y in items if not _any_year_in(y, cited)]
    return [] if len(items) > 1 and len(missing) < len(items) else missing


def _any_year_in(item: str, hits: list[Hit]) -> bool:
    if ".." not in item:
        return item not in missing_anchors(item, hits)
    a, b = (int(x) for x in item.split(".."))
    return any(str(y) not in missing_anchors(str(y), hits) for y in range(a, b + 1))


def _year_forms(year: str) -> list[str]:
    """'2022' and the financial years that hold it: '2021-22', '2022-23', '2021/22', '2022/2023'..."""
    y = int(year)
    forms = [year]
    for a, b in ((y - 1, y), (y, y + 1)):
        forms += [f"{a}-{b % 100:02d}", f"{a}/{b % 100:02d}", f"{a}-{b}", f"{a}/{b}", f"{a} to {b}"]
    return forms


def figure_without_year(question: str, text: str, cited: list[Hit], years: list[str]) -> list[str]:
    """For a question asking for a figure (how many, how much, what percentage) in a year: the
    years whose figure the answer does not give. A council's figures are stated with the period
    they belong to ("36 complaints between April 2015 and December 2016"), so the answer's own
    sentences must name the year (or a financial year holding it), or cite papers of that year or
    the next (a year's figures are reported after it ends); a figure from papers years away
    answers another question."""
    asked = asked_kind(question)
    if not years or asked is None or asked[0] == "a date" or not cited:
        return []
    said = text.lower()
    dates = {str(h.chunk.meta.get("date", ""))[:4] for h in cited}

    def reported(year: str) -> bool:
        return year in dates or str(int(year) + 1) in dates

    return [y for y in years if not reported(y) and not any(f in said for f in _year_forms(y))]


def decide_from(feats: Mapping[str, object], params: Params = DEFAULT, *, rules: bool = True) -> Decision:
    """The decision from `features` (separate so that tuning need not rerun the engine)."""
    cov = float(feats["coverage"])  # type: ignore[arg-type]
    rel = float(feats["relevance"])  # type: ignore[arg-type]
    score = params.weight * cov + (1 - params.weight) * rel
    nums = {"coverage": cov, "relevance": rel}
    if rules and feats["missing_anchors"]:
        names = ", ".join(f"“{m}”" for m in feats["missing_anchors"])  # type: ignore[union-attr]
        return Decision(False, f"{CLOSEST} do not mention {names}", score, nums)
    if rules and params.cited_years and feats.get("missing_cited_years"):
        names = ", ".join(f"“{m}”" for m in feats["missing_cited_years"])  # type: ignore[union-attr]
        return Decision(False, f"{CLOSEST} that answer it do not mention {names}", score, nums)
    if rules and feats["missing_kind"]:
        kind = str(feats["missing_kind"])
        what = kind.split(" ", 1)[-1]
        return Decision(False, f"{CLOSEST} do not give the {what} asked for", score, nums)
    if rules and feats.get("figure_numbers_missing"):
        names = ", ".join(f"“{m}”" for m in feats["figure_numbers_missing"])  # type: ignore[union-attr]
        return Decision(False, f"{CLOSEST} give figures, but not for {names}", score, nums)
    years_off = feats.get("figure_not_of_year") if params.sentence_years else feats.get("figure_without_year")
    if rules and params.cited_years and years_off:
        names = ", ".join(f"“{m}”" for m in years_off)  # type: ignore[union-attr]
        return Decision(False, f"{CLOSEST} give figures for other years than {names}", score, nums)
    if rules and params.bodies and feats.get("body_missing"):
        return Decision(False, f"{CLOSEST} are not from the papers of the body you asked about", score, nums)
    if rules and params.bodies and feats.get("no_decision"):
        return Decision(
            False, f"{CLOSEST} record no such decision (a recommendation is not one)", score, nums
        )
    if rules and params.counted and feats.get("counted_missing"):
        return Decision(
            False, f"{CLOSEST} give numbers, but not of the thing you asked to count", score, nums
        )
    kind_cov = float(feats.get("kind_coverage_before" if params.kind_before else "kind_coverage", 1.0))  # type: ignore[arg-type]
    nums["kind_coverage"] = kind_cov
    if rules and kind_cov < params.kind_coverage:
        return Decision(
            False, f"{CLOSEST} give the kind of thing asked for, but not about what you asked", score, nums
        )
    if score < params.threshold:
        missing = [str(t) for t in feats.get("missing_terms", [])][:4]  # type: ignore[union-attr]
        said = f" (nothing on {', '.join(f'“{t}”' for t in missing)})" if missing else ""
        return Decision(False, f"{CLOSEST} do not say what you asked{said}", score, nums)
    return Decision(True, "", score, nums)


def decide(
    question: str,
    passages: list[Hit],
    draft: str,
    *,
    index: object | None = None,
    params: Params = DEFAULT,
    judge: Callable[[str, str], float] | None = None,
    judge_threshold: float = 0.5,
    settings: object | None = None,
    cited: list[Hit] | None = None,
    records: bool = False,
) -> Decision:
    """Answer `question` with `draft` (written from `passages`), or decline and say why.
    `index` (an rag_council.index.Index) gives the word rarities the score weighs by; `judge`
    (question, passages) -> P(the passages answer it) can veto an answer that passed; with
    `settings` (AnswerSettings) whose `verify` is "local" the local model is that judge."""
    if judge is None and getattr(settings, "verify", "off") == "local":
        judge = local_judge(settings.local)  # type: ignore[union-attr]
        judge_threshold = float(getattr(settings, "judge_threshold", judge_threshold))
    idf = idf_of(index) if index is not None else None
    decision = decide_from(features(question, passages, draft, idf, cited, records), params)
    if decision.answer and judge is not None:
        p = judge(question, draft)
        feats = {**decision.features, "judge": p}
        if p < judge_threshold:
            return Decision(False, f"{CLOSEST} do not answer it, the local judge says", decision.score, feats)
        return Decision(True, "", decision.score, feats)
    return decision


_JUDGES: dict[str, Callable[[str, str], float]] = {}


def local_judge(local_settings: object) -> Callable[[str, str], float]:
    """One LocalJudge per model configuration (the model loads once)."""
    from rag_council.answer.judge import LocalJudge

    key = repr(local_settings)
    if key not in _JUDGES:
        _JUDGES[key] = LocalJudge(local_settings)  # type: ignore[arg-type]
    return _JUDGES[key]
