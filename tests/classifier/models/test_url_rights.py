"""The shipped URL model never at the cost of rights: no blocks of protected and
rights-sensitive hosts, nothing for infrastructure hosts, no malware guesses, and every block
names its strongest features."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from classifier.categories import BENIGN
from classifier.models.loading import load_models
from classifier.models.url import UrlModel, registered_domain, url_model_input
from classifier.training.infra_hosts import infra_hosts
from classifier.training.url import rights_sensitive_hosts
from policy.decide import decide
from policy.engine import CachedUrlModel
from policy.presets import preset
from policy.snapshot import Snapshot
from policy.values import Action, Profile, Reason, Request
from tests.support.lists import make_index, parsed
from tests.support.urlmodel import CHILD, model_alone_blocked

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def url_model() -> UrlModel:
    models = load_models(names=["url"])
    assert models.url is not None, models.errors
    return models.url


def blocked_share(model: UrlModel, hosts: list[str], threshold: float = CHILD) -> float:
    verdicts = model.predict(hosts)
    return sum(v.category != BENIGN and v.score >= threshold for v in verdicts) / len(hosts)


def test_names_do_not_predict_malware_phishing_or_anonymizers(url_model: UrlModel) -> None:
    assert not {"malware", "phishing", "anonymizer"} & set(url_model.classes)


@pytest.mark.parametrize(
    "host",
    ["content-autofill.googleapis.com", "safebrowsing.googleapis.com", "update.googleapis.com"],
)
def test_infrastructure_hosts_read_as_nothing(url_model: UrlModel, host: str) -> None:
    (verdict,) = url_model.predict([host])
    assert verdict.category == BENIGN


@pytest.mark.parametrize(
    ("host", "path"),
    [
        (
            "www.hrw.org",
            "/report/2024/01/10/they-will-kill-us-for-no-reason/abuses-against-lgbt-people",
        ),
        ("www.bbc.co.uk", "/news/articles/c0jq4nv9x2po-online-casino-adverts-ban-young-men"),
        ("www.nhs.uk", "/live-well/addiction-support/drug-addiction-getting-help/"),
    ],
)
def test_long_news_and_ngo_paths_are_not_blocked(url_model: UrlModel, host: str, path: str) -> None:
    # The request filter asks the model about the host: a path never decides.
    snapshot = _snapshot(url_model)
    decision = decide(Request(host, path), snapshot.profiles["Kid"], snapshot, NOW)
    assert decision.action is Action.ALLOW, decision


def test_the_model_blocks_few_rights_sensitive_hosts(
    url_model: UrlModel, shared_data: Path
) -> None:
    rights = rights_sensitive_hosts(shared_data)
    blocked = 0
    for kind, hosts in rights.items():
        assert hosts, kind
        share = blocked_share(url_model, hosts)
        blocked += round(share * len(hosts))
        if kind.startswith("news"):  # thousands of UT1 press hosts, never trained on
            assert share <= 0.005, (kind, share)
    total = sum(len(hosts) for hosts in rights.values())
    assert blocked / total <= 0.005  # the goal, by the model alone


def test_protected_hosts_are_never_blocked_by_the_model_in_decisions(
    url_model: UrlModel, tmp_path: Path
) -> None:
    # The model alone reads a few helpline names as gambling (gamblersanonymous.org);
    # Hearthguard's protected lists shield them before the model is asked.
    lists = Path(__file__).resolve().parents[3] / "classifier" / "data" / "lists" / "hearthguard"
    categories = {"helpline": "helpline", "health": "health", "rights": "rights"}
    categories["sex_education"] = "sex_education"
    protected = {
        name: [
            line.strip()
            for line in (lists / f"{name}.txt").read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")
        ]
        for name in categories
    }
    index = make_index(
        tmp_path / "protected.idx",
        [
            parsed(f"hearthguard/{name}", categories[name], hosts)
            for name, hosts in protected.items()
        ],
    )
    snapshot = _snapshot(url_model, index)
    for hosts in protected.values():
        for host in hosts:
            decision = decide(Request(host, "/"), snapshot.profiles["Kid"], snapshot, NOW)
            assert decision.action is Action.ALLOW, (host, decision)


def test_obvious_names_are_still_caught(url_model: UrlModel) -> None:
    verdicts = url_model.predict(["freecasinobonus.example", "hotxxxpornvideos.example"])
    assert [v.category for v in verdicts] == ["gambling", "adult"]
    assert all(v.score >= CHILD for v in verdicts)


def _snapshot(url_model: UrlModel, index: object = None) -> Snapshot:
    p = preset("child")
    kid = Profile(name="Kid", preset="child", blocked=p.blocked, url_threshold=p.url_threshold)
    extra = {} if index is None else {"index": index}
    return Snapshot(
        version=1,
        profiles={"Kid": kid},
        default_profile="Kid",
        url_model=CachedUrlModel(url_model),
        **extra,  # type: ignore[arg-type]
    )


def test_a_url_model_block_names_its_strongest_features(url_model: UrlModel) -> None:
    snapshot = _snapshot(url_model)
    decision = decide(
        Request("freecasinobonus.example", "/"), snapshot.profiles["Kid"], snapshot, NOW
    )
    assert (decision.action, decision.reason, decision.category) == (
        Action.BLOCK,
        Reason.MODEL_BLOCKED,
        "gambling",
    )
    assert decision.source.startswith("url model: '")
    assert "sino" in decision.source or "bonus" in decision.source  # n-grams of "casino"


# --------------------------------------------------------------------------- infrastructure


@pytest.mark.parametrize(
    "host",
    [
        "img1.static.site419511968.example-unlisted.org",
        "cdn-7.assets.shop-4471.example.net",
        "api.v2.telemetry.example-unlisted.com",
        "stats.g.doubleclick.example.org",
    ],
)
def test_labels_below_the_registered_domain_read_as_nothing(url_model: UrlModel, host: str) -> None:
    assert url_model_input(host) == "^" + registered_domain(host) + "$"
    (verdict,) = url_model.predict([host])
    assert verdict.category == BENIGN, verdict
    assert model_alone_blocked(url_model, [host]) == []


def test_real_infrastructure_hosts_are_not_blocked(url_model: UrlModel) -> None:
    # 1,799 real CDN, asset, API, telemetry, update and download hosts (v2fly
    # domain-list-community, MIT), never trained on; the model alone, before the shared
    # platforms are shielded, blocks at most 1% of them, and none once they are.
    hosts = infra_hosts()
    assert len(hosts) > 1500
    blocked = model_alone_blocked(url_model, hosts)
    assert len(blocked) <= 0.01 * len(hosts), blocked
    shielded = [v for v in url_model.predict(hosts) if v.category != BENIGN and v.score >= CHILD]
    assert len(shielded) <= len(blocked)


def test_a_harmful_site_behind_infrastructure_labels_is_still_blocked(
    url_model: UrlModel,
) -> None:
    snapshot = _snapshot(url_model)
    request = Request("img1.static.freecasinobonus.example", "/")
    decision = decide(request, snapshot.profiles["Kid"], snapshot, NOW)
    assert (decision.action, decision.category) == (Action.BLOCK, "gambling")
    # the features named are those of the site's own name, never of the server labels
    assert "asino" in decision.source or "sino" in decision.source, decision.source
    named = [name for name, _weight in url_model.explain("img1.static.freecasinobonus.example")]
    assert named and not any("img" in name or "stat" in name for name in named), named


def test_hosts_a_model_trained_without_their_list_caught_are_still_caught(
    url_model: UrlModel,
) -> None:
    # Real harmful hosts of each list provider that no other provider lists, caught at the
    # child preset by the model trained without that provider (training's leave-one-out).
    folds = url_model.metadata["evaluation_leave_one_provider_out"]
    examples = [line.split() for row in folds.values() for line in row["caught_at_child_examples"]]
    assert len(examples) >= 8
    verdicts = url_model.predict([host for host, _category in examples])
    caught = [
        (host, v.category)
        for (host, category), v in zip(examples, verdicts, strict=True)
        if v.category == category and v.score >= CHILD
    ]
    assert len(caught) >= 0.9 * len(examples), (examples, verdicts)
