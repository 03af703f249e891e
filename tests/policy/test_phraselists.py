"""A household's own e2guardian phrase lists: import, keep, score, decide."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from policy.decide import decide_phrases
from policy.phraselists import (
    import_phrase_list,
    load_phrase_scorer,
    phrase_limit,
    phrases_file,
    remove_phrase_list,
)
from policy.presets import preset
from policy.validate import InputError
from policy.values import Profile

E2G = Path(__file__).resolve().parents[3] / "shared" / "data" / "lists" / "e2guardian"
ADULT = "Home News About. free porn xxx hardcore porn sex videos pussy cock hardcore sex"
NEWS = "The parliament debated the budget; the minister answered questions on schools."


@pytest.fixture
def e2g_copy(tmp_path) -> Path:
    """The user's e2guardian lists, as they would sit in /etc/e2guardian/lists."""
    target = tmp_path / "etc-e2guardian-lists"
    shutil.copytree(E2G, target)
    return target


def test_import_follows_includes_and_scores_like_e2guardian(data_dir, e2g_copy) -> None:
    parsed = import_phrase_list(data_dir, e2g_copy / "weightedphraselist")
    assert len(parsed.phrases) > 1000 and len(parsed.files) > 5
    assert phrases_file(data_dir).exists()
    scorer, info, problem = load_phrase_scorer(data_dir)
    assert problem is None and info is not None and info.phrases == len(parsed.phrases)
    assert scorer.score(ADULT).total > phrase_limit("teen")
    assert scorer.score(NEWS).total <= phrase_limit("young")


def test_decisions_follow_the_profile_and_the_limit() -> None:
    p = preset("child")
    child = Profile("Kid", "child", p.blocked)
    blocked = decide_phrases(child, "adult", 150, phrase_limit("child"))
    assert blocked is not None and blocked.source == "phrase list: 150 over 100"
    assert decide_phrases(child, "adult", 90, phrase_limit("child")) is None
    assert decide_phrases(child, "goodphrases", 500, 100) is None  # not a blocked category
    assert decide_phrases(child, "news", 500, 100) is None


def test_a_list_without_phrases_or_a_missing_file_changes_nothing(data_dir, tmp_path) -> None:
    empty = tmp_path / "weightedphraselist"
    empty.write_text("# nothing here\n.Include</etc/e2guardian/lists/phraselists/none>\n")
    with pytest.raises(InputError, match="no weighted phrases"):
        import_phrase_list(data_dir, empty)
    with pytest.raises(InputError):
        import_phrase_list(data_dir, tmp_path / "missing")
    assert not phrases_file(data_dir).exists()


def test_a_damaged_store_is_reported_and_removal_works(data_dir, e2g_copy) -> None:
    import_phrase_list(data_dir, e2g_copy / "weightedphraselist")
    phrases_file(data_dir).write_text("{not json")
    scorer, info, problem = load_phrase_scorer(data_dir)
    assert scorer is None and info is None and "import it again" in problem
    assert remove_phrase_list(data_dir) and not remove_phrase_list(data_dir)
    assert load_phrase_scorer(data_dir) == (None, None, None)
