"""The list library: imports with provenance, refusals that keep the last good copy, updates."""

from __future__ import annotations

import gzip
import io
import json
import shutil
import tarfile
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from classifier.lists.index import DomainIndex
from hearthguard.updater import update_due
from policy.lists import ListError, ListLibrary
from policy.policydb.lists import ListRecord


def hosts_file(path: Path, names: list[str]) -> Path:
    path.write_text("".join(f"0.0.0.0 {n}\n" for n in names))
    return path


def matches(data_dir, host: str) -> list[tuple[str, str]]:
    with DomainIndex.open(data_dir.index) as index:
        return [(m.list_name, m.category) for m in index.lookup(host)]


@pytest.fixture
def library(data_dir, store) -> ListLibrary:
    """A library without the bundled defaults, so each rebuild takes milliseconds."""
    for record in store.lists():
        store.delete_list(record.name)
    shutil.rmtree(data_dir.lists_dir)
    return ListLibrary(data_dir, store)


def test_init_imported_the_bundled_defaults(data_dir, store) -> None:  # no `library` here
    names = {r.name for r in store.lists()}
    assert {"ut1/gambling", "sinfonietta/pornography-hosts", "ut1/press"} <= names
    assert ("sinfonietta/pornography-hosts", "adult") in matches(data_dir, "www.pornhub.com")
    assert ("ut1/press", "news") in matches(data_dir, "lemonde.fr")
    # Hearthguard's own protected lists come with the defaults
    assert ("hearthguard/helpline", "helpline") in matches(data_dir, "www.begambleaware.org")
    assert ("hearthguard/sex_education", "sex_education") in matches(data_dir, "scarleteen.com")
    assert ("hearthguard/health", "health") in matches(data_dir, "www.nhs.uk")


def test_import_records_provenance_and_reports_bad_lines(data_dir, store, library, tmp_path):
    source = tmp_path / "casinos" / "mine.hosts"
    source.parent.mkdir()
    source.write_text(
        "0.0.0.0 casino.example\n0.0.0.0 bad..name\n0.0.0.0 co.uk\n0.0.0.0 bet.example\n"
    )
    report = library.import_source(source, category="gambling", name="family/casinos")
    (parsed,) = report.lists
    assert (parsed.name, parsed.category, parsed.entries, parsed.rejected_total) == (
        "family/casinos",
        "gambling",
        2,
        2,
    )
    lines = report.rejection_lines()
    assert lines[0] == "family/casinos: 2 lines rejected"
    assert any("mine.hosts:2:" in line for line in lines)
    assert any("mine.hosts:3:" in line and "public suffix" in line for line in lines)
    assert ("family/casinos", "gambling") in matches(data_dir, "a.casino.example")
    record = next(r for r in store.lists() if r.name == "family/casinos")
    assert (record.entries, record.rejected, record.source) == (2, 2, str(source.resolve()))


def test_a_list_that_shrank_by_half_is_refused_and_the_old_copy_kept(data_dir, library, tmp_path):
    source = hosts_file(tmp_path / "big.hosts", [f"site{i}.example" for i in range(10)])
    library.import_source(source, category="gambling", name="family/big")
    hosts_file(source, ["site0.example", "site1.example"])
    with pytest.raises(ListError, match="less than half"):
        library.import_source(source, category="gambling", name="family/big")
    assert matches(data_dir, "site9.example") == [("family/big", "gambling")]
    library.import_source(source, category="gambling", name="family/big", force=True)
    assert matches(data_dir, "site9.example") == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<!DOCTYPE html><html><body>404 Not Found</body></html>", "HTML"),
        (b"", "empty"),
        (b"\x00\x01\x02\x03" * 100, "binary"),
    ],
)
def test_unusable_files_change_nothing(data_dir, store, library, tmp_path, content, message):
    source = tmp_path / "broken.txt"
    source.write_bytes(content)
    before = (store.lists(), data_dir.index.read_bytes())
    with pytest.raises(ListError, match=message) as excinfo:
        library.import_source(source)
    assert str(source) in str(excinfo.value) and ".incoming" not in str(excinfo.value)
    assert (store.lists(), data_dir.index.read_bytes()) == before
    assert not [p for p in data_dir.lists_dir.iterdir() if p.name.startswith(".incoming")]


def test_the_last_import_owns_a_shared_list_name(data_dir, store, library, tmp_path):
    first = hosts_file(tmp_path / "a.hosts", ["one.example", "two.example"])
    second = hosts_file(tmp_path / "b.hosts", ["three.example", "four.example"])
    library.import_source(first, category="drugs", name="shared/list")
    report = library.import_source(second, category="drugs", name="shared/list")
    assert report.replaced == ("shared/list",)
    assert matches(data_dir, "one.example") == []
    assert matches(data_dir, "three.example") == [("shared/list", "drugs")]
    sources = {s.source for s in library.sources()}
    assert str(second.resolve()) in sources and str(first.resolve()) not in sources


def ut1_archive(domains: dict[str, list[str]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for category, names in domains.items():
            data = "".join(f"{n}\n" for n in names).encode()
            info = tarfile.TarInfo(f"blacklists/{category}/domains")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


class ListServer:
    """A loopback web server whose answer the test changes between updates."""

    def __init__(self) -> None:
        self.status, self.body = 200, b""
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                self.send_response(outer.status)
                self.send_header("Content-Length", str(len(outer.body)))
                self.end_headers()
                self.wfile.write(outer.body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/blacklists.tar.gz"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def list_server() -> Iterator[ListServer]:
    server = ListServer()
    yield server
    server.server.shutdown()
    server.server.server_close()


def test_update_from_a_url_keeps_the_last_good_copy_on_errors(
    data_dir, store, library, list_server
):
    list_server.body = ut1_archive(
        {"gambling": ["casino1.example", "casino2.example"], "drogue": ["weed.example"]}
    )
    library.import_source(list_server.url, name="mirror")
    assert matches(data_dir, "casino2.example") == [("mirror/gambling", "gambling")]
    assert matches(data_dir, "weed.example") == [("mirror/drogue", "drugs")]

    for status, body, why in (
        (404, b"not here", "404"),
        (200, b"<html><body>Maintenance</body></html>", "HTML"),
        (200, ut1_archive({"gambling": ["casino1.example"]})[:40], "damaged"),
    ):
        list_server.status, list_server.body = status, body
        (outcome,) = library.update()
        assert outcome.error and why.lower() in outcome.error.lower(), outcome.error
        assert matches(data_dir, "casino2.example") == [("mirror/gambling", "gambling")]
        errors = {r.name: r.last_error for r in store.lists() if r.name.startswith("mirror/")}
        assert all(errors.values()), errors

    list_server.status = 200
    list_server.body = ut1_archive(
        {
            "gambling": ["casino1.example", "casino2.example", "casino3.example"],
            "drogue": ["weed.example"],
        }
    )
    (outcome,) = library.update()
    assert outcome.error is None
    assert matches(data_dir, "casino3.example") == [("mirror/gambling", "gambling")]
    assert all(r.last_error is None for r in store.lists() if r.name.startswith("mirror/"))


def test_update_due(data_dir, store) -> None:
    now = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    assert not update_due(data_dir, None, now)  # only bundled lists: nothing to fetch
    store.upsert_list(
        ListRecord(
            "mirror/adult",
            "http://lists.example/ut1.tar.gz",
            "ut1",
            "adult",
            True,
            10,
            0,
            now - timedelta(hours=25),
            None,
        )
    )
    assert update_due(data_dir, None, now)
    assert not update_due(data_dir, now - timedelta(hours=1), now)  # tried recently
    store.set_setting("list_update_hours", 48)
    assert not update_due(data_dir, None, now)
    store.set_setting("list_update_hours", 0)
    assert not update_due(data_dir, None, now - timedelta(days=30))


def test_gzip_lists_import(data_dir, library, tmp_path) -> None:
    source = tmp_path / "drugs.txt.gz"
    with gzip.open(source, "wt") as f:
        f.write("weed-shop.example\nhemp.example\n")
    library.import_source(source, category="drugs")
    assert matches(data_dir, "weed-shop.example")[0][1] == "drugs"


def test_lists_imported_in_the_same_second_are_indexed_in_the_same_order_everywhere(
    data_dir, library, tmp_path
) -> None:
    """Which list a block names must not depend on the random names of the folders the lists
    are kept in (two installs of the same lists credit the same list)."""
    for name in ("b-second", "a-first"):
        source = tmp_path / name / "hosts.txt"
        source.parent.mkdir()
        source.write_text("0.0.0.0 casino.example\n")
        library.import_source(source, category="gambling", name=f"family/{name}")
    for source in library.sources():  # the same second, as a first start's bundled imports are
        meta = source.folder / "source.json"
        info = json.loads(meta.read_text())
        meta.write_text(json.dumps({**info, "fetched_at": "2026-01-01T00:00:00+00:00"}))
    orders = set()
    for flip in (False, True):  # folder names sorting one way, then the other
        for n, source in enumerate(library.sources()[:: -1 if flip else 1]):
            source.folder.rename(source.folder.with_name(f"{n}-{source.folder.name}"))
        library.rebuild_index()
        orders.add(tuple(name for name, _ in matches(data_dir, "casino.example")))
    assert orders == {("family/a-first", "family/b-second")}
