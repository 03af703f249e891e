"""Send a ``Notice`` through Apprise, with a time limit that a dead endpoint cannot stretch.

Apprise is synchronous; ``send`` runs it in a daemon thread and waits at most ``timeout``
seconds. A sender still stuck after that is left to finish on its own (it holds nothing the
proxy needs) and counted as failed, so neither the proxy nor the dashboard ever waits longer.
Connection and read timeouts are also handed to Apprise (``cto``/``rto``) so stuck threads
end by themselves.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from urllib.parse import parse_qsl, urlsplit

from policy.notify import Notice

__all__ = ["SendResult", "apprise_accepts", "send"]

log = logging.getLogger(__name__)
#: Senders that may be in flight at once (stuck ones included): past this, notices are dropped.
MAX_IN_FLIGHT = 4
_in_flight = threading.BoundedSemaphore(MAX_IN_FLIGHT)


def apprise_accepts(url: str) -> bool:
    """True when Apprise knows how to send to ``url``."""
    import apprise

    try:
        return apprise.Apprise.instantiate(url) is not None
    except Exception:  # noqa: BLE001 - a URL Apprise cannot parse is simply not accepted
        return False


def _with_timeouts(url: str, timeout: float) -> str:
    try:
        query = dict(parse_qsl(urlsplit(url).query))
    except ValueError:
        return url
    extra = {k: f"{timeout:.0f}" for k in ("cto", "rto") if k not in query}
    if not extra:
        return url
    joiner = "&" if "?" in url else "?"
    return url + joiner + "&".join(f"{k}={v}" for k, v in extra.items())


class SendResult:
    """How a send went: ``ok`` when every URL accepted the notice; ``error`` says why not."""

    def __init__(self, ok: bool, error: str = "") -> None:
        self.ok = ok
        self.error = error

    def __bool__(self) -> bool:
        return self.ok


def send(urls: Sequence[str], notice: Notice, *, timeout: float = 10.0) -> SendResult:
    """Send ``notice`` to every URL; returns within about ``timeout`` seconds, whatever the
    endpoints do."""
    if not urls:
        return SendResult(False, "no notification address is set")
    if not _in_flight.acquire(blocking=False):
        return SendResult(False, "earlier notifications are still stuck; this one was dropped")
    outcome: list[SendResult] = []

    def run() -> None:
        try:
            import apprise

            sender = apprise.Apprise()
            for url in urls:
                sender.add(_with_timeouts(url, max(1.0, timeout / 2)))
            ok = bool(sender.notify(title=notice.title, body=notice.body))
            outcome.append(SendResult(ok, "" if ok else "the notification service refused it"))
        except Exception as exc:  # noqa: BLE001 - any failure is reported, never raised
            outcome.append(SendResult(False, f"{type(exc).__name__}: {str(exc)[:200]}"))
        finally:
            _in_flight.release()

    worker = threading.Thread(target=run, name="hearthguard-notify", daemon=True)
    worker.start()
    worker.join(timeout)
    if not outcome:
        log.error("A notification took longer than %.0f s and was given up.", timeout)
        return SendResult(False, f"no answer within {timeout:.0f} seconds")
    if not outcome[0].ok:
        log.error("A notification could not be sent (%s).", outcome[0].error)
    return outcome[0]
