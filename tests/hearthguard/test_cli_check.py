"""``hearthguard check`` as a process: many addresses on standard input give, line for line,
what deciding each address alone gives; lines that are no address are reported, not fatal."""

from __future__ import annotations

import json
from datetime import date, time

from policy.check import url_request
from policy.decide import decide
from policy.engine import load_files
from policy.store import PolicyStore, load_snapshot
from policy.timerules import at_local
from policy.validate import InputError
from tests.policy.test_check_batch import real_addresses
from tests.support.processes import hearthguard


def test_stdin_gives_the_lines_of_deciding_each_address_alone(data_dir) -> None:
    urls = real_addresses()
    typed = ["", "   ", "# a comment", *urls, "  " + urls[0] + "  "]
    done = hearthguard(
        "check",
        "--at",
        "2026-06-10T12:00",
        data_dir=data_dir.root,
        check=False,
        input="\n".join(typed) + "\n",
    )
    store = PolicyStore(data_dir.policy_db)
    try:
        loaded = load_files(data_dir)
        snapshot = load_snapshot(store, index=loaded.index, url_model=loaded.url_model)
    finally:
        store.close()
    profile = snapshot.profiles[snapshot.default_profile]
    now = at_local(date(2026, 6, 10), time(12), snapshot.zone)
    expected = []
    for url in [*urls, urls[0]]:  # blank lines and comments are skipped, spaces trimmed
        try:
            decision = decide(url_request(url), profile, snapshot, now)
        except InputError as exc:
            expected.append({"url": url, "error": exc.message})
            continue
        expected.append({"url": url, **decision.as_dict()})
    assert [json.loads(line) for line in done.stdout.splitlines()] == expected
    # some lines were no web address: exit 2, and nothing on standard error but a summary
    assert done.returncode == 2 and "Traceback" not in done.stderr


def _long_list() -> list[str]:
    """More than two chunks of real addresses, repeats and lines that are no address."""
    urls = real_addresses()
    return [url if "#" in url else f"{url}{'/more' * (i % 3)}" for i in range(9) for url in urls]


def test_several_processes_write_the_lines_of_one(data_dir) -> None:
    typed = _long_list()
    assert len(typed) > 2 * 2000
    runs = [
        hearthguard(
            "check",
            "--jobs",
            jobs,
            "--at",
            "2026-06-10T12:00",
            data_dir=data_dir.root,
            check=False,
            input="\n".join(typed) + "\n",
        )
        for jobs in ("1", "3")
    ]
    one, three = runs
    assert len(one.stdout.splitlines()) == len(typed)
    assert three.stdout == one.stdout
    assert one.returncode == three.returncode == 2  # the bad lines are counted by the workers
    assert "Traceback" not in three.stderr


def test_the_number_of_processes_is_checked(data_dir) -> None:
    done = hearthguard("check", "--jobs", "0", "example.com", data_dir=data_dir.root, check=False)
    assert done.returncode == 2 and done.stdout == ""
    assert "--jobs" in done.stderr
