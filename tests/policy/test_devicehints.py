"""Naming hints for new devices: the kind from the user agent, the vendor from the MAC."""

from __future__ import annotations

import pytest

from policy.devicehints import (
    OuiTable,
    describe_user_agent,
    is_private_mac,
    parse_oui,
    suggest_name,
)

UAS = {
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15": (
        "ios",
        "iPhone",
    ),
    "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15": ("ios", "iPad"),
    "Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP1A.240305.019) Chrome/122.0 Mobile": (
        "android",
        "Android (Pixel 8)",
    ),
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 Chrome/120.0 Mobile": (
        "android",
        "Android phone or tablet",
    ),
    "Mozilla/5.0 (X11; CrOS x86_64 15633.69.0) AppleWebKit/537.36": ("chromeos", "Chromebook"),
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36": ("windows", "Windows PC"),
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15": ("macos", "Mac"),
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0": ("linux", "Linux PC"),
    "curl/8.5.0": (None, "curl"),
    "": (None, ""),
}


@pytest.mark.parametrize(("ua", "expected"), UAS.items())
def test_user_agents_name_the_kind_of_device(ua, expected) -> None:
    hint = describe_user_agent(ua)
    assert (hint.kind, hint.label) == expected


OUI = """OUI/MA-L                                                    Organization
company_id                                                  Organization
                                                            Address

28-6F-B9   (hex)\t\tNokia Shanghai Bell Co., Ltd.
286FB9     (base 16)\t\tNokia Shanghai Bell Co., Ltd.
\t\t\t\tNo.388 Ning Qiao Road

F0-18-98   (hex)\t\tApple, Inc.
F01898     (base 16)\t\tApple, Inc.
"""


def test_vendors_come_from_the_ieee_file_and_never_for_private_addresses(tmp_path) -> None:
    assert parse_oui(OUI.splitlines()) == {
        "28:6f:b9": "Nokia Shanghai Bell Co., Ltd.",
        "f0:18:98": "Apple, Inc.",
    }
    path = tmp_path / "oui.txt"
    path.write_text(OUI)
    table = OuiTable(path)
    assert table.vendor("F0:18:98:12:34:56") == "Apple, Inc."
    assert table.vendor("f0-18-98-12-34-56") == "Apple, Inc."
    assert table.vendor("00:11:22:33:44:55") is None
    assert is_private_mac("f2:18:98:12:34:56") and table.vendor("f2:18:98:12:34:56") is None
    assert table.vendor(None) is None
    assert OuiTable(tmp_path / "missing.txt").vendor("f0:18:98:12:34:56") is None


def test_suggested_names_are_unique() -> None:
    hint = describe_user_agent("Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X)")
    assert suggest_name(hint, None, set()) == "iPad"
    assert suggest_name(hint, None, {"ipad", "iPad 2"}) == "iPad 3"
    unknown = describe_user_agent(None)
    assert suggest_name(unknown, "Apple, Inc.", set()) == "Apple device"
    assert suggest_name(unknown, None, {"Device"}) == "Device 2"
