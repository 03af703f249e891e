"""Set-up guides per kind of device: proxy settings, the CA certificate, QR codes for phones."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from dashboard.public import dashboard_host, proxy_address
from dashboard.qr import qr_svg
from policy.devicehints import DEVICE_KINDS, describe_user_agent, kind_label

bp = Blueprint("onboarding", __name__, url_prefix="/setup-device")

_PHONES = frozenset({"ios", "android"})
_TRUSTED_MARK = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="24" height="24">'
    '<circle cx="12" cy="12" r="12" fill="#24662a"/>'
    '<path d="M6 12.5l4 4 8-9" fill="none" stroke="#fff" stroke-width="2.5"/></svg>'
)


def _plain_url(endpoint: str, **values: Any) -> str:
    """An http:// address on this dashboard: phones without the certificate can open it."""
    return f"http://{dashboard_host()[1]}{url_for(endpoint, **values)}"


@bp.route("/")
def index() -> str:
    hint = describe_user_agent(request.headers.get("User-Agent"))
    kinds = [(k, _(kind_label(k))) for k in DEVICE_KINDS]
    return render_template("onboarding/index.html", kinds=kinds, this_kind=hint.kind)


@bp.route("/<kind>")
def guide(kind: str) -> str:
    if kind not in DEVICE_KINDS:
        abort(404)
    pac_url = _plain_url("public.proxy_pac")
    ca_url = _plain_url("public.ca_certificate")
    page_url = _plain_url("onboarding.guide", kind=kind)
    codes: dict[str, Markup] = {}
    if kind in _PHONES:
        codes = {"page": qr_svg(page_url), "ca": qr_svg(ca_url)}
    return render_template(
        "onboarding/guide.html",
        kind=kind,
        label=_(kind_label(kind)),
        pac_url=pac_url,
        wpad_url=_plain_url("public.wpad"),
        ca_url=ca_url,
        page_url=page_url,
        proxy=proxy_address(),
        codes=codes,
        trust_url=f"https://{dashboard_host()[1]}{url_for('onboarding.trust_check')}",
    )


@bp.route("/no-certificate")
def no_certificate() -> str:
    """Why blocked secure sites show a connection error on devices without the certificate."""
    return render_template(
        "onboarding/no_certificate.html", kinds=[(k, _(kind_label(k))) for k in DEVICE_KINDS]
    )


@bp.route("/trusted.svg")
def trust_check() -> Response:
    """A green tick served only over HTTPS: it shows only if the device trusts the household CA
    (the dashboard's certificate is issued by it), so a guide page can show the result."""
    return Response(_TRUSTED_MARK, mimetype="image/svg+xml")
