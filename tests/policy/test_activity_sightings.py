"""What the dashboard's device inbox reads: first and last sightings, browsers, MAC addresses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from policy.activity import ActivityStore, read_arp_table
from policy.activitydb.queue import ActivityLog
from policy.activitydb.records import DeviceSighting

ARP = """IP address       HW type     Flags       HW address            Mask     Device
192.168.1.23     0x1         0x2         a4:83:e7:11:22:33     *        eth0
192.168.1.24     0x1         0x0         00:00:00:00:00:00     *        eth0
192.168.1.25     0x1         0x2         AA:BB:CC:DD:EE:FF     *        wlan0
"""


def test_the_arp_table_gives_complete_entries_only(tmp_path) -> None:
    path = tmp_path / "arp"
    path.write_text(ARP)
    assert read_arp_table(path) == {
        "192.168.1.23": "a4:83:e7:11:22:33",
        "192.168.1.25": "aa:bb:cc:dd:ee:ff",
    }
    assert read_arp_table(tmp_path / "missing") == {}


def test_sightings_keep_first_seen_and_fill_the_mac_from_arp(data_dir, tmp_path) -> None:
    arp = tmp_path / "arp"
    arp.write_text(ARP)
    store = ActivityStore(data_dir.activity_db, arp_table=arp)
    first = datetime(2026, 6, 10, 8, tzinfo=UTC)
    store.write_batch([], [DeviceSighting(first, "192.168.1.23")])
    store.write_batch(
        [], [DeviceSighting(first + timedelta(hours=2), "192.168.1.23", user_agent="UA", tls_ok=2)]
    )
    store.write_batch([], [DeviceSighting(first, "192.168.1.99")])
    seen = {s.ip: s for s in store.seen_devices()}
    tablet = seen["192.168.1.23"]
    assert (tablet.first_seen, tablet.last_seen) == (first, first + timedelta(hours=2))
    assert (tablet.mac, tablet.user_agent, tablet.tls_ok) == ("a4:83:e7:11:22:33", "UA", 2)
    assert seen["192.168.1.99"].mac is None
    assert [s.ip for s in store.seen_devices()][0] == "192.168.1.23"  # most recent first
    store.close()


def test_each_devices_user_agent_is_queued_once_and_capped() -> None:
    log = ActivityLog()
    now = datetime.now(UTC)
    log.user_agent("192.168.1.5", "A" * 1000, now)
    log.user_agent("192.168.1.5", "B", now)
    log.user_agent("192.168.1.6", None, now)
    log.user_agent("192.168.1.6", "", now)
    _, sightings, _ = log.take()
    assert [(s.ip, len(s.user_agent or "")) for s in sightings] == [("192.168.1.5", 400)]
    log.user_agent("192.168.1.5", "C", now)
    assert not log
