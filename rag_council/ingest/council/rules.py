"""Cleaning council documents: HTML in table rows made inline, then the generic rules, the
format's rules (PDF line joins), then the council's: its running header and footer and the
residue of its templates (from the `CouncilProfile`), DRAFT watermarks and the blank lines and
lone page numbers the removals leave."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from rag_council.ingest.cleaning import GENERIC_RULES, Replacement, TrackedText
from rag_council.ingest.council.profile import DEFAULT_PROFILE, CouncilProfile

# Before the generic rules: HTML inside a tab-separated table row becomes inline text, so the
# row stays on one line (the generic rule would turn <p> into line breaks).
_ROW_WITH_HTML = re.compile(r"(?m)^[^\n]*\t[^\n]*<[^\n]*$")
_TAG = r"</?(?:p|ul|ol|li|br|div|span|u|i|b|em|strong)\b[^>]*>"
_ROW_TAG_RULES: list[tuple[str, Replacement]] = [
    (r"</(?:p|li|div)>\s*<(?:p|li|div)\b[^>]*>", "; "),
    (rf"(?:(?<=\t)|^)(?:[ ]*{_TAG}[ ]*)+|(?:[ ]*{_TAG}[ ]*)+(?=\t|$)", ""),
    (rf"(?:[ ]*{_TAG}[ ]*)+", " "),
]

# After the council's own rules: lone page numbers left by the removals, trailing blanks,
# sentences broken by a removed header joined again.
_TIDY_RULES: list[tuple[str, Replacement]] = [
    (r"(?m)^[ \t]*\d{1,3}[ \t]*$\n?", ""),
    (r"(?m)[ \t]+$", ""),
    (r"(?<=[a-z,;])\n{2,}(?=[a-z])", " "),
    (r"\n{3,}", "\n\n"),
]


@lru_cache(maxsize=8)
def council_rules(profile: CouncilProfile = DEFAULT_PROFILE) -> tuple[tuple[str, Replacement], ...]:
    """The council cleaning rules of `profile`, in the order they apply."""
    return (
        # Running footer of officer reports, with the contact line under it.
        (
            rf"(?m)^{re.escape(profile.report_footer)}[ \t]*\n+"
            r"(?:[^\n]*(?:Tel|tel|email|\(0\d{4}\)|0\d{4} ?\d{6})[^\n]*\n+)?",
            "",
        ),
        # Running header of agenda packs.
        (rf"(?m)^{profile.running_header}[ \t]*\n+", ""),
        # DRAFT watermarks on their own line.
        (r"(?m)^[ \t]*DRAFT[ \t]*\n+", ""),
        *((pattern, "") for pattern in profile.template_residue),
        *_TIDY_RULES,
    )


COUNCIL_RULES = list(council_rules(DEFAULT_PROFILE))


def sub_within(
    tracked: TrackedText, outer: re.Pattern[str], rules: Iterable[tuple[str, Replacement]]
) -> TrackedText:
    """Apply `rules` only inside matches of `outer`, keeping exact origins elsewhere."""
    rules = list(rules)
    text, origin = tracked.text, tracked.origin
    parts: list[str] = []
    origins: list[int] = []
    last = 0
    for match in outer.finditer(text):
        a, b = match.span()
        parts.append(text[last:a])
        origins.extend(origin[last:a])
        inner = TrackedText(text[a:b], origin[a:b]).apply(rules)
        parts.append(inner.text)
        origins.extend(inner.origin)
        last = b
    if last == 0:
        return tracked
    parts.append(text[last:])
    origins.extend(origin[last:])
    return TrackedText("".join(parts), origins)


def council_clean(
    text: str,
    format_rules: Iterable[tuple[str, Replacement]] = (),
    profile: CouncilProfile = DEFAULT_PROFILE,
) -> TrackedText:
    """HTML in table rows made inline, then the generic rules, `format_rules` (e.g. PDF line
    joins), then the council rules of `profile`."""
    tracked = sub_within(TrackedText(text), _ROW_WITH_HTML, _ROW_TAG_RULES)
    return tracked.apply(GENERIC_RULES).apply(format_rules).apply(council_rules(profile))
