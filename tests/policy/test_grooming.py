"""The grooming signal: cue families per message, and a conversation's sliding window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from policy.grooming import GroomingRules, GroomingWindow, cues_in

T0 = datetime(2026, 11, 1, 18, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "family"),
    [
        ("don't tell your mom about this ok", "secrecy"),
        ("this is our little secret", "secrecy"),
        ("delete the chat after", "secrecy"),
        ("add me on snap", "platform"),
        ("whats ur number", "platform"),
        ("how old r u", "age"),
        ("what grade are you in", "age"),
        ("where do u live", "location"),
        ("what school do you go to", "location"),
        ("send me a pic", "photos"),
        ("what are you wearing", "photos"),
        ("ur so pretty", "flattery"),
        ("you're very mature for your age", "flattery"),
        ("your parents don't understand you", "isolation"),
        ("only i understand you", "isolation"),
        ("i can buy you a gift card", "gifts"),
        ("want some robux", "gifts"),
        ("we should meet up", "meeting"),
        ("i can pick you up after school", "meeting"),
    ],
)
def test_each_cue_family_is_recognised(text: str, family: str) -> None:
    assert family in cues_in(text)


@pytest.mark.parametrize(
    "text",
    [
        "nice to meet you",
        "where are you from",
        "did you finish the maths homework",
        "see you later",
        "the server needs a restart, check the logs",
    ],
)
def test_ordinary_chat_shows_no_cue(text: str) -> None:
    assert cues_in(text) == frozenset()


def test_one_kind_of_cue_alone_never_raises_the_signal() -> None:
    window = GroomingWindow()
    for minute in range(10):
        window.add(T0 + timedelta(minutes=minute), cues_in("how old are you"))
    assert not window.raised()


def test_several_kinds_in_one_conversation_raise_it() -> None:
    window = GroomingWindow()
    for minute, text in enumerate(
        ["ur so pretty", "how old r u", "don't tell your mom we talk", "add me on snap"]
    ):
        window.add(T0 + timedelta(minutes=minute), cues_in(text))
    assert window.raised()
    assert {"flattery", "age", "secrecy", "platform"} <= window.seen()


def test_cues_older_than_the_window_are_forgotten() -> None:
    rules = GroomingRules(window=timedelta(days=1))
    window = GroomingWindow(rules)
    window.add(T0, cues_in("ur so pretty"))
    window.add(T0 + timedelta(hours=1), cues_in("how old r u"))
    window.add(T0 + timedelta(days=3), cues_in("add me on snap"))
    assert window.seen() == frozenset({"platform"})
    assert not window.raised()


def test_the_window_keeps_at_most_max_messages() -> None:
    window = GroomingWindow(GroomingRules(max_messages=5))
    for i in range(50):
        window.add(T0 + timedelta(seconds=i), {"age"})
    assert len(window._messages) <= 5


def test_sexual_talk_counts_only_with_age_photos_secrecy_or_meeting() -> None:
    rules = GroomingRules(families=3)
    assert not rules.raised(frozenset({"sexual", "flattery", "gifts"}))
    assert rules.raised(frozenset({"sexual", "flattery", "age"}))


@pytest.mark.parametrize(
    ("text", "family"),
    [
        ("sag es niemandem", "secrecy"),
        ("das ist unser kleines geheimnis", "secrecy"),
        ("wie alt bist du?", "age"),
        ("wo wohnst du", "location"),
        ("schick mir ein foto", "photos"),
        ("du bist so hübsch", "flattery"),
        ("hast du snapchat", "platform"),
        ("ich kaufe dir was", "gifts"),
        ("wollen wir uns treffen", "meeting"),
    ],
)
def test_german_cues(text: str, family: str) -> None:
    assert family in cues_in(text)


def test_ordinary_german_chat_shows_no_cue() -> None:
    assert cues_in("hast du die hausaufgaben in mathe schon gemacht?") == frozenset()
