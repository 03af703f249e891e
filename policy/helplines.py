"""Where a child can find help: children's helplines and hotlines for reporting illegal content.

A small, frozen table per country (ISO 3166-1 alpha-2, the household setting ``country``): the
national children's helpline(s) — name, phone number, web site — and the national INHOPE member
hotline where illegal content (child sexual abuse material) is reported. 116 111 is the
harmonised European number for children's helplines; it is listed for a country only where it is
known to be that country's children's line. Where a country's hotline could not be confirmed
the table points to INHOPE's directory of member hotlines rather than guess; an unknown or empty
country gets 116 111 and that directory.

Last reviewed: November 2026, against the numbers and addresses the services publish
themselves. Numbers and addresses change: review this table at least once a year, and prefer
removing an entry to keeping one that cannot be confirmed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = [
    "COUNTRIES",
    "EU_HELPLINE",
    "GENERIC",
    "INHOPE",
    "CountryHelp",
    "Helpline",
    "Hotline",
    "help_for",
]


@dataclass(frozen=True, slots=True)
class Helpline:
    """A children's helpline: free to call, confidential."""

    name: str
    phone: str
    url: str = ""

    @property
    def dial(self) -> str:
        """The number for a ``tel:`` link (digits only)."""
        return "".join(c for c in self.phone if c.isdigit())


@dataclass(frozen=True, slots=True)
class Hotline:
    """Where to report illegal content (an INHOPE member hotline, or INHOPE's directory)."""

    name: str
    url: str


@dataclass(frozen=True, slots=True)
class CountryHelp:
    code: str
    name: str
    helplines: tuple[Helpline, ...]
    hotline: Hotline


EU_HELPLINE = Helpline("116 111", "116 111")
INHOPE = Hotline("INHOPE", "https://www.inhope.org/EN")
GENERIC = CountryHelp("", "", (EU_HELPLINE,), INHOPE)


def _eu(code: str, name: str, helpline: Helpline | None, hotline: Hotline | None) -> CountryHelp:
    return CountryHelp(code, name, (helpline or EU_HELPLINE,), hotline or INHOPE)


_TABLE: tuple[CountryHelp, ...] = (
    CountryHelp(
        "AT",
        "Austria",
        (Helpline("Rat auf Draht", "147", "https://www.rataufdraht.at"),),
        Hotline("Stopline", "https://www.stopline.at"),
    ),
    CountryHelp(
        "BE",
        "Belgium",
        (
            Helpline("Awel", "102", "https://www.awel.be"),
            Helpline("Écoute-Enfants", "103", "https://www.103ecoute.be"),
        ),
        Hotline("Child Focus", "https://www.childfocus.be"),
    ),
    _eu("BG", "Bulgaria", None, Hotline("Safenet", "https://www.safenet.bg")),
    _eu("HR", "Croatia", Helpline("Hrabri telefon", "116 111", "https://hrabritelefon.hr"), None),
    _eu("CY", "Cyprus", None, None),
    _eu(
        "CZ",
        "Czechia",
        Helpline("Linka bezpečí", "116 111", "https://www.linkabezpeci.cz"),
        Hotline("STOPonline.cz", "https://www.stoponline.cz"),
    ),
    _eu(
        "DK",
        "Denmark",
        Helpline("BørneTelefonen", "116 111", "https://bornetelefonen.dk"),
        Hotline("Red Barnet", "https://redbarnet.dk"),
    ),
    _eu(
        "EE",
        "Estonia",
        Helpline("Lasteabi", "116 111", "https://www.lasteabi.ee"),
        Hotline("Vihjeliin", "https://www.targaltinternetis.ee"),
    ),
    _eu(
        "FI",
        "Finland",
        Helpline("MLL:n Lasten ja nuorten puhelin", "116 111", "https://www.mll.fi"),
        Hotline("Nettivihje", "https://www.nettivihje.fi"),
    ),
    CountryHelp(
        "FR",
        "France",
        (
            Helpline("Allô Enfance en Danger", "119", "https://www.allo119.gouv.fr"),
            Helpline("3018 (e-Enfance)", "3018", "https://e-enfance.org"),
        ),
        Hotline("Point de Contact", "https://www.pointdecontact.net"),
    ),
    _eu(
        "DE",
        "Germany",
        Helpline("Nummer gegen Kummer", "116 111", "https://www.nummergegenkummer.de"),
        Hotline("internet-beschwerdestelle.de", "https://www.internet-beschwerdestelle.de"),
    ),
    _eu(
        "GR",
        "Greece",
        Helpline("Το Χαμόγελο του Παιδιού", "116 111", "https://www.hamogelo.gr"),
        Hotline("SafeLine", "https://www.safeline.gr"),
    ),
    _eu(
        "HU",
        "Hungary",
        Helpline("Kék Vonal", "116 111", "https://kek-vonal.hu"),
        Hotline("Internet Hotline", "https://internethotline.hu"),
    ),
    CountryHelp(
        "IE",
        "Ireland",
        (Helpline("Childline (ISPCC)", "1800 66 66 66", "https://www.childline.ie"),),
        Hotline("Hotline.ie", "https://www.hotline.ie"),
    ),
    CountryHelp(
        "IT",
        "Italy",
        (Helpline("Telefono Azzurro", "19696", "https://azzurro.it"),),
        INHOPE,
    ),
    _eu(
        "LV",
        "Latvia",
        Helpline("Bērnu un pusaudžu uzticības tālrunis", "116 111", "https://www.bti.gov.lv"),
        Hotline("Drossinternets.lv", "https://www.drossinternets.lv"),
    ),
    _eu("LT", "Lithuania", Helpline("Vaikų linija", "116 111", "https://www.vaikulinija.lt"), None),
    _eu(
        "LU",
        "Luxembourg",
        Helpline("Kanner-Jugendtelefon", "116 111", "https://www.kjt.lu"),
        Hotline("BEE SECURE Stopline", "https://stopline.bee-secure.lu"),
    ),
    _eu("MT", "Malta", None, None),
    CountryHelp(
        "NL",
        "Netherlands",
        (Helpline("De Kindertelefoon", "0800 0432", "https://www.kindertelefoon.nl"),),
        Hotline("Offlimits", "https://www.offlimits.nl"),
    ),
    _eu(
        "PL",
        "Poland",
        Helpline("Telefon Zaufania dla Dzieci i Młodzieży", "116 111", "https://116111.pl"),
        Hotline("Dyżurnet.pl", "https://dyzurnet.pl"),
    ),
    _eu(
        "PT",
        "Portugal",
        Helpline("SOS-Criança", "116 111", "https://iacrianca.pt"),
        Hotline("Linha Internet Segura", "https://www.internetsegura.pt"),
    ),
    _eu(
        "RO",
        "Romania",
        Helpline("Telefonul Copilului", "116 111", "https://www.telefonulcopilului.ro"),
        Hotline("Ora de Net", "https://oradenet.ro"),
    ),
    _eu(
        "SK",
        "Slovakia",
        Helpline("Linka detskej istoty", "116 111", "https://www.ldi.sk"),
        Hotline("Stopline.sk", "https://www.stopline.sk"),
    ),
    _eu(
        "SI",
        "Slovenia",
        Helpline("TOM telefon", "116 111", "https://www.e-tom.si"),
        Hotline("Spletno oko", "https://www.spletno-oko.si"),
    ),
    CountryHelp(
        "ES",
        "Spain",
        (
            Helpline("Fundación ANAR", "116 111", "https://www.anar.org"),
            Helpline("Fundación ANAR", "900 20 20 10", "https://www.anar.org"),
        ),
        INHOPE,
    ),
    _eu(
        "SE",
        "Sweden",
        Helpline("BRIS", "116 111", "https://www.bris.se"),
        Hotline("ECPAT Sverige", "https://www.ecpat.se"),
    ),
    CountryHelp(
        "GB",
        "United Kingdom",
        (Helpline("Childline", "0800 1111", "https://www.childline.org.uk"),),
        Hotline("Internet Watch Foundation", "https://report.iwf.org.uk"),
    ),
    CountryHelp(
        "US",
        "United States",
        (
            Helpline(
                "Childhelp National Child Abuse Hotline",
                "1-800-422-4453",
                "https://www.childhelphotline.org",
            ),
        ),
        Hotline("NCMEC CyberTipline", "https://report.cybertip.org"),
    ),
)

#: Supported countries by ISO code, sorted by English name (the dashboard's choices).
COUNTRIES: Mapping[str, CountryHelp] = MappingProxyType(
    {c.code: c for c in sorted(_TABLE, key=lambda c: c.name)}
)


def help_for(country: str | None) -> CountryHelp:
    """The help to show for a household's country; unknown or empty -> 116 111 and INHOPE."""
    return COUNTRIES.get((country or "").strip().upper(), GENERIC)
