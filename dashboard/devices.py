"""Devices: which profile each of the household's devices uses."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from dashboard.forms import DeviceForm, show_error
from dashboard.storage import activity, policy
from policy.validate import InputError

bp = Blueprint("devices", __name__, url_prefix="/devices")


@bp.route("/")
def index() -> str:
    known = {d.ip for d in policy().devices()}
    new_devices = [s for s in activity().sightings() if s.ip not in known]
    return render_template(
        "devices/index.html", devices=policy().devices(), new_devices=new_devices
    )


@bp.route("/new", methods=["GET", "POST"])
def new() -> str | Response:
    form = DeviceForm()
    form.profile.choices = [(n, n) for n in policy().profile_names()]
    if request.method == "GET" and request.args.get("ip"):
        form.ip.data = request.args["ip"]
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
    return render_template("devices/new.html", form=form)
