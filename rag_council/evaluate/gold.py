"""Gold questions: JSON Lines, one question per line.

    {"id": "q001", "question": "...", "answer": "...", "quotes": ["..."], "sources": ["file.txt"],
     "kind": "decision"}

`answer` is "" and `quotes` is [] when the documents do not answer the question (then `kind`
is "unanswerable"). `sources` names the corpus files that hold the quotes: one per quote
(`sources[i]` holds `quotes[i]`), or any number of files for all the quotes, each quote found in
whichever listed file holds it (an evaluator's own gold set often lists two documents for three
quotes). Only a quote that none of its files holds is refused, by name. Errors name the file and
line."""

from __future__ import annotations

import json
from collections.abc import Mapping
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
    "timeline",  # also scored on the timeline's entries (rag_council.evaluate.timeline)
    "as_at",  # answered from what the records said at the date asked
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
        """The one file named for quote `i`: its own when there is one source per quote, the
        only one when one is named; None when several files are listed for all the quotes."""
        if not self.sources:
            return None
        if len(self.sources) == len(self.quotes):
            return self.sources[i]
        return self.sources[0] if len(self.sources) == 1 else None

    def sources_of(self, i: int) -> tuple[str, ...]:
        """The files that may hold quote `i`."""
        one = self.source_of(i)
        return (one,) if one is not None else self.sources

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


def check_quotes(
    items: list[GoldItem], corpus: str | Path | Mapping[str, str | None], *, normalised: bool = False
) -> list[str]:
    """Problems with quotes: a source that is not in `corpus` (a folder, or file name -> text),
    a quote that none of the files listed for it holds verbatim (named, with the files).
    `normalised`: compare after normalising case, whitespace, quotes and markup (as the
    metrics do) instead of character for character."""
    from rag_council.evaluate.metrics import normalise

    def holds(text: str, quote: str) -> bool:
        return quote in text or (normalised and normalise(quote) in normalise(text))

    texts: Mapping[str, str | None]
    if isinstance(corpus, Mapping):
        texts, where = corpus, "the index"
    else:
        folder = Path(corpus)
        texts, where = _FolderTexts(folder), str(folder)
    problems: list[str] = []
    for item in items:
        missing = [s for s in item.sources if texts.get(s) is None]
        for source in dict.fromkeys(missing):
            problems.append(f"{item.id} (line {item.line}): source {source} is not in {where}")
        for i, quote in enumerate(item.quotes):
            candidates = [s for s in item.sources_of(i) if texts.get(s) is not None]
            if not candidates or any(holds(texts.get(s) or "", quote) for s in candidates):
                continue
            files = " or ".join(candidates)
            problems.append(
                f"{item.id} (line {item.line}): quote {i + 1} is not verbatim in {files}: {quote[:80]!r}"
            )
    return problems


class _FolderTexts(dict):
    """File name -> text of the files in a folder, read when first asked for (None: no such file)."""

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = folder

    def get(self, name: str, default: str | None = None) -> str | None:  # type: ignore[override]
        if name not in self:
            file = self.folder / name
            self[name] = file.read_text(encoding="utf-8") if file.is_file() else None
        return dict.get(self, name, default)


def check_quotes_in_index(items: list[GoldItem], index: object) -> None:
    """Raise GoldError naming every quote that none of its listed files (as ingested in
    `index`, an rag_council.index.Index) holds, and every listed file the index lacks."""
    texts: dict[str, str | None] = {}
    for record in index.records():  # type: ignore[attr-defined]
        doc = index.document(record.doc_id)  # type: ignore[attr-defined]
        texts[record.name] = doc.source_text if doc is not None else None
        texts.setdefault(Path(record.name).name, texts[record.name])
    problems = check_quotes(items, texts, normalised=True)
    if problems:
        shown = "\n  ".join(problems[:20])
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise GoldError(f"{len(problems)} problem(s) with the gold quotes:\n  {shown}{more}")
