"""e2guardian weighted phrase lists: parsing, includes, scoring."""

from __future__ import annotations

from pathlib import Path

import pytest

from classifier.categories import BENIGN
from classifier.lists.phrases import (
    WeightedPhrase,
    compile_phrases,
    load_weighted_phrases,
    parse_weighted_phrase_list,
)
from classifier.models.text import html_to_text


def write_lists(root: Path) -> Path:
    """A miniature e2guardian tree: top list, includes by absolute /etc path, categories."""
    lists = root / "lists"
    (lists / "phraselists" / "pornography").mkdir(parents=True)
    (lists / "phraselists" / "goodphrases").mkdir(parents=True)
    (lists / "phraselists" / "gambling").mkdir(parents=True)
    (lists / "weightedphraselist").write_text(
        "# top list\n"
        '#listcategory: "Weighted Phrases"\n'
        ".Include</etc/e2guardian/lists/phraselists/goodphrases/weighted_general>\n"
        ".Include</etc/e2guardian/lists/phraselists/pornography/weighted> #BETA#\n"
        "#.Include</etc/e2guardian/lists/phraselists/gambling/weighted>\n"
        ".Include</etc/e2guardian/lists/phraselists/missing/weighted>\n"
        "<direct phrase><7>\n",
        encoding="utf-8",
    )
    (lists / "phraselists" / "pornography" / "weighted").write_text(
        '#listcategory: "Pornography"\n'
        "< porn><40>\n"
        "< xxx ><30>\n"
        "< anal >,< porn><70>\n"
        "< slut ><10%>\n"
        "<broken line<50>\n"
        "just text\n"
        "<   double   space ><5>\n",
        encoding="utf-8",
    )
    (lists / "phraselists" / "goodphrases" / "weighted_general").write_bytes(
        '#listcategory: "GoodPhrases"\n<sant\u00e9><-20>\n<breast>,<cancer><-60>\n'.encode(
            "latin-1"
        )
    )
    (lists / "phraselists" / "gambling" / "weighted").write_text(
        '#listcategory: "Gambling"\n<casino><50>\n', encoding="utf-8"
    )
    return lists / "weightedphraselist"


def test_parse_follows_includes_and_reports_problems(tmp_path: Path) -> None:
    top = write_lists(tmp_path)
    parsed = parse_weighted_phrase_list(top, naughtyness_limit=200)
    by_parts = {p.parts: p for p in parsed.phrases}
    assert by_parts[(" porn",)].weight == 40
    assert by_parts[(" porn",)].category == "adult"
    assert by_parts[(" anal ", " porn")].weight == 70
    assert by_parts[(" slut ",)].weight == 20  # 10% of 200
    assert by_parts[("sant\u00e9",)].weight == -20  # Latin-1 file decoded
    assert by_parts[("breast", "cancer")].category == "goodphrases"
    assert by_parts[("direct phrase",)].category == "weighted phrases"
    assert by_parts[("   double space ".replace("   ", " "),)].weight == 5
    # the commented-out gambling include is not read
    assert ("casino",) not in by_parts
    assert len(parsed.files) == 3
    assert len(parsed.bad_lines) == 2
    assert any("broken line" in line for line in parsed.bad_lines)
    assert len(parsed.missing_includes) == 1
    assert "missing/weighted" in parsed.missing_includes[0]


def test_missing_top_level_file_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        parse_weighted_phrase_list(tmp_path / "nope")


def test_include_cycles_terminate(tmp_path: Path) -> None:
    a = tmp_path / "a"
    b = tmp_path / "b"
    a.write_text(f".Include<{b}>\n<alpha><1>\n", encoding="utf-8")
    b.write_text(f".Include<{a}>\n<beta><2>\n", encoding="utf-8")
    parsed = parse_weighted_phrase_list(a)
    assert sorted(p.parts for p in parsed.phrases) == [("alpha",), ("beta",)]


def test_scoring_sums_weights_once_per_phrase(tmp_path: Path) -> None:
    scorer, _ = load_weighted_phrases(write_lists(tmp_path))
    score = scorer.score("Free PORN porn porn and xxx here")
    # " porn" x3 counted once (mode 2), " xxx " once
    assert score.total == 40 + 30
    assert score.by_category["adult"] == 70
    assert score.blocked(50)
    assert score.category(50) == "adult"
    assert not score.blocked(70)
    assert score.category(70) == BENIGN


def test_mode_one_counts_every_occurrence(tmp_path: Path) -> None:
    scorer, _ = load_weighted_phrases(write_lists(tmp_path))
    assert scorer.score("porn porn porn", mode=1).total == 120


def test_word_edges_come_from_the_spaces_in_phrases(tmp_path: Path) -> None:
    scorer, _ = load_weighted_phrases(write_lists(tmp_path))
    assert scorer.score("xxx").total == 30  # text is padded with spaces
    assert scorer.score("xxxl shirts").total == 0  # "< xxx >" needs a word
    assert scorer.score("pornography").total == 40  # "< porn>" is a word start


def test_combinations_need_every_part(tmp_path: Path) -> None:
    scorer, _ = load_weighted_phrases(write_lists(tmp_path))
    assert scorer.score("anal fissure treatment").total == 0
    assert scorer.score("anal porn").total == 70 + 40
    medical = scorer.score("breast cancer screening and breast health")
    assert medical.total == -60
    assert medical.category() == BENIGN


def test_empty_scorer_and_empty_text() -> None:
    scorer = compile_phrases([])
    assert scorer.score("anything").total == 0
    scorer = compile_phrases([WeightedPhrase(("a",), 1, "adult", "t:1")])
    assert scorer.score("").total == 0


def test_real_e2guardian_lists_flag_the_bench_adult_page(
    shared_data: Path, bench_pages: dict[str, bytes]
) -> None:
    top = shared_data / "lists" / "e2guardian" / "weightedphraselist"
    if not top.is_file():
        pytest.skip("e2guardian lists not in the shared data")
    scorer, parsed = load_weighted_phrases(top)
    assert len(parsed.phrases) > 5000
    assert not parsed.missing_includes
    adult = scorer.score(html_to_text(bench_pages["adult.html"]))
    filler = scorer.score(html_to_text(bench_pages["page60k.html"]))
    assert adult.blocked(50) and adult.category(50) == "adult"
    assert not filler.blocked(50)
