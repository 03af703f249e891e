"""The Hearthguard addons, in order (the runner registers them as one ``AddonGroup``)."""

from __future__ import annotations

from datetime import timedelta

from mitmproxy import certs
from mitmproxy.addonmanager import Loader

from proxy_addons.activitylog import ActivityWriter
from proxy_addons.askparent import AskParent
from proxy_addons.blockpage import BlockPages
from proxy_addons.chain import AddonGroup
from proxy_addons.chatwatch import ChatWatch
from proxy_addons.contentscan import ContentScan
from proxy_addons.dnsfilter import DnsFilter
from proxy_addons.failclosed import FailClosed
from proxy_addons.httpfilter import HttpFilter
from proxy_addons.identity import Identity
from proxy_addons.memory import MemoryTrim
from proxy_addons.notify import Notifier
from proxy_addons.options import OptionsParser
from proxy_addons.protection import PathWatch
from proxy_addons.reload import PolicyReload
from proxy_addons.state import ProxyState
from proxy_addons.timekeeper import TimeKeeper, TimePage
from proxy_addons.tlsgate import TlsGate
from proxy_addons.upset import ChildReport
from proxy_addons.wireguard import WireGuardIdentity
from proxy_addons.wsdeflate import NoWebSocketCompression

__all__ = ["CertificateLifetime", "make_addons", "make_filter"]


class CertificateLifetime:
    """Leaf certificates Chromium accepts (it rejects lifetimes over 200 days)."""

    def load(self, loader: Loader) -> None:
        certs.CERT_EXPIRY = timedelta(days=180)


def make_addons(state: ProxyState | None = None, pages: BlockPages | None = None) -> list[object]:
    """Every Hearthguard addon sharing one state; options are set on the master afterwards."""
    state = state or ProxyState()
    pages = pages or BlockPages.load()
    chat = ChatWatch(state)
    return [
        OptionsParser(state),  # first: declares the options; every later configure reads them
        CertificateLifetime(),
        PolicyReload(state),
        WireGuardIdentity(state),  # before Identity: a WireGuard instance is its device
        Identity(state),
        PathWatch(state),  # DNS only, or through the filter: "not protected"
        TlsGate(state),
        DnsFilter(state),  # DNS mode: the same decisions for every query
        TimePage(state, pages),  # answers /.hearthguard/time
        ChildReport(state, pages, chat),  # answers /.hearthguard/upset and /about
        AskParent(state, pages),  # answers /.hearthguard/* before the filter sees it
        HttpFilter(state, pages),
        NoWebSocketCompression(),  # wsproto would inflate a compressed message without limit
        chat,  # reads chat text the filter let through; never blocks
        ContentScan(state, pages),
        TimeKeeper(state, pages),  # counts minutes; the banner goes on scanned pages
        ActivityWriter(state),
        Notifier(state),
        MemoryTrim(),
    ]


def make_filter() -> AddonGroup:
    """The addons as the one group the runner registers, failing closed on any error."""
    state = ProxyState()
    pages = BlockPages.load()
    return AddonGroup(make_addons(state, pages), on_error=FailClosed(state, pages))
