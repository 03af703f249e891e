"""The lean master: mitmproxy's load-bearing addons and options, and none of the unused ones."""

from __future__ import annotations

import asyncio

import pytest
from mitmproxy import exceptions, options

from hearthguard.master import NEEDED, lean_master
from proxy_addons.dnsfilter import resolve_after_filter
from proxy_addons.main import make_filter


@pytest.fixture(scope="module")
def built() -> tuple[list[str], options.Options]:
    """The runner's chain (lean master, the filter, the resolver moved last), built once."""

    async def build() -> tuple[list[str], options.Options]:
        master = lean_master(options.Options(), with_termlog=False)
        master.addons.add(make_filter())
        resolve_after_filter(master.addons)
        return [type(a).__name__ for a in master.addons.chain], master.options

    return asyncio.run(build())


def test_the_chain_holds_only_the_needed_addons_then_the_filter_then_the_resolver(
    built: tuple[list[str], options.Options],
) -> None:
    names, _ = built
    assert names[-2:] == ["AddonGroup", "DnsResolver"]  # queries are decided before lookups
    for needed in ("Proxyserver", "NextLayer", "TlsConfig", "Block", "DisableH2C", "ErrorCheck"):
        assert needed in names
    assert set(names) - {"AddonGroup", "ErrorCheck"} <= set(NEEDED)
    for unused in ("Save", "SaveHar", "MapRemote", "ModifyBody", "StickyCookie", "Onboarding"):
        assert unused not in names
    assert len(names) <= 12


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("connection_strategy", "lazy"),
        ("stream_large_bodies", "1m"),
        ("http3", False),
        ("ssl_insecure", True),
        ("dns_name_servers", ["192.0.2.1"]),
        ("dns_use_hosts_file", False),
        ("scripts", []),
        ("upstream_cert", False),
        ("hearthguard_scan_cache", 0),
    ],
)
def test_the_options_hearthguard_and_its_tests_set_exist(
    built: tuple[list[str], options.Options], option: str, value: object
) -> None:
    _, opts = built
    opts.update(**{option: value})
    assert getattr(opts, option) == value


def test_the_proxy_still_refuses_clients_from_public_addresses(
    built: tuple[list[str], options.Options],
) -> None:
    _, opts = built
    assert opts.block_global is True


def test_options_of_dropped_addons_are_unknown(built: tuple[list[str], options.Options]) -> None:
    _, opts = built
    with pytest.raises(exceptions.OptionsError):
        opts.set("map_remote=|example.com|example.org")


_LEAN_IMPORTS = """
import asyncio, json, sys
from mitmproxy import options
from hearthguard.master import lean_master
from proxy_addons.main import make_filter

async def build():
    master = lean_master(options.Options(), with_termlog=False)
    master.addons.add(make_filter())
    return [type(a).__name__ for a in master.addons.chain]

chain = asyncio.run(build())
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("flask", "ldap3", "passlib")
                or m.startswith("mitmproxy.addons."))
import mitmproxy.addons
full = [type(a).__name__ for a in mitmproxy.addons.default_addons()]
print(json.dumps({"chain": chain, "loaded": loaded, "full": full}))
"""


def test_the_lean_master_imports_no_unused_addon_and_default_addons_still_works() -> None:
    """A fresh process that builds the runner's chain holds none of the addon modules it
    leaves out (onboarding's Flask app, proxyauth's LDAP client); mitmproxy's own
    ``default_addons()`` still works afterwards, for code that asks for it."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", _LEAN_IMPORTS],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert found["chain"][:3] == ["Core", "Block", found["chain"][2]]
    assert found["chain"][2] in ("StripDnsHttpsRecords", "StripECH")
    modules = {name.rsplit(".", 1)[-1] for name in found["loaded"]}
    assert not {"flask", "ldap3", "passlib", "onboarding", "proxyauth", "savehar"} & modules
    assert modules >= {"core", "proxyserver", "next_layer", "tlsconfig", "errorcheck"}
    assert len(found["full"]) >= 30 and "Onboarding" in found["full"]
