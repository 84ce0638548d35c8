"""Evaluators' own gold sets: `sources` may list fewer files than there are quotes; each quote
is looked for in whichever listed file holds it, and only a quote none of them holds is refused,
by name."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from rag_council.evaluate.gold import GoldError, check_quotes, check_quotes_in_index, load_gold

LINE = {
    "id": "e1",
    "question": "What was decided and when?",
    "answer": "The budget was approved on 3 May 2024.",
    "quotes": ["The budget was approved.", "The meeting was held on 3 May 2024.", "Minutes were signed."],
    "sources": ["minutes.txt", "agenda.txt"],
    "kind": "decision",
}
FILES = {
    "minutes.txt": "Item 4. The budget was approved. Minutes were signed.",
    "agenda.txt": "Notice: The meeting was held on 3 May 2024.",
}


def _gold(tmp_path: Path, *lines: dict) -> Path:
    path = tmp_path / "gold.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    return path


def _corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    for name, text in FILES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_two_sources_for_three_quotes_are_accepted_and_each_quote_is_found(tmp_path):
    items = load_gold(_gold(tmp_path, LINE))
    assert items[0].sources == ("minutes.txt", "agenda.txt")
    assert items[0].sources_of(1) == ("minutes.txt", "agenda.txt")
    assert check_quotes(items, _corpus(tmp_path)) == []


def test_a_quote_that_no_listed_source_holds_is_refused_by_name(tmp_path):
    line = {**LINE, "quotes": [*LINE["quotes"], "The chair resigned."]}
    problems = check_quotes(load_gold(_gold(tmp_path, line)), _corpus(tmp_path))
    assert len(problems) == 1
    assert "quote 4" in problems[0] and "The chair resigned." in problems[0]
    assert "minutes.txt or agenda.txt" in problems[0]


def test_one_source_per_quote_still_pins_each_quote_to_its_file(tmp_path):
    line = {**LINE, "sources": ["agenda.txt", "agenda.txt", "minutes.txt"]}  # quote 1 is in minutes.txt
    problems = check_quotes(load_gold(_gold(tmp_path, line)), _corpus(tmp_path))
    assert len(problems) == 1 and "quote 1 is not verbatim in agenda.txt" in problems[0]


def test_a_listed_source_missing_from_the_corpus_is_named(tmp_path):
    line = {**LINE, "sources": ["minutes.txt", "agenda.txt", "budget.pdf"]}
    problems = check_quotes(load_gold(_gold(tmp_path, line)), _corpus(tmp_path))
    assert any("source budget.pdf is not in" in p for p in problems)


def _index(files: dict[str, str]) -> SimpleNamespace:
    records = [SimpleNamespace(name=name, doc_id=name) for name in files]
    return SimpleNamespace(
        records=lambda: records, document=lambda doc_id: SimpleNamespace(source_text=files[doc_id])
    )


def test_eval_checks_quotes_against_the_index_normalising_typography(tmp_path):
    items = load_gold(_gold(tmp_path, {**LINE, "quotes": ["the  BUDGET was approved.", *LINE["quotes"][1:]]}))
    check_quotes_in_index(items, _index(FILES))  # case and spacing differ: still held
    bad = load_gold(_gold(tmp_path, {**LINE, "quotes": [*LINE["quotes"], "Nobody voted."]}))
    with pytest.raises(
        GoldError, match=r"quote 4 is not verbatim in minutes.txt or agenda.txt: 'Nobody voted.'"
    ):
        check_quotes_in_index(bad, _index(FILES))
