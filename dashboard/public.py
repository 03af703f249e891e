"""What any device on the network may fetch: the welcome page, the CA certificate, PAC/WPAD."""

from __future__ import annotations

import json
import re

from flask import Blueprint, Response, current_app, render_template, request

__all__ = ["bp", "dashboard_host", "proxy_address"]

bp = Blueprint("public", __name__)


_HOST = re.compile(r"^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]{1,253})(:\d{1,5})?$")


def dashboard_host() -> tuple[str, str]:
    """(host, host[:port]) as this device reached the dashboard, from a checked Host header."""
    match = _HOST.match(request.host)
    if match:
        return match.group(1), request.host
    host = request.environ.get("SERVER_NAME", "127.0.0.1")
    return host, host


def proxy_address() -> str:
    """The proxy's address as this device reached the dashboard."""
    return f"{dashboard_host()[0]}:{current_app.config['PROXY_PORT']}"


@bp.route("/welcome")
def welcome() -> str:
    return render_template("public/welcome.html", proxy=proxy_address())


@bp.route("/ca.pem")
def ca_certificate() -> Response:
    """The public CA certificate only: the private key never leaves the data directory."""
    pem = current_app.config["DATA"].ca_cert.read_bytes()
    return Response(
        pem,
        mimetype="application/x-x509-ca-cert",
        headers={"Content-Disposition": "attachment; filename=hearthguard-ca.pem"},
    )


def _pac() -> Response:
    # The dashboard itself is reached directly, so its own certificate is never intercepted.
    host = json.dumps(dashboard_host()[0].strip("[]"))
    body = (
        "function FindProxyForURL(url, host) {\n"
        '  if (isPlainHostName(host) || shExpMatch(host, "*.local")) return "DIRECT";\n'
        f'  if (host == {host}) return "DIRECT";\n'
        f'  return "PROXY {proxy_address()}";\n'
        "}\n"
    )
    return Response(body, mimetype="application/x-ns-proxy-autoconfig")


@bp.route("/proxy.pac")
def proxy_pac() -> Response:
    return _pac()


@bp.route("/wpad.dat")
def wpad() -> Response:
    """The same script under the name automatic proxy discovery (WPAD) asks for."""
    return _pac()
