"""The shipped chat model: its metadata tells the leave-one-source-out truth, it runs without
scikit-learn, and it judges real messages (read at run time from ../shared/data) as pinned."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from classifier.models.loading import LoadedModels
from classifier.models.verdicts import ABUSIVE, OK
from classifier.training.chat_data import TRAIN_SOURCES


def chat(bundled_models: LoadedModels):  # type: ignore[no-untyped-def]
    assert bundled_models.chat is not None
    return bundled_models.chat


def real_message(shared_data: Path, source: str, key_column: str, key: str) -> str:
    """One message of a corpus in ../shared/data, found by its id (never copied here)."""
    for path in sorted((shared_data / "text" / source).glob("*.csv")):
        with path.open(encoding="utf-8", errors="replace", newline="") as handle:
            for row in csv.DictReader(handle):
                text = row.get("utterance") or row.get("comment_text") or row.get("tweet")
                if row.get(key_column) == key and text:
                    return text
    pytest.skip(f"{source} {key_column}={key} not found")


# (source, id column, id, expected label, what it is)
REAL_MESSAGES = [
    ("toxic_spans_civil_comments", "comment_id", "240311", ABUSIVE, "an insult"),
    ("davidson", "", "21079", ABUSIVE, "a threat"),
    ("davidson", "", "24098", OK, "a friendly message with a swear-like word"),
    ("davidson", "", "22494", OK, "sport talk with a swear-like word"),
    # CONDA game chat was never trained on
    ("conda_dota2_game_chat", "Id", "4503", ABUSIVE, "game-chat abuse"),
    ("conda_dota2_game_chat", "Id", "13433", OK, "ordinary game chat"),
    ("conda_dota2_game_chat", "Id", "5857", OK, "ordinary game chat"),
]


@pytest.mark.parametrize(("source", "column", "key", "label", "what"), REAL_MESSAGES)
def test_real_messages(
    bundled_models: LoadedModels,
    shared_data: Path,
    source: str,
    column: str,
    key: str,
    label: str,
    what: str,
) -> None:
    text = real_message(shared_data, source, column, key).replace("[SEPA]", " ")
    verdict = chat(bundled_models).predict([text])[0]
    assert verdict.label == label, f"{what}: {text!r} scored {verdict.score}"


def test_spelling_tricks_do_not_hide_abuse(bundled_models: LoadedModels) -> None:
    model = chat(bundled_models)
    plain, tricked = model.predict_proba(
        ["you are a stupid loser, kill yourself", "u r a STUP1D l0000ser, k y s"]
    )
    assert tricked >= 0.8 * plain
    assert model.predict(["u r a STUP1D l0000ser, k y s"])[0].label == ABUSIVE


def test_metadata_records_the_leave_one_source_out_truth(bundled_models: LoadedModels) -> None:
    meta = chat(bundled_models).metadata
    table = meta["leave_one_source_out"]["by_source"]
    assert set(TRAIN_SOURCES) <= set(table)
    assert "conda_dota2_game_chat" in table
    baseline = meta["baseline_alt_profanity_check"]
    assert isinstance(baseline, dict), "the baseline must run in the same training run"
    assert set(baseline["by_source"]) == set(table)
    assert meta["default_threshold"] == chat(bundled_models).threshold
    # the threshold keeps false alarms at most 10 % on left-out sources (mean over sources)
    mean = meta["leave_one_source_out"]["mean_over_left_out_sources"]
    assert mean["false_alarm_rate"] <= 0.10
    ours, theirs = mean["roc_auc"], baseline["mean_over_left_out_sources"]["roc_auc"]
    assert meta["beats_baseline"]["mean_roc_auc"] is (ours > theirs)
    # the comparison that decides shipping leaves out what alt-profanity-check trained on
    fair = meta["leave_one_source_out"]["mean_over_baseline_unseen_sources"]
    fair_theirs = baseline["mean_over_baseline_unseen_sources"]
    assert fair["sources"] == fair_theirs["sources"]
    assert not {"davidson", "jigsaw-sample", "hand-written"} & set(fair["sources"])
    assert {"gab_hate_corpus", "hatecheck", "conda_dota2_game_chat"} <= set(fair["sources"])
    aucs = [table[s]["roc_auc"] for s in fair["sources"]]
    assert fair["roc_auc"] == pytest.approx(np.mean(aucs), abs=1e-4)
    ships = meta["beats_baseline"]["ships"]
    assert ships is (fair["roc_auc"] > fair_theirs["roc_auc"])
    assert meta["beats_baseline"]["mean_roc_auc_baseline_unseen"] is ships
    assert "not trained on" in meta["licences"]["conda_dota2_game_chat"]
    assert "conda_dota2_game_chat" not in meta["sources"]["training"]
    assert meta["runtime"].startswith("numpy")


def test_scores_are_probabilities_and_explained(bundled_models: LoadedModels) -> None:
    model = chat(bundled_models)
    scores = model.predict_proba(["", "ok", "?" * 10_000, "a" * 100_000, "\U0001f602" * 50])
    assert np.all((scores >= 0) & (scores <= 1))
    reasons = model.explain("you are a disgusting fat loser")
    assert reasons and all(weight > 0 for _, weight in reasons)
    assert model.explain("") == []
