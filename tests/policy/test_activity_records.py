"""activity.db's records: undecodable or huge texts are made safe when the record is made."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from policy.activitydb.records import DecisionEvent, DeviceSighting, safe_text

T0 = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)
BAD_UA = "Mozilla/5.0 \udcff\udcfe (odd\x00build)"  # bytes 0xff 0xfe, as mitmproxy hands them over


def event(at: datetime, host: str = "example.com", action: str = "allow", ip: str = "10.0.0.2"):
    return DecisionEvent(at, None, ip, "Household", host, action, "not_blocked", None, None, None)


def test_undecodable_bytes_are_escaped_when_the_event_is_made() -> None:
    sighting = DeviceSighting(T0, "10.0.0.9", user_agent=BAD_UA)
    assert sighting.user_agent == "Mozilla/5.0 \\xff\\xfe (odd\\x00build)"
    decision = event(T0, "bad\udc80host.example")
    assert decision.host == "bad\\x80host.example"
    assert event(T0, "\ud800lone.example").host == "\\ud800lone.example"
    assert safe_text("ç'est ünïcode ✓") == "ç'est ünïcode ✓"  # printable text is kept as it is
    assert safe_text("line\nbreak\ttab") == "line\\x0abreak\\x09tab"


def test_texts_are_capped_when_the_event_is_made() -> None:
    assert len(event(T0, "a" * 100_000).host) <= 260
    huge = DeviceSighting(T0, "10.0.0.9", user_agent="\udcff" * 100_000)
    assert huge.user_agent is not None and len(huge.user_agent) <= 400
    assert huge.user_agent.endswith("…")
    assert len(safe_text("x" * 5000, 10)) == 10


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(), max_size=600), st.integers(min_value=2, max_value=400))
def test_safe_text_is_always_storable_and_capped(value: str, limit: int) -> None:
    text = safe_text(value, limit)
    text.encode("utf-8")  # never raises: no lone surrogates are left
    assert len(text) <= limit
    assert all(ch.isprintable() for ch in text)
    if (
        value.isprintable()
        and len(value) <= limit
        and not any(0xD800 <= ord(ch) <= 0xDFFF for ch in value)
    ):
        assert text == value
