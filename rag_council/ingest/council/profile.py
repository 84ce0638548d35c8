"""A council's own rules, as data: what its documents' running headers and footers say, which
headings are agenda furniture, the headings of its officer report template, the acronyms its
titles keep in capitals.

The parser reads everything council-specific from a `CouncilProfile`; `HEREFORDSHIRE` is the
default (the bundled corpus). A second council changes the rules without editing the parser,
in the `[council]` table of the ingest folder's manifest.toml:

    [council]
    name = "Shropshire"                                   # a profile's own name
    running_header = 'Shropshire Council \\d{1,2} [A-Z]{3,9} \\d{4}'
    report_footer = "For more information about this report contact"
    acronyms = ["SEND", "NHS", "SEMH"]                   # replaces the list
    extra_boilerplate_headings = ["Webcasting of meetings"]  # added to the list

Fields not given keep Herefordshire's values; `extra_*` fields add to a list rather than
replace it. Patterns are Python regular expressions (matched against a stripped line,
case-insensitively where the field says so).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rag_council.errors import RagCouncilError


class CouncilProfileError(RagCouncilError):
    """A `[council]` table in a manifest that cannot be read as a profile."""


@dataclass(frozen=True)
class CouncilProfile:
    name: str
    # The running header of agenda packs, a whole line ('Herefordshire Council 12 MARCH 2024').
    running_header: str
    # The first line of the running footer of officer reports (a contact line may follow it).
    report_footer: str
    # Residue of the council's document templates, removed in this order (regular expressions;
    # '(?m)^...' for whole lines).
    template_residue: tuple[str, ...]
    # Headings of agenda furniture (case-insensitive regular expressions): left out of the index.
    boilerplate_headings: tuple[str, ...]
    # Headings of the officer report template, in the order they usually come.
    report_headings: tuple[str, ...]
    # Report headings (lower case) after which the cover sheet has ended.
    cover_end: tuple[str, ...]
    # Acronyms kept in capitals when a title in capitals is put in sentence case.
    acronyms: tuple[str, ...]

    def with_overrides(self, table: Mapping[str, Any]) -> CouncilProfile:
        """This profile with the fields of `table` (a manifest's `[council]` table) replaced,
        and its `extra_<field>` lists added."""
        fields = {f.name: f for f in dataclasses.fields(self)}
        changes: dict[str, Any] = {}
        # Replacements first, then the extra_ entries (added to the replaced list).
        for key, value in sorted(table.items(), key=lambda kv: kv[0].startswith("extra_")):
            base = key.removeprefix("extra_")
            if base not in fields or (key != base and base == "name"):
                known = ", ".join(sorted(fields))
                raise CouncilProfileError(
                    f"unknown council profile field '{key}'; use one of {known} (or extra_<field> to add to a list)"
                )
            current = getattr(self, base)
            if isinstance(current, tuple):
                if isinstance(value, str) or not isinstance(value, list | tuple):
                    raise CouncilProfileError(f"council profile field '{key}' must be a list of strings")
                items = tuple(str(v) for v in value)
                changes[base] = (*changes.get(base, current), *items) if key != base else items
            elif key != base:
                raise CouncilProfileError(f"'{key}': only list fields take extra_ entries")
            else:
                changes[base] = str(value)
        profile = dataclasses.replace(self, **changes) if changes else self
        for name in ("running_header", "template_residue", "boilerplate_headings"):
            if name in changes:
                value = getattr(profile, name)
                for pattern in value if isinstance(value, tuple) else (value,):
                    try:
                        re.compile(pattern)
                    except re.error as exc:
                        raise CouncilProfileError(
                            f"council profile field '{name}': {pattern!r} is not a regular expression ({exc})"
                        ) from exc
        return profile


HEREFORDSHIRE = CouncilProfile(
    name="Herefordshire",
    running_header=r"Herefordshire Council \d{1,2} [A-Z]{3,9} \d{4}",
    report_footer="Further information on the subject of this report is available from",
    template_residue=(
        r"Click or tap (?:here )?to enter (?:text|a date)\.",
        r"(?m)^Please include a glossary of terms, abbreviations and acronyms used in this report\.[ \t]*\n*",
        r"(?m)^[ \t]*Insert signature[ \t]*\n+",
        r"[ \t]*\(\*?insert hyperlink\*?\)",
        r"[ \t]*I will update these details",
        r"(?m)^\(Add estimated figures[^)\n]*\)[ \t]*\n*",
    ),
    boilerplate_headings=(
        r"The public'?s rights to information and attendance at meetings",
        r"Recording of (?:this )?meetings?",
        r"Public transport links",
        r"Fire and emergency evacuation procedure",
        r"Guide to Cabinet",
        r"The seven principles of public life",
        r"\(Nolan Principles\)",
        r"Who attends cabinet meetings\??",
    ),
    report_headings=(
        "Classification",
        "Decision type",
        "Key decision",
        "Wards affected",
        "Purpose",
        "Purpose and summary",
        "Recommendation(s)",
        "Recommendations",
        "Alternative options",
        "Key considerations",
        "Officer's Response",
        "Reasons for recommendations",
        "Community impact",
        "Environmental impact",
        "Equality duty",
        "Resource implications",
        "Financial implications",
        "Legal implications",
        "Risk management",
        "Consultees",
        "Appendices",
        "Background papers",
        "Report Reviewers Used for appraising this report",
        "Glossary of terms, abbreviations and acronyms used in this report",
    ),
    cover_end=("alternative options", "key considerations", "reasons for recommendations"),
    acronyms=(
        "SEND",
        "CAMHS",
        "HSCP",
        "EHCP",
        "NHS",
        "ICB",
        "LGA",
        "SGO",
        "CYP",
        "UK",
        "ICT",
        "IRO",
        "MASH",
        "DCO",
    ),
)

DEFAULT_PROFILE = HEREFORDSHIRE


def profile_from_table(
    table: Mapping[str, Any] | None, base: CouncilProfile = DEFAULT_PROFILE
) -> CouncilProfile:
    """The profile a manifest's `[council]` table describes (Herefordshire's where it is silent)."""
    return base.with_overrides(table) if table else base
