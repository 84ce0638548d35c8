from rag_council.ingest.cleaning import OffsetMap, TrackedText, clean_text, normalise_for_match


def test_tracked_substitution_keeps_origins_of_kept_text():
    source = "Hello <b>council</b> world"
    tracked = TrackedText(source).sub(r"</?b>", "")
    assert tracked.text == "Hello council world"
    start = tracked.text.index("council")
    src_start, src_end = tracked.offset_map().span_to_source(start, start + len("council"))
    assert source[src_start:src_end] == "council"


def test_generic_cleaning_strips_html_page_numbers_and_rejoins_sentences():
    source = "<p>The committee noted the report.</p>\n12\nIt was\n\nexplained that costs rose &amp; fell."
    cleaned = clean_text(source)
    assert "<p>" not in cleaned.text
    assert "\n12\n" not in cleaned.text
    assert "It was explained that costs rose & fell." in cleaned.text
    offsets = cleaned.offset_map()
    at = cleaned.text.index("explained")
    a, b = offsets.span_to_source(at, at + len("explained"))
    assert source[a:b] == "explained"


def test_offset_map_round_trips_runs():
    origin = [0, 1, 2, 10, 11, 12, 12, 20]
    runs = OffsetMap.from_origin(origin)
    assert [runs.to_source(i) for i in range(len(origin))] == origin


def test_normalise_for_match_ignores_markup_case_and_quotes():
    assert normalise_for_match("<p>The  Council’s **Plan**</p>") == "the council's plan"
