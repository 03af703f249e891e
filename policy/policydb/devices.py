"""The devices table: which device (by address) uses which profile, its CA and its pause."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from policy.messages import N_
from policy.network import Network
from policy.policydb.core import iso, now, parse_time
from policy.policydb.settings import SettingsMixin
from policy.sqlitedb import Database
from policy.validate import InputError, clean_ip, clean_mac, clean_name
from policy.values import Device, Schedule

__all__ = ["DevicesMixin"]


def _device_schedules(db: Database) -> dict[int, tuple[Schedule, ...]]:
    found: dict[int, list[Schedule]] = {}
    for sid, device_id, days, start, end, label, name in db.execute(
        "SELECT s.id, s.device_id, s.days, s.start, s.end, s.label, d.name FROM schedules s "
        "JOIN devices d ON d.id = s.device_id ORDER BY s.id"
    ):
        found.setdefault(device_id, []).append(
            Schedule(
                frozenset(int(d) for d in days),
                time.fromisoformat(start),
                time.fromisoformat(end),
                label,
                device=name,
                schedule_id=sid,
            )
        )
    return {k: tuple(v) for k, v in found.items()}


class DevicesMixin(SettingsMixin):
    """Adding, moving, pausing and reading devices."""

    def add_device(
        self,
        name: str,
        *,
        profile: str,
        ip: str | None = None,
        mac: str | None = None,
        actor: str = "system",
    ) -> Device:
        name = clean_name(name)
        profile_id = self._profile_id(profile)
        ip = clean_ip(ip) if ip else None
        mac = clean_mac(mac) if mac else None
        if ip and not Network.from_settings(self.get_setting("lan_ranges"), None).is_lan(ip):
            raise InputError(
                "ip",
                N_(
                    "%(ip)s is not an address on the home network (the lan_ranges setting); "
                    "use the address the device has at home."
                ),
                ip=ip,
            )
        if self.db.execute("SELECT 1 FROM devices WHERE name = ?", [name]).fetchone():
            raise InputError("name", N_("A device called “%(name)s” already exists."), name=name)
        if ip:
            owner = self.db.execute("SELECT name FROM devices WHERE ip = ?", [ip]).fetchone()
            if owner:
                raise InputError(
                    "ip",
                    N_("%(ip)s already belongs to the device “%(name)s”."),
                    ip=ip,
                    name=owner[0],
                )
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO devices (name, ip, mac, profile_id, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [name, ip, mac, profile_id, iso(now())],
            )
            self._audit(
                conn, actor, "device.add", f"{name} ({ip or mac or 'no address'}) -> {profile}"
            )
        return self.device(name)

    def update_device(
        self,
        name: str,
        *,
        profile: str | None = None,
        ca_trusted: bool | None = None,
        paused_until: datetime | None | bool = False,
        actor: str = "system",
    ) -> Device:
        """Move a device to a profile, mark its CA, or pause it (``paused_until=None`` resumes)."""
        row = self.db.execute("SELECT id FROM devices WHERE name = ?", [name]).fetchone()
        if row is None:
            raise InputError("device", N_("There is no device called “%(name)s”."), name=name)
        changes: dict[str, Any] = {}
        if profile is not None:
            changes["profile_id"] = self._profile_id(profile)
        if ca_trusted is not None:
            changes["ca_trusted"] = int(ca_trusted)
        if paused_until is not False:
            changes["paused_until"] = iso(paused_until)  # type: ignore[arg-type]
        if changes:
            with self.transaction() as conn:
                sets = ", ".join(f"{k} = ?" for k in changes)
                conn.execute(f"UPDATE devices SET {sets} WHERE id = ?", [*changes.values(), row[0]])
                self._audit(conn, actor, "device.update", f"{name}: {', '.join(changes)}")
        return self.device(name)

    def delete_device(self, name: str, *, actor: str = "system") -> None:
        with self.transaction() as conn:
            cursor = conn.execute("DELETE FROM devices WHERE name = ?", [name])
            if not cursor.rowcount:
                raise InputError("device", N_("There is no device called “%(name)s”."), name=name)
            self._audit(conn, actor, "device.delete", name)

    def device(self, name: str) -> Device:
        for device in self.devices():
            if device.name.lower() == name.lower():
                return device
        raise InputError("device", N_("There is no device called “%(name)s”."), name=name)

    def devices(self) -> list[Device]:
        device_schedules = _device_schedules(self.db)
        return [
            Device(
                name=r[0],
                profile=r[1],
                ip=r[2],
                mac=r[3],
                ca_trusted=bool(r[4]),
                paused_until=parse_time(r[5]),
                device_id=r[6],
                schedules=device_schedules.get(r[6], ()),
            )
            for r in self.db.execute(
                "SELECT d.name, p.name, d.ip, d.mac, d.ca_trusted, d.paused_until, d.id "
                "FROM devices d JOIN profiles p ON p.id = d.profile_id ORDER BY d.name"
            )
        ]
