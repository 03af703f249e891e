"""Set-up pages any device may open over plain HTTP: guides, QR codes, PAC/WPAD, the CA."""

from __future__ import annotations

import re

import pytest

from tests.dashboard.conftest import page_text

HTTP = "http://192.168.1.10:8081"
KINDS = ("ios", "android", "windows", "macos", "chromeos", "linux")


@pytest.mark.parametrize("kind", KINDS)
def test_each_guide_is_public_over_http_with_the_proxy_and_certificate_steps(client, kind):
    response = client.get(f"/setup-device/{kind}", base_url=HTTP)
    html = page_text(response)
    assert response.status_code == 200
    assert "http://192.168.1.10:8081/proxy.pac" in html and "192.168.1.10:8080" in html
    assert 'href="http://192.168.1.10:8081/ca.pem"' in html
    assert "http://192.168.1.10:8081/wpad.dat" in html
    assert 'src="https://192.168.1.10:8081/setup-device/trusted.svg"' in html
    assert "/setup-device/no-certificate" in html
    qr_codes = html.count('<svg xmlns="http://www.w3.org/2000/svg" viewBox=')
    assert qr_codes == (2 if kind in ("ios", "android") else 0)
    assert "<script" not in html and " style=" not in html


def test_qr_codes_encode_the_plain_http_addresses(client) -> None:
    html = page_text(client.get("/setup-device/android", base_url=HTTP))
    labels = re.findall(r'aria-label="QR code: ([^"]+)"', html)
    assert labels == [
        "http://192.168.1.10:8081/setup-device/android",
        "http://192.168.1.10:8081/ca.pem",
    ]
    import qrcode

    code = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(labels[1])
    code.make(fit=True)
    size = len(code.get_matrix())
    assert f'viewBox="0 0 {size} {size}"' in html


def test_the_index_points_at_the_guide_for_this_device(client) -> None:
    iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X)"
    html = page_text(client.get("/setup-device/", base_url=HTTP, headers={"User-Agent": iphone}))
    assert 'href="/setup-device/ios" aria-current="true"' in html
    assert all(f'href="/setup-device/{k}"' in html for k in KINDS)
    assert client.get("/setup-device/amiga", base_url=HTTP).status_code == 404


def test_the_explanation_for_devices_without_the_certificate(client) -> None:
    html = page_text(client.get("/setup-device/no-certificate", base_url=HTTP))
    assert "connection error" in html and "ERR_CONNECTION_RESET" in html
    assert "Install Hearthguard" in html
    welcome = page_text(client.get("/welcome", base_url=HTTP))
    assert 'href="/setup-device/no-certificate"' in welcome and 'href="/setup-device/"' in welcome


def test_the_trust_tick_is_served_only_over_https(client) -> None:
    plain = client.get("/setup-device/trusted.svg", base_url=HTTP)
    assert plain.status_code == 301 and plain.location.startswith("https://")
    tick = client.get("/setup-device/trusted.svg")
    assert tick.status_code == 200 and tick.mimetype == "image/svg+xml"


def test_pac_and_wpad_send_the_dashboard_direct_and_everything_else_to_the_proxy(client):
    for path in ("/proxy.pac", "/wpad.dat"):
        response = client.get(path, base_url=HTTP)
        body = page_text(response)
        assert response.mimetype == "application/x-ns-proxy-autoconfig"
        assert 'if (host == "192.168.1.10") return "DIRECT";' in body
        assert 'return "PROXY 192.168.1.10:8080";' in body


def test_a_forged_host_header_is_not_reflected(client) -> None:
    response = client.get("/proxy.pac", base_url=HTTP, headers={"Host": 'evil"); alert(1); ("'})
    body = page_text(response)
    assert "alert" not in body and "evil" not in body
    html = page_text(client.get("/setup-device/ios", headers={"Host": "<b>x</b>"}, base_url=HTTP))
    assert "<b>x</b>" not in html


def test_only_the_public_certificate_is_served(client, data_dir) -> None:
    pem = client.get("/ca.pem", base_url=HTTP).data
    assert pem == data_dir.ca_cert.read_bytes() and b"PRIVATE KEY" not in pem
    for private in ("/ca/mitmproxy-ca.pem", "/mitmproxy-ca.pem", "/secret.key", "/policy.db"):
        assert client.get(private, base_url=HTTP).status_code in (301, 404)
