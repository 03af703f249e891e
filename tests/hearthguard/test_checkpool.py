"""``hearthguard.checkpool``: chunks go to forked workers only when there are several, the
lines come back in order, and every worker is gone when the lines are written."""

from __future__ import annotations

import multiprocessing
from datetime import datetime, timedelta, timezone

from hearthguard.checkpool import check_in_parallel
from policy.check import CHUNK, CheckedLines, check_chunks
from policy.engine import load_files
from policy.store import PolicyStore, load_snapshot
from tests.policy.test_check_batch import real_addresses

NOW = datetime(2026, 6, 10, 12, tzinfo=timezone(timedelta(hours=2)))


def _snapshot(data_dir):
    store = PolicyStore(data_dir.policy_db)
    try:
        loaded = load_files(data_dir)
        return load_snapshot(store, index=loaded.index, url_model=loaded.url_model)
    finally:
        store.close()


def test_workers_decide_the_chunks_and_the_lines_keep_their_order(data_dir) -> None:
    snapshot = _snapshot(data_dir)
    profile = snapshot.profiles[snapshot.default_profile]
    urls = [url if "#" in url else f"{url}?n={i}" for i in range(9) for url in real_addresses()]
    assert len(urls) > 2 * CHUNK
    alone = CheckedLines()
    expected = [
        line for lines in check_chunks(urls, profile, snapshot, NOW, alone) for line in lines
    ]
    together = CheckedLines()
    seen_workers: list[int] = []
    lines: list[str] = []
    for chunk in check_in_parallel(urls, profile, snapshot, NOW, together, jobs=2):
        seen_workers.append(len(multiprocessing.active_children()))
        lines += chunk
    assert lines == expected
    assert together.bad == alone.bad > 0
    assert max(seen_workers) == 2
    assert multiprocessing.active_children() == []


def test_a_short_list_is_decided_in_this_process(data_dir) -> None:
    snapshot = _snapshot(data_dir)
    profile = snapshot.profiles[snapshot.default_profile]
    urls = real_addresses()[:CHUNK]
    seen: list[int] = []
    counts = CheckedLines()
    for _chunk in check_in_parallel(urls, profile, snapshot, NOW, counts, jobs=4):
        seen.append(len(multiprocessing.active_children()))
    assert seen == [0]
