"""The time step of ``decide``: a rule of the device counts even when the profile has none."""

from __future__ import annotations

from datetime import time

from policy.timelimits import time_decision
from policy.values import NO_USAGE, Device, Profile, Reason, Schedule
from tests.policy.test_timerules import EVERY_DAY, MONDAY, PRAGUE, at


def _time_block(profile: Profile, device: Device | None, hour: int) -> Reason | None:
    decision = time_decision(profile, device, ["games"], NO_USAGE, at(MONDAY, hour), PRAGUE)
    return None if decision is None else decision.reason


def test_only_a_rule_somewhere_blocks() -> None:
    plain = Profile("Mia", "child", frozenset({"adult"}))
    nights = Schedule(EVERY_DAY, time(19), time(7), "tablet", device="Tablet")
    tablet = Device("Tablet", "Mia", schedules=(nights,))
    assert _time_block(plain, None, 20) is None
    assert _time_block(plain, Device("Phone", "Mia"), 20) is None
    assert _time_block(plain, tablet, 20) is Reason.SCHEDULE  # the device's window
    assert _time_block(plain, tablet, 12) is None
    paused = Device("Phone", "Mia", paused_until=at(MONDAY, 21))
    assert _time_block(plain, paused, 20) is Reason.PAUSED
    profile_paused = Profile("Mia", "child", frozenset({"adult"}), paused_until=at(MONDAY, 21))
    assert _time_block(profile_paused, None, 20) is Reason.PAUSED
    assert _time_block(profile_paused, None, 22) is None
