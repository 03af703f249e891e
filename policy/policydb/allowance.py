"""Time rules in policy.db: pauses per child, daily budgets, bonus time and holidays."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from policy.budgets import BUDGET_DAYS, clean_group, clean_minutes
from policy.messages import N_
from policy.policydb.core import iso, now
from policy.policydb.profiles import ProfilesMixin
from policy.timerules import HOLIDAY_KINDS
from policy.validate import InputError, clean_name
from policy.values import Holiday, Profile

__all__ = ["AllowanceMixin"]


class AllowanceMixin(ProfilesMixin):
    """Pauses, budgets, bonus time and holidays (read back with the profiles)."""

    def pause_profile(
        self, profile: str, until: datetime | None, *, actor: str = "system"
    ) -> Profile:
        """Pause every device of a child until ``until``; ``None`` resumes."""
        profile_id = self._profile_id(profile)
        with self.transaction() as conn:
            conn.execute(
                "UPDATE profiles SET paused_until = ? WHERE id = ?", [iso(until), profile_id]
            )
            what = f"until {iso(until)}" if until else "resumed"
            self._audit(conn, actor, "profile.pause", f"{profile}: {what}")
        return self.profile(profile)

    def set_budget(
        self,
        profile: str,
        group: str,
        minutes: int | None,
        *,
        days: Iterable[str] = BUDGET_DAYS,
        actor: str = "system",
    ) -> None:
        """A daily allowance of ``minutes`` for ``group`` on weekdays and/or weekend days;
        ``None`` removes it (the group is unlimited again)."""
        profile_id = self._profile_id(profile)
        group = clean_group(group)
        chosen = list(dict.fromkeys(days))
        if not chosen or not set(chosen) <= set(BUDGET_DAYS):
            raise InputError("days", N_("A budget is for weekdays, the weekend, or both."))
        if minutes is not None:
            minutes = clean_minutes(minutes)
        with self.transaction() as conn:
            for kind in chosen:
                if minutes is None:
                    conn.execute(
                        "DELETE FROM budgets WHERE profile_id = ? AND grp = ? AND days = ?",
                        [profile_id, group, kind],
                    )
                else:
                    conn.execute(
                        "INSERT INTO budgets (profile_id, grp, days, minutes) "
                        "VALUES (?, ?, ?, ?) ON CONFLICT (profile_id, grp, days) "
                        "DO UPDATE SET minutes = excluded.minutes",
                        [profile_id, group, kind, minutes],
                    )
            amount = "removed" if minutes is None else f"{minutes} min"
            self._audit(
                conn, actor, "budget.set", f"{profile}: {group} {amount} ({', '.join(chosen)})"
            )

    def add_bonus(
        self, profile: str, group: str, minutes: int, day: date, *, actor: str = "system"
    ) -> int:
        """Grant ``minutes`` more of ``group`` on ``day`` (a local date); the day's total bonus.

        Only groups with a budget can get bonus time (the others are not limited)."""
        profile_id = self._profile_id(profile)
        group = clean_group(group)
        minutes = clean_minutes(minutes)
        if minutes == 0:
            raise InputError("minutes", N_("Bonus time is at least 1 minute."))
        if not self.db.execute(
            "SELECT 1 FROM budgets WHERE profile_id = ? AND grp = ?", [profile_id, group]
        ).fetchone():
            raise InputError(
                "group",
                N_("“%(profile)s” has no %(group)s budget, so %(group)s is not limited."),
                profile=profile,
                group=group,
            )
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO bonuses (profile_id, grp, day, minutes, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [profile_id, group, day.isoformat(), minutes, iso(now())],
            )
            self._audit(conn, actor, "bonus.add", f"{profile}: {group} +{minutes} min on {day}")
            total = conn.execute(
                "SELECT sum(minutes) FROM bonuses WHERE profile_id = ? AND grp = ? AND day = ?",
                [profile_id, group, day.isoformat()],
            ).fetchone()[0]
        return int(total or 0)

    def add_holiday(self, holiday: Holiday, *, actor: str = "system") -> int:
        """Add a holiday override (``weekend`` or ``no_bedtime``) for one profile or all."""
        if holiday.kind not in HOLIDAY_KINDS:
            raise InputError("kind", f"A holiday is one of: {', '.join(HOLIDAY_KINDS)}.")
        if holiday.end < holiday.start:
            raise InputError("until", N_("The last day of a holiday cannot be before its first."))
        if (holiday.end - holiday.start).days > 366:
            raise InputError("until", N_("A holiday can last at most a year."))
        profile_id = self._profile_id(holiday.profile) if holiday.profile else None
        label = clean_name(holiday.label, "label")
        with self.transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO holidays (profile_id, kind, start_day, end_day, label) "
                "VALUES (?, ?, ?, ?, ?)",
                [
                    profile_id,
                    holiday.kind,
                    holiday.start.isoformat(),
                    holiday.end.isoformat(),
                    label,
                ],
            )
            who = holiday.profile or "everyone"
            self._audit(
                conn,
                actor,
                "holiday.add",
                f"{who}: {label} ({holiday.kind}) {holiday.start} to {holiday.end}",
            )
        return int(cursor.lastrowid or 0)

    def holidays(self) -> list[Holiday]:
        return [
            Holiday(date.fromisoformat(r[1]), date.fromisoformat(r[2]), r[3], r[4], r[5], r[0])
            for r in self.db.execute(
                "SELECT h.id, h.start_day, h.end_day, h.kind, h.label, p.name FROM holidays h "
                "LEFT JOIN profiles p ON p.id = h.profile_id ORDER BY h.start_day, h.id"
            )
        ]

    def remove_holiday(self, holiday_id: int, *, actor: str = "system") -> bool:
        with self.transaction() as conn:
            cursor = conn.execute("DELETE FROM holidays WHERE id = ?", [holiday_id])
            if cursor.rowcount:
                self._audit(conn, actor, "holiday.remove", str(holiday_id))
        return cursor.rowcount > 0
