"""The helpline table: every EU country, the UK and the US; well-formed entries; a safe default."""

from __future__ import annotations

import dataclasses
import re

import pytest

from policy.helplines import COUNTRIES, EU_HELPLINE, GENERIC, INHOPE, help_for

EU_27 = [
    "AT",
    "BE",
    "BG",
    "HR",
    "CY",
    "CZ",
    "DK",
    "EE",
    "FI",
    "FR",
    "DE",
    "GR",
    "HU",
    "IE",
    "IT",
    "LV",
    "LT",
    "LU",
    "MT",
    "NL",
    "PL",
    "PT",
    "RO",
    "SK",
    "SI",
    "ES",
    "SE",
]


def test_every_eu_country_the_uk_and_the_us_are_covered() -> None:
    assert len(EU_27) == 27
    assert set(EU_27) | {"GB", "US"} <= set(COUNTRIES)


@pytest.mark.parametrize("code", sorted(COUNTRIES))
def test_entries_are_well_formed(code: str) -> None:
    entry = COUNTRIES[code]
    assert entry.code == code and re.fullmatch(r"[A-Z]{2}", code)
    assert entry.name and entry.helplines
    for line in entry.helplines:
        assert line.name.strip() and 3 <= len(line.dial) <= 15
        assert re.fullmatch(r"[0-9 \-]+", line.phone)
        assert line.url == "" or re.fullmatch(r"https://[a-z0-9.\-]+(/[\w./\-]*)?", line.url)
    assert re.fullmatch(r"https://[a-z0-9.\-]+(/[\w./\-]*)?", entry.hotline.url)


def test_known_national_services() -> None:
    assert [(h.name, h.dial) for h in help_for("GB").helplines] == [("Childline", "08001111")]
    assert help_for("GB").hotline.name == "Internet Watch Foundation"
    assert help_for("US").helplines[0].dial == "18004224453"
    assert help_for("US").hotline.name == "NCMEC CyberTipline"
    assert help_for("DE").helplines[0].dial == "116111"
    assert help_for("CZ").hotline.url == "https://www.stoponline.cz"


@pytest.mark.parametrize("country", ["", None, "XX", "E", "zz", "<script>"])
def test_unknown_or_empty_country_gets_116_111_and_inhope(country: str | None) -> None:
    assert help_for(country) is GENERIC
    assert GENERIC.helplines == (EU_HELPLINE,) and GENERIC.hotline is INHOPE
    assert EU_HELPLINE.dial == "116111"


def test_lookup_ignores_case_and_spaces() -> None:
    assert help_for(" de ") is COUNTRIES["DE"]


def test_the_table_cannot_be_changed() -> None:
    with pytest.raises(TypeError):
        COUNTRIES["XX"] = GENERIC  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        COUNTRIES["DE"].name = "Elsewhere"  # type: ignore[misc]


def test_choices_are_sorted_by_name() -> None:
    names = [c.name for c in COUNTRIES.values()]
    assert names == sorted(names)


def test_spain_names_no_single_operator_for_116_111() -> None:
    """116 111 is run by each region in Spain (Infància Respon in Catalonia): no ANAR label."""
    lines = help_for("ES").helplines
    assert lines[0] is EU_HELPLINE
    assert [(h.name, h.dial) for h in lines if h.dial == "116111"] == [("116 111", "116111")]
    assert ("Fundación ANAR", "900202010") in [(h.name, h.dial) for h in lines]


def test_corrected_operators_and_hotlines() -> None:
    assert help_for("LV").helplines[0].url == "https://bac.gov.lv"
    assert "bti.gov.lv" not in repr(help_for("LV"))
    assert help_for("HU").hotline.url == "https://nmhh.hu/internethotline"
    assert help_for("EE").hotline.url == "https://vihjeliin.ee"


@pytest.mark.parametrize(("country", "dial"), [("CY", "1466"), ("MT", "179"), ("GR", "1056")])
def test_round_the_clock_lines_sit_beside_116_111(country: str, dial: str) -> None:
    dials = [h.dial for h in help_for(country).helplines]
    assert dials[0] == "116111" and dial in dials
