"""Loading the policy, the lists and the classifiers; damaged classifier files never stop the
filter — it keeps working with its lists and tells the dashboard why."""

from __future__ import annotations

from mitmproxy.test import taddons

from policy.status import read_status
from policy.values import Reason
from proxy_addons.httpfilter import HttpFilter
from proxy_addons.main import make_addons
from proxy_addons.reload import PolicyReload
from tests.proxy_addons.conftest import request_flow


def configured(data_dir):
    addons = make_addons()
    reload = next(a for a in addons if isinstance(a, PolicyReload))
    http_filter = next(a for a in addons if isinstance(a, HttpFilter))
    return addons, reload, http_filter


def test_missing_classifiers_leave_the_lists_working(data_dir, monkeypatch, tmp_path) -> None:
    import classifier.models.loading

    monkeypatch.setattr(classifier.models.loading, "BUNDLED_MODEL_DIR", tmp_path / "no-models")
    addons, reload, http_filter = configured(data_dir)
    with taddons.context(*addons) as tctx:
        tctx.configure(reload, hearthguard_data_dir=str(data_dir.root))
        assert reload.state.page_model is None and reload.url_model is None
        flow = request_flow("www.pornhub.com")
        http_filter.requestheaders(flow)
        assert flow.metadata["hearthguard"].reason is Reason.CATEGORY_BLOCKED
    problems = read_status(data_dir)["problems"]
    # the proxy loads only the URL and page classifiers (chat is not used here)
    assert len(problems) == 2 and all("keeps filtering with its lists" in p for p in problems)
    assert not any("chat classifier" in p for p in problems)


def test_a_damaged_retrained_model_falls_back_to_the_shipped_one(data_dir) -> None:
    data_dir.models_dir.mkdir()
    (data_dir.models_dir / "page.skops").write_bytes(b"PK\x03\x04 not really a model")
    addons, reload, _ = configured(data_dir)
    with taddons.context(*addons) as tctx:
        tctx.configure(reload, hearthguard_data_dir=str(data_dir.root))
        assert reload.state.page_model is not None
    (problem,) = read_status(data_dir)["problems"]
    assert "retrained here could not be loaded" in problem


def test_the_classifiers_can_be_switched_off_and_on(data_dir) -> None:
    addons, reload, _ = configured(data_dir)
    with taddons.context(*addons) as tctx:
        tctx.configure(reload, hearthguard_models=False, hearthguard_data_dir=str(data_dir.root))
        assert reload.state.page_model is None and reload.state.snapshot.url_model is None
        tctx.configure(reload, hearthguard_models=True)
        assert reload.state.page_model is not None
        assert reload.state.snapshot.url_model is not None
