"""Devices: the "new devices" inbox, which profile each device uses, its certificate, pauses."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response

from dashboard.device_network import device_network
from dashboard.forms import DeviceForm, DeviceSettingsForm, show_error
from dashboard.storage import activity, local_now, policy
from policy.access_requests import approval_end
from policy.activitydb.records import SeenDevice
from policy.catrust import read_view
from policy.devicehints import DeviceHint, OuiTable, describe_user_agent, suggest_name
from policy.validate import InputError
from policy.values import Device

bp = Blueprint("devices", __name__, url_prefix="/devices")

PAUSES = ("15m", "1h", "today")


@dataclass(frozen=True)
class NewDevice:
    """An inbox entry: what the proxy saw, with hints for naming it."""

    seen: SeenDevice
    hint: DeviceHint
    vendor: str | None
    suggested_name: str


@dataclass(frozen=True)
class DeviceRow:
    device: Device
    seen: SeenDevice | None

    @property
    def ca_detected(self) -> bool:
        """The device completed a handshake with a certificate from Hearthguard's CA."""
        return self.seen is not None and self.seen.tls_ok > 0

    @property
    def ca_failing(self) -> bool:
        return self.seen is not None and self.seen.tls_failed > 0 and self.seen.tls_ok == 0


def _oui() -> OuiTable:
    table = current_app.extensions.get("hearthguard.oui")
    if table is None:
        table = current_app.extensions["hearthguard.oui"] = OuiTable(current_app.config["OUI_FILE"])
    return table  # type: ignore[no-any-return]


def _inbox(devices: list[Device]) -> list[NewDevice]:
    known_ips = {d.ip for d in devices}
    names = {d.name for d in devices}
    inbox = []
    for seen in activity().seen_devices():
        if seen.ip in known_ips:
            continue
        hint = describe_user_agent(seen.user_agent)
        vendor = _oui().vendor(seen.mac)
        name = suggest_name(hint, vendor, names)
        names.add(name)
        inbox.append(NewDevice(seen, hint, vendor, name))
    return inbox


def _rows(devices: list[Device]) -> list[DeviceRow]:
    seen = {s.ip: s for s in activity().seen_devices()}
    return [DeviceRow(d, seen.get(d.ip or "")) for d in devices]


def _route(suffix: str, **options: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a view under the device's id (``/devices/7...``: any name works, ``/``
    included) and, for older links, under its name."""

    def register(view: Callable[..., Any]) -> Callable[..., Any]:
        bp.route(f"/<int:did>{suffix}", **options)(view)
        bp.route(f"/<name>{suffix}", **options)(view)
        return view

    return register


def _device(did: int | None = None, name: str | None = None) -> Device:
    """The device with this id (or, for older links, this name); 404 when there is none."""
    if did is not None:
        for device in policy().devices():
            if device.device_id == did:
                return device
        abort(404)
    try:
        return policy().device(name or "")
    except InputError:
        abort(404)


def device_url(device: Device, endpoint: str = "devices.edit", **values: Any) -> str:
    """A link to one of a device's pages, by id."""
    return url_for(endpoint, did=device.device_id, **values)


def _profile_choices() -> list[tuple[str, str]]:
    return [(n, n) for n in policy().profile_names()]


@bp.route("/")
def index() -> str:
    devices = policy().devices()
    return render_template(
        "devices/index.html",
        rows=_rows(devices),
        new_devices=_inbox(devices),
        profiles=policy().profile_names(),
        default=policy().get_setting("default_profile"),
        now=local_now(),
        pauses=PAUSES,
    )


@bp.route("/new", methods=["GET", "POST"])
def new() -> str | Response | tuple[str, int]:
    """Add a device; from the inbox the address, MAC and a suggested name come prefilled."""
    form = DeviceForm()
    form.profile.choices = _profile_choices()  # type: ignore[assignment]
    if request.method == "GET":
        form.ip.data = request.args.get("ip", "")[:64]
        form.mac.data = request.args.get("mac", "")[:32]
        form.name.data = request.args.get("name", "")[:64]
        form.profile.data = request.args.get("profile") or policy().get_setting("default_profile")
    if form.validate_on_submit():
        try:
            policy().add_device(
                form.name.data or "",
                profile=form.profile.data or "",
                ip=form.ip.data,
                mac=form.mac.data or None,
                actor=session["parent"],
            )
        except InputError as exc:
            show_error(form, exc)
        else:
            return redirect(url_for("devices.index"))
    page = render_template("devices/new.html", form=form)
    return page


@_route("", methods=["GET", "POST"])
def edit(did: int | None = None, name: str | None = None) -> str | Response | tuple[str, int]:
    device = _device(did, name)
    form = DeviceSettingsForm(data={"profile": device.profile, "ca_trusted": device.ca_trusted})
    form.profile.choices = _profile_choices()  # type: ignore[assignment]
    if form.validate_on_submit():
        try:
            policy().update_device(
                device.name,
                profile=form.profile.data,
                ca_trusted=bool(form.ca_trusted.data),
                actor=session["parent"],
            )
        except InputError as exc:
            show_error(form, exc, "profile")
        else:
            return redirect(device_url(device, saved=1))
    row = _rows([device])[0]
    page = render_template(
        "devices/edit.html",
        row=row,
        device=device,
        form=form,
        hint=describe_user_agent(row.seen.user_agent if row.seen else None),
        vendor=_oui().vendor(device.mac or (row.seen.mac if row.seen else None)),
        recent=activity().recent_decisions(20, device=device.name),
        trust=read_view(current_app.config["DATA"].ca_trust).get(device.ip or "", {}),
        now=local_now(),
        pauses=PAUSES,
        network=device_network(device, local_now()),
    )
    return page


@_route("/profile", methods=["POST"])
def move(did: int | None = None, name: str | None = None) -> Response:
    """Put a device on another profile (the one-tap form in the device list)."""
    device = _device(did, name)
    try:
        policy().update_device(
            device.name, profile=request.form.get("profile", ""), actor=session["parent"]
        )
    except InputError:
        abort(400)
    return redirect(url_for("devices.index"))


@_route("/pause", methods=["POST"])
def pause(did: int | None = None, name: str | None = None) -> Response:
    """Pause the device's internet for a while (``duration``), or resume it (``resume``)."""
    device = _device(did, name)
    if request.form.get("resume"):
        until = None
    else:
        duration = request.form.get("duration", "")
        if duration not in PAUSES:
            abort(400)
        until = approval_end(duration, local_now())
    policy().update_device(device.name, paused_until=until, actor=session["parent"])
    if request.form.get("back") == "edit":
        return redirect(device_url(device))
    return redirect(url_for("devices.index"))


@_route("/delete", methods=["POST"])
def delete(did: int | None = None, name: str | None = None) -> Response:
    device = _device(did, name)
    policy().delete_device(device.name, actor=session["parent"])
    return redirect(url_for("devices.index"))
