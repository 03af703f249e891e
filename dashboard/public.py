"""What any device on the network may fetch: the welcome page, the CA certificate, the PAC file."""

from __future__ import annotations

import re

from flask import Blueprint, Response, current_app, render_template, request

bp = Blueprint("public", __name__)


_HOST = re.compile(r"^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]{1,253})(:\d{1,5})?$")


def _proxy_address() -> str:
    """The proxy's address as this device reached the dashboard (a checked Host header)."""
    match = _HOST.match(request.host)
    host = match.group(1) if match else request.environ.get("SERVER_NAME", "127.0.0.1")
    return f"{host}:{current_app.config['PROXY_PORT']}"


@bp.route("/welcome")
def welcome() -> str:
    return render_template("public/welcome.html", proxy=_proxy_address())


@bp.route("/ca.pem")
def ca_certificate() -> Response:
    """The public CA certificate only: the private key never leaves the data directory."""
    pem = current_app.config["DATA"].ca_cert.read_bytes()
    return Response(
        pem,
        mimetype="application/x-x509-ca-cert",
        headers={"Content-Disposition": "attachment; filename=hearthguard-ca.pem"},
    )


@bp.route("/proxy.pac")
def proxy_pac() -> Response:
    body = (
        "function FindProxyForURL(url, host) {\n"
        '  if (isPlainHostName(host) || shExpMatch(host, "*.local")) return "DIRECT";\n'
        f'  return "PROXY {_proxy_address()}";\n'
        "}\n"
    )
    return Response(body, mimetype="application/x-ns-proxy-autoconfig")
