from __future__ import annotations

from policy.values import Action, Decision, Reason
from proxy_addons.httpfilter import HttpFilter
from tests.proxy_addons.conftest import request_flow


def run(chain, flow):
    chain.addon(HttpFilter).requestheaders(flow)
    return flow


def test_denied_domain_gets_the_block_page_and_a_reason(chain, store) -> None:
    store.add_rule("Household", Action.BLOCK, "blocked.example")
    chain.refresh()
    flow = run(chain, request_flow("www.blocked.example", "/page?q=1"))
    assert flow.response is not None and flow.response.status_code == 403
    assert flow.response.headers["Cache-Control"] == "no-store"
    assert b"www.blocked.example" in flow.response.content
    decision: Decision = flow.metadata["hearthguard"]
    assert (decision.reason, decision.source) == (
        Reason.PARENT_DENIED,
        "deny rule: blocked.example",
    )


def test_allowed_request_goes_ahead_untouched(chain) -> None:
    flow = run(chain, request_flow("example.org", "/a"))
    assert flow.response is None
    assert flow.metadata["hearthguard"].action is Action.ALLOW
    assert flow.request.path == "/a"


def test_block_page_escapes_the_host(chain, store) -> None:
    store.add_rule("Household", Action.BLOCK, "blocked.example")
    chain.refresh()
    flow = request_flow("blocked.example", "/<script>alert(1)</script>")
    flow.request.host = "blocked.example"
    run(chain, flow)
    assert b"<script>" not in flow.response.content


def test_spoofed_host_header_cannot_unblock(chain, store) -> None:
    store.add_rule("Household", Action.BLOCK, "blocked.example")
    chain.refresh()
    flow = request_flow("blocked.example")
    flow.request.headers["Host"] = "harmless.example"
    run(chain, flow)
    assert flow.response is not None and flow.response.status_code == 403


def test_profile_follows_the_device(chain, store) -> None:
    store.add_profile("Grown-up", "adult")
    store.add_device("Laptop", profile="Grown-up", ip="192.168.1.30")
    store.add_rule("Household", Action.BLOCK, "blocked.example")
    chain.refresh()
    assert run(chain, request_flow("blocked.example", client_ip="192.168.1.20")).response
    assert run(chain, request_flow("blocked.example", client_ip="192.168.1.30")).response is None


def test_safesearch_and_youtube_restrictions(chain) -> None:
    flow = run(chain, request_flow("www.google.com", "/search?q=cats"))
    assert flow.request.query["safe"] == "active" and flow.request.query["q"] == "cats"
    flow = run(chain, request_flow("www.youtube.com", "/watch?v=x"))
    assert flow.request.headers["YouTube-Restrict"] == "Strict"


def test_safesearch_off_leaves_search_alone(chain, store) -> None:
    store.update_profile("Household", safesearch=False, youtube="off")
    chain.refresh()
    flow = run(chain, request_flow("www.google.com", "/search?q=cats"))
    assert "safe" not in flow.request.query
    flow = run(chain, request_flow("www.youtube.com", "/"))
    assert "YouTube-Restrict" not in flow.request.headers


def test_decisions_are_queued_for_the_log_and_hotline_blocks_are_only_counted(chain, store) -> None:
    store.add_rule("Household", Action.BLOCK, "blocked.example")
    chain.refresh()
    run(chain, request_flow("blocked.example"))
    decisions, _, hotline = chain.state.log.take()
    assert [(e.host, e.action, e.reason) for e in decisions] == [
        ("blocked.example", "block", "parent_denied")
    ]
    assert hotline == 0


def test_without_a_policy_every_request_is_refused(chain) -> None:
    chain.state.snapshot = None
    flow = run(chain, request_flow("example.org"))
    assert flow.response is not None and flow.response.status_code == 503
