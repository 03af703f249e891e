"""The one place where Hearthguard decides whether a request may go ahead.

Precedence (DESIGN.md): illegal-content lists, then the parent's allow rules, the parent's deny
rules, pause and schedules, the services switched off for the profile, category lists, and last
the URL model for hosts no list knows.
"""

from __future__ import annotations

import logging
import re
import time
from datetime import datetime

from classifier.categories import BENIGN, ILLEGAL, PROTECTED
from policy.address import HostKind, normalise_host, normalise_path
from policy.phraselists import phrase_limit
from policy.snapshot import ListMatchLike, Snapshot
from policy.timelimits import time_decision
from policy.values import Action, Decision, Profile, Reason, Request, Rule

__all__ = [
    "decide",
    "decide_page",
    "decide_page_verdict",
    "decide_phrases",
    "domain_matches",
]

_PROTECTED = frozenset(PROTECTED)
#: Words of help and support in a host name: the URL model alone never blocks such a host
#: (a name like begambleaware.org or gayteenhelp.org says gambling or dating to a model of
#: names, while the site helps children). Lists and the page scan still apply.
_SUPPORT_WORDS = re.compile(
    r"help|aware|anonymous|recover|addict|therap|support|prevent|advice|counsel|quit|rehab"
    r"|safe|health|educat|care|hotline|crisis|youth"
)
_ALLOWED = Decision(Action.ALLOW, Reason.NOT_BLOCKED)
_UNREADABLE = Decision(Action.BLOCK, Reason.FILTER_ERROR, None, "unreadable address")
log = logging.getLogger(__name__)


def domain_matches(host: str, domain: str) -> bool:
    """True when ``host`` is ``domain`` or one of its sub-domains."""
    return host == domain or host.endswith("." + domain)


def _matching_rule(
    rules: tuple[Rule, ...], action: Action, host: str, now: datetime
) -> Rule | None:
    for rule in rules:
        if rule.action is action and rule.active(now) and domain_matches(host, rule.domain):
            return rule
    return None


def _specificity(match: ListMatchLike) -> tuple[int, int]:
    # URL-prefix entries are more specific than any host entry; deeper domains beat parents.
    return (1 if "/" in match.matched else 0, match.matched.count("."))


#: The decisions lists give, one object for each (kind, category, list name): a decision is
#: immutable, and most requests are decided by one of a few hundred lists.
_BY_LISTS: dict[tuple[int, str, str], Decision] = {}
_MAX_BY_LISTS = 4096
_KINDS = (
    (Action.BLOCK, Reason.CATEGORY_BLOCKED),
    (Action.ALLOW, Reason.LIST_ALLOWED),
    (Action.ALLOW, Reason.PROTECTED_CATEGORY),
)


def _list_decision(kind: int, match: ListMatchLike) -> Decision:
    """``Decision(*_KINDS[kind], match.category, match.list_name)``, made once."""
    key = (kind, match.category, match.list_name)
    decision = _BY_LISTS.get(key)
    if decision is None:
        if len(_BY_LISTS) >= _MAX_BY_LISTS:
            _BY_LISTS.clear()
        decision = _BY_LISTS[key] = Decision(*_KINDS[kind], match.category, match.list_name)
    return decision


def _decide_by_lists(profile: Profile, matches: tuple[ListMatchLike, ...]) -> Decision | None:
    blocking: ListMatchLike | None = None
    shielding: ListMatchLike | None = None
    for m in matches:
        if m.category in profile.blocked and not m.allow:
            if blocking is None or _specificity(m) > _specificity(blocking):
                blocking = m
        elif (m.allow or m.category in _PROTECTED) and (
            shielding is None or _specificity(m) > _specificity(shielding)
        ):
            shielding = m
    if blocking is None:
        if shielding is not None:
            return _list_decision(1 if shielding.allow else 2, shielding)
        return None
    if shielding is not None and _specificity(shielding) >= _specificity(blocking):
        return _list_decision(1 if shielding.allow else 2, shielding)
    return _list_decision(0, blocking)


def decide(request: Request, profile: Profile, snapshot: Snapshot, now: datetime) -> Decision:
    """Decide one request for ``profile`` (the caller's: the device's, the household
    default's, or the one a parent tests with), with the lists, models and household
    settings of ``snapshot``.

    Pure: the same request, profile, snapshot and time always give the same decision, and
    nothing is written anywhere. Fails closed: the host and path are normalised first
    (``policy.address``), an address that is no host is blocked, and any error while deciding
    is a block with the reason ``filter_error`` and one log line, never an allow.
    """
    try:
        return _decide(request, profile, snapshot, now)
    except Exception as exc:  # noqa: BLE001 - any failure must block, whatever it is
        _log_failure(exc)
        return Decision(Action.BLOCK, Reason.FILTER_ERROR, None, f"error: {type(exc).__name__}")


#: One log line per kind of error per this many seconds: a damaged index fails every request
#: until it is rebuilt, and the journal must not fill with the same line.
_LOG_EVERY = 60.0
_logged: dict[str, tuple[float, int]] = {}  # kind -> (last line's time, failures since)


def _log_failure(exc: Exception) -> None:
    kind, now = type(exc).__name__, time.monotonic()
    last, since = _logged.get(kind, (float("-inf"), 0))
    if now - last < _LOG_EVERY:
        _logged[kind] = (last, since + 1)
        return
    _logged[kind] = (now, 0)
    more = f" ({since} more since the last such line)" if since else ""
    # no host here: the system journal must not become a browsing history
    log.error("Deciding a request failed (%s: %s); it is blocked.%s", kind, exc, more)


def _decide(request: Request, profile: Profile, snapshot: Snapshot, now: datetime) -> Decision:
    host, kind = normalise_host(request.host)
    if kind is HostKind.INVALID:
        return _UNREADABLE
    path = normalise_path(request.path)
    matches = snapshot.index.lookup(host, path)

    for m in matches:
        if m.category == ILLEGAL and not m.allow:
            return Decision(Action.BLOCK, Reason.ILLEGAL_CONTENT, ILLEGAL, m.list_name)
    for hotline in snapshot.illegal:
        name = hotline.match(host, path)
        if name is not None:
            return Decision(Action.BLOCK, Reason.ILLEGAL_CONTENT, ILLEGAL, name)

    rule = _matching_rule(profile.rules, Action.ALLOW, host, now)
    if rule is not None:
        return Decision(Action.ALLOW, Reason.PARENT_ALLOWED, None, f"allow rule: {rule.domain}")
    rule = _matching_rule(profile.rules, Action.BLOCK, host, now)
    if rule is not None:
        return Decision(Action.BLOCK, Reason.PARENT_DENIED, None, f"deny rule: {rule.domain}")

    timed = time_decision(
        profile,
        request.device,
        (m.category for m in matches if not m.allow),
        request.usage,
        now,
        snapshot.zone,
        snapshot.holidays,
    )
    if timed is not None:
        return timed

    service = snapshot.services.blocking(host, profile.services)
    if service is not None:
        # a switched-off service is a category block: its group is the category
        return Decision(
            Action.BLOCK, Reason.CATEGORY_BLOCKED, service.group, f"service: {service.name}"
        )

    if matches:
        by_lists = _decide_by_lists(profile, matches)
        if by_lists is not None:
            return by_lists
        first = matches[0]
        return Decision(Action.ALLOW, Reason.NOT_BLOCKED, first.category, first.list_name)

    if kind is HostKind.IP:
        # Browsing by a bare address skips every list of names (and is how DNS over HTTPS
        # and many proxies are reached): closed for any profile that blocks something.
        if profile.blocked and not snapshot.network.is_lan(host):
            return Decision(Action.BLOCK, Reason.IP_ADDRESS, None, "address without a name")
        return _ALLOWED

    if snapshot.url_model is not None and not _SUPPORT_WORDS.search(host):
        category, score = snapshot.url_model.classify(host, path)
        if (
            category != BENIGN
            and category in profile.blocked
            and category not in _PROTECTED
            and score >= profile.url_threshold
        ):
            # name the strongest features of the model's verdict
            features = snapshot.url_model.explain(host, k=3)
            named = ", ".join(f"'{name.strip('^$')}'" for name, _weight in features)
            source = f"url model: {named}" if named else "url model"
            return Decision(Action.BLOCK, Reason.MODEL_BLOCKED, category, source, score)
    return _ALLOWED


def decide_page(
    profile: Profile, category: str, score: float, explanation: str = ""
) -> Decision | None:
    """The content scan's verdict on a page the request filter allowed: a block, or None.

    A page is blocked when the page model finds a category the profile blocks, at or above
    the profile's strictness; protected categories and benign pages never are.
    """
    if (
        category == BENIGN
        or category in _PROTECTED
        or category not in profile.blocked
        or score < profile.page_threshold
    ):
        return None
    source = f"page model: {explanation}" if explanation else "page model"
    return Decision(Action.BLOCK, Reason.CONTENT_BLOCKED, category, source, score)


def decide_phrases(profile: Profile, category: str, total: int, limit: int) -> Decision | None:
    """The household's weighted phrase lists on a page: a block when the page's total is over
    the profile's naughtiness ``limit`` and its strongest category is one the profile blocks.
    """
    if total <= limit or category in _PROTECTED or category not in profile.blocked:
        return None
    return Decision(
        Action.BLOCK, Reason.CONTENT_BLOCKED, category, f"phrase list: {total} over {limit}"
    )


def decide_page_verdict(
    profile: Profile,
    category: str,
    score: float,
    explanation: str = "",
    *,
    phrase_category: str = BENIGN,
    phrase_total: int = 0,
) -> Decision | None:
    """The content scan's block for a page seen under ``profile``, or None to let it through.

    The page model's verdict (``category`` at ``score``) is judged first (`decide_page`); only
    when it passes do the household's phrase lists count (`decide_phrases`: the page's
    ``phrase_total``, strongest in ``phrase_category``, against the naughtiness limit of the
    profile's preset). Pure.
    """
    return decide_page(profile, category, score, explanation) or decide_phrases(
        profile, phrase_category, phrase_total, phrase_limit(profile.preset)
    )
