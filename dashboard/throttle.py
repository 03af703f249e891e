"""The login throttle: which password guesses are checked at all, decided in one atomic step.

How it works, and why a child guessing cannot lock a parent out:

* **Check and record are one step.** ``admit`` looks at the counters and, if the attempt may be
  checked, counts it as a failure before the password is verified, all under one lock. Sixteen
  parallel guesses therefore see each other: the first five are checked, the rest are not.
  A right password takes its count back (``succeeded``).
* **Known browsers have their own counter.** A browser that has logged in to an account before
  carries a signed cookie naming it (``dashboard.passwords``). Its attempts for that account
  are counted only under ``("browser", account, id)``; nobody else's guesses touch that counter,
  so a parent's own phone or laptop is never slowed down by a child.
* **Everyone else is counted three ways**: per ``("pair", account, address)``, per
  ``("account", account)`` and per ``("address", address)`` (IPv6 by its /64). The dashboard sees
  the proxy's own address for everyone browsing through Hearthguard, so the address alone
  would let a child lock out a parent on the same network; the account alone would let any
  device do it. Failures a child causes fill these counters, never a known browser's.
* **No hard lockout, a growing delay.** Each counter allows a number of failures freely
  (5 per address and account, 10 per account, 20 per address). Past that, one attempt is let
  through ``delay`` seconds after the previous one, the delay doubling with each further failure
  up to ``max_delay``; other attempts get "try again in N seconds" and no password check. The
  attempt that is let through is checked like any other, so the right password works once the
  wait is over, while a guesser gets at most one guess per ``max_delay`` on an account.
* Counters are forgotten ``window`` seconds after their last failure; at most ``max_buckets``
  are kept (the least recently used go first). Nothing is written to disk: a restart of the
  dashboard starts afresh.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["Attempt", "LoginThrottle", "ThrottleLimits", "attempt_keys"]

Key = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ThrottleLimits:
    """Free failures per counter kind, and the delays once they are used up (seconds)."""

    per_pair: int = 5
    per_account: int = 10
    per_address: int = 20
    per_browser: int = 5
    delay: float = 10.0
    max_delay: float = 300.0
    window: float = 3600.0
    max_buckets: int = 10_000

    def free(self, kind: str) -> int:
        return {
            "pair": self.per_pair,
            "account": self.per_account,
            "address": self.per_address,
            "browser": self.per_browser,
        }.get(kind, self.per_pair)


@dataclass(frozen=True, slots=True)
class Attempt:
    """The throttle's answer: ``wait`` > 0 means "do not check; try again in that many
    seconds"; otherwise ``keys`` are the counters this attempt was recorded in."""

    keys: tuple[Key, ...]
    wait: float = 0.0

    @property
    def allowed(self) -> bool:
        return self.wait <= 0


@dataclass(slots=True)
class _Bucket:
    failures: int = 0
    last: float = field(default=0.0)


def _address_key(address: str) -> str:
    """IPv4 addresses as they are; IPv6 by /64 (a device can pick new addresses in its /64)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def attempt_keys(account: str, address: str, browser: str | None) -> tuple[Key, ...]:
    """The counters a login attempt for ``account`` from ``address`` is recorded in:
    a known browser's own counter, or the pair, account and address counters."""
    name = " ".join(account.split()).casefold()[:64]
    if browser:
        return (("browser", name, browser),)
    where = _address_key(address)
    return (("pair", name, where), ("account", name), ("address", where))


class LoginThrottle:
    """Counts failed logins per counter; ``admit`` decides and records in one step.

    Safe to share between threads (one lock around every read and change). ``clock`` is a
    parameter so tests can move time."""

    def __init__(self, limits: ThrottleLimits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self.clock = clock
        self._buckets: OrderedDict[Key, _Bucket] = OrderedDict()
        self._lock = threading.Lock()

    def _live(self, key: Key, now: float) -> _Bucket | None:
        bucket = self._buckets.get(key)
        if bucket is not None and now - bucket.last > self.limits.window:
            del self._buckets[key]
            return None
        return bucket

    def _delay(self, kind: str, bucket: _Bucket) -> float:
        over = bucket.failures - self.limits.free(kind)
        if over < 0:
            return 0.0
        return float(min(self.limits.delay * 2 ** min(over, 30), self.limits.max_delay))

    def admit(self, keys: tuple[Key, ...]) -> Attempt:
        """Whether an attempt recorded under ``keys`` may have its password checked now.

        When it may, it is counted as a failure in every counter at once (``succeeded``
        takes that back); when it may not, nothing is recorded and ``wait`` says how long."""
        now = self.clock()
        with self._lock:
            wait = 0.0
            for key in keys:
                bucket = self._live(key, now)
                if bucket is not None:
                    wait = max(wait, bucket.last + self._delay(key[0], bucket) - now)
            if wait > 0:
                return Attempt((), wait)
            for key in keys:
                bucket = self._buckets.get(key) or _Bucket()
                bucket.failures += 1
                bucket.last = now
                self._buckets[key] = bucket
                self._buckets.move_to_end(key)
            while len(self._buckets) > self.limits.max_buckets:
                self._buckets.popitem(last=False)
            return Attempt(keys)

    def succeeded(self, attempt: Attempt) -> None:
        """The password was right: clear the counters of this browser or address for this
        account, and take this attempt's count back from the shared ones."""
        with self._lock:
            for key in attempt.keys:
                if key[0] in ("pair", "browser"):
                    self._buckets.pop(key, None)
                elif key in self._buckets:
                    self._buckets[key].failures = max(0, self._buckets[key].failures - 1)

    def not_checked(self, attempt: Attempt) -> None:
        """The attempt was admitted but its password was never checked (the server was busy):
        take its count back everywhere."""
        with self._lock:
            for key in attempt.keys:
                if key in self._buckets:
                    self._buckets[key].failures = max(0, self._buckets[key].failures - 1)

    def remembers_failures(self) -> bool:
        """True while any counter holds a failure it has not forgotten yet: a dashboard that
        stopped now would forget it and hand a guesser fresh attempts."""
        now = self.clock()
        with self._lock:
            return any(
                bucket.failures > 0 and now - bucket.last <= self.limits.window
                for bucket in self._buckets.values()
            )

    def failures(self, key: Key) -> int:
        """Failures currently counted under ``key`` (0 when forgotten)."""
        with self._lock:
            bucket = self._live(key, self.clock())
            return 0 if bucket is None else bucket.failures
