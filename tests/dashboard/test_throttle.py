"""The login throttle alone: its counters, delays, forgetting and size bound."""

from __future__ import annotations

import threading

import pytest

from dashboard.throttle import LoginThrottle, ThrottleLimits, attempt_keys


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def throttle(clock: Clock) -> LoginThrottle:
    return LoginThrottle(ThrottleLimits(), clock)


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("192.168.1.5", "192.168.1.5"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:bbbb::9", "2001:db8:1:2::/64"),  # a new privacy address, same device
        ("::ffff:192.168.1.5", "192.168.1.5"),
        ("not an address", "not an address"),
    ],
)
def test_addresses_are_keyed_by_device(address: str, expected: str) -> None:
    keys = attempt_keys("  Mum ", address, None)
    assert keys == (("pair", "mum", expected), ("account", "mum"), ("address", expected))


def test_a_known_browser_has_its_own_counter_only() -> None:
    assert attempt_keys("MUM", "10.0.0.1", "b1") == (("browser", "mum", "b1"),)


def test_five_free_failures_then_a_doubling_delay(throttle: LoginThrottle, clock: Clock) -> None:
    keys = attempt_keys("mum", "10.0.0.9", None)
    assert all(throttle.admit(keys).allowed for _ in range(5))
    assert throttle.admit(keys).wait == pytest.approx(10)
    clock.now = 9.9
    assert not throttle.admit(keys).allowed
    clock.now = 10
    assert throttle.admit(keys).allowed
    assert throttle.admit(keys).wait == pytest.approx(20)
    assert throttle.failures(keys[0]) == 6


def test_the_delay_stops_growing_at_the_maximum(clock: Clock) -> None:
    throttle = LoginThrottle(ThrottleLimits(max_delay=60, window=10_000), clock)
    keys = attempt_keys("mum", "10.0.0.9", None)
    for _ in range(20):
        while not throttle.admit(keys).allowed:
            clock.now += 1
    assert throttle.admit(keys).wait == pytest.approx(60)


def test_success_clears_this_pair_and_gives_back_the_shared_count(
    throttle: LoginThrottle,
) -> None:
    keys = attempt_keys("mum", "10.0.0.9", None)
    for _ in range(4):
        throttle.admit(keys)
    attempt = throttle.admit(keys)
    throttle.succeeded(attempt)
    assert throttle.failures(keys[0]) == 0  # the pair
    assert throttle.failures(keys[1]) == 4  # the account keeps the four real failures
    assert throttle.failures(keys[2]) == 4  # so does the address


def test_an_attempt_never_checked_is_not_counted(throttle: LoginThrottle) -> None:
    keys = attempt_keys("mum", "10.0.0.9", None)
    for _ in range(20):
        throttle.not_checked(throttle.admit(keys))
    assert [throttle.failures(k) for k in keys] == [0, 0, 0]


def test_failures_are_forgotten_after_the_window(throttle: LoginThrottle, clock: Clock) -> None:
    keys = attempt_keys("mum", "10.0.0.9", None)
    for _ in range(5):
        throttle.admit(keys)
    assert not throttle.admit(keys).allowed
    clock.now = 3600.5
    assert throttle.admit(keys).allowed
    assert throttle.failures(keys[0]) == 1


def test_the_number_of_counters_is_bounded(clock: Clock) -> None:
    throttle = LoginThrottle(ThrottleLimits(max_buckets=100), clock)
    for n in range(1000):
        throttle.admit(attempt_keys(f"name{n}", f"10.0.{n // 250}.{n % 250}", None))
    assert len(throttle._buckets) <= 100


def test_parallel_admissions_never_exceed_the_free_attempts(throttle: LoginThrottle) -> None:
    keys = attempt_keys("mum", "10.0.0.9", None)
    start = threading.Barrier(32)
    allowed: list[bool] = []

    def attempt() -> None:
        start.wait(timeout=10)
        allowed.append(throttle.admit(keys).allowed)

    threads = [threading.Thread(target=attempt) for _ in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert allowed.count(True) == 5 and len(allowed) == 32
