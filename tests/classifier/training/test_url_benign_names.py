"""Real benign site names for the URL model: what is kept, how they split, and the files
shipped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from classifier.training.url import url_ships
from classifier.training.url_benign_names import (
    BENIGN_NAMES_DIR,
    PINNED_HELD_OUT,
    benign_names,
    held_out,
    main,
    peertube_hosts,
    read_names,
    site_name,
)

EXTRACTOR = """
class PeerTubeIE(InfoExtractor):
    _INSTANCES_RE = r\'\'\'(?:
                            # Taken from https://instances.joinpeertube.org/instances
                            framatube\\.org|
                            peertube\\.tv|
                            tube\\.example\\.de|
                            xxx\\.badname\\.tube
                        )\'\'\'
    _UUID_RE = r'[\\da-zA-Z]{22}'
"""


def test_peertube_hosts_are_read_from_the_extractor_source() -> None:
    hosts = peertube_hosts(EXTRACTOR)
    assert hosts == ["framatube.org", "peertube.tv", "tube.example.de", "xxx.badname.tube"]


def test_benign_names_keep_one_domain_per_name_and_drop_explicit_ones() -> None:
    v2fly = {
        "youtube.com.br": "youtube",
        "www.youtube.com": "youtube",
        "youtube.ae": "youtube",
        "sexshop.example": "x",
        "cdn.cloudfront.net": "amazon",
        "essexnews.co.uk": "category-media",
    }
    names = benign_names(peertube_hosts(EXTRACTOR), v2fly)
    assert names["youtube.com"] == "v2fly:youtube"
    assert not {"youtube.com.br", "youtube.ae"} & set(names)
    assert names["framatube.org"] == "peertube" and names["example.de"] == "peertube"
    assert "badname.tube" not in names  # an explicit word
    assert "sexshop.example" not in names and "essexnews.co.uk" not in names
    assert "cloudfront.net" not in names  # a shared platform


def test_pinned_names_are_held_out_and_the_split_is_by_site_name() -> None:
    assert all(held_out(f"{name}.com") for name in PINNED_HELD_OUT)
    assert held_out("youtube.com") and held_out("youtube.co.uk")
    sides = {held_out(f"name{i}.org") for i in range(200)}
    assert sides == {True, False}
    assert site_name("youtube.com.br") == "youtube"


def test_shipped_names_are_disjoint_by_site_name_and_hold_the_pinned_ones() -> None:
    train = read_names(BENIGN_NAMES_DIR / "train.txt")
    held = read_names(BENIGN_NAMES_DIR / "heldout.txt")
    assert len(train) > 5000 and len(held) > 5000
    held_sites = {site_name(d) for d, _ in held}
    assert held_sites.isdisjoint({site_name(d) for d, _ in train})
    assert {"youtube.com", "framatube.org"} <= {d for d, _ in held}
    assert "peertube" in held_sites
    assert all(not held_out(d) for d, _ in train) and all(held_out(d) for d, _ in held)
    sources = {s.split(":", 1)[0] for _, s in train + held}
    assert sources == {"peertube", "v2fly"}


def test_bad_input_exits_2_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "out"
    extractor = tmp_path / "peertube.py"
    extractor.write_text(EXTRACTOR, encoding="utf-8")
    assert main([str(tmp_path), str(extractor), "--out", str(out)]) == 2
    assert "domain-list-community" in capsys.readouterr().err
    v2fly = tmp_path / "v2fly"
    (v2fly / "data").mkdir(parents=True)
    (v2fly / "data" / "category-media").write_text("include:bbc\n", encoding="utf-8")
    (v2fly / "data" / "bbc").write_text("domain:bbc.co.uk\nfull:ads.bbc.com @ads\n", "utf-8")
    not_an_extractor = tmp_path / "other.py"
    not_an_extractor.write_text("print(1)\n", encoding="utf-8")
    assert main([str(v2fly), str(not_an_extractor), "--out", str(out)]) == 2
    assert not out.exists()
    assert main([str(v2fly), str(extractor), "--out", str(out)]) == 0
    written = {d for f in ("train.txt", "heldout.txt") for d, _ in read_names(out / f)}
    assert written == {"bbc.co.uk", "framatube.org", "peertube.tv", "example.de"}


def _report(names_blocked: float) -> dict[str, Any]:
    fold = {"lists_alone_caught": 0.1, "lists_and_model_caught": {"child": 0.2}}
    return {
        "leave_one_provider_out": {"a": fold, "b": fold},
        "rights_sensitive": {"news": {"hosts": 1000, "model_blocked": {"child": 0.001}}},
        "infrastructure": {"hosts": 100, "model_blocked": {"child": 0.0}},
        "benign_names": {"names": 1000, "model_blocked": {"child": names_blocked}},
    }


def test_the_url_model_ships_only_when_it_spares_held_out_ordinary_names() -> None:
    assert url_ships(_report(0.005))[0] is True
    assert url_ships(_report(0.006))[0] is False
    empty = _report(0.0)
    empty["benign_names"]["names"] = 0
    assert url_ships(empty)[0] is False
    assert "held-out real benign site names" in url_ships(_report(0.0))[1]
