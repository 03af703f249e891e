"""Fixtures for the classifier tests: the shared data folder and the real UT1 tree, built once."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from classifier.lists.formats import parse_path
from classifier.lists.index import DomainIndex, build_index
from classifier.lists.parsed import ParsedList


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared data folder: ``HEARTHGUARD_SHARED_DATA``, else ``shared/data`` by the repo."""
    configured = os.environ.get("HEARTHGUARD_SHARED_DATA")
    root = (
        Path(configured)
        if configured
        else Path(__file__).resolve().parents[2].parent / "shared" / "data"
    )
    if not (root / "lists").is_dir():
        pytest.skip(f"shared data not found at {root}")
    return root


@pytest.fixture(scope="session")
def ut1_lists(shared_data: Path) -> list[ParsedList]:
    """Every category of the real UT1 tree, parsed once per session."""
    return parse_path(shared_data / "lists" / "ut1")


@pytest.fixture(scope="session")
def ut1_index(
    ut1_lists: list[ParsedList], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DomainIndex]:
    """The real UT1 tree compiled into an index file, opened once per session."""
    path = tmp_path_factory.mktemp("ut1-index") / "ut1.idx"
    build_index(ut1_lists, path)
    index = DomainIndex.open(path)
    yield index
    index.close()


# --------------------------------------------------------------------------- text models
# Hand-written test fixtures, NOT training data: realistic pages on protected topics that a
# page model must leave alone, and a few chat lines. Written for these tests only.

_PROTECTED_PAGES: dict[str, tuple[str, str]] = {
    "sex_education": (
        "Growing up: puberty, relationships and sex | Young People's Guide",
        """<nav><a href="/">Home</a> <a href="/body">Your body</a> <a href="/ask">Ask us</a></nav>
<h1>Sex and relationships: the facts</h1>
<p>Lots of teenagers wonder when they will be ready to have sex. There is no right age; what
matters is that both people want to, feel safe, and give consent freely. Consent can be
withdrawn at any time, and someone who is drunk or asleep cannot consent.</p>
<h2>Contraception and condoms</h2>
<p>Condoms are the only method that protects against both pregnancy and sexually transmitted
infections such as chlamydia, gonorrhoea and HIV. Other methods, like the pill, the implant
or the coil, prevent pregnancy but not infections. You can get free condoms and contraception
from a sexual health clinic or your GP, and they will not tell your parents.</p>
<h2>Your body is changing</h2>
<p>During puberty the penis and testicles grow, breasts develop, periods start and hair grows
in new places. Wet dreams and masturbation are a normal part of growing up.</p>
<h2>Porn is not real life</h2>
<p>Many young people see pornography online before they are ready. Porn shows sex that is
scripted and often unsafe; it is not a guide to real relationships. If something you saw
upset you, talk to someone you trust.</p>
<footer>Reviewed by school nurses and youth workers. Last updated in spring.</footer>""",
    ),
    "health": (
        "Sexual health clinic - free, confidential testing and treatment",
        """<h1>Sexual health services</h1>
<p>Our clinics offer free and confidential testing and treatment for sexually transmitted
infections, HIV testing, PrEP, emergency contraception and cervical screening. You do not
need to be registered with a doctor and you can book online or walk in.</p>
<h2>Symptoms to look out for</h2>
<p>Many infections have no symptoms. Others can cause unusual discharge from the vagina or
penis, pain when peeing, itching, sores or blisters around the genitals or anus. If you have
had unprotected sex, get tested even if you feel well.</p>
<h2>Drugs, alcohol and sex</h2>
<p>Using drugs or alcohol can make it harder to make decisions about sex and condoms. Our
drug and alcohol team offers non-judgemental support and harm reduction advice.</p>
<p>Opening hours: Monday to Friday, 9am to 7pm. Saturday clinic for under 25s.</p>""",
    ),
    "lgbt": (
        "LGBTQ+ youth support network - you are not alone",
        """<h1>Support for lesbian, gay, bisexual, trans and questioning young people</h1>
<p>Whether you are gay, lesbian, bisexual, transgender, non-binary or still working out who
you are, you deserve to feel safe at home, at school and online. Our youth groups meet every
week in twelve towns, and our online chat is staffed by trained volunteers.</p>
<h2>Coming out</h2>
<p>Coming out is a personal journey. Some people tell their friends first, others a parent or
a teacher. There is no deadline. If you face homophobic or transphobic bullying, it is not
your fault and you can report it.</p>
<h2>Pride and history</h2>
<p>Same-sex relationships were criminalised in many countries within living memory. Pride
marches began as protests, and the fight for equal marriage, adoption rights and trans
health care continues today.</p>
<p>Donate, volunteer or join our campaign for inclusive sex and relationships education.</p>""",
    ),
    "gambling_regulation_news": (
        "Government to curb online casino adverts as problem gambling rises",
        """<p class="byline">By our Politics Correspondent</p>
<h1>Ministers announce crackdown on gambling advertising</h1>
<p>The government will ban online casino and sports betting adverts before the evening
watershed and introduce stake limits of two pounds on online slot machines for young adults,
the culture secretary said on Tuesday.</p>
<p>The Gambling Commission estimates that hundreds of thousands of adults are problem
gamblers, and charities say bookmakers' free bets and bonus offers target young men on social
media. The betting industry warned that the rules would cost jobs and push players towards
unlicensed sites.</p>
<p>Campaigners welcomed the move but said affordability checks and a levy to fund addiction
treatment were still needed. Opposition MPs called for football clubs to drop shirt
sponsorship deals with gambling firms.</p>
<p>Related: Poker star jailed for fraud; Lottery sales rise; Horse racing fears for its
future.</p>""",
    ),
    "human_rights": (
        "Annual report: torture, detention and the right to protest",
        """<h1>World report on human rights</h1>
<p>Security forces used live ammunition against peaceful protesters, killing at least forty
people, and thousands were held in arbitrary detention. Former detainees described torture,
beatings and sexual violence, including rape, during interrogation.</p>
<p>Women and girls continued to face discrimination in law and practice; child marriage
remained common in rural areas. Lesbian, gay, bisexual and transgender people were arrested
under laws criminalising consensual same-sex relations.</p>
<p>Journalists who reported on corruption and drug trafficking by officials were harassed,
and two were killed. The government blocked news websites and messaging apps during the
elections.</p>
<h2>Recommendations</h2>
<p>Release everyone detained for peacefully exercising their rights, investigate killings by
the police, and repeal laws that restrict freedom of expression and association.</p>""",
    ),
}


@pytest.fixture(scope="session")
def protected_pages() -> dict[str, bytes]:
    """Hand-written HTML pages on protected topics (test fixtures, not training data)."""
    return {
        name: (
            f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}'
            f'</title><meta name="description" content="{title}"></head><body>{body}</body>'
            "</html>"
        ).encode()
        for name, (title, body) in _PROTECTED_PAGES.items()
    }


@pytest.fixture(scope="session")
def bench_pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The benchmark corpus written by ``shared/bench/make_content.py`` (deterministic)."""
    import subprocess
    import sys

    script = Path(__file__).resolve().parents[2].parent / "shared" / "bench" / "make_content.py"
    if not script.is_file():
        pytest.skip(f"benchmark content script not found at {script}")
    out = tmp_path_factory.mktemp("bench-www")
    subprocess.run(
        [sys.executable, str(script), str(out)], check=True, capture_output=True, timeout=60
    )
    return {
        name: (out / name).read_bytes()
        for name in ("adult.html", "page60k.html", "small.html", "img64k.jpg")
    }


@pytest.fixture(scope="session")
def bundled_models():  # type: ignore[no-untyped-def]
    """The shipped URL, page and chat models, loaded once per session."""
    from classifier.models.loading import load_models

    models = load_models()
    if models.errors:
        pytest.fail(f"bundled models failed to load: {models.errors}")
    return models
