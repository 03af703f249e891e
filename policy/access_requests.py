"""Access requests: a child asks from a block page, a parent approves or declines.

Approving writes an allow rule for the requested site into the child's profile (until the
chosen time, or for good), so the running proxy lets it through within its next poll.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from policy.activity import ActivityStore
from policy.activitydb.records import AccessRequest
from policy.budgets import MAX_MINUTES
from policy.messages import N_
from policy.store import PolicyStore
from policy.validate import InputError, clean_domain
from policy.values import Action, Reason

__all__ = ["DURATIONS", "answer", "approval_end"]

#: What a parent can choose when approving, in the order the dashboard offers them.
DURATIONS: dict[str, str] = {
    "15m": "for 15 minutes",
    "1h": "for an hour",
    "today": "until midnight",
    "always": "always",
}


def approval_end(duration: str, now: datetime) -> datetime | None:
    """When an approval given at ``now`` ends (``None``: never). ``now`` is local time."""
    if duration == "15m":
        return now + timedelta(minutes=15)
    if duration == "1h":
        return now + timedelta(hours=1)
    if duration == "today":
        return datetime.combine(now.date() + timedelta(days=1), time(0), tzinfo=now.tzinfo)
    if duration == "always":
        return None
    raise InputError("duration", f"Choose one of: {', '.join(DURATIONS.values())}.")


def answer(
    policy: PolicyStore,
    activity: ActivityStore,
    request_id: int,
    *,
    approve: bool,
    duration: str = "1h",
    note: str = "",
    actor: str,
    now: datetime,
) -> AccessRequest:
    """Approve (allow the site for ``duration``) or decline a pending request.

    A request for more time (a spent daily budget) is approved with bonus minutes of that
    group for today instead: 15, 60, or the minutes left until midnight.

    ``note`` is shown to the child. Answering a request twice is refused.
    """
    try:
        pending = activity.request(request_id)
    except KeyError:
        raise InputError("request", N_("That request no longer exists.")) from None
    if pending.status != "pending":
        raise InputError(
            "request", N_("That request was already %(status)s."), status=pending.status
        )
    if len(note) > 500:
        raise InputError("note", N_("Please keep the note under 500 characters."))
    until = None
    if approve and pending.reason == Reason.TIME_BUDGET.value:
        # "more time": bonus minutes of the spent group, for today
        until = approval_end(duration, now)
        if until is None:
            raise InputError(
                "duration", N_("More time is for today: 15 minutes, an hour or today.")
            )
        minutes = min(MAX_MINUTES, max(1, round((until - now).total_seconds() / 60)))
        policy.add_bonus(pending.profile, pending.category or "", minutes, now.date(), actor=actor)
    elif approve:
        until = approval_end(duration, now)
        policy.add_rule(
            pending.profile,
            Action.ALLOW,
            clean_domain(pending.host),
            expires_at=until,
            note=f"access request {request_id}",
            actor=actor,
        )
    return activity.answer_request(request_id, approve=approve, until=until, note=note, now=now)
