"""The proxy's options: declared once, parsed once per change, read by the hooks as a value."""

from __future__ import annotations

import asyncio
import dataclasses
import re
from pathlib import Path

import pytest
from mitmproxy import dns, exceptions
from mitmproxy.proxy import mode_specs
from mitmproxy.test import taddons, tflow

from proxy_addons.chatwatch import ChatWatch
from proxy_addons.dnsfilter import DnsFilter
from proxy_addons.httpfilter import HttpFilter
from proxy_addons.main import make_addons
from proxy_addons.options import OptionsParser, ProxyOptions, declared
from proxy_addons.protection import PathWatch
from proxy_addons.state import ProxyState
from tests.proxy_addons.conftest import request_flow
from tests.proxy_addons.test_dnsfilter import Addresses, answer, query

ADDONS = Path(__file__).resolve().parents[2] / "proxy_addons"


def test_the_options_parser_comes_first() -> None:
    assert isinstance(make_addons()[0], OptionsParser)


def test_declared_defaults_are_the_dataclass_defaults(monkeypatch) -> None:
    monkeypatch.setenv("HEARTHGUARD_DATA_DIR", "/srv/hearthguard")
    state = ProxyState()
    with taddons.context(OptionsParser(state)) as tctx:
        defaults = ProxyOptions()
        assert defaults.data_dir == "/srv/hearthguard"
        names = []
        for name, _type, default, help in declared():
            names.append(name)
            field = name.removeprefix("hearthguard_")
            assert getattr(tctx.options, name) == getattr(defaults, field) == default
            assert tctx.options._options[name].help == help and help
        assert set(names) == {
            "hearthguard_" + f.name
            for f in dataclasses.fields(ProxyOptions)
            if not f.metadata.get("mitmproxy")
        }
        # parsed at load time already, before any option is set
        ours = {f.name for f in dataclasses.fields(ProxyOptions) if not f.metadata.get("mitmproxy")}
        assert {k: getattr(state.options, k) for k in ours} == {
            k: getattr(defaults, k) for k in ours
        }
        assert state.options.mode == tuple(tctx.options.mode)


def test_no_addon_declares_or_reads_options_itself() -> None:
    for path in ADDONS.glob("*.py"):
        if path.name == "options.py":
            continue
        source = path.read_text(encoding="utf-8")
        assert "add_option(" not in source, path.name
        assert not re.search(r"ctx\.options\.", source), path.name


def test_a_bad_value_is_refused_with_its_message_and_the_last_good_one_stays(chain) -> None:
    dnsfilter = chain.addon(DnsFilter)
    dnsfilter.safe_addresses = Addresses()
    before = chain.state.options
    with pytest.raises(exceptions.OptionsError) as refused:
        chain.tctx.configure(dnsfilter, hearthguard_dns_blocked="allow")
    assert str(refused.value) == "hearthguard_dns_blocked must be nxdomain or null, not 'allow'."
    assert chain.tctx.options.hearthguard_dns_blocked == "nxdomain"  # rolled back
    assert chain.state.options == before
    flow = answer(chain, query("pornhub.com"))
    assert flow.response.response_code == dns.response_codes.NXDOMAIN


def test_a_setting_given_as_text_is_parsed_to_its_type(chain) -> None:
    # as `hearthguard run --set hearthguard_notify_poll_ms=300` gives them
    chain.tctx.options.set(
        "hearthguard_notify_poll_ms=300",
        "hearthguard_chat_watch=false",
        "hearthguard_dns_blocked=null",
    )
    assert chain.state.options.notify_poll_ms == 300
    assert chain.state.options.chat_watch is False
    assert chain.state.options.dns_blocked == "null"
    assert isinstance(chain.state.options, ProxyOptions)
    with pytest.raises(dataclasses.FrozenInstanceError):
        chain.state.options.flush = 2.0  # type: ignore[misc]


def test_a_change_at_run_time_reaches_the_hooks(chain) -> None:
    chat = chain.addon(ChatWatch)
    assert chat.mode_for("192.168.1.20") != "off"
    chain.tctx.configure(chat, hearthguard_chat_watch=False)
    assert chat.mode_for("192.168.1.20") == "off"

    chain.tctx.configure(chain.reload, hearthguard_dashboard="http://192.168.1.2:8080")
    store_blocked = request_flow("www.pornhub.com")
    chain.addon(HttpFilter).requestheaders(store_blocked)
    assert store_blocked.response.status_code == 403
    assert b"http://192.168.1.2:8080" in store_blocked.response.content


def test_a_changed_flush_interval_reaches_the_running_loop(chain) -> None:
    """At the default (1 s x 30) nothing would be written within the test's two seconds."""
    watch = chain.addon(PathWatch)
    chain.tctx.configure(watch, hearthguard_flush=0.002)
    connected = tflow.tclient_conn()
    connected.peername = ("192.168.1.23", 40000)
    connected.proxy_mode = mode_specs.ProxyMode.parse("dns@53")
    watch.client_connected(connected)

    def written() -> list[str]:
        return [ip for ip, _, _ in chain.state.activity.unprotected(chain.state.now())]

    async def run() -> None:
        task = asyncio.create_task(watch._run())
        try:
            for _ in range(200):  # at most 2 s
                await asyncio.sleep(0.01)
                if written():
                    break
        finally:
            task.cancel()

    asyncio.run(run())
    assert written() == ["192.168.1.23"] and watch.seen == {}
