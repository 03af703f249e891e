"""What Hearthguard would decide for a web address: the engine ``hearthguard check`` uses."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from policy.datadir import DataDir
from policy.decide import decide
from policy.engine import load_engine
from policy.model import Decision, Profile, Request
from policy.store import PolicyStore, load_snapshot
from policy.validate import InputError

__all__ = ["check_url", "url_request"]

MAX_URL = 2000


def url_request(url: str, profile: Profile) -> Request:
    """The request a browser would make for ``url`` (the scheme defaults to http)."""
    raw = (url or "").strip()
    if len(raw) > MAX_URL:
        raise InputError("url", f"Web addresses can be at most {MAX_URL} characters long.")
    try:
        parts = urlsplit(raw if "://" in raw else f"http://{raw}")
        host = (parts.hostname or "").rstrip(".")
    except ValueError:
        host, parts = "", None
    if not host or parts is None or parts.scheme not in ("http", "https") or " " in host:
        raise InputError("url", f"“{raw[:200]}” is not a web address, like example.com/page.")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Request(host, path, profile.name, None, parts.scheme)


def check_url(
    data: DataDir, store: PolicyStore, profile_name: str, url: str, now: datetime
) -> tuple[Request, Decision, tuple[str, ...]]:
    """Decide ``url`` for the profile with the installed lists and models, as the proxy would
    (for a device that is not paused). Returns the request, the decision, and any problems
    loading the lists (an empty index decides less)."""
    profile = store.profile(profile_name)
    request = url_request(url, profile)
    engine = load_engine(data)
    snapshot = load_snapshot(
        store, index=engine.index, url_model=engine.url_model, illegal=engine.illegal
    )
    return request, decide(request, snapshot, now), engine.problems
