"""Fetching lists: local copies, safe archive unpacking, a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import gzip
import io
import os
import tarfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from classifier.lists.fetch import FetchError, extract_archive, fetch, shrink_problem
from classifier.lists.formats import parse_path

LIST = b"0.0.0.0 007angels.com\n0.0.0.0 www.007angels.com\n"
HTML = b"<!DOCTYPE html>\n<html><head><title>Oops</title></head><body>Moved</body></html>\n"


def tar_bytes(members: list[tuple[tarfile.TarInfo, bytes | None]], compress: bool = True) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz" if compress else "w") as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:
                tar.addfile(info)
    return buffer.getvalue()


def member(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    info.mode = 0o644
    return info


def ut1_tarball() -> bytes:
    return tar_bytes(
        [
            (member("blacklists", tarfile.DIRTYPE), None),
            (member("blacklists/adult/domains"), b"007angels.com\n"),
            (member("blacklists/adult/urls"), b"020sextoy.com/sk\n"),
            (member("blacklists/press/domains"), b"lemonde.fr\n"),
            (member("blacklists/porn", tarfile.SYMTYPE, "adult"), None),
        ]
    )


def test_shrink_problem() -> None:
    assert shrink_problem(1000, 900) is None
    assert shrink_problem(1000, 500) is None
    assert shrink_problem(0, 10) is None
    assert shrink_problem(100, 2000) is None
    assert "less than half" in (shrink_problem(1000, 499) or "")
    assert "no entries" in (shrink_problem(1000, 0) or "")
    assert "no entries" in (shrink_problem(0, 0) or "")


# --- local sources ------------------------------------------------------------------------


def test_local_file_is_copied_into_the_destination(tmp_path: Path) -> None:
    source = tmp_path / "sinfonietta" / "pornography-hosts"
    source.parent.mkdir()
    source.write_bytes(LIST)
    seen: list[tuple[int, int | None]] = []
    result = fetch(source, tmp_path / "dest", progress=lambda d, t: seen.append((d, t)))
    assert result.path == (tmp_path / "dest" / "sinfonietta" / "pornography-hosts").resolve()
    assert result.path.read_bytes() == LIST and result.bytes == len(LIST)
    assert seen[-1] == (len(LIST), len(LIST))
    (parsed,) = parse_path(result.path)
    assert parsed.name == "sinfonietta/pornography-hosts" and len(parsed.domains) == 2


def test_local_folder_is_copied_with_its_links(tmp_path: Path) -> None:
    tree = tmp_path / "blacklists"
    (tree / "adult").mkdir(parents=True)
    (tree / "adult" / "domains").write_bytes(b"007angels.com\n")
    os.symlink("adult", tree / "porn")
    result = fetch(tree, tmp_path / "dest")
    assert result.path.is_dir() and (result.path / "porn").is_symlink()
    (parsed,) = parse_path(result.path)
    assert parsed.name == "ut1/adult" and parsed.domains == ("007angels.com",)


def test_local_errors(tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="no such file"):
        fetch(tmp_path / "missing", tmp_path / "dest")
    (tmp_path / "page.html").write_bytes(HTML)
    with pytest.raises(FetchError, match="HTML"):
        fetch(tmp_path / "page.html", tmp_path / "dest2")
    with pytest.raises(FetchError, match="scheme"):
        fetch("ftp://127.0.0.1/list.txt", tmp_path / "dest3")
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "previous").write_text("keep me")
    with pytest.raises(FetchError, match="empty"):
        fetch(tmp_path / "page.html", busy)
    assert (busy / "previous").read_text() == "keep me"


def test_local_archive_is_unpacked_and_parsed(tmp_path: Path) -> None:
    archive = tmp_path / "blacklists.tar.gz"
    archive.write_bytes(ut1_tarball())
    result = fetch(archive, tmp_path / "dest")
    assert result.path == (tmp_path / "dest" / "unpacked").resolve()
    assert result.files == 3 and result.refused_total == 0
    assert sorted(os.listdir(tmp_path / "dest")) == ["unpacked"]  # the download is removed
    lists = {p.name: p for p in parse_path(result.path)}
    assert sorted(lists) == ["ut1/adult", "ut1/press"]
    assert any("porn: alias of adult" in note for note in lists["ut1/adult"].notes)


def test_gzipped_plain_list_is_not_mistaken_for_an_archive(tmp_path: Path) -> None:
    source = tmp_path / "perf" / "domains.txt.gz"
    source.parent.mkdir()
    source.write_bytes(gzip.compress(b"example.com\nexample.org\n"))
    result = fetch(source, tmp_path / "dest")
    assert result.path.name == "domains.txt.gz" and result.files == 1
    assert parse_path(result.path)[0].domains == ("example.com", "example.org")


# --- archive safety -----------------------------------------------------------------------


def test_unsafe_members_are_refused_and_nothing_escapes(tmp_path: Path) -> None:
    members = [
        (member("lists/adult/domains"), b"007angels.com\n"),
        (member("../escaped-parent.txt"), b"evil"),
        (member("lists/../../escaped-deep.txt"), b"evil"),
        (member("/tmp/escaped-absolute.txt"), b"evil"),
        (member("lists/to-etc", tarfile.SYMTYPE, "/etc"), None),
        (member("lists/up", tarfile.SYMTYPE, "../../.."), None),
        (member("lists/hard", tarfile.LNKTYPE, "../outside.txt"), None),
        (member("lists/hard-abs", tarfile.LNKTYPE, "/etc/passwd"), None),
        (member("lists/tty", tarfile.CHRTYPE), None),
        (member("lists/fifo", tarfile.FIFOTYPE), None),
        (member("lists/porn", tarfile.SYMTYPE, "adult"), None),
        (member("lists/copy", tarfile.LNKTYPE, "lists/adult/domains"), None),
    ]
    work = tmp_path / "work"
    work.mkdir()
    archive = work / "evil.tar.gz"
    archive.write_bytes(tar_bytes(members))
    dest = work / "dest"
    files, refused, total = extract_archive(archive, dest)
    assert files == 2  # the domains file and the in-tree hard link
    assert total == 9 and len(refused) == 9
    reasons = {r.member: r.reason for r in refused}
    assert "path traversal" in reasons["../escaped-parent.txt"]
    assert "path traversal" in reasons["lists/../../escaped-deep.txt"]
    assert "absolute" in reasons["/tmp/escaped-absolute.txt"]
    assert "outside" in reasons["lists/to-etc"] and "outside" in reasons["lists/up"]
    assert "hard link" in reasons["lists/hard"] and "hard link" in reasons["lists/hard-abs"]
    assert "special" in reasons["lists/tty"] and "special" in reasons["lists/fifo"]
    assert (dest / "lists" / "porn").is_symlink()
    assert (dest / "lists" / "copy").read_bytes() == b"007angels.com\n"
    assert sorted(os.listdir(work)) == ["dest", "evil.tar.gz"]
    assert not list(tmp_path.rglob("escaped-*")) and not Path("/tmp/escaped-absolute.txt").exists()


def test_writing_through_an_inside_link_stays_inside(tmp_path: Path) -> None:
    members = [
        (member("a", tarfile.DIRTYPE), None),
        (member("link", tarfile.SYMTYPE, "a"), None),
        (member("link/file"), b"ok\n"),
    ]
    archive = tmp_path / "x.tar"
    archive.write_bytes(tar_bytes(members, compress=False))
    files, refused, total = extract_archive(archive, tmp_path / "dest")
    assert (files, total) == (1, 0)
    assert (tmp_path / "dest" / "a" / "file").read_bytes() == b"ok\n"


def test_truncated_archive_is_an_error(tmp_path: Path) -> None:
    data = ut1_tarball()
    archive = tmp_path / "blacklists.tar.gz"
    archive.write_bytes(data[: len(data) // 2])
    with pytest.raises(FetchError, match="truncated or damaged"):
        fetch(archive, tmp_path / "dest")


def test_unpacked_size_cap(tmp_path: Path) -> None:
    archive = tmp_path / "big.tar.gz"
    archive.write_bytes(tar_bytes([(member("big/domains"), b"a.example.com\n" * 1000)]))
    with pytest.raises(FetchError, match="unpacks to more than"):
        fetch(archive, tmp_path / "dest", max_unpacked_bytes=1000)


# --- HTTP ---------------------------------------------------------------------------------

_TARBALL = ut1_tarball()
_ROUTES: dict[str, tuple[int, bytes, dict[str, str]]] = {
    "/lists/pornography-hosts": (200, LIST, {}),
    "/blacklists.tar.gz": (200, _TARBALL, {}),
    "/truncated.tar.gz": (200, _TARBALL[: len(_TARBALL) // 2], {}),
    "/no-gzip-tail.tar.gz": (200, _TARBALL[:-8], {}),
    "/error-page": (200, HTML, {"Content-Type": "text/html"}),
    "/cut-short": (200, LIST, {"Content-Length": str(len(LIST) + 500)}),
    "/big": (200, b"a.example.com\n" * 10_000, {}),
}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        route = _ROUTES.get(self.path)
        if route is None:
            self.send_error(404, "Not Found")
            return
        status, body, headers = route
        self.send_response(status)
        self.send_header("Content-Length", headers.get("Content-Length", str(len(body))))
        self.send_header("Content-Type", headers.get("Content-Type", "application/octet-stream"))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        return


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


def test_http_list(server: str, tmp_path: Path) -> None:
    seen: list[tuple[int, int | None]] = []
    result = fetch(
        server + "/lists/pornography-hosts",
        tmp_path / "dest",
        timeout=5,
        progress=lambda d, t: seen.append((d, t)),
    )
    assert result.path.read_bytes() == LIST
    assert result.path.parent.name == "127.0.0.1"
    assert seen and seen[-1] == (len(LIST), len(LIST))
    assert parse_path(result.path)[0].domains == ("007angels.com", "www.007angels.com")


def test_http_tarball(server: str, tmp_path: Path) -> None:
    result = fetch(server + "/blacklists.tar.gz", tmp_path / "dest", timeout=5)
    assert {p.name for p in parse_path(result.path)} == {"ut1/adult", "ut1/press"}


@pytest.mark.parametrize(
    ("route", "message"),
    [
        ("/missing", "HTTP 404"),
        ("/error-page", "HTML page"),
        ("/truncated.tar.gz", "truncated or damaged"),
        ("/no-gzip-tail.tar.gz", "truncated or damaged"),
        ("/cut-short", "cut short"),
    ],
)
def test_http_failures(server: str, tmp_path: Path, route: str, message: str) -> None:
    dest = tmp_path / "dest"
    with pytest.raises(FetchError, match=message):
        fetch(server + route, dest, timeout=5)
    assert sorted(os.listdir(tmp_path)) == ["dest"]  # nothing written outside the destination


def test_http_size_cap(server: str, tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="limit"):
        fetch(server + "/big", tmp_path / "dest", timeout=5, max_bytes=1000)


def test_unreachable_server(tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="cannot download"):
        fetch("http://127.0.0.1:9/list.txt", tmp_path / "dest", timeout=2)
