"""Loading the files decisions use besides policy.db, and telling when each part changed."""

from __future__ import annotations

import os

from policy.engine import load_files, stamps


def test_each_part_has_its_own_stamp(data_dir) -> None:
    before = stamps(data_dir)
    hotlines = data_dir.root / "hotline"
    hotlines.mkdir(exist_ok=True)
    (hotlines / "notes.md").write_text("not a list")  # only *.txt files are lists
    assert stamps(data_dir) == before
    (hotlines / "national.txt").write_text("# no entries yet\n")
    after_hotline = stamps(data_dir)
    assert after_hotline.hotlines != before.hotlines
    assert (after_hotline.index, after_hotline.models) == (before.index, before.models)

    data_dir.models_dir.mkdir(exist_ok=True)
    (data_dir.models_dir / "page.skops").write_bytes(b"retrained")
    after_model = stamps(data_dir)
    assert after_model.models != after_hotline.models
    assert after_model.index == before.index

    whole = data_dir.index.read_bytes()
    replacement = data_dir.index.with_name(".categories.idx.new")
    replacement.write_bytes(whole)
    os.replace(replacement, data_dir.index)  # same bytes, a new file: a rebuild
    assert stamps(data_dir).index != before.index


def test_a_missing_index_is_an_empty_one_and_said_so(data_dir) -> None:
    data_dir.index.unlink()
    loaded = load_files(data_dir)
    assert loaded.index.lookup("casino.example") == ()
    assert loaded.problems[0] == "No category lists are imported yet."
    assert stamps(data_dir).index is None


def test_a_damaged_retrained_model_is_a_problem_and_the_shipped_one_is_used(data_dir) -> None:
    data_dir.models_dir.mkdir(exist_ok=True)
    (data_dir.models_dir / "url.skops").write_bytes(b"PK\x03\x04 not really a model")
    loaded = load_files(data_dir)
    assert loaded.url_model is not None
    (problem,) = [p for p in loaded.problems if "url classifier" in p]
    assert "retrained here could not be loaded" in problem


def test_a_check_reads_no_page_model(data_dir) -> None:
    # hearthguard check and the dashboard's "Test a site" decide addresses: a damaged
    # retrained page model is none of their problems, and they do not load it
    data_dir.models_dir.mkdir(exist_ok=True)
    (data_dir.models_dir / "page.skops").write_bytes(b"PK\x03\x04 not really a model")
    loaded = load_files(data_dir)
    assert loaded.url_model is not None
    assert not [p for p in loaded.problems if "page classifier" in p]
