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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from rag_council.answer.base import NO_ANSWER
from rag_council.answer.kind import asked_kind
from rag_council.text import anchor_present, content_terms, question_anchors, stem, words
from rag_council.types import Hit

CLOSEST = "the passages closest to your question"

# --- anchors -------------------------------------------------------------------------------

_ORDINALS = (
    "second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|"
    r"2nd|3rd|[4-9]th|1[0-2]th"
)
_ORDINAL = re.compile(rf"\b({_ORDINALS})\b", re.I)
_ORDINAL_NOUNS = re.compile(
    r"^(?:visits?|meetings?|inspections?|reviews?|reports?|item|round|year|time|session|"
    r"freem[ae]n|version|quarter|edition|strateg(?:y|ies)|plans?|panel|board)$",
    re.I,
)


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
    for m in re.finditer(rf"\b{re.escape(ordinal)}\b", text):
        after = [stem(w) for w in words(text[m.end() : m.end() + 60])[:5]]
        if noun in after:
            return True
    return False


def missing_anchors(question: str, passages: list[Hit]) -> list[str]:
    """Specific things the question names (a year, a quarter, a number, a name, an ordinal with
    its noun) that none of `passages` mentions, in its text or its metadata."""
    haystack = " ".join(
        f"{h.chunk.text} {h.chunk.label} {' '.join(str(v) for v in h.chunk.meta.values())}" for h in passages
    ).lower()
    missing = [a for a in question_anchors(question) if not anchor_present(a, haystack)]
    for ordinal, noun in ordinal_anchors(question):
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
    "Commission|Commissioner|Member|Members|Unit|Centre|House|Street|Road|Fund|Funding"
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
_ORG_SUFFIX = re.compile(
    r"\b[A-Z][\w&'’-]*(?:\s+(?:[A-Z][\w&'’-]*|of|and|for|the|&))*\s+"
    r"(?:Ltd|Limited|plc|PLC|LLP|CIC|Trust|Group|Partnership|Foundation|Charity|Agency|Services|"
    r"Council|Centre|Association|Society|Company|Consortium|Network|England|Alliance|Care)\b"
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
            if {stem(w) for w in words(m.group(0))} - asked - {"councillor", "cllr", "mr", "mrs", "ms"}:
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
            r"^\s*(?:which|what)\s+(?:company|companies|firm|firms|organisation|organisations|"
            r"organization|provider|providers|agency|agencies|contractor|contractors|supplier|"
            r"suppliers|charity|charities|developer|builder|consultancy|business)\b",
            re.I,
        ),
        "an organisation",
    ),
    (
        re.compile(
            r"^\s*(?:which|what)\s+(?:councillor|councillors|officer|officers|member|members|person|"
            r"people|director|manager|chair)\b|^\s*who\s+(?:replaced|succeeded|became|was appointed|"
            r"took over|chaired|chairs|is the|was the|signed|wrote|proposed|seconded)\b",
            re.I,
        ),
        "a person",
    ),
    (re.compile(r"^\s*what\s+(?:is|was|were|are)\s+the\s+names?\s+of\b", re.I), "a name"),
]


def asked(question: str) -> Ask | None:
    """What the question asks for (None: nothing this step can check)."""
    for opening, kind in _ASKS:
        if opening.search(question):
            if kind == "a list of votes":
                per_member = re.search(r"member by member|how many|for and against|results?", question, re.I)
                return Ask(kind, _has(_VOTE_COUNT if per_member else _VOTE))
            if kind == "an organisation":
                return Ask(kind, _new_names(question, _ORG_SUFFIX))
            if kind == "a person":
                person = _new_names(question, _PERSON)
                # "Who chairs the panel?" is answered by a role ("the Head of Service") too
                role = re.search(r"\bchair", question, re.I) is not None
                return Ask(kind, lambda t, p=person, r=role: p(t) or (r and _ROLE.search(t) is not None))
            if kind == "a name":
                people, orgs = _new_names(question, _PERSON), _new_names(question, _ORG_SUFFIX)
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


DEFAULT = Params()


@dataclass(frozen=True)
class Decision:
    answer: bool
    reason: str  # why not (empty when answering)
    score: float  # the blended score (1.0 when nothing could be scored)
    features: Mapping[str, float] = field(default_factory=dict)


_IDF: weakref.WeakKeyDictionary[object, dict[str, float]] = weakref.WeakKeyDictionary()


def idf_of(index: object) -> dict[str, float]:
    """Inverse document frequency of every stemmed word over an index's chunks (computed once
    per index object, about a second for the bundled corpus)."""
    try:
        cached = _IDF.get(index)
    except TypeError:  # not weak-referenceable
        cached = None
    if cached is not None:
        return cached
    all_ids = getattr(index, "all_chunk_ids", None)
    chunks = getattr(index, "chunks", None)
    table: dict[str, float] = {}
    if callable(all_ids) and callable(chunks):
        texts = [c.text for c in chunks(all_ids())]
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
    unseen = (idf or {}).get("", 1.0)

    def weight(t: str) -> float:
        return (idf or {}).get(t, unseen) if idf else 1.0

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
) -> dict[str, float | str | list[str]]:
    """Everything the decision reads, for the decision and for tuning it. `cited`: the passages
    the draft's markers number ([n] is cited[n-1]) when they are not `passages` (a checked
    answer's markers are renumbered to its citations)."""
    text = re.sub(r"\[\d+(?:\s*,\s*\d+)*\]", " ", draft)
    cov, missing = coverage(question, text, idf)
    numbered = passages if cited is None else cited
    markers = sorted(
        {int(n) for m in re.finditer(r"\[(\d+(?:\s*,\s*\d+)*)\]", draft) for n in m.group(1).split(",")}
    )
    cited_hits = [numbered[n - 1] for n in markers if 0 < n <= len(numbered)]
    years = [a for a in question_anchors(question) if re.fullmatch(r"(?:19|20)\d\d", a)]
    return {
        "missing_anchors": missing_anchors(question, passages),
        "missing_cited_years": [y for y in years if cited_hits and y in missing_anchors(y, cited_hits)],
        "figure_without_year": figure_without_year(question, text, cited_hits, years),
        "missing_kind": missing_kind(question, text) or "",
        "coverage": cov,
        "missing_terms": missing,
        "relevance": relevance(passages),
    }


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
    if rules and params.cited_years and feats.get("figure_without_year"):
        names = ", ".join(f"“{m}”" for m in feats["figure_without_year"])  # type: ignore[union-attr]
        return Decision(False, f"{CLOSEST} give figures for other years than {names}", score, nums)
    if rules and feats["missing_kind"]:
        kind = str(feats["missing_kind"])
        what = kind.split(" ", 1)[-1]
        return Decision(False, f"{CLOSEST} do not give the {what} asked for", score, nums)
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
    judge: Callable[[str, list[Hit]], float] | None = None,
    judge_threshold: float = 0.5,
    settings: object | None = None,
    cited: list[Hit] | None = None,
) -> Decision:
    """Answer `question` with `draft` (written from `passages`), or decline and say why.
    `index` (an rag_council.index.Index) gives the word rarities the score weighs by; `judge`
    (question, passages) -> P(the passages answer it) can veto an answer that passed; with
    `settings` (AnswerSettings) whose `verify` is "local" the local model is that judge."""
    if judge is None and getattr(settings, "verify", "off") == "local":
        judge = local_judge(settings.local)  # type: ignore[union-attr]
    idf = idf_of(index) if index is not None else None
    decision = decide_from(features(question, passages, draft, idf, cited), params)
    if decision.answer and judge is not None:
        p = judge(question, passages)
        feats = {**decision.features, "judge": p}
        if p < judge_threshold:
            return Decision(False, f"{CLOSEST} do not answer it, the local judge says", decision.score, feats)
        return Decision(True, "", decision.score, feats)
    return decision


_JUDGES: dict[str, Callable[[str, list[Hit]], float]] = {}


def local_judge(local_settings: object) -> Callable[[str, list[Hit]], float]:
    """One LocalJudge per model configuration (the model loads once)."""
    from rag_council.answer.judge import LocalJudge

    key = repr(local_settings)
    if key not in _JUDGES:
        _JUDGES[key] = LocalJudge(local_settings)  # type: ignore[arg-type]
    return _JUDGES[key]
