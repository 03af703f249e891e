"""The proxy notes each device's browser once, for the dashboard's "new devices" inbox."""

from __future__ import annotations

from proxy_addons.httpfilter import HttpFilter
from tests.proxy_addons.conftest import request_flow

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def test_the_first_user_agent_of_a_device_is_queued_once(chain) -> None:
    http_filter = chain.addon(HttpFilter)
    for path in ("/a", "/b"):
        flow = request_flow("example.org", path, client_ip="192.168.1.31")
        flow.request.headers["User-Agent"] = FIREFOX
        http_filter.requestheaders(flow)
    other = request_flow("example.org", client_ip="192.168.1.32")
    assert "User-Agent" not in other.request.headers
    http_filter.requestheaders(other)
    _, sightings, _ = chain.state.log.take()
    agents = {s.ip: s.user_agent for s in sightings}
    assert agents == {"192.168.1.31": FIREFOX}
    flow = request_flow("example.org", client_ip="192.168.1.31")
    flow.request.headers["User-Agent"] = "something else"
    http_filter.requestheaders(flow)
    assert chain.state.log.take()[1] == []  # known already: nothing queued again
