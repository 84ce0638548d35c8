"""Gold questions: JSON Lines, one question per line.

    {"id": "q001", "question": "...", "answer": "...", "quotes": ["..."], "sources": ["file.txt"],
     "kind": "decision"}

`answer` is "" and `quotes` is [] when the documents do not answer the question (then `kind`
is "unanswerable"). `sources[i]` names the corpus file that holds `quotes[i]` (one source for
all quotes is accepted too). Errors name the file and line."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rag_council.errors import RagCouncilError

UNANSWERABLE = "unanswerable"
KNOWN_KINDS = (
    "decision",
    "public_question",
    "strategy",
    "figure",
    "attendance",
    "procedure",
    "report",
    "multi_hop",
    UNANSWERABLE,
)


class GoldError(RagCouncilError):
    """The gold questions file is missing or malformed."""

    hint = "See evals/README.md for the format."


@dataclass(frozen=True)
class GoldItem:
    id: str
    question: str
    answer: str
    quotes: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    kind: str = ""
    line: int = 0
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def answerable(self) -> bool:
        return bool(self.quotes) and self.kind != UNANSWERABLE

    def source_of(self, i: int) -> str | None:
        if not self.sources:
            return None
        return self.sources[i] if i < len(self.sources) else self.sources[-1]

    def to_json(self) -> dict:
        data = asdict(self)
        data["quotes"] = list(self.quotes)
        data["sources"] = list(self.sources)
        data.pop("line")
        data.pop("extra")
        return data


def _str_list(value: object, name: str, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise GoldError(f"{where}: '{name}' must be a list of strings.")
    return tuple(value)


def parse_gold_line(text: str, where: str) -> GoldItem:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise GoldError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno}).") from None
    if not isinstance(data, dict):
        raise GoldError(f"{where}: each line must be a JSON object.")
    missing = [k for k in ("id", "question", "answer", "quotes", "kind") if k not in data]
    if missing:
        raise GoldError(f"{where}: missing field(s) {', '.join(missing)}.")
    for key in ("id", "question", "answer", "kind"):
        if not isinstance(data[key], str):
            raise GoldError(f"{where}: '{key}' must be a string.")
    if not data["id"].strip() or not data["question"].strip():
        raise GoldError(f"{where}: 'id' and 'question' must not be empty.")
    quotes = _str_list(data["quotes"], "quotes", where)
    sources = _str_list(data.get("sources", []), "sources", where)
    if any(not q.strip() for q in quotes):
        raise GoldError(f"{where}: a quote is empty.")
    kind = data["kind"].strip()
    if kind == UNANSWERABLE and (quotes or data["answer"].strip()):
        raise GoldError(f'{where}: an unanswerable question must have answer "" and quotes [].')
    if kind != UNANSWERABLE and not quotes:
        raise GoldError(f"{where}: kind '{kind}' needs at least one quote (or use kind 'unanswerable').")
    if quotes and sources and len(sources) not in (1, len(quotes)):
        raise GoldError(f"{where}: 'sources' must name one file, or one file per quote ({len(quotes)}).")
    if quotes and not sources:
        raise GoldError(f"{where}: 'sources' must name the file of each quote.")
    extra = {
        k: v for k, v in data.items() if k not in {"id", "question", "answer", "quotes", "sources", "kind"}
    }
    return GoldItem(data["id"], data["question"], data["answer"], quotes, sources, kind, 0, extra)


def load_gold(path: str | Path) -> list[GoldItem]:
    """All questions of a gold file, in file order. Raises GoldError naming the line."""
    path = Path(path)
    if not path.is_file():
        raise GoldError(f"Gold file {path} does not exist.")
    items: list[GoldItem] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path.name} line {number}"
        item = parse_gold_line(line, where)
        if item.id in seen:
            raise GoldError(f"{where}: id '{item.id}' repeats line {seen[item.id]}.")
        seen[item.id] = number
        items.append(GoldItem(**{**item.__dict__, "line": number}))
    if not items:
        raise GoldError(f"Gold file {path} holds no questions.")
    return items


def check_quotes(items: list[GoldItem], corpus: str | Path) -> list[str]:
    """Problems with quotes: a source that is not in `corpus`, a quote not verbatim in its source."""
    corpus = Path(corpus)
    cache: dict[str, str | None] = {}
    problems: list[str] = []
    for item in items:
        for i, quote in enumerate(item.quotes):
            source = item.source_of(i)
            if source is None:
                continue
            if source not in cache:
                file = corpus / source
                cache[source] = file.read_text(encoding="utf-8") if file.is_file() else None
            text = cache[source]
            if text is None:
                problems.append(f"{item.id} (line {item.line}): source {source} is not in {corpus}")
            elif quote not in text:
                problems.append(
                    f"{item.id} (line {item.line}): quote {i + 1} is not verbatim in {source}: {quote[:80]!r}"
                )
    return problems
