"""One group in mitmproxy's chain behaves like the separate addons, in order."""

from __future__ import annotations

import asyncio

from mitmproxy.test import taddons, tflow

from policy.store import PolicyStore
from policy.values import Action, Reason
from proxy_addons.chain import AddonGroup
from proxy_addons.main import make_addons
from proxy_addons.reload import PolicyReload


class Recorder:
    def __init__(self, name: str, calls: list[str], *, asynchronous: bool = False) -> None:
        self.name, self.calls = name, calls
        if asynchronous:
            self.response = self._async_response  # type: ignore[method-assign]

    def requestheaders(self, flow) -> None:
        self.calls.append(f"{self.name}.requestheaders")

    def response(self, flow) -> None:
        self.calls.append(f"{self.name}.response")

    async def _async_response(self, flow) -> None:
        await asyncio.sleep(0)
        self.calls.append(f"{self.name}.response")


def test_events_reach_every_part_in_order_sync_and_async() -> None:
    calls: list[str] = []
    parts = [Recorder("a", calls), Recorder("b", calls, asynchronous=True), Recorder("c", calls)]
    group = AddonGroup(parts)
    assert not hasattr(group, "tls_clienthello")  # no part handles it: nothing to call
    group.requestheaders(None)
    asyncio.run(group.response(None))
    assert calls == [
        "a.requestheaders",
        "b.requestheaders",
        "c.requestheaders",
        "a.response",
        "b.response",
        "c.response",
    ]
    single = AddonGroup([Recorder("only", calls)])
    assert single.requestheaders.__self__ is single.parts[0]  # one handler: called directly


def test_the_grouped_addons_filter_a_whole_flow(data_dir) -> None:
    store = PolicyStore(data_dir.policy_db)
    store.add_rule("Household", Action.BLOCK, "blocked.example")
    store.close()
    group = AddonGroup(make_addons())
    with taddons.context(group) as tctx:
        tctx.configure(group, hearthguard_models=False, hearthguard_data_dir=str(data_dir.root))
        assert group.part(PolicyReload).state.snapshot is not None
        flow = tflow.tflow()
        flow.request.host = "blocked.example"
        flow.client_conn.peername = ("192.168.1.20", 5000)
        asyncio.run(tctx.cycle(group, flow))
        assert flow.response.status_code == 403
        assert flow.metadata["hearthguard"].reason is Reason.PARENT_DENIED
        allowed = tflow.tflow()
        allowed.request.host = "example.org"
        allowed.client_conn.peername = ("192.168.1.20", 5000)
        asyncio.run(tctx.cycle(group, allowed))
        assert allowed.metadata["hearthguard"].action is Action.ALLOW
