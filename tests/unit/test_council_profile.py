"""Council rules as data: a second council's profile changes what the parser does, without
editing the parser; the profile comes from the manifest's [council] table."""

from __future__ import annotations

import os

import pytest

from rag_council.ingest import load_document
from rag_council.ingest.council import (
    HEREFORDSHIRE,
    CouncilProfileError,
    council_clean,
    parse_council,
    profile_from_table,
    sentence_case,
)
from rag_council.ingest.council.classify import patterns
from rag_council.types import DocType

SHROPSHIRE = profile_from_table(
    {
        "name": "Shropshire",
        "running_header": r"Shropshire Council \d{1,2} [A-Z]{3,9} \d{4}",
        "report_footer": "For more information about this report contact",
        "extra_boilerplate_headings": ["Webcasting of meetings"],
        "extra_acronyms": ["SEMH"],
    }
)

MINUTES = """Minutes of the meeting of Cabinet held at Shirehall on Thursday 12 March 2024 at 10.00 am

Present: Councillor A Person (chair)

Shropshire Council 12 MARCH 2024

12. SEMH SCHOOL PLACES

The committee considered the report on places for children with social, emotional and mental health needs, and the plans for a new school in the north of the county.

For more information about this report contact
Jo Bloggs, tel (01743) 252000

RESOLVED: That the plans be approved.

The meeting ended at 11.00 am
"""


def test_the_default_profile_is_herefordshire_and_leaves_another_councils_header():
    text = council_clean(MINUTES).text
    assert "Shropshire Council 12 MARCH 2024" in text
    assert "For more information about this report contact" in text
    assert "Shropshire Council 12 MARCH 2024" not in council_clean(MINUTES, profile=SHROPSHIRE).text
    assert "For more information" not in council_clean(MINUTES, profile=SHROPSHIRE).text


def test_a_second_profile_changes_titles_and_boilerplate_without_touching_herefordshire():
    assert SHROPSHIRE.name == "Shropshire" and HEREFORDSHIRE.name == "Herefordshire"
    assert set(HEREFORDSHIRE.acronyms) < set(SHROPSHIRE.acronyms)  # extra_ adds, the rest is kept
    assert sentence_case("SEMH SCHOOL PLACES") == "Semh school places"
    assert sentence_case("SEMH SCHOOL PLACES", patterns(SHROPSHIRE).acronyms) == "SEMH school places"
    parsed = parse_council(council_clean(MINUTES, profile=SHROPSHIRE).text, "Cabinet minutes", SHROPSHIRE)
    assert parsed is not None
    items = [s for s in parsed.sections if s.meta.get("item_no") == 12]
    assert items and items[0].meta["item_title"] == "SEMH school places"
    assert items[0].meta["doc_type"] == DocType.MINUTES and items[0].meta["decision"] == "resolved"
    assert patterns(SHROPSHIRE).boilerplate_heading.match("Webcasting of meetings")
    assert not patterns(HEREFORDSHIRE).boilerplate_heading.match("Webcasting of meetings")


def test_a_profile_table_is_checked():
    with pytest.raises(CouncilProfileError, match="unknown council profile field 'runing_header'"):
        profile_from_table({"runing_header": "x"})
    with pytest.raises(CouncilProfileError, match="not a regular expression"):
        profile_from_table({"running_header": "Shropshire Council ("})
    with pytest.raises(CouncilProfileError, match="must be a list"):
        profile_from_table({"acronyms": "SEND"})
    replaced = profile_from_table({"acronyms": ["XYZ"], "extra_acronyms": ["ABC"]})
    assert replaced.acronyms == ("XYZ", "ABC")


def test_the_manifest_council_table_selects_the_profile(tmp_path):
    (tmp_path / "minutes.txt").write_text(MINUTES, encoding="utf-8")
    default = load_document(tmp_path / "minutes.txt", "minutes.txt", 10**6)
    assert "Shropshire Council 12 MARCH 2024" in default.text
    (tmp_path / "manifest.toml").write_text(
        "[council]\n"
        'name = "Shropshire"\n'
        "running_header = 'Shropshire Council \\d{1,2} [A-Z]{3,9} \\d{4}'\n"
        'extra_acronyms = ["SEMH"]\n',
        encoding="utf-8",
    )
    shropshire = load_document(tmp_path / "minutes.txt", "minutes.txt", 10**6)
    assert "Shropshire Council 12 MARCH 2024" not in shropshire.text
    assert any(s.meta.get("item_title") == "SEMH school places" for s in shropshire.sections)
    manifest = tmp_path / "manifest.toml"
    before = manifest.stat().st_mtime_ns
    manifest.write_text('[council]\nrunning_header = "("\n', encoding="utf-8")
    os.utime(manifest, ns=(before + 10**9, before + 10**9))  # the manifest is cached by mtime
    broken = load_document(tmp_path / "minutes.txt", "minutes.txt", 10**6)
    assert any("not a regular expression" in w and "Herefordshire" in w for w in broken.warnings)
    assert "Shropshire Council 12 MARCH 2024" in broken.text
