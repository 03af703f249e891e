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


# Each entry names the pages it was checked against. "Review 2026-11" means the November 2026
# review that checked the number and address against the service's own page; entries changed
# since then say what was confirmed and how, and what could not be confirmed.
_TABLE: tuple[CountryHelp, ...] = (
    # Review 2026-11: rataufdraht.at (147), stopline.at.
    CountryHelp(
        "AT",
        "Austria",
        (Helpline("Rat auf Draht", "147", "https://www.rataufdraht.at"),),
        Hotline("Stopline", "https://www.stopline.at"),
    ),
    # Review 2026-11: awel.be (102), 103ecoute.be (103), childfocus.be.
    CountryHelp(
        "BE",
        "Belgium",
        (
            Helpline("Awel", "102", "https://www.awel.be"),
            Helpline("Écoute-Enfants", "103", "https://www.103ecoute.be"),
        ),
        Hotline("Child Focus", "https://www.childfocus.be"),
    ),
    # Review 2026-11: 116 111; safenet.bg.
    _eu("BG", "Bulgaria", None, Hotline("Safenet", "https://www.safenet.bg")),
    # Review 2026-11: hrabritelefon.hr (116 111); hotline: INHOPE's directory.
    _eu("HR", "Croatia", Helpline("Hrabri telefon", "116 111", "https://hrabritelefon.hr"), None),
    # 116 111 (run by Hope For Children and SPAVO, weekdays and Saturday mornings) and Hope For
    # Children's own 24/7 line 1466: uncrcpc.org.cy lists 1466 on every page; the hours and
    # operators were read in Cypriot news of International Child Helpline Day 2024, not yet on
    # the service's own page. Hotline: INHOPE's directory.
    CountryHelp(
        "CY",
        "Cyprus",
        (EU_HELPLINE, Helpline("Hope For Children", "1466", "https://www.uncrcpc.org.cy")),
        INHOPE,
    ),
    # Review 2026-11: linkabezpeci.cz (116 111), stoponline.cz.
    _eu(
        "CZ",
        "Czechia",
        Helpline("Linka bezpečí", "116 111", "https://www.linkabezpeci.cz"),
        Hotline("STOPonline.cz", "https://www.stoponline.cz"),
    ),
    # Review 2026-11: bornetelefonen.dk (116 111), redbarnet.dk.
    _eu(
        "DK",
        "Denmark",
        Helpline("BørneTelefonen", "116 111", "https://bornetelefonen.dk"),
        Hotline("Red Barnet", "https://redbarnet.dk"),
    ),
    # Review 2026-11: lasteabi.ee (116 111). The hotline is vihjeliin.ee (targaltinternetis.ee
    # is the Safer Internet portal, not the reporting page): corrected from the review's
    # finding, not re-checked on vihjeliin.ee itself.
    _eu(
        "EE",
        "Estonia",
        Helpline("Lasteabi", "116 111", "https://www.lasteabi.ee"),
        Hotline("Vihjeliin", "https://vihjeliin.ee"),
    ),
    # Review 2026-11: mll.fi (116 111), nettivihje.fi.
    _eu(
        "FI",
        "Finland",
        Helpline("MLL:n Lasten ja nuorten puhelin", "116 111", "https://www.mll.fi"),
        Hotline("Nettivihje", "https://www.nettivihje.fi"),
    ),
    # Review 2026-11: allo119.gouv.fr (119), e-enfance.org (3018), pointdecontact.net.
    CountryHelp(
        "FR",
        "France",
        (
            Helpline("Allô Enfance en Danger", "119", "https://www.allo119.gouv.fr"),
            Helpline("3018 (e-Enfance)", "3018", "https://e-enfance.org"),
        ),
        Hotline("Point de Contact", "https://www.pointdecontact.net"),
    ),
    # Review 2026-11: nummergegenkummer.de (116 111), internet-beschwerdestelle.de.
    _eu(
        "DE",
        "Germany",
        Helpline("Nummer gegen Kummer", "116 111", "https://www.nummergegenkummer.de"),
        Hotline("internet-beschwerdestelle.de", "https://www.internet-beschwerdestelle.de"),
    ),
    # Review 2026-11: hamogelo.gr (116 111), safeline.gr. The Smile of the Child's 24/7
    # National Helpline for Children SOS 1056: named on hamogelo.gr's own pages.
    CountryHelp(
        "GR",
        "Greece",
        (
            Helpline("Το Χαμόγελο του Παιδιού", "116 111", "https://www.hamogelo.gr"),
            Helpline("Το Χαμόγελο του Παιδιού, SOS 1056", "1056", "https://www.hamogelo.gr"),
        ),
        Hotline("SafeLine", "https://www.safeline.gr"),
    ),
    # Review 2026-11: kek-vonal.hu (116 111). The hotline's page is nmhh.hu/internethotline
    # (the NMHH runs it): corrected from the review's finding, not re-checked on nmhh.hu itself.
    _eu(
        "HU",
        "Hungary",
        Helpline("Kék Vonal", "116 111", "https://kek-vonal.hu"),
        Hotline("NMHH Internet Hotline", "https://nmhh.hu/internethotline"),
    ),
    # Review 2026-11: childline.ie (1800 66 66 66), hotline.ie.
    CountryHelp(
        "IE",
        "Ireland",
        (Helpline("Childline (ISPCC)", "1800 66 66 66", "https://www.childline.ie"),),
        Hotline("Hotline.ie", "https://www.hotline.ie"),
    ),
    # Review 2026-11: azzurro.it (19696); hotline: INHOPE's directory.
    CountryHelp(
        "IT",
        "Italy",
        (Helpline("Telefono Azzurro", "19696", "https://azzurro.it"),),
        INHOPE,
    ),
    # The children's and young people's line 116 111 moved in 2024 from the State Inspectorate
    # (bti.gov.lv) to Bērnu aizsardzības centrs, bac.gov.lv: corrected from the review's
    # finding, not re-checked on bac.gov.lv itself. Hotline (review 2026-11): drossinternets.lv.
    _eu(
        "LV",
        "Latvia",
        Helpline("Bērnu aizsardzības centrs", "116 111", "https://bac.gov.lv"),
        Hotline("Drossinternets.lv", "https://www.drossinternets.lv"),
    ),
    # Review 2026-11: vaikulinija.lt (116 111); hotline: INHOPE's directory.
    _eu("LT", "Lithuania", Helpline("Vaikų linija", "116 111", "https://www.vaikulinija.lt"), None),
    # Review 2026-11: kjt.lu (116 111), stopline.bee-secure.lu.
    _eu(
        "LU",
        "Luxembourg",
        Helpline("Kanner-Jugendtelefon", "116 111", "https://www.kjt.lu"),
        Hotline("BEE SECURE Stopline", "https://stopline.bee-secure.lu"),
    ),
    # 116 111, and the national 24/7 helpline 179 (Supportline 179, run by the Foundation for
    # Social Welfare Services, whose team also answers 116 111): read in Maltese news of
    # January 2024, NOT confirmed on the service's own page; no address is given for that
    # reason. Hotline: INHOPE's directory.
    CountryHelp("MT", "Malta", (EU_HELPLINE, Helpline("Supportline 179", "179")), INHOPE),
    # Review 2026-11: kindertelefoon.nl (0800 0432), offlimits.nl.
    CountryHelp(
        "NL",
        "Netherlands",
        (Helpline("De Kindertelefoon", "0800 0432", "https://www.kindertelefoon.nl"),),
        Hotline("Offlimits", "https://www.offlimits.nl"),
    ),
    # Review 2026-11: 116111.pl, dyzurnet.pl.
    _eu(
        "PL",
        "Poland",
        Helpline("Telefon Zaufania dla Dzieci i Młodzieży", "116 111", "https://116111.pl"),
        Hotline("Dyżurnet.pl", "https://dyzurnet.pl"),
    ),
    # Review 2026-11: iacrianca.pt (116 111), internetsegura.pt.
    _eu(
        "PT",
        "Portugal",
        Helpline("SOS-Criança", "116 111", "https://iacrianca.pt"),
        Hotline("Linha Internet Segura", "https://www.internetsegura.pt"),
    ),
    # Review 2026-11: telefonulcopilului.ro (116 111), oradenet.ro.
    _eu(
        "RO",
        "Romania",
        Helpline("Telefonul Copilului", "116 111", "https://www.telefonulcopilului.ro"),
        Hotline("Ora de Net", "https://oradenet.ro"),
    ),
    # Review 2026-11: ldi.sk (116 111), stopline.sk.
    _eu(
        "SK",
        "Slovakia",
        Helpline("Linka detskej istoty", "116 111", "https://www.ldi.sk"),
        Hotline("Stopline.sk", "https://www.stopline.sk"),
    ),
    # Review 2026-11: e-tom.si (116 111), spletno-oko.si.
    _eu(
        "SI",
        "Slovenia",
        Helpline("TOM telefon", "116 111", "https://www.e-tom.si"),
        Hotline("Spletno oko", "https://www.spletno-oko.si"),
    ),
    # 116 111 is run by each autonomous community, not by one operator (in Catalonia it is the
    # Generalitat's "Infància Respon", per dretssocials.gencat.cat; elsewhere often Fundación
    # ANAR), so the entry names no operator and links no site. ANAR's own line 900 20 20 10:
    # review 2026-11, anar.org. Hotline: INHOPE's directory.
    CountryHelp(
        "ES",
        "Spain",
        (EU_HELPLINE, Helpline("Fundación ANAR", "900 20 20 10", "https://www.anar.org")),
        INHOPE,
    ),
    # Review 2026-11: bris.se (116 111), ecpat.se.
    _eu(
        "SE",
        "Sweden",
        Helpline("BRIS", "116 111", "https://www.bris.se"),
        Hotline("ECPAT Sverige", "https://www.ecpat.se"),
    ),
    # Review 2026-11: childline.org.uk (0800 1111), report.iwf.org.uk.
    CountryHelp(
        "GB",
        "United Kingdom",
        (Helpline("Childline", "0800 1111", "https://www.childline.org.uk"),),
        Hotline("Internet Watch Foundation", "https://report.iwf.org.uk"),
    ),
    # Review 2026-11: childhelphotline.org (1-800-422-4453), report.cybertip.org.
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
