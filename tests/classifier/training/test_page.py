"""Page and URL training helpers on small synthetic inputs: stems, the benign bar,
calibration, WikiText cleaning, shared platforms, list noise."""

from __future__ import annotations

import re

import numpy as np
import pytest
from scipy.sparse import csr_matrix

from classifier.categories import BENIGN
from classifier.models.page import build_page_model
from classifier.models.url import shared_platform
from classifier.training.artefacts import read_corpus, write_corpus
from classifier.training.hand_written import PROTECTED_WORDS
from classifier.training.page import (
    bar_common_phrases,
    bar_protected_phrases,
    calibrate_table,
    fit_page_table,
    phrase_stem,
    train_page_model,
)
from classifier.training.page_corpus import EXPLICIT_ADULT_WORDS
from classifier.training.sources import wikitext_articles
from classifier.training.splits import Example
from classifier.training.url import _NOT_A_SITE_NAME


def test_plurals_share_a_stem() -> None:
    assert phrase_stem(" casinos ") == phrase_stem(" casino ") == "casino"
    assert phrase_stem(" free spins ") == "free spin"
    assert phrase_stem(" glass ") == "glass" and phrase_stem(" bus ") == "bus"


def _table() -> dict:
    names = np.array([" casino ", " casinos ", " poker ", " news "])
    matrix = csr_matrix(
        np.array([[1, 0, 1, 0], [0, 1, 1, 0], [1, 1, 0, 0], [0, 0, 0, 1], [0, 0, 0, 1]] * 6)
    )
    labels = ["gambling", "gambling", "gambling", BENIGN, BENIGN] * 6
    return fit_page_table(matrix, names, labels, c=10.0)


def test_a_word_and_its_plural_are_one_piece_of_evidence() -> None:
    table = _table()
    assert list(table["classes"]) == ["gambling", BENIGN]
    stems = dict(zip(table["phrases"].tolist(), table["stems"].tolist(), strict=True))
    assert stems[" casino "] == stems[" casinos "] != stems[" poker "]
    model = build_page_model({**table, "evidence_floor": 0.01}, {})
    _, count = model.evidence("casino casinos")
    assert count[0] == 1
    _, count = model.evidence("casino poker")
    assert count[0] == 2


def test_phrases_common_on_real_benign_pages_are_never_evidence() -> None:
    table = _table()
    names = np.array([" casino ", " casinos ", " poker ", " news "])
    benign = csr_matrix(np.array([[0, 0, 1, 1]] + [[0, 0, 0, 1]] * 99))  # poker on 1% of pages
    barred_table, barred = bar_common_phrases({**table, "evidence_floor": 0.01}, benign, names)
    assert barred == ["poker"]
    phrases, column = barred_table["phrases"].tolist(), barred_table["weights"][:, 0].tolist()
    weights = dict(zip(phrases, column, strict=True))
    assert weights[" poker "] <= 0 < weights[" casino "]


def test_calibration_is_fitted_on_documents_that_can_be_blocked() -> None:
    table = {**_table(), "evidence_floor": 0.01, "min_phrases": 1}
    docs = [Example("casino poker", "gambling", f"g{i}", "t") for i in range(20)] + [
        Example("casino news", BENIGN, f"b{i}", "t") for i in range(20)
    ]
    calibrated = calibrate_table(table, docs)
    a, b = calibrated["calibration"][0]
    assert np.isfinite([a, b]).all() and a > 0
    model = build_page_model(calibrated, {})
    p_harmful = model.predict_proba(["casino poker"])[0, 0]
    p_benign_page = model.predict_proba(["casino news"])[0, 0]
    assert p_harmful > 0.5 > p_benign_page


def test_wikitext_is_cleaned_and_cut_at_paragraphs() -> None:
    raw = (
        " = Robert <unk> = \n \n Robert <unk> is an English film @-@ maker , born in 1 @,@ 900 . \n"
        " = = Career = = \n He worked . \n = Other = \n Text . \n"
    )
    pieces = wikitext_articles(raw, chunk_chars=10_000)
    assert [title for title, _ in pieces] == ["Robert", "Other"]
    assert pieces[0][1].startswith("Robert is an English film-maker, born in 1,900.")
    assert "Career" in pieces[0][1] and "<unk>" not in pieces[0][1]


@pytest.mark.parametrize(
    ("url", "shared"),
    [
        ("content-autofill.googleapis.com", True),
        ("https://d1234.cloudfront.net/x.js", True),
        ("googleapis.com.casino.example", False),
        ("freecasinobonus.example", False),
    ],
)
def test_shared_platforms(url: str, shared: bool) -> None:
    assert shared_platform(url) is shared


def test_advertising_hosts_in_harmful_lists_are_not_site_names() -> None:
    assert _NOT_A_SITE_NAME.match("ads.bet-partner.com$")
    assert _NOT_A_SITE_NAME.match("track2.casino.example$")
    assert not _NOT_A_SITE_NAME.match("adnrionegro.com.ar$")
    assert not _NOT_A_SITE_NAME.match("casino.example$")


def test_a_phrase_common_in_one_small_source_is_barred_though_rare_over_all() -> None:
    table = _table()
    names = np.array([" casino ", " casinos ", " poker ", " news "])
    # poker on 5 of 100 catalogue pages and none of 2,000 health pages: 0.24% over all
    rows = [[0, 0, 1, 1]] * 5 + [[0, 0, 0, 1]] * 2095
    sources = ["software"] * 100 + ["medquad"] * 2000
    benign = csr_matrix(np.array(rows))
    floor = {**table, "evidence_floor": 0.01}
    assert bar_common_phrases(floor, benign, names)[1] == []
    _, barred = bar_common_phrases(floor, benign, names, sources=sources)
    assert barred == ["poker"]


def test_retraining_keeps_the_benign_bar() -> None:
    """The household retraining path (``train_page_model``) bars phrases that are common on
    the real benign pages of its corpus, as the shipped training does."""
    harmful = [Example(f"casino poker bonus{i}", "gambling", f"g{i}", "t") for i in range(40)]
    synthetic = [Example(f"weather garden{i}", BENIGN, f"b{i}", "t") for i in range(40)]
    real = [Example(f"poker night club{i}", BENIGN, f"s{i}", "software") for i in range(10)]
    real += [Example(f"flu symptoms doctor{i}", BENIGN, f"m{i}", "medquad") for i in range(90)]
    table = train_page_model(harmful + synthetic + real)
    weights = dict(zip(table["phrases"].tolist(), table["weights"][:, 0].tolist(), strict=True))
    assert weights.get(" poker ", 0.0) <= 0 < weights[" casino "]


def test_the_training_corpus_keeps_each_document_group(tmp_path) -> None:
    docs = [Example("a b", "gambling", "contrast-gambling-train-3", "lists+hand-written")]
    write_corpus(docs, tmp_path / "c.jsonl.gz")
    assert read_corpus(tmp_path / "c.jsonl.gz") == docs


def test_words_of_protected_topics_are_never_evidence() -> None:
    table = {
        "phrases": np.array([" teen ", " teen porn ", " the teens ", " casino "]),
        "weights": np.array([[2.0, 0.0], [3.0, 0.0], [2.0, 0.0], [4.0, 0.0]], dtype=np.float32),
        "evidence_floor": 1.5,
    }
    barred_table, barred = bar_protected_phrases(table)
    assert barred == ["teen", "the teens"]
    assert barred_table["weights"][:, 0].tolist() == [0.0, 3.0, 0.0, 4.0]


def test_explicit_adult_words_come_from_ut1_and_are_no_protected_words(shared_data) -> None:
    """Each word is one UT1's adult expressions match in a URL (``/word/``)."""
    folder = shared_data / "lists" / "ut1" / "adult"
    expressions = [
        re.compile(line.strip())
        for name in ("expressions", "very_restrictive_expression")
        for line in (folder / name).read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    assert expressions
    for word in EXPLICIT_ADULT_WORDS:
        assert any(e.search(f"/{word}/") for e in expressions), word
        assert word not in PROTECTED_WORDS, word
