"""The benign infrastructure set: how it is built from a domain-list-community tree (a small
one written here) and what the shipped file holds."""

from __future__ import annotations

from pathlib import Path

import pytest

from classifier.training.infra_hosts import INFRA_DIR, collect_hosts, infra_hosts, main


def _tree(root: Path) -> Path:
    data = root / "data"
    data.mkdir(parents=True)
    (data / "google").write_text(
        "# Google\ninclude:google-ads\ninclude:category-porn\n"
        "google.com\nfull:content-autofill.googleapis.com @ads\n"
        "domain:update.googleapis.com\nkeyword:googlevideo\nregexp:^r[0-9]+\\.gvt1\\.com$\n"
        "www.google.co.uk\nfull:bad_name!.google.com\n",
        encoding="utf-8",
    )
    (data / "google-ads").write_text("full:pagead2.googlesyndication.com\n", encoding="utf-8")
    (data / "category-porn").write_text("full:cdn.adult-example.com\n", encoding="utf-8")
    (data / "category-cdn-!cn").write_text("include:google\nstatic.cdn77.org\n", encoding="utf-8")
    return root


def test_hosts_below_a_registered_domain_from_infrastructure_lists_only(tmp_path: Path) -> None:
    hosts = collect_hosts(_tree(tmp_path) / "data")
    assert hosts == {
        "static.cdn77.org": "category-cdn-!cn",
        "content-autofill.googleapis.com": "google",
        "update.googleapis.com": "google",
        "pagead2.googlesyndication.com": "google-ads",
    }


def test_the_builder_writes_the_file_and_refuses_what_is_not_a_checkout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "hosts.txt"
    assert main([str(_tree(tmp_path / "dlc")), "--out", str(out)]) == 0
    assert infra_hosts(out) == [
        "content-autofill.googleapis.com",
        "pagead2.googlesyndication.com",
        "static.cdn77.org",
        "update.googleapis.com",
    ]
    missing = tmp_path / "elsewhere.txt"
    assert main([str(tmp_path / "nothing"), "--out", str(missing)]) == 2
    assert "not a domain-list-community" in capsys.readouterr().err
    assert not missing.exists()


def test_the_shipped_set_is_real_hosts_with_its_source_recorded() -> None:
    hosts = infra_hosts()
    assert len(hosts) == len(set(hosts)) > 1500
    assert all("." in host and host == host.lower() for host in hosts)
    source = (INFRA_DIR / "SOURCE.md").read_text(encoding="utf-8")
    assert "v2fly/domain-list-community" in source and "MIT" in source
    assert "c975ccef9c19f005a3bfa7a33255d1b406deea64" in source
