"""Text: one home per concept, used by parsing, retrieval, answering, checking and evaluation.

* `tokens`: words, stems, stopwords, content words and terms, negation and absolutes;
* `dates`: month names, date patterns, `find_date`, `months`, `periods`, `format_date`;
* `numbers`: number words, scales, number values, amounts and percentages;
* `sentences`: sentence units with offsets, answer sentences, span search;
* `anchors`: what a question asks about specifically (years, numbers, names), and names.

The names below are re-exported for `from rag_council.text import ...`."""

from rag_council.text.anchors import anchor_present, names, question_anchors
from rag_council.text.dates import MONTHS, find_date, format_date, months
from rag_council.text.numbers import numbers
from rag_council.text.sentences import ends_sentence, find_span, sentence_spans, split_sentences
from rag_council.text.tokens import STOPWORDS, content_terms, content_words, squash, stem, terms, words

__all__ = [
    "MONTHS",
    "STOPWORDS",
    "anchor_present",
    "content_terms",
    "content_words",
    "ends_sentence",
    "find_date",
    "find_span",
    "format_date",
    "months",
    "names",
    "numbers",
    "question_anchors",
    "sentence_spans",
    "split_sentences",
    "squash",
    "stem",
    "terms",
    "words",
]
