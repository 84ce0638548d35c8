"""The `ask --json` record, as promised in the README (JSON Lines, one object per question)."""

from typing import Any

CITATION = {
    "marker": int, "chunk_id": str, "document": str, "title": str, "date": (str, type(None)),
    "page": (int, type(None)), "section": (str, type(None)), "quote": str, "text": str,
}  # fmt: skip
RETRIEVED = {"rank": int, "chunk_id": str, "document": str, "score": float, "text": str}
TIMINGS = {"retrieve_s": float, "answer_s": float, "total_s": float}


def check_record(record: dict[str, Any]) -> None:
    """Raise AssertionError naming the first field that breaks the schema."""
    for key, kind in {
        "question": str,
        "answer": str,
        "abstained": bool,
        "citations": list,
        "retrieved": list,
        "timings": dict,
    }.items():
        assert isinstance(record.get(key), kind), f"{key}: {record.get(key)!r}"
    for citation in record["citations"]:
        for key, kind in CITATION.items():
            assert isinstance(citation.get(key, KeyError), kind), (
                f"citations[].{key}: {citation.get(key, 'missing')!r}"
            )
        assert citation["quote"] and citation["quote"] in citation["text"], (
            "quote must be an exact span of text"
        )
    for rank, hit in enumerate(record["retrieved"], start=1):
        for key, kind in RETRIEVED.items():
            assert isinstance(hit.get(key), kind), f"retrieved[].{key}: {hit.get(key)!r}"
        assert hit["rank"] == rank
    scores = [h["score"] for h in record["retrieved"]]
    assert scores == sorted(scores, reverse=True), "retrieved must be best first"
    for key, kind in TIMINGS.items():
        assert isinstance(record["timings"].get(key), kind), f"timings.{key}"
    markers = [c["marker"] for c in record["citations"]]
    assert markers == list(range(1, len(markers) + 1))
    if record["abstained"]:
        assert record["citations"] == []
