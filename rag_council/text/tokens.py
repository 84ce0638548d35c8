"""Tokens and content words: the one home of how text is cut into words for matching.

* `words`: every word, number and amount, lower case (the base tokeniser of the project);
* `stem`: the light suffix stripper all matching uses;
* `content_words` / `content_terms`: stemmed words without stopwords (retrieval, reranking,
  citing, answering);
* `terms`: content stems for support checking (numbers and months handled apart, hyphenated
  words split), with the negation and absolute words a claim and a passage must agree on;
* `title_words`: the words that tell two document titles apart (council parsing);
* `match_tokens`: the runs of letters and digits of normalised text (evaluation quote matching);
* `squash`: whitespace folded."""

from __future__ import annotations

import functools
import re

from rag_council.text.dates import MONTHS

STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "also",
        "may",
        "might",
        "must",
        "shall",
        "us",
        "within",
        "upon",
        "per",
        "via",
        "etc",
        "tell",
        "say",
        "said",
        "says",
        "know",
        "please",
        "give",
        "given",
        "get",
        "got",
        "council",
        "councils",
        "herefordshire",
    ]
)

_WORD = re.compile(r"[A-Za-z0-9£$%][A-Za-z0-9£$%'’.,-]*[A-Za-z0-9%]|[A-Za-z0-9£%]")


def words(text: str) -> list[str]:
    return [w.lower().replace("’", "'").rstrip(".,") for w in _WORD.findall(text)]


@functools.lru_cache(maxsize=200_000)  # pure, and a council's vocabulary repeats (the reranker's hot spot)
def stem(word: str) -> str:
    """A light suffix stripper: enough to match 'adopted'/'adoption'/'adopters' loosely."""
    word = word.lower().removesuffix("'s")
    for suffix in ("ations", "ation", "ings", "ing", "ies", "ied", "ers", "er", "ed", "es", "s", "ly"):
        if len(word) - len(suffix) >= 4 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def content_words(text: str) -> list[str]:
    """The stemmed content words of `text` in order, repeats kept (stopwords and words of
    one or two letters, numbers aside, left out)."""
    return [stem(w) for w in words(text) if w not in STOPWORDS and (len(w) > 2 or w.isdigit())]


def content_terms(text: str) -> list[str]:
    """The distinct stemmed content words of `text`, in order of first use."""
    return list(dict.fromkeys(content_words(text)))


def squash(text: str) -> str:
    return " ".join(text.split())


def match_tokens(normalised: str) -> list[str]:
    """Runs of letters, digits, '£', '$' and '%' of already normalised (lower-case) text."""
    return re.findall(r"[a-z0-9£$%]+", normalised)


def loose_words(text: str) -> list[str]:
    """Word-like runs (letters, digits, apostrophes, hyphens): for counting a question's words."""
    return re.findall(r"[\w'-]+", text)


# --- support checking: content stems, negation, absolutes -----------------------------------

NEGATIONS = frozenset({
    "not", "no", "never", "none", "nor", "neither", "without", "cannot", "nobody", "nothing",
    "unable", "refused", "rejected", "declined", "disallowed",
})  # fmt: skip
_NEG_CONTRACTION = re.compile(r"\b\w+n[’']t\b", re.IGNORECASE)
_CONTRACTED = frozenset({
    "dont", "doesnt", "didnt", "isnt", "wasnt", "arent", "werent", "hasnt", "havent", "hadnt",
    "wont", "wouldnt", "cant", "couldnt", "shouldnt",
})  # fmt: skip
_CLAUSE_END = re.compile(r"[,;:!?()\n]|\.(?=\s|$)|\s[-–—]\s")


def terms(text: str) -> list[str]:
    """Content-word stems, in order, without repeats (numbers are handled separately)."""
    seen: dict[str, None] = {}
    for w in words(text):
        w = w.removesuffix("'s").replace("'", "")
        if w in STOPWORDS or w in NEGATIONS or len(w) <= 2 or any(ch.isdigit() for ch in w) or w in MONTHS:
            continue
        for part in w.split("-"):
            if len(part) > 2 and part not in STOPWORDS:
                seen.setdefault(stem(part), None)
    return list(seen)


def negated(text: str) -> bool:
    return bool(_NEG_CONTRACTION.search(text)) or any(w in NEGATIONS for w in words(text))


def negated_terms(text: str, reach: int = 4) -> set[str]:
    """Stems of the words within `reach` words after a negation and in its clause: in 'did not
    constitute a pecuniary interest' -> {'constitute', 'pecuniary', 'interest'}."""
    out: set[str] = set()
    # A negation reaches to the end of its clause at most: in 'there are no concerns, to a
    # child in need plan' the child is not negated.
    for clause in _CLAUSE_END.split(text):
        tokens = [w.replace("'", "") for w in words(clause)]
        for i, w in enumerate(tokens):
            if w in NEGATIONS or w in _CONTRACTED:
                out.update(stem(t) for t in tokens[i + 1 : i + 1 + reach] if t not in STOPWORDS)
            elif w.startswith("non-") and len(w) > 6:
                out.add(stem(w[4:]))
    return out


# Words that make a claim absolute or final; a passage must say them too ('aims to ensure
# most children' does not support 'guarantees every child').
_ABSOLUTES = {
    "all": "all", "every": "all", "each": "all", "always": "always", "never": "never",
    "guarantee": "guarantee", "guarantees": "guarantee", "guaranteed": "guarantee",
    "formally": "formally", "already": "already", "confirmed": "confirmed", "immediately": "immediately",
    "immediate": "immediately", "only": "only", "entirely": "entirely", "completely": "entirely",
}  # fmt: skip


def absolutes(text: str) -> set[str]:
    return {_ABSOLUTES[w] for w in words(text) if w in _ABSOLUTES}


# --- document titles ---------------------------------------------------------------------

_TITLE_STOP = {
    "a", "an", "and", "the", "of", "for", "to", "in", "on", "with", "our", "by", "at", "is", "be",
    "are", "as", "from", "draft", "final", "proposed", "its", "this", "that",
} | set(MONTHS)  # fmt: skip


def title_words(text: str) -> set[str]:
    """Content words, for matching an appendix title listed in a report with the title line
    of the appendix (dates and numbers left out: they are written differently)."""
    found = (re.sub(r"'s?$", "", w) for w in re.findall(r"[a-z][a-z0-9'’]*", text.lower().replace("’", "'")))
    return {w for w in found if w not in _TITLE_STOP and w != "appendix" and len(w) > 1}
