"""``hearthguard check`` loads the URL model (and numpy) only when an address reaches the model
step, and no command imports OpenSSL unless it makes or reads the household CA; with the
model missing, unlisted hosts are decided as with no URL model at all."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from classifier.models import loading
from policy.check import CheckedLines, batch_url_verdicts, check_lines
from policy.engine import UrlModelWhenUsed, load_files
from policy.store import load_snapshot
from tests.support.lists import make_index, parsed
from tests.support.processes import REPO

NOW = datetime(2026, 6, 10, 12, tzinfo=timezone(timedelta(hours=2)))
_HEAVY = (
    "numpy",
    "classifier.models.url",
    "classifier.models.page",
    "classifier.models.chat",
    "mitmproxy.certs",
    "OpenSSL",
)


def _check_in_a_process(root: Path, *urls: str) -> tuple[list[dict], dict[str, bool]]:
    """The lines ``hearthguard check URL...`` prints, which heavy modules it imported, and
    (``"threads"``) how many threads the process ran at the end."""
    probe = (
        "import json, sys\n"
        "from hearthguard.cli import main\n"
        "try:\n"
        f"    main(['check', '--data-dir', {str(root)!r}, *{list(urls)!r}])\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
        f"found = {{m: m in sys.modules for m in {list(_HEAVY)!r}}}\n"
        "status = open('/proc/self/status').read().split('Threads:')[1]\n"
        "print(json.dumps({**found, 'threads': int(status.split()[0])}))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    *lines, imported = done.stdout.strip().splitlines()
    return [json.loads(line) for line in lines], json.loads(imported)


def test_listed_hosts_are_checked_without_numpy_the_url_model_or_openssl(data_dir) -> None:
    make_index(data_dir.index, [parsed("ut1/gambling", "gambling", ["casino.example"])])
    lines, imported = _check_in_a_process(
        data_dir.root, "https://casino.example/poker", "www.casino.example"
    )
    assert [(line["action"], line["category"]) for line in lines] == [("block", "gambling")] * 2
    assert imported == {**dict.fromkeys(_HEAVY, False), "threads": 1}


def test_an_unlisted_host_loads_the_url_model_when_it_reaches_it(data_dir) -> None:
    make_index(data_dir.index, [parsed("ut1/gambling", "gambling", ["casino.example"])])
    lines, imported = _check_in_a_process(data_dir.root, "https://casino.example/", "news.example")
    assert [line["url"] for line in lines] == ["https://casino.example/", "news.example"]
    assert imported["numpy"] and imported["classifier.models.url"]
    assert not imported["mitmproxy.certs"]
    # the page and chat models' code is not imported to judge an address
    assert not imported["classifier.models.page"] and not imported["classifier.models.chat"]
    # numpy without OpenBLAS's thread pool, which would spin on the second core at start
    assert imported["threads"] == 1


def test_the_model_is_loaded_at_the_first_unlisted_host_with_the_same_lines(
    store, data_dir
) -> None:
    make_index(data_dir.index, [parsed("ut1/gambling", "gambling", ["casino.example"])])
    eager = load_files(data_dir)
    lazy = load_files(data_dir, url_model_when_used=True)
    assert isinstance(lazy.url_model, UrlModelWhenUsed)
    profile_lines = {}
    for name, loaded in (("eager", eager), ("lazy", lazy)):
        snapshot = load_snapshot(
            store, index=loaded.index, url_model=batch_url_verdicts(loaded.url_model)
        )
        profile = snapshot.profiles[snapshot.default_profile]
        listed = list(
            check_lines(
                ["casino.example/a", "casino.example/b"], profile, snapshot, NOW, CheckedLines()
            )
        )
        if name == "lazy":
            assert not lazy.url_model.loaded  # every host was listed: no model asked for
        unlisted = [
            "free-casino-slots-bonus.example",
            "poker-bets-online.example/x",
            "kids.example",
        ]
        profile_lines[name] = listed + list(
            check_lines(unlisted, profile, snapshot, NOW, CheckedLines())
        )
    assert lazy.url_model.loaded and lazy.url_model.problems == ()
    assert profile_lines["lazy"] == profile_lines["eager"]
    assert any('"model_blocked"' in line for line in profile_lines["lazy"])


def test_a_missing_model_decides_as_no_url_model(store, data_dir, monkeypatch, tmp_path) -> None:
    make_index(data_dir.index, [parsed("ut1/gambling", "gambling", ["casino.example"])])
    monkeypatch.setattr(loading, "BUNDLED_MODEL_DIR", tmp_path / "no-models")
    lazy = load_files(data_dir, url_model_when_used=True)
    urls = ["casino.example", "free-casino-slots-bonus.example/x", "poker-bets-online.example"]
    lines = {}
    for name, source in (("lazy", batch_url_verdicts(lazy.url_model)), ("none", None)):
        snapshot = load_snapshot(store, index=lazy.index, url_model=source)
        profile = snapshot.profiles[snapshot.default_profile]
        lines[name] = list(check_lines(urls, profile, snapshot, NOW, CheckedLines()))
    assert lines["lazy"] == lines["none"]
    assert [json.loads(line)["action"] for line in lines["lazy"]] == ["block", "allow", "allow"]
    assert lazy.url_model.model is None
    assert "url classifier is unavailable" in lazy.url_model.problems[0]
