"""The device page's network part: is the device protected, does it try bypasses, and its
WireGuard configuration (with a QR code for the WireGuard app) when it has an instance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app, request
from flask_babel import gettext as _
from markupsafe import Markup

from dashboard.forms import error_text
from dashboard.qr import qr_svg
from dashboard.storage import activity
from policy.validate import InputError
from policy.values import Device
from policy.wireguard import client_config, device_slug, read_keys, wireguard_dir

__all__ = ["DeviceNetwork", "device_network"]

NOT_PROTECTED_MINUTES = 30
BYPASS_WINDOW = timedelta(days=1)


@dataclass(frozen=True)
class DeviceNetwork:
    unprotected_since: datetime | None  # last DNS query, when nothing went through the filter
    bypass_tries: int
    bypass_hosts: list[str]
    wireguard_slug: str
    wireguard_conf: str | None
    wireguard_qr: Markup | None
    wireguard_endpoint: str
    wireguard_error: str | None


def _endpoint() -> str:
    asked = request.args.get("endpoint", "").strip()
    if asked:
        return asked[:253]
    return urlsplit("//" + request.host).hostname or ""


def device_network(device: Device, now: datetime) -> DeviceNetwork:
    """Everything the device page shows about how ``device`` reaches the Internet."""
    unprotected = None
    tries, hosts = 0, []
    if device.ip:
        store = activity()
        for ip, last_dns, _last_proxy in store.unprotected(now, NOT_PROTECTED_MINUTES):
            if ip == device.ip:
                unprotected = last_dns
        for _device, _ip, count, tried in store.bypass_tries(now - BYPASS_WINDOW, ip=device.ip):
            tries, hosts = count, tried
    try:
        slug = device_slug(device.name)
    except InputError:
        slug = "device"
    path = wireguard_dir(current_app.config["DATA"].root) / f"{slug}.json"
    conf = qr = error = None
    endpoint = _endpoint()
    if path.exists():
        try:
            conf = client_config(read_keys(path), endpoint)
            qr = qr_svg(conf, label=_("WireGuard configuration for %(name)s", name=device.name))
        except InputError as exc:
            error = error_text(exc)
    return DeviceNetwork(unprotected, tries, hosts, slug, conf, qr, endpoint, error)
