"""Council documents: cleaning rules and the structure of minutes, agenda packs, public
questions, officer reports, appendices and strategies.

* `profile`: what is particular to one council (running header and footer, template residue,
  boilerplate and report headings, acronyms) as data, `CouncilProfile`; Herefordshire's is
  the default, a manifest's `[council]` table changes it;
* `rules`: cleaning, `council_clean(text)` -> TrackedText (origins kept, see cleaning.py);
* `classify`: the lines of a text and what each looks like;
* `parse`: the state machine, `parse_council(text, title)` -> CouncilParse or None (the caller
  then falls back to generic markdown sections, with a warning);
* `sections`: parts to sections (split at headings, small ones merged, tables apart);
* `labels`: `make_label`, the human-readable place of a section.
"""

from rag_council.ingest.council.classify import heading_level, is_heading, sentence_case
from rag_council.ingest.council.labels import make_label
from rag_council.ingest.council.parse import CouncilParse, Part, parse_council
from rag_council.ingest.council.profile import (
    DEFAULT_PROFILE,
    HEREFORDSHIRE,
    CouncilProfile,
    CouncilProfileError,
    profile_from_table,
)
from rag_council.ingest.council.rules import COUNCIL_RULES, council_clean, council_rules, sub_within
from rag_council.ingest.structure import clean_heading
from rag_council.text.dates import find_date

__all__ = [
    "COUNCIL_RULES",
    "DEFAULT_PROFILE",
    "HEREFORDSHIRE",
    "CouncilParse",
    "CouncilProfile",
    "CouncilProfileError",
    "Part",
    "clean_heading",
    "council_clean",
    "council_rules",
    "find_date",
    "heading_level",
    "is_heading",
    "make_label",
    "parse_council",
    "profile_from_table",
    "sentence_case",
    "sub_within",
]
