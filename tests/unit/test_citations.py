from rag_council.types import Chunk, Hit
from rag_council.verify.citations import cite, parse_claims


def _hit(n: int, text: str) -> Hit:
    return Hit(Chunk(f"c{n}", "d", "doc.txt", text, 0, len(text), n), 0.9, n)


def test_parse_claims_keeps_markers_per_sentence():
    claims = parse_claims("Cabinet approved the plan [2]. It costs £4.2m [1, 3].\n\nNo marker here.")
    assert [(c.text, c.markers) for c in claims] == [
        ("Cabinet approved the plan.", [2]),
        ("It costs £4.2m.", [1, 3]),
        ("No marker here.", []),
    ]


def test_cite_renumbers_drops_unknown_markers_and_quotes_exact_spans():
    passages = [
        _hit(1, "Intro text. The budget is £4.2 million for 2025.\nOther line."),
        _hit(2, "Cabinet approved the   library plan on 3 May."),
    ]
    text, claims, citations = cite(
        parse_claims(
            "Cabinet approved the library plan on 3 May. [2] The budget is £4.2 million for 2025. [1] Made up. [7]"
        ),
        passages,
    )
    assert text.startswith("Cabinet approved the library plan on 3 May. [1]")
    assert [c.marker for c in citations] == [1, 2]
    assert (
        citations[0].chunk.chunk_id == "c2"
        and citations[0].quote == "Cabinet approved the   library plan on 3 May."
    )
    assert citations[1].quote == "The budget is £4.2 million for 2025."
    assert passages[0].chunk.text[citations[1].quote_start :].startswith(citations[1].quote)
    assert claims[2].markers == []


def test_render_round_trips_claims_including_list_items():
    passages = [
        _hit(
            1,
            "Key achievements:\n- 2 children were adopted by their foster carers\n- 24 placement orders granted",
        )
    ]
    raw = "2 children were adopted by their foster carers [1]\n24 placement orders granted [1]"
    text, claims, citations = cite(parse_claims(raw), passages)
    assert (
        [c.text for c in parse_claims(text)]
        == [c.text for c in claims]
        == [
            "2 children were adopted by their foster carers",
            "24 placement orders granted",
        ]
    )
    # Not adjacent (a bullet lies between), so two quotes, each exact.
    assert [c.quote for c in citations] == [
        "2 children were adopted by their foster carers",
        "24 placement orders granted",
    ]
    assert [c.markers for c in claims] == [[1], [2]]
