"""The schedules table: offline windows (bedtime, school time) per profile or per device."""

from __future__ import annotations

from dataclasses import replace
from datetime import time

from policy.messages import N_
from policy.policydb.devices import DevicesMixin
from policy.timerules import check_overlap, check_window
from policy.validate import InputError, clean_name
from policy.values import Schedule

__all__ = ["SchedulesMixin"]


class SchedulesMixin(DevicesMixin):
    """Adding, listing and removing offline windows; a device's window belongs to the
    device's profile."""

    def add_schedule(self, profile: str, schedule: Schedule, *, actor: str = "system") -> int:
        """Add an offline window for the profile, or for one of its devices
        (``schedule.device``); refuses empty, mistaken or overlapping windows. Its id."""
        profile_id = self._profile_id(profile)
        if not schedule.days or not schedule.days <= set(range(1, 8)):
            raise InputError("days", N_("Choose at least one day of the week."))
        check_window(schedule.start, schedule.end)
        device_id = None
        if schedule.device is not None:
            device = self.device(schedule.device)
            if device.profile.lower() != profile.lower():
                raise InputError(
                    "device",
                    N_("“%(device)s” uses the profile “%(used)s”, not “%(profile)s”."),
                    device=device.name,
                    used=device.profile,
                    profile=profile,
                )
            device_id = device.device_id
            schedule = replace(schedule, device=device.name)
        label = clean_name(schedule.label, "label")
        check_overlap(schedule, [s for _, s in self.schedules_with_ids(profile)])
        with self.transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO schedules (profile_id, days, start, end, label, device_id) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [
                    profile_id,
                    "".join(str(d) for d in sorted(schedule.days)),
                    schedule.start.strftime("%H:%M"),
                    schedule.end.strftime("%H:%M"),
                    label,
                    device_id,
                ],
            )
            who = f" ({schedule.device})" if schedule.device else ""
            self._audit(
                conn,
                actor,
                "schedule.add",
                f"{profile}{who}: {label} {schedule.start:%H:%M}-{schedule.end:%H:%M}",
            )
        return int(cursor.lastrowid or 0)

    def schedules_with_ids(self, profile: str) -> list[tuple[int, Schedule]]:
        """A profile's offline times, its devices' included, with the ids
        ``remove_schedule`` takes."""
        profile_id = self._profile_id(profile)
        return [
            (
                r[0],
                Schedule(
                    frozenset(int(d) for d in r[1]),
                    time.fromisoformat(r[2]),
                    time.fromisoformat(r[3]),
                    r[4],
                    device=r[5],
                    schedule_id=r[0],
                ),
            )
            for r in self.db.execute(
                "SELECT s.id, s.days, s.start, s.end, s.label, d.name FROM schedules s "
                "LEFT JOIN devices d ON d.id = s.device_id "
                "WHERE (s.device_id IS NULL AND s.profile_id = ?) OR d.profile_id = ? "
                "ORDER BY s.id",
                [profile_id, profile_id],
            )
        ]

    def remove_schedule(self, profile: str, schedule_id: int, *, actor: str = "system") -> bool:
        profile_id = self._profile_id(profile)
        with self.transaction() as conn:
            cursor = conn.execute(
                "DELETE FROM schedules WHERE id = ? AND (profile_id = ? OR device_id IN "
                "(SELECT id FROM devices WHERE profile_id = ?))",
                [schedule_id, profile_id, profile_id],
            )
            if cursor.rowcount:
                self._audit(conn, actor, "schedule.remove", f"{profile}: {schedule_id}")
        return cursor.rowcount > 0
