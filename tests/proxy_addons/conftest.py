"""A configured addon chain on a real data directory, driven with mitmproxy's test helpers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from mitmproxy.test import taddons, tflow

from proxy_addons.main import make_addons
from proxy_addons.reload import PolicyReload
from proxy_addons.state import ProxyState


@dataclass
class Chain:
    tctx: taddons.context
    addons: list[object]
    reload: PolicyReload

    @property
    def state(self) -> ProxyState:
        return self.reload.state

    def addon(self, kind: type) -> object:
        return next(a for a in self.addons if isinstance(a, kind))

    def refresh(self) -> None:
        """Pick up policy.db changes now (the running proxy polls for them)."""
        snapshot = self.reload._poll_once()
        if snapshot is not None:
            self.state.snapshot = snapshot


@pytest.fixture
def chain(data_dir) -> Iterator[Chain]:
    addons = make_addons()
    with taddons.context(*addons) as tctx:
        reload = next(a for a in addons if isinstance(a, PolicyReload))
        # the classifiers are loaded once per session (fixture `models`), not for every chain
        tctx.configure(reload, hearthguard_models=False, hearthguard_data_dir=str(data_dir.root))
        yield Chain(tctx, addons, reload)


def request_flow(
    host: str, path: str = "/", *, client_ip: str = "192.168.1.20", scheme: str = "http"
):
    flow = tflow.tflow()
    flow.request.host = host
    flow.request.port = 443 if scheme == "https" else 80
    flow.request.scheme = scheme
    flow.request.path = path
    flow.request.headers["Host"] = host
    flow.client_conn.peername = (client_ip, 50000)
    return flow


@pytest.fixture(scope="session")
def models():
    """The shipped classifiers, loaded once."""
    from classifier.models.loading import load_models

    loaded = load_models()
    assert loaded.page is not None and loaded.url is not None, loaded.errors
    return loaded
