"""The services table: every domain valid and in one service, presets that name real services,
and decide() blocking a switched-off service as a category, with every one of its domains."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from classifier.categories import PROTECTED
from classifier.lists.hosts import is_public_suffix
from policy.address import HostKind, normalise_host
from policy.decide import decide
from policy.presets import PRESETS, preset
from policy.services import (
    GROUPS,
    SERVICES_FILE,
    ServiceError,
    load_services,
    shipped_services,
)
from policy.snapshot import Snapshot
from policy.store import PolicyStore
from policy.values import Action, Profile, Reason, Request, Rule

NOW = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)
TABLE = shipped_services()
ALL_DOMAINS = [(s.id, d) for s in TABLE.services for d in s.domains]


def test_the_usual_services_are_there_in_their_groups() -> None:
    expected = {
        "tiktok": "social",
        "youtube": "video",
        "roblox": "games",
        "fortnite": "games",
        "discord": "chat",
        "snapchat": "social",
        "instagram": "social",
        "whatsapp": "chat",
        "twitch": "video",
        "reddit": "social",
    }
    for sid, group in expected.items():
        service = TABLE.get(sid)
        assert service is not None, sid
        assert service.group == group
    assert {s.group for s in TABLE.services} == set(GROUPS)


def test_no_domain_is_in_two_services() -> None:
    domains = [d for _sid, d in ALL_DOMAINS]
    assert len(domains) == len(set(domains))
    # nor is one service's domain a sub-domain of another service's (the first would win)
    owner = dict((d, sid) for sid, d in ALL_DOMAINS)
    for sid, domain in ALL_DOMAINS:
        labels = domain.split(".")
        for i in range(1, len(labels)):
            parent = ".".join(labels[i:])
            assert owner.get(parent, sid) == sid, f"{domain} ({sid}) under {parent}"


@pytest.mark.parametrize(("sid", "domain"), ALL_DOMAINS)
def test_every_domain_is_a_normalised_name_under_a_public_suffix(sid: str, domain: str) -> None:
    assert normalise_host(domain) == (domain, HostKind.NAME)
    # a bare public suffix would block a whole country's sites
    assert not is_public_suffix(domain)


def test_every_service_names_its_sources() -> None:
    doc = json.loads(SERVICES_FILE.read_text(encoding="utf-8"))
    known = set(doc["sources"])
    for service in TABLE.services:
        assert service.sources
        for source in service.sources:
            assert source.split(":")[0] in known, (service.id, source)


def test_presets_name_only_real_services_and_grow_stricter_with_younger_children() -> None:
    for p in PRESETS.values():
        assert p.services <= TABLE.ids, p.name
    assert preset("young").services >= preset("child").services >= preset("teen").services
    assert {"tiktok", "discord", "reddit"} <= preset("child").services
    assert not preset("teen").services and not preset("adult").services


def _write(tmp_path: Path, services: list[dict]) -> Path:
    path = tmp_path / "services.json"
    groups = {g: g for g in GROUPS}
    path.write_text(json.dumps({"groups": groups, "services": services}), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("services", "complaint"),
    [
        (
            [
                {
                    "id": "a",
                    "name": "A",
                    "group": "chat",
                    "domains": ["a.example"],
                    "sources": ["x"],
                },
                {
                    "id": "b",
                    "name": "B",
                    "group": "chat",
                    "domains": ["a.example"],
                    "sources": ["x"],
                },
            ],
            "both",
        ),
        (
            [{"id": "a", "name": "A", "group": "chat", "domains": ["A.example"], "sources": ["x"]}],
            "normalised",
        ),
        (
            [{"id": "a", "name": "A", "group": "chat", "domains": ["1.2.3.4"], "sources": ["x"]}],
            "normalised",
        ),
        (
            [{"id": "a", "name": "A", "group": "chat", "domains": ["com"], "sources": ["x"]}],
            "normalised",
        ),
        (
            [{"id": "a", "name": "A", "group": "chat", "domains": ["co.uk"], "sources": ["x"]}],
            "normalised",
        ),
        (
            [{"id": "a", "name": "A", "group": "news", "domains": ["a.example"], "sources": ["x"]}],
            "group",
        ),
        ([{"id": "a", "name": "A", "group": "chat", "domains": ["a.example"]}], "source"),
    ],
)
def test_a_broken_table_is_refused_naming_the_entry(
    tmp_path: Path, services: list[dict], complaint: str
) -> None:
    with pytest.raises(ServiceError, match=complaint):
        load_services(_write(tmp_path, services))


def _kid(services: frozenset[str], **kw) -> Profile:
    p = preset("child")
    return Profile("Mia", "child", p.blocked, services=services, **kw)


def _snapshot(profile: Profile) -> Snapshot:
    return Snapshot(version=1, profiles={profile.name: profile}, default_profile=profile.name)


@pytest.mark.parametrize("sid", sorted(TABLE.ids))
def test_a_switched_off_service_blocks_every_domain_and_subdomain(sid: str) -> None:
    service = TABLE.get(sid)
    assert service is not None
    kid = _kid(frozenset({sid}))
    snap = _snapshot(kid)
    for domain in service.domains:
        for host in (domain, f"www.{domain}", f"Cdn-1.{domain.upper()}."):
            d = decide(Request(host, "/"), kid, snap, NOW)
            assert (d.action, d.reason) == (Action.BLOCK, Reason.CATEGORY_BLOCKED), host
            assert d.category == service.group
            assert d.source == f"service: {service.name}"


def test_other_services_and_lookalike_names_stay_open() -> None:
    kid = _kid(frozenset({"tiktok"}))
    snap = _snapshot(kid)
    for host in ("youtube.com", "nottiktok.com", "tiktok.com.evil.example", "example.org"):
        assert decide(Request(host, "/"), kid, snap, NOW).action is Action.ALLOW, host
    # a service's host under a shared platform blocks that host, never the platform
    kid = _kid(frozenset({"youtube"}))
    snap = _snapshot(kid)
    for host in ("googleapis.com", "maps.googleapis.com", "co.uk", "www.example.co.uk"):
        assert decide(Request(host, "/"), kid, snap, NOW).action is Action.ALLOW, host


def test_a_parents_allow_rule_still_opens_one_site_of_a_switched_off_service() -> None:
    rule = Rule(Action.ALLOW, "music.youtube.com")
    kid = _kid(frozenset({"youtube"}), rules=(rule,))
    snap = _snapshot(kid)
    assert decide(Request("music.youtube.com", "/"), kid, snap, NOW).action is Action.ALLOW
    assert decide(Request("www.youtube.com", "/"), kid, snap, NOW).action is Action.BLOCK


def test_no_service_is_a_protected_category() -> None:
    assert not set(GROUPS) & set(PROTECTED)


def test_new_profiles_get_their_presets_services_and_parents_can_change_them(
    store: PolicyStore,
) -> None:
    mia = store.add_profile("Mia", "child")
    assert mia.services == preset("child").services
    changed = store.update_profile("Mia", services=["youtube", "TikTok "])
    assert changed.services == frozenset({"youtube", "tiktok"})
    assert store.update_profile("Mia", services=[]).services == frozenset()


def test_an_unknown_service_is_refused_and_nothing_changes(store: PolicyStore) -> None:
    from policy.validate import InputError

    store.add_profile("Mia", "child")
    version = store.version()
    with pytest.raises(InputError, match="nosuch"):
        store.update_profile("Mia", services=["tiktok", "nosuch"])
    assert store.version() == version
    assert store.profile("Mia").services == preset("child").services


def _restore(store: PolicyStore, doc: dict) -> None:
    from policy.config_io import import_configuration

    import_configuration(
        store, json.dumps(doc), languages=("en",), actor="test"
    )


def test_a_backup_keeps_each_profiles_services(store: PolicyStore) -> None:
    from policy.config_io import export_configuration

    store.add_profile("Mia", "child")
    store.update_profile("Mia", services=["roblox"])
    doc = export_configuration(store, NOW)
    store.update_profile("Mia", services=[])
    _restore(store, doc)
    assert store.profile("Mia").services == {"roblox"}
    # a file from before services existed gets its presets' services, never none
    for profile in doc["profiles"]:
        del profile["services"]
    _restore(store, doc)
    assert store.profile("Mia").services == preset("child").services
    doc["profiles"][-1]["services"] = ["roblox", "myspace"]
    from policy.validate import InputError

    with pytest.raises(InputError, match="services"):
        _restore(store, doc)
    assert store.profile("Mia").services == preset("child").services
