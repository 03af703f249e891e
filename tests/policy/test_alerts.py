"""Chat alerts: kinds per message, per-profile modes, deduplication and rate limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from policy.alerts import (
    AlertKind,
    AlertRules,
    ChatMessage,
    ChatSafety,
    clean_chat_watch,
    parse_chat_watch,
    watch_mode,
)
from policy.validate import InputError

T0 = datetime(2026, 11, 1, 18, 0, tzinfo=UTC)
THRESHOLD = 0.6


def msg(
    text: str,
    *,
    sent: bool = False,
    peer: str = "sam",
    minutes: float = 0,
    site: str = "chat.example",
) -> ChatMessage:
    return ChatMessage(
        T0 + timedelta(minutes=minutes), "192.168.1.20", "Tablet", "Anna", site, peer, sent, text
    )


def kinds(alerts) -> list[str]:
    return [a.kind for a in alerts]


def test_an_abusive_message_received_is_bullying_received_with_an_excerpt() -> None:
    safety = ChatSafety()
    alerts = safety.assess(msg("you are such a loser"), 0.9, THRESHOLD, "excerpt")
    assert kinds(alerts) == [AlertKind.BULLYING_RECEIVED]
    assert alerts[0].excerpt == "you are such a loser"
    assert alerts[0].conversation == "chat.example · sam"
    assert alerts[0].device == "Tablet" and alerts[0].profile == "Anna"


def test_the_same_message_sent_is_bullying_sent() -> None:
    alerts = ChatSafety().assess(msg("you are such a loser", sent=True), 0.9, THRESHOLD, "excerpt")
    assert kinds(alerts) == [AlertKind.BULLYING_SENT]


def test_category_mode_keeps_no_words() -> None:
    alerts = ChatSafety().assess(msg("you are such a loser"), 0.9, THRESHOLD, "category")
    assert alerts and alerts[0].excerpt == ""


def test_off_mode_raises_nothing() -> None:
    assert ChatSafety().assess(msg("kill yourself"), 0.99, THRESHOLD, "off") == []


def test_a_benign_message_raises_nothing() -> None:
    assert ChatSafety().assess(msg("see you at practice tomorrow"), 0.1, THRESHOLD, "excerpt") == []


def test_being_told_to_kill_yourself_is_bullying_even_when_the_model_misses_it() -> None:
    alerts = ChatSafety().assess(msg("just kys already"), 0.05, THRESHOLD, "excerpt")
    assert kinds(alerts) == [AlertKind.BULLYING_RECEIVED]


def test_the_child_writing_about_self_harm_is_flagged_but_not_a_friend_quoting_it() -> None:
    mine = ChatSafety().assess(msg("i want to die", sent=True), 0.2, THRESHOLD, "excerpt")
    assert kinds(mine) == [AlertKind.SELF_HARM_WORDS]
    assert ChatSafety().assess(msg("i want to die", sent=False), 0.2, THRESHOLD, "excerpt") == []


def test_explicit_sexual_words_either_way() -> None:
    alerts = ChatSafety().assess(msg("send nudes"), 0.2, THRESHOLD, "excerpt")
    assert AlertKind.SEXUAL_CONTENT in kinds(alerts)


def test_one_alert_per_conversation_and_kind_within_the_dedup_period() -> None:
    safety = ChatSafety(AlertRules(dedup=timedelta(hours=12)))
    first = [safety.assess(msg("loser", minutes=i), 0.9, THRESHOLD, "excerpt") for i in range(10)]
    assert sum(len(a) for a in first) == 1
    other_peer = safety.assess(msg("loser", peer="kim", minutes=11), 0.9, THRESHOLD, "excerpt")
    assert len(other_peer) == 1
    later = safety.assess(msg("loser", minutes=13 * 60), 0.9, THRESHOLD, "excerpt")
    assert len(later) == 1


def test_alerts_per_device_are_rate_limited() -> None:
    safety = ChatSafety(AlertRules(per_device_hour=3))
    raised = sum(
        len(safety.assess(msg("loser", peer=f"p{i}", minutes=i), 0.9, THRESHOLD, "excerpt"))
        for i in range(20)
    )
    assert raised == 3 and safety.suppressed == 17
    again = safety.assess(msg("loser", peer="new", minutes=90), 0.9, THRESHOLD, "excerpt")
    assert len(again) == 1


def test_a_grooming_conversation_raises_one_grooming_alert() -> None:
    safety = ChatSafety()
    lines = [
        "hey ur so pretty",
        "how old are u",
        "where do u live",
        "dont tell your mom we talk ok",
        "add me on snap",
        "send me a pic",
        "we should meet up",
    ]
    found = []
    for i, line in enumerate(lines):
        found += safety.assess(msg(line, minutes=i), 0.1, THRESHOLD, "excerpt")
    grooming = [a for a in found if a.kind == AlertKind.GROOMING_SIGNS]
    assert len(grooming) == 1
    assert grooming[0].detail == "age, flattery, location"  # raised at the third kind


def test_the_childs_own_messages_do_not_build_a_grooming_signal() -> None:
    safety = ChatSafety()
    found = []
    for i, line in enumerate(
        ["ur so pretty", "how old are u", "dont tell your mom", "add me on snap"]
    ):
        found += safety.assess(msg(line, sent=True, minutes=i), 0.1, THRESHOLD, "excerpt")
    assert AlertKind.GROOMING_SIGNS not in kinds(found)


def test_memory_of_conversations_is_bounded() -> None:
    safety = ChatSafety(AlertRules(max_conversations=10))
    for i in range(100):
        safety.assess(msg("hello", peer=f"p{i}", minutes=i), 0.1, THRESHOLD, "excerpt")
    assert len(safety._windows) <= 10


def test_chat_watch_defaults_by_preset_and_parents_override() -> None:
    assert watch_mode("Anna", "child", {}) == "excerpt"
    assert watch_mode("Mia", "young", {}) == "excerpt"
    assert watch_mode("Ben", "teen", {}) == "off"
    assert watch_mode("Dad", "adult", {}) == "off"
    overrides = parse_chat_watch("Ben=category, anna = off")
    assert watch_mode("Ben", "teen", overrides) == "category"
    assert watch_mode("Anna", "child", overrides) == "off"


@pytest.mark.parametrize("raw", ["Ben", "Ben=maybe", "=off", "Ben=on"])
def test_bad_chat_watch_values_are_refused(raw: str) -> None:
    with pytest.raises(InputError):
        clean_chat_watch(raw)


def test_clean_chat_watch_normalises_spacing() -> None:
    assert clean_chat_watch(" Ben=off ,, Anna=excerpt ") == "Ben=off, Anna=excerpt"


def test_the_servers_echo_of_the_childs_own_message_is_not_bullying_received() -> None:
    safety = ChatSafety()
    sent = safety.assess(
        msg("you are such a loser", sent=True, peer="kim"), 0.9, THRESHOLD, "excerpt"
    )
    assert kinds(sent) == [AlertKind.BULLYING_SENT]
    echo = msg("you are such a loser", sent=False, peer="anna", minutes=0.1)
    assert safety.assess(echo, 0.9, THRESHOLD, "excerpt") == []
    later = msg("you are such a loser", sent=False, peer="kim", minutes=30)
    assert kinds(safety.assess(later, 0.9, THRESHOLD, "excerpt")) == [AlertKind.BULLYING_RECEIVED]


@pytest.mark.parametrize(
    "text", ["ich will nicht mehr leben", "je veux mourir", "chci umřít", "i want to die"]
)
def test_self_harm_words_in_the_household_languages(text: str) -> None:
    alerts = ChatSafety().assess(msg(text, sent=True), 0.0, THRESHOLD, "excerpt")
    assert kinds(alerts) == [AlertKind.SELF_HARM_WORDS]


@pytest.mark.parametrize("text", ["bring dich um", "va te tuer", "zabij se", "kill yourself"])
def test_being_told_to_die_in_the_household_languages(text: str) -> None:
    alerts = ChatSafety().assess(msg(text), 0.0, THRESHOLD, "excerpt")
    assert kinds(alerts) == [AlertKind.BULLYING_RECEIVED]


@pytest.mark.parametrize(
    "text",
    [
        "ich will morgen ins kino",
        "je veux manger",
        "chci jít ven",
        "das spiel hat mich umgebracht",
        "meine mutter wird mich umbringen",
        "ma mère va me tuer",
    ],
)
def test_ordinary_sentences_in_the_household_languages_raise_nothing(text: str) -> None:
    assert ChatSafety().assess(msg(text, sent=True), 0.0, THRESHOLD, "excerpt") == []
