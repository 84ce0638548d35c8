"""Cleaning that never loses the way back to the source.

`TrackedText` is a string plus, for every character, the offset in the source text it came
from. Every cleaning step is a regex substitution on it; characters that a replacement inserts
are attributed to the start of the match they replace. Rules should match only what they
remove or change (use look-arounds for context), so that the text they keep keeps its origin.

`OffsetMap` is the compact, persisted form: runs of (clean_start, source_start, length).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

Replacement = str | Callable[[re.Match[str]], str]


class TrackedText:
    __slots__ = ("origin", "text")

    def __init__(self, text: str, origin: list[int] | None = None) -> None:
        self.text = text
        self.origin = origin if origin is not None else list(range(len(text)))
        assert len(self.origin) == len(self.text)

    def sub(self, pattern: str | re.Pattern[str], repl: Replacement, flags: int = 0) -> TrackedText:
        regex = re.compile(pattern, flags) if isinstance(pattern, str) else pattern
        parts: list[str] = []
        origin: list[int] = []
        last = 0
        for match in regex.finditer(self.text):
            start, end = match.span()
            parts.append(self.text[last:start])
            origin.extend(self.origin[last:start])
            new = repl(match) if callable(repl) else match.expand(repl)
            if new:
                anchor = (
                    self.origin[start]
                    if start < len(self.origin)
                    else (self.origin[-1] + 1 if self.origin else 0)
                )
                kept = match.group(0)
                if new == kept:  # unchanged: keep exact origins
                    origin.extend(self.origin[start:end])
                else:
                    origin.extend([anchor] * len(new))
                parts.append(new)
            last = end
        if last == 0 and not parts:
            return self
        parts.append(self.text[last:])
        origin.extend(self.origin[last:])
        return TrackedText("".join(parts), origin)

    def apply(
        self, rules: Iterable[tuple[str | re.Pattern[str], Replacement]], flags: int = 0
    ) -> TrackedText:
        out = self
        for pattern, repl in rules:
            out = out.sub(pattern, repl, flags)
        return out

    def offset_map(self) -> OffsetMap:
        return OffsetMap.from_origin(self.origin)


@dataclass
class OffsetMap:
    runs: list[tuple[int, int, int]]  # (clean_start, source_start, length), clean_start ascending

    @classmethod
    def from_origin(cls, origin: list[int]) -> OffsetMap:
        runs: list[tuple[int, int, int]] = []
        for i, src in enumerate(origin):
            if runs:
                c, s, n = runs[-1]
                if c + n == i and s + n == src:
                    runs[-1] = (c, s, n + 1)
                    continue
            runs.append((i, src, 1))
        return cls(runs)

    def to_source(self, offset: int) -> int:
        """The source offset of clean offset `offset`."""
        if not self.runs:
            return offset
        lo, hi = 0, len(self.runs) - 1
        while lo < hi:  # last run with clean_start <= offset
            mid = (lo + hi + 1) // 2
            if self.runs[mid][0] <= offset:
                lo = mid
            else:
                hi = mid - 1
        c, s, n = self.runs[lo]
        return s + min(offset - c, max(n - 1, 0)) if offset >= c else s

    def span_to_source(self, start: int, end: int) -> tuple[int, int]:
        if end <= start:
            src = self.to_source(start)
            return src, src
        return self.to_source(start), self.to_source(end - 1) + 1


# --- generic rules, safe for any document -------------------------------------------------

_BLOCK_TAGS = r"p|div|br|li|ul|ol|tr|table|h[1-6]|section|article|header|footer|blockquote"

GENERIC_RULES: list[tuple[str, Replacement]] = [
    (r"\r\n?", "\n"),
    (r"[\u00a0\u2007\u202f]", " "),
    (r"[\u200b\ufeff]", ""),
    # Inline HTML that survived conversion: block tags become line breaks, others vanish.
    (rf"</?(?:{_BLOCK_TAGS})\b[^>]*>", "\n"),
    (r"</?[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]*)?/?>", ""),
    (r"&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]{2,8});", lambda m: html.unescape(m.group(0))),
    # Dead markdown links keep their text: [text](#) -> text
    # (Only the brackets are removed, so the link text keeps its exact origins.)
    (r"\[(?=[^\]\n]{1,200}\]\(#?\))", ""),
    (r"(?<=[^\[\n])\]\(#?\)", ""),
    # Lone page numbers on their own line.
    (r"(?m)^[ \t]*\d{1,3}[ \t]*$\n?", ""),
    # Trailing spaces and tabs.
    (r"(?m)[ \t]+$", ""),
    # A sentence broken by a page break: 'It was\n\nexplained' -> 'It was explained'.
    (r"(?<=[a-z,;])\n{2,}(?=[a-z])", " "),
    (r"\n{3,}", "\n\n"),
]


# PDF text extraction keeps the printed line wraps: join a line to the next when it does not
# end a sentence or a label and the next one continues it in lower case or with a number.
PDF_RULES: list[tuple[str, Replacement]] = [
    (r"(?<=[^\s.:;!?])[ \t]*\n(?=[a-z0-9(£\u2018\u201c])", " "),
]


def clean_text(text: str, extra_rules: Iterable[tuple[str, Replacement]] = ()) -> TrackedText:
    """Generic cleaning, then `extra_rules` (e.g. council-specific ones)."""
    return TrackedText(text).apply(GENERIC_RULES).apply(extra_rules)


_WS = re.compile(r"\s+")


def normalise_for_match(text: str) -> str:
    """Lower-case, markup-free, whitespace-folded text for comparing quotes with passages."""
    text = re.sub(r"<[^>]+>", " ", text)
    text = html.unescape(text)
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    text = re.sub(r"[*_#`]+", "", text)
    return _WS.sub(" ", text).strip().lower()
