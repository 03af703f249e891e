"""WebSocket compression is taken out of every handshake, both ways."""

from __future__ import annotations

from mitmproxy.test import tflow

from proxy_addons.wsdeflate import NoWebSocketCompression

OFFER = "permessage-deflate; client_max_window_bits"


def test_the_clients_offer_of_compression_is_taken_back() -> None:
    flow = tflow.tflow()
    flow.request.headers["Upgrade"] = "websocket"
    flow.request.headers["Sec-WebSocket-Extensions"] = OFFER
    NoWebSocketCompression().requestheaders(flow)
    assert "Sec-WebSocket-Extensions" not in flow.request.headers
    assert flow.request.headers["Upgrade"] == "websocket"


def test_a_servers_claim_to_compression_is_dropped_before_the_socket_starts() -> None:
    flow = tflow.tflow(resp=True)
    flow.response.status_code = 101
    flow.response.headers["Sec-WebSocket-Extensions"] = "permessage-deflate"
    NoWebSocketCompression().responseheaders(flow)
    assert "Sec-WebSocket-Extensions" not in flow.response.headers


def test_other_answers_keep_their_headers() -> None:
    flow = tflow.tflow(resp=True)
    flow.response.headers["Sec-WebSocket-Extensions"] = "x"  # meaningless outside a handshake
    NoWebSocketCompression().responseheaders(flow)
    assert flow.response.headers["Sec-WebSocket-Extensions"] == "x"
