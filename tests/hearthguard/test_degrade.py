"""Degrade, never die: a damaged category index is reported (log, status.json for the
dashboard, ``lists status``), Hearthguard starts, blocks what it cannot check with the
"could not check" page instead of letting it through, and rebuilds the index from the list
files on disk."""

from __future__ import annotations

import http.client
import json
import os
import struct
import time
from collections.abc import Callable

import pytest
from click.testing import CliRunner
from mitmproxy.test import taddons

from classifier.lists.index import DomainIndex
from hearthguard.cli import main
from policy.status import read_status
from policy.values import Reason
from proxy_addons.httpfilter import HttpFilter
from proxy_addons.main import make_addons
from proxy_addons.reload import PolicyReload
from tests.proxy_addons.conftest import request_flow
from tests.support.origin import serve_origin
from tests.support.processes import REPO, running_hearthguard

LISTED = "www.pornhub.com"  # in the bundled adult list: blocked for the child preset
UNLISTED = "homework-help.example"  # no list names it

DAMAGES: dict[str, Callable[[bytes], bytes]] = {
    "truncated": lambda whole: whole[: len(whole) // 2],
    "zero bytes": lambda whole: b"",
    "garbage": lambda whole: bytes(range(256)) * 64,
    "wrong version": lambda whole: whole[:8] + struct.pack("<I", 99) + whole[12:],
}


def decide_through_proxy(data_dir, host: str, *, repair: bool = False):
    """Configure the real addon chain on ``data_dir`` and send one request for ``host``."""
    addons = make_addons()
    reload = next(a for a in addons if isinstance(a, PolicyReload))
    http_filter = next(a for a in addons if isinstance(a, HttpFilter))
    with taddons.context(*addons) as tctx:
        tctx.configure(
            reload,
            hearthguard_models=False,
            hearthguard_index_repair=repair,
            hearthguard_data_dir=str(data_dir.root),
        )
        flow = request_flow(host)
        http_filter.requestheaders(flow)
        return flow


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_a_damaged_index_blocks_what_the_lists_would_judge_and_says_why(data_dir, damage) -> None:
    data_dir.index.write_bytes(DAMAGES[damage](data_dir.index.read_bytes()))
    for host in (LISTED, UNLISTED):
        flow = decide_through_proxy(data_dir, host)
        decision = flow.metadata["hearthguard"]
        assert decision.reason is Reason.FILTER_ERROR, (host, decision)
        assert flow.response is not None and b"could not be checked" in flow.response.content
    (problem,) = read_status(data_dir)["problems"]
    assert "categories.idx is unusable" in problem and "could not check" in problem

    status = CliRunner().invoke(main, ["lists", "status", "--data-dir", str(data_dir.root)])
    assert status.exit_code == 0
    assert "category index: UNUSABLE" in status.output
    assert "the running proxy reports: The category index" in status.output


def test_a_missing_index_with_lists_in_use_is_not_an_empty_one(data_dir) -> None:
    data_dir.index.unlink()
    flow = decide_through_proxy(data_dir, UNLISTED)
    assert flow.metadata["hearthguard"].reason is Reason.FILTER_ERROR
    assert any("is missing" in p for p in read_status(data_dir)["problems"])


def test_a_sound_index_decides_and_reports_nothing(data_dir) -> None:
    assert decide_through_proxy(data_dir, LISTED).metadata["hearthguard"].reason is (
        Reason.CATEGORY_BLOCKED
    )
    assert decide_through_proxy(data_dir, UNLISTED).metadata["hearthguard"].reason is (
        Reason.NOT_BLOCKED
    )
    assert read_status(data_dir)["problems"] == []


def test_a_damaged_replacement_keeps_the_index_in_use_until_a_sound_one_arrives(data_dir) -> None:
    whole = data_dir.index.read_bytes()
    addons = make_addons()
    reload = next(a for a in addons if isinstance(a, PolicyReload))
    http_filter = next(a for a in addons if isinstance(a, HttpFilter))

    def replace_index(content: bytes) -> None:  # as a rebuild does: a new file, renamed
        tmp = data_dir.index.with_name(".categories.idx.test")
        tmp.write_bytes(content)
        os.replace(tmp, data_dir.index)

    def reason(host: str) -> Reason:
        snapshot = reload._poll_once()
        if snapshot is not None:
            reload.state.snapshot = snapshot
        flow = request_flow(host)
        http_filter.requestheaders(flow)
        return flow.metadata["hearthguard"].reason

    with taddons.context(*addons) as tctx:
        tctx.configure(
            reload,
            hearthguard_models=False,
            hearthguard_index_repair=False,
            hearthguard_data_dir=str(data_dir.root),
        )
        assert reason(LISTED) is Reason.CATEGORY_BLOCKED
        replace_index(DAMAGES["truncated"](whole))
        assert reason(LISTED) is Reason.CATEGORY_BLOCKED  # the mapped index still answers
        (problem,) = read_status(data_dir)["problems"]
        assert "previous index is used until it is rebuilt" in problem
        replace_index(whole)
        assert reason(LISTED) is Reason.CATEGORY_BLOCKED
        assert reason(UNLISTED) is Reason.NOT_BLOCKED
        assert read_status(data_dir)["problems"] == []


def test_a_damaged_activity_log_is_kept_aside_and_filtering_goes_on(data_dir) -> None:
    garbage = b"not an activity log " * 200
    data_dir.activity_db.write_bytes(garbage)
    flow = decide_through_proxy(data_dir, LISTED)
    assert flow.metadata["hearthguard"].reason is Reason.CATEGORY_BLOCKED
    (kept,) = data_dir.root.glob("activity.db.damaged-*")
    assert kept.read_bytes() == garbage
    assert data_dir.activity_db.read_bytes()[:16] == b"SQLite format 3\x00"
    (problem,) = read_status(data_dir)["problems"]
    assert "activity log" in problem and kept.name in problem


def test_lists_rebuild_repairs_the_index_from_the_files_on_disk(data_dir) -> None:
    data_dir.index.write_bytes(b"")
    result = CliRunner().invoke(main, ["--data-dir", str(data_dir.root), "lists", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "Rebuilt" in result.output
    with DomainIndex.open(data_dir.index) as index:
        assert {m.category for m in index.lookup(LISTED)} >= {"adult"}


def get(port: int, host: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", f"http://{host}/")
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@pytest.mark.process
def test_hearthguard_run_starts_on_a_truncated_index_blocks_then_rebuilds_it(data_dir) -> None:
    data_dir.index.write_bytes(DAMAGES["truncated"](data_dir.index.read_bytes()))
    data_dir.activity_db.write_bytes(b"garbage" * 100)  # and a damaged activity log
    script = REPO / "tests" / "support" / "route_test_hosts.py"
    with serve_origin() as origin:
        env = {"HG_TEST_ORIGIN_PORT": str(origin.port)}
        with running_hearthguard(
            data_dir.root,
            "--set",
            f"scripts={script}",
            "--set",
            "hearthguard_models=false",
            env=env,
        ) as (port, _, process):
            status, body = get(port, "allowed.test")
            if status == 200:  # the rebuild already finished (a fast machine): still sound
                assert b"hello from origin" in body
            else:
                assert b"could not be checked" in body
                assert any("unusable" in p for p in read_status(data_dir)["problems"])
            deadline = time.monotonic() + 240  # the rebuild compiles ~600k entries
            while time.monotonic() < deadline:
                assert process.poll() is None, (data_dir.root / "run.log").read_text()
                status, body = get(port, "allowed.test")
                if status == 200:
                    break
                time.sleep(1)
            assert (status, b"hello from origin" in body) == (200, True)
            status, body = get(port, LISTED)
            assert b"could not be checked" not in body and b"adult" in body.lower()
            problems = read_status(data_dir)["problems"]
            assert len(problems) == 1 and "activity log" in problems[0]
    log = (data_dir.root / "run.log").read_text()
    assert "categories.idx is unusable" in log and "Rebuilding the category index" in log
    assert "Error logged during startup" not in log and "Traceback" not in log
    with DomainIndex.open(data_dir.index) as index:
        assert len(index) > 100_000


def test_check_on_a_damaged_index_answers_could_not_check_not_allow(data_dir) -> None:
    data_dir.index.write_bytes(DAMAGES["garbage"](b""))
    result = CliRunner().invoke(main, ["check", LISTED, UNLISTED, "--data-dir", str(data_dir.root)])
    answers = [json.loads(line) for line in result.output.splitlines()]
    assert [(a["action"], a["reason"]) for a in answers] == [("block", "filter_error")] * 2


def test_run_stops_with_advice_on_a_damaged_ca_and_never_makes_a_new_one(data_dir) -> None:
    key = data_dir.ca_dir / "mitmproxy-ca.pem"
    key.write_bytes(b"-----BEGIN PRIVATE KEY-----\ngarbage\n")
    before = sorted(p.name for p in data_dir.ca_dir.iterdir())
    result = CliRunner().invoke(
        main,
        ["run", "--data-dir", str(data_dir.root), "--proxy-port", "0", "--dashboard-port", "0"],
    )
    assert result.exit_code == 2
    assert "The household CA in" in result.output and "hearthguard restore" in result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
    assert key.read_bytes() == b"-----BEGIN PRIVATE KEY-----\ngarbage\n"
    assert sorted(p.name for p in data_dir.ca_dir.iterdir()) == before


@pytest.mark.process
def test_run_says_so_when_a_lost_ca_had_to_be_made_anew(data_dir) -> None:
    old = (data_dir.ca_dir / "mitmproxy-ca-cert.pem").read_bytes()
    for path in data_dir.ca_dir.iterdir():
        path.unlink()
    with running_hearthguard(data_dir.root):
        pass
    log = (data_dir.root / "run.log").read_text()
    assert "the household CA was missing, so a new one was made" in log
    assert (data_dir.ca_dir / "mitmproxy-ca-cert.pem").read_bytes() != old
