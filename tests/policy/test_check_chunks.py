"""``check_chunks`` gives the lines of deciding each address alone, a chunk at a time, with
repeats, unlisted hosts waiting for the URL model and bad addresses in any chunk."""

from __future__ import annotations

from policy import check
from policy.check import CheckedLines, batch_url_verdicts, check_chunks
from policy.engine import load_files
from policy.store import load_snapshot
from tests.policy.test_check_batch import NOW, _one_by_one
from tests.support.lists import make_index, parsed


def test_chunks_are_the_lines_of_one_address_at_a_time(store, data_dir, monkeypatch) -> None:
    make_index(
        data_dir.index,
        [
            parsed("ut1/gambling", "gambling", ["casino.example"], urls=["www.pages.example/bet"]),
            parsed("ut1/health", "health", ["clinic.example"]),
        ],
    )
    loaded = load_files(data_dir, url_model_when_used=True)
    plain = load_snapshot(store, index=loaded.index, url_model=loaded.url_model)
    batched = load_snapshot(
        store, index=loaded.index, url_model=batch_url_verdicts(loaded.url_model)
    )
    profile = plain.profiles[plain.default_profile]
    urls = []
    for i in range(60):
        urls += [
            f"https://casino.example/{i % 4}",
            f"https://pages.example/bet/{i}" if i % 2 else "https://pages.example/news",
            f"poker-bets-online{i % 3}.example",
            "not a web address" if i % 25 == 0 else f"https://clinic.example/{i}",
            f"https://free-casino-slots-bonus{i % 5}.example/x",
        ]
    monkeypatch.setattr(check, "CHUNK", 41)
    counts = CheckedLines()
    chunks = list(check_chunks(urls, profile, batched, NOW, counts))
    assert [len(lines) for lines in chunks] == [41] * 7 + [300 - 7 * 41]
    assert [line for lines in chunks for line in lines] == _one_by_one(urls, profile, plain)
    assert counts.bad == 3
