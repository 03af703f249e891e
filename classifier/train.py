"""Train and evaluate Hearthguard's URL, page-text and chat models, reproducibly.

    python -m classifier.train [DATA_DIR] [--out DIR]

``DATA_DIR`` defaults to ``../shared/data`` next to the repository (UT1, Sinfonietta, The
Block List Project, UT1 popular-adult lists; Davidson, cyberbullying and Jigsaw text sets).
Every random choice uses one fixed seed, so the same data and library versions give the
same files. Each model is written as ``<name>.skops`` with ``<name>.json`` (data sources,
licences, class counts, held-out scores, thresholds, library versions) and an
``ATTRIBUTION.md`` for the directory.

Held-out splits never share a registered domain (URLs, page documents) or a normalised
text (chat) with training data.

The page model can also learn from the household: ``retrain_page_model`` combines the
shipped training corpus (``page_corpus.jsonl.gz``) with household examples kept in a small
JSON-lines store (see ``append_household_examples``).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gzip
import hashlib
import json
import math
import platform
import random
import re
import sys
import zipfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from classifier.categories import BENIGN, PROTECTED, canonical
from classifier.models import (
    ABUSIVE,
    BUNDLED_MODEL_DIR,
    MODEL_FORMAT,
    OK,
    build_page_model,
    chat_model_input,
    pipeline_to_table,
    repair_mojibake,
    url_model_input,
)

clean_chat_text = chat_model_input

__all__ = [
    "DEFAULT_DATA_DIR",
    "HOUSEHOLD_MAX_EXAMPLES",
    "SEED",
    "Example",
    "append_household_examples",
    "chat_examples",
    "group_split",
    "main",
    "read_household_examples",
    "read_list_file",
    "registered_domain",
    "repair_mojibake",
    "retrain_page_model",
    "train_chat_model",
    "train_page_model",
    "train_url_model",
    "url_examples",
]

SEED = 20240917
DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data"
TEST_SHARE = 0.2
THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9)  # the presets use 0.6-0.95
#: The household example store keeps at most this many examples (newest win), each cut
#: at HOUSEHOLD_MAX_TEXT_CHARS: at most ~20 MB on disk.
HOUSEHOLD_MAX_EXAMPLES = 2000
HOUSEHOLD_MAX_TEXT_CHARS = 10_000
#: In retraining, household examples together weigh this share of the shipped corpus, each
#: between the two bounds (a few examples must be able to move the model; many must not
#: drown the shipped data).
HOUSEHOLD_SHARE = 0.1
HOUSEHOLD_WEIGHT_BOUNDS = (5.0, 100.0)
PAGE_CORPUS_FILE = "page_corpus.jsonl.gz"

# --------------------------------------------------------------------------- data sources

#: Canonical category -> list files (relative to ``DATA_DIR/lists``) used by the URL model.
URL_SOURCES: dict[str, tuple[str, ...]] = {
    "adult": (
        "ut1/adult/urls",
        "ut1/mixed_adult/domains",
        "ut1/mixed_adult/urls",
        "sinfonietta/pornography-hosts",
        "ut1-adult-popular/pi_blocklist_porn_top1m.list",
    ),
    "provocative": ("ut1/lingerie/domains", "ut1/lingerie/urls"),
    "gambling": (
        "ut1/gambling/domains",
        "ut1/arjel/domains",
        "sinfonietta/gambling-hosts",
        "blocklistproject/gambling.2020-06-15.txt",
    ),
    "drugs": (
        "ut1/drogue/domains",
        "ut1/drogue/urls",
        "blocklistproject/drugs.txt",
        "blocklistproject/vaping.txt",
    ),
    "violence": ("ut1/agressif/domains", "ut1/agressif/urls", "sinfonietta/snuff-hosts"),
    "dating": ("ut1/dating/domains", "ut1/dating/urls"),
    "anonymizer": (
        "ut1/vpn/domains",
        "ut1/redirector/domains",
        "ut1/redirector/urls",
        "ut1/residential-proxies/domains",
        "ut1/doh/domains",
    ),
    "malware": (
        "ut1/malware/domains",
        "ut1/malware/urls",
        "ut1/cryptojacking/domains",
        "ut1/stalkerware/domains",
        "ut1/ddos/domains",
        "blocklistproject/crypto.txt",
    ),
    "phishing": ("ut1/phishing/domains", "ut1/phishing/urls", "blocklistproject/scam.txt"),
    "piracy": (
        "ut1/warez/domains",
        "ut1/warez/urls",
        "blocklistproject/piracy.txt",
        "blocklistproject/torrent.txt",
    ),
    "social": (
        "ut1/social_networks/domains",
        "sinfonietta/social-hosts",
        "blocklistproject/tiktok.txt",
    ),
    "chat": ("ut1/chat/domains", "ut1/chat/urls"),
    "games": ("ut1/games/domains", "ut1/games/urls", "blocklistproject/fortnite.txt"),
    "video": ("ut1/audio-video/domains", "ut1/audio-video/urls"),
}

#: UT1 categories whose sites are ordinary or protected: the URL model's negatives.
BENIGN_UT1 = (
    "press",
    "sexual_education",
    "educational_games",
    "child",
    "liste_bu",
    "bank",
    "financial",
    "jobsearch",
    "shopping",
    "sports",
    "cooking",
    "radio",
    "blog",
    "forums",
    "webmail",
    "translation",
    "celebrity",
    "update",
    "cleaning",
    "mobile-phone",
    "astrology",
)
URL_SOURCES[BENIGN] = tuple(f"ut1/{c}/{f}" for c in BENIGN_UT1 for f in ("domains", "urls"))

#: Labels may not be more specific than the data: a URL listed under two harmful
#: categories keeps the first of this order.
_PRIORITY = (
    "adult", "gambling", "drugs", "violence", "dating", "provocative", "phishing", "malware",
    "piracy", "anonymizer", "chat", "social", "video", "games",
)  # fmt: skip

#: Per-category caps, so that the huge malware/redirector lists do not drown the rest.
URL_CAP_PER_CATEGORY = 24_000
URL_CAP_BENIGN = 60_000
URL_PER_DOMAIN = 3
#: Share of examples that also get a generic path, so "has a path" says nothing by itself.
URL_PATH_AUGMENT_SHARE = 0.35
URL_MIN_GROUPS = 120

LICENCES = {
    "ut1": "CC BY-SA 4.0 (Université Toulouse Capitole, Fabrice Prigent)",
    "sinfonietta": "MIT (Sinfonietta/hostfiles)",
    "blocklistproject": "Unlicense (The Block List Project)",
    "ut1-adult-popular": "data CC BY-SA 4.0 (UT1); compilation GPL-3.0 (chadmayfield)",
    "davidson": "MIT (Davidson et al., ICWSM 2017)",
    "cyberbullying": "CC BY 4.0 as reported (Wang et al. 2020)",
    "jigsaw-sample": "CC0 (Jigsaw / Conversation AI sample via IBM MAX)",
    "hand-written": "Hearthguard (project's own text)",
}


def _words(text: str) -> tuple[str, ...]:
    """The whitespace-separated words of a constant block of text."""
    return tuple(text.split())


# Generic path pieces, written for Hearthguard: they appear on sites of every kind.
_GENERIC_PATH_WORDS = _words(
    """
    en fr de es it nl pt index.html index.php home about contact news article articles
    blog category tag page search help support faq terms privacy account login post
    posts item view id p main info docs media images video watch shop products product
    cart en-us topics topic section story stories events event world local health life
    people learn resources report reports library guide guides member members community
    forum 2019 2020 2021 2022 2023 2024 2025 1 2 3 12 100 2048 a b c
    """
)

# Protected-topic words, written for Hearthguard: organisations, health services, rights
# groups and newsrooms are named with them. Used to build synthetic benign host names so
# these words alone never read as harmful (the lists have no health or rights category).
_PROTECTED_WORDS = _words(
    """
    health sexualhealth publichealth womenshealth menshealth teenhealth mentalhealth
    clinic hospital medical medicine doctor nurse care caring nhs cdc who unaids hiv
    aids prevention testing screening vaccine vaccines cancer breastcancer diabetes
    heart contraception birthcontrol condoms pregnancy family planning familyplanning
    parenthood sexed sexeducation sexuality consent puberty youth teens teen kids
    children students school schools education learning university college academy
    institute research study rights humanrights civilrights freedom liberty justice
    equality amnesty watch refugees refugee asylum migrants humanitarian relief aid
    charity foundation trust lgbt lgbtq lgbti queer gay lesbian bisexual transgender
    trans pride rainbow ally equalityforall stonewall outright together alliance network
    coalition council news times post herald tribune journal gazette daily weekly
    chronicle press media report reporter observer guardian independent radio tv public
    broadcast magazine recovery addiction treatment harmreduction support helpline
    hotline crisis counselling safe safety protect protection abuse survivors violence
    prevention domestic drugpolicy drugeducation alcohol tobacco smoking quit
    gamblinghelp responsible government gov ministry department agency commission
    regulator authority council
    """
)
_PROTECTED_SUFFIXES = (
    "org", "org", "org", "gov", "int", "edu", "net", "com", "org.uk", "nhs.uk", "gov.uk",
    "ac.uk", "ca", "org.au", "gov.au", "de", "fr", "info",
)  # fmt: skip

# --------------------------------------------------------------------------- list reading


@dataclass(frozen=True, slots=True)
class Example:
    """One training or evaluation item."""

    text: str
    label: str
    group: str  # items sharing a group never straddle the train/test split
    source: str


def read_list_file(path: Path) -> tuple[list[str], int]:
    """Read a plain domain/URL list or hosts file; return (entries, number of bad lines).

    Comments and blank lines are skipped; ``0.0.0.0 host`` / ``127.0.0.1 host`` lines give
    the host; anything else with spaces, or with characters no host or path has, is bad.
    Entries are lower-cased, ``www.`` is kept (``url_model_input`` removes it).
    """
    entries: list[str] = []
    bad = 0
    with Path(path).open(encoding="utf-8", errors="replace") as handle:
        for raw in handle:
            line = raw.strip()
            if not line or line.startswith(("#", "!")):
                continue
            fields = line.split()
            if len(fields) >= 2 and fields[0] in ("0.0.0.0", "127.0.0.1", "::", "::1"):
                line = fields[1]
            elif len(fields) != 1:
                bad += 1
                continue
            line = line.lower()
            if not _LIST_ENTRY.match(line) or line in ("localhost", "0.0.0.0"):
                bad += 1
                continue
            entries.append(line)
    return entries, bad


_LIST_ENTRY = re.compile(r"^[a-z0-9_*-][a-z0-9_.*:-]*(/\S*)?$")
_GENERIC_SLD = frozenset(
    _words(
        """
    co com net org gov edu ac or ne go gob mil nic ltd plc sch nhs police gouv asso info
    biz web nom gv
    """
    )
)
_IPV4 = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")


def registered_domain(host_or_url: str) -> str:
    """The registered domain of a host (``a.b.example.co.uk`` -> ``example.co.uk``).

    A cheap rule, good enough to keep related hosts on one side of a split: the last two
    labels, or three when the second-level label is a generic one under a two-letter
    country code (``co.uk``, ``com.au``...). IP addresses are their own group.
    """
    host = host_or_url.split("/", 1)[0].split(":", 1)[0].strip(".").lower()
    if _IPV4.match(host):
        return host
    labels = host.split(".")
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _GENERIC_SLD:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def _source_name(relative: str) -> str:
    return relative.split("/", 1)[0]


def url_examples(data_dir: Path, *, seed: int = SEED) -> tuple[list[Example], dict[str, Any]]:
    """Labelled URLs from the category lists, de-duplicated and capped per category.

    A URL listed both as harmful and benign is dropped (lists disagree); one listed under
    two harmful categories keeps the first in ``_PRIORITY``. At most ``URL_PER_DOMAIN``
    URLs per registered domain are kept so big hosting domains do not dominate.
    Returns the examples and a report (files read, bad lines, conflicts).
    """
    lists_dir = Path(data_dir) / "lists"
    labels: dict[str, set[str]] = defaultdict(set)
    sources: dict[str, str] = {}
    report: dict[str, Any] = {"files": {}, "bad_lines": 0, "missing_files": []}
    for category, files in URL_SOURCES.items():
        for relative in files:
            path = lists_dir / relative
            if not path.is_file():
                report["missing_files"].append(relative)
                continue
            entries, bad = read_list_file(path)
            report["files"][relative] = {"entries": len(entries), "bad_lines": bad}
            report["bad_lines"] += bad
            for entry in entries:
                key = url_model_input(entry)
                labels[key].add(category)
                sources.setdefault(key, _source_name(relative))
    by_label: dict[str, list[str]] = defaultdict(list)
    conflicts = 0
    for key in sorted(labels):
        names = labels[key]
        if len(names) > 1:
            if BENIGN in names:
                conflicts += 1
                continue
            label = next(c for c in _PRIORITY if c in names)
        else:
            (label,) = names
        by_label[label].append(key)
    report["conflicts_dropped"] = conflicts
    rng = random.Random(seed)
    examples: list[Example] = []
    for label in sorted(by_label):
        keys = by_label[label]
        rng.shuffle(keys)
        cap = URL_CAP_BENIGN if label == BENIGN else URL_CAP_PER_CATEGORY
        per_domain: Counter[str] = Counter()
        kept = 0
        for key in keys:
            group = registered_domain(key[1:-1])
            if per_domain[group] >= URL_PER_DOMAIN:
                continue
            per_domain[group] += 1
            examples.append(Example(key, label, group, sources[key]))
            kept += 1
            if kept >= cap:
                break
        if len(per_domain) < URL_MIN_GROUPS:
            # Too few independent sites to learn a category from names: fold into nothing.
            examples = [e for e in examples if e.label != label]
            report.setdefault("categories_too_small", []).append(label)
    return examples, report


def _augment_urls(examples: Sequence[Example], rng: random.Random) -> list[Example]:
    """Add a generic path to a share of host-only examples of every category, and add
    synthetic benign host names built from protected-topic words (training side only)."""
    out = list(examples)
    for example in examples:
        host = example.text[1:-1]
        if "/" in host or rng.random() >= URL_PATH_AUGMENT_SHARE:
            continue
        depth = rng.randint(1, 3)
        path = "/".join(rng.choice(_GENERIC_PATH_WORDS) for _ in range(depth))
        out.append(
            Example(
                url_model_input(f"{host}/{path}"),
                example.label,
                example.group,
                example.source + "+path",
            )
        )
    benign_groups = max(1, sum(1 for e in examples if e.label == BENIGN) // 25)
    for i in range(benign_groups):
        words = rng.sample(_PROTECTED_WORDS, rng.randint(1, 3))
        joiner = rng.choice(("", "", "-"))
        host = joiner.join(words) + "." + rng.choice(_PROTECTED_SUFFIXES)
        if rng.random() < 0.3:
            host = rng.choice(("www", "en", "info", "m", "shop", "blog", "news")) + "." + host
        path = ""
        if rng.random() < 0.5:
            path = "/" + "/".join(rng.sample(_PROTECTED_WORDS + _GENERIC_PATH_WORDS, 2))
        out.append(Example(url_model_input(host + path), BENIGN, f"synthetic-{i}", "hand-written"))
    return out


def group_split(
    examples: Sequence[Example], test_share: float = TEST_SHARE, *, seed: int = SEED
) -> tuple[list[Example], list[Example]]:
    """Split by ``group``: every group lands wholly in train or wholly in test.

    Deterministic: a group's side depends only on a hash of (seed, group).
    """
    train: list[Example] = []
    test: list[Example] = []
    for example in examples:
        digest = hashlib.sha256(f"{seed}:{example.group}".encode()).digest()
        side = int.from_bytes(digest[:8], "big") / 2**64
        (test if side < test_share else train).append(example)
    return train, test


# --------------------------------------------------------------------------- URL model


def train_url_model(
    train: Sequence[Example],
    *,
    seed: int = SEED,
    max_features: int = 60_000,
    c: float = 0.3,
    max_iter: int = 300,
) -> Any:
    """Fit the URL pipeline: character 3-5-grams and word tokens (binary), the
    ``max_features`` most informative by chi-squared, multinomial logistic regression.

    The result is a plain ``Pipeline(features, LogisticRegression)`` whose vectorizers keep
    only the selected vocabulary (small to store, fast to run). Benign weighs as much as all
    harmful categories together: an unknown host is more likely ordinary than not.
    """
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.feature_selection import SelectKBest, chi2
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    texts = [e.text for e in train]
    labels = [e.label for e in train]

    def make_union(char_vocab: Any = None, word_vocab: Any = None) -> FeatureUnion:
        return FeatureUnion(
            [
                (
                    "chars",
                    CountVectorizer(
                        analyzer="char",
                        ngram_range=(3, 5),
                        binary=True,
                        lowercase=False,
                        min_df=1 if char_vocab else 3,
                        vocabulary=char_vocab,
                        dtype=np.float32,
                    ),
                ),
                (
                    "tokens",
                    CountVectorizer(
                        token_pattern=r"[a-z0-9]{2,}",
                        binary=True,
                        lowercase=False,
                        min_df=1 if word_vocab else 3,
                        vocabulary=word_vocab,
                        dtype=np.float32,
                    ),
                ),
            ]
        )

    union = make_union()
    matrix = union.fit_transform(texts)
    k = min(max_features, matrix.shape[1])
    selector = SelectKBest(chi2, k=k).fit(matrix, labels)
    names = union.get_feature_names_out()[selector.get_support()]
    char_vocab = sorted(n.split("__", 1)[1] for n in names if n.startswith("chars__"))
    word_vocab = sorted(n.split("__", 1)[1] for n in names if n.startswith("tokens__"))
    compact = make_union(char_vocab, word_vocab)
    reduced = compact.fit_transform(texts)
    weights = _balanced_benign_weights(labels)
    model = LogisticRegression(C=c, max_iter=max_iter, tol=1e-4, random_state=seed)
    model.fit(reduced, labels, sample_weight=weights)
    model.coef_ = model.coef_.astype(np.float32)
    return Pipeline([("features", compact), ("model", model)])


def _balanced_benign_weights(labels: Sequence[str]) -> np.ndarray:
    counts = Counter(labels)
    harmful = sum(v for k, v in counts.items() if k != BENIGN)
    benign_weight = harmful / counts[BENIGN] if counts.get(BENIGN) else 1.0
    return np.array([benign_weight if y == BENIGN else 1.0 for y in labels])


# --------------------------------------------------------------------------- evaluation


def evaluate_categories(
    labels: Sequence[str], probabilities: np.ndarray, classes: Sequence[str]
) -> dict[str, Any]:
    """Precision/recall per category and, per threshold, the share of harmful items allowed
    (under-blocking) and of benign items blocked (over-blocking).

    An item counts as blocked at threshold t when its most likely class is harmful and has
    probability >= t (the policy blocks only categories the profile blocks; this is the
    worst case where every harmful category is blocked).
    """
    classes = list(classes)
    best = probabilities.argmax(axis=1)
    predicted = [classes[i] for i in best]
    top = probabilities[np.arange(len(best)), best]
    per_category: dict[str, dict[str, float | int]] = {}
    for name in classes:
        tp = sum(1 for y, p in zip(labels, predicted, strict=True) if y == p == name)
        fp = sum(1 for y, p in zip(labels, predicted, strict=True) if p == name and y != name)
        fn = sum(1 for y, p in zip(labels, predicted, strict=True) if y == name and p != name)
        per_category[name] = {
            "support": tp + fn,
            "precision": round(tp / (tp + fp), 4) if tp + fp else 0.0,
            "recall": round(tp / (tp + fn), 4) if tp + fn else 0.0,
        }
    harmful = np.array([y != BENIGN for y in labels])
    thresholds: dict[str, dict[str, float]] = {}
    for t in THRESHOLDS:
        blocked = np.array([p != BENIGN for p in predicted]) & (top >= t)
        correct = np.array([p == y for p, y in zip(predicted, labels, strict=True)])
        thresholds[f"{t:.1f}"] = {
            "under_blocking": _share(~blocked & harmful, harmful),
            "over_blocking": _share(blocked & ~harmful, ~harmful),
            "blocked_with_right_category": _share(blocked & correct & harmful, blocked),
        }
    accuracy = float(np.mean([p == y for p, y in zip(predicted, labels, strict=True)]))
    return {
        "items": len(labels),
        "accuracy": round(accuracy, 4),
        "per_category": per_category,
        "thresholds": thresholds,
    }


def _share(mask: np.ndarray, of: np.ndarray) -> float:
    total = int(of.sum())
    return round(float(mask.sum()) / total, 4) if total else 0.0


# --------------------------------------------------------------------------- chat data


def normalise_for_dedup(text: str) -> str:
    """The key under which two chat texts count as the same (NFKC, case-folded, letters and
    digits only; ``classifier.training.chat_data.dedup_key``)."""
    from classifier.training.chat_data import dedup_key

    return dedup_key(text)


def chat_examples(data_dir: Path) -> tuple[list[Example], list[Example], dict[str, Any]]:
    """The chat corpus as ``Example`` values: ``(training examples, evaluation-only
    examples, report)``.

    ``classifier.training.chat_data.read_chat_corpus`` reads every source, maps its labels
    (``LABEL_MAPPING``), cleans texts and de-duplicates them across all sources before any
    split (a text with conflicting labels is dropped). ``Example.group`` is the
    de-duplication key; ``Example.source`` is ``name:weight`` (annotator agreement).
    """
    from classifier.training.chat import SHIPPED_CONFIG
    from classifier.training.chat_data import read_chat_corpus

    train, check, report = read_chat_corpus(
        data_dir, identity_classes=SHIPPED_CONFIG.identity_classes
    )

    def example(item: Any) -> Example:
        label = ABUSIVE if item.label else OK
        return Example(item.text, label, item.key, f"{item.source}:{item.weight:.3f}")

    return [example(i) for i in train], [example(i) for i in check], report


def _csv_rows(path: Path, report: dict[str, Any]) -> Iterable[dict[str, str]]:
    if not path.is_file():
        report.setdefault("missing_files", []).append(str(path))
        return
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        for row in csv.DictReader(handle):
            if None in row or any(v is None for v in row.values()):
                report["bad_rows"] += 1
                continue
            yield row


def train_chat_model(train: Sequence[Example], *, config: Any = None) -> Any:
    """Fit the chat model as a stock scikit-learn pipeline (``classifier.training.chat.
    chat_pipeline``: binary TF-IDF of normalised words and character n-grams, logistic
    regression), examples weighted by annotator agreement and balanced per source and label.
    The shipped model is fitted by ``classifier.training.chat.fit_chat``, the same model
    computed once per fold from features extracted once."""
    from classifier.training.chat import SHIPPED_CONFIG, chat_pipeline, source_weights

    config = config or SHIPPED_CONFIG
    sources = [e.source.rsplit(":", 1)[0] for e in train]
    labels = [int(e.label == ABUSIVE) for e in train]
    agreement = []
    for e in train:
        try:
            agreement.append(float(e.source.rsplit(":", 1)[1]))
        except (IndexError, ValueError):
            agreement.append(1.0)
    weights = source_weights(sources, labels, agreement, config.balance)
    pipeline = chat_pipeline(config)
    pipeline.fit([e.text for e in train], [e.label for e in train], model__sample_weight=weights)
    return pipeline


# --------------------------------------------------------------------------- page data

#: Page-model classes: categories with enough distinctive vocabulary in the data.
PAGE_LIST_CATEGORIES = ("adult", "gambling", "drugs", "dating")
PAGE_DOCS_PER_CATEGORY = 6000
PAGE_BENIGN_DOCS = 14000

# Paragraph pieces about protected topics, written for Hearthguard as benign training text:
# the lists and tweets never show how health, sex education, LGBT, rights or news pages talk.
_PROTECTED_TEXT = """
Puberty brings changes to the body, and it is normal to have questions about them.
Talk to a doctor or school nurse if you are worried about your sexual health.
Condoms help prevent sexually transmitted infections and unplanned pregnancy.
Consent means everyone involved agrees, every time, and can change their mind.
Our clinic offers free and confidential testing for HIV and other infections.
Contraception options include the pill, the implant, the coil and condoms.
Sex education lessons cover relationships, consent, anatomy and staying safe online.
Parents can find advice on talking with teenagers about sex and relationships.
Breast cancer screening is offered to women over fifty every three years.
The vaccine protects against the virus that causes most cervical cancers.
Mental health support is available for young people who feel anxious or low.
If you are thinking about suicide, please call a helpline and talk to someone today.
Gay, lesbian, bisexual and transgender young people deserve support and respect.
Pride month celebrates the history of the LGBT rights movement.
Coming out is a personal decision and there is no right or wrong way to do it.
Our youth group is a safe space for queer and questioning teenagers and their friends.
Same-sex couples won the right to marry after a long campaign for equality.
Transgender people face discrimination in housing, work and health care.
Human rights groups documented torture, arbitrary detention and the killing of protesters.
The report describes sexual violence used as a weapon of war and calls for justice.
Refugees fleeing the conflict need shelter, food, water and medical care.
Freedom of expression and the right to peaceful protest are protected by law.
Journalists investigating corruption have been threatened and imprisoned.
The government announced new rules for online gambling advertising and betting firms.
The regulator fined the casino operator for failing to protect problem gamblers.
Lawmakers debated a ban on sports betting sponsorship on football shirts.
Problem gambling can harm families; free help and counselling are available.
Researchers studied how cannabis legalisation affected teenage drug use.
Drug policy reform aims to treat addiction as a health issue rather than a crime.
Harm reduction services provide clean needles and naloxone to prevent overdoses.
Police seized heroin and cocaine during raids on a smuggling network.
The court heard evidence about the shooting and the victim's family spoke outside.
Teachers say sex and relationships education helps pupils recognise abuse.
The study found that comprehensive sex education delays first sexual intercourse.
Survivors of sexual abuse can contact our confidential support line at any time.
Domestic violence charities report a rise in calls during the holidays.
Alcohol and tobacco use among teenagers has fallen over the past decade.
Health officials urged people to get tested and to use condoms and PrEP.
The museum exhibition explores the history of erotic art and censorship.
Midwives explain what happens to the body during pregnancy and birth.
Menstruation is a normal part of growing up; here is what to expect.
The charity campaigns against child marriage and female genital mutilation.
Election results, world news, business, sport, weather and opinion.
Breaking news: parliament votes on the budget; markets rise; storm warnings issued.
The newspaper investigates the online casino industry and its marketing to young people.
Doctors warn about the risks of vaping and nicotine addiction among school pupils.
Safer sex advice for young people, in plain language, from trained nurses.
Sexual orientation and gender identity are protected characteristics under equality law.
Cannabis is a psychoactive plant; its legal status and medical use differ between countries.
Alcohol is the most widely used drug and causes more hospital admissions than any other.
The encyclopedia article describes the pharmacology, effects and history of opioids.
Heroin and fentanyl overdoses have risen, and naloxone can reverse an opioid overdose.
Scientists study how nicotine affects the developing teenage brain.
The history of the lottery goes back centuries; governments used it to fund public works.
Casino towns grew rich in the last century, historians say, and then declined.
Classical painters and sculptors often depicted the nude human body.
Breastfeeding advice for new mothers from midwives and health visitors.
Testicular cancer is most common in young men; check yourself once a month.
"""


#: Contrast documents per harmful category, as a share of that category's documents.
PAGE_CONTRAST_SHARE = 0.35

# Words of news, health, rights and education writing, written for Hearthguard. They are
# chosen to be rare on the shops, casinos and porn sites the lists name (so no "licensed",
# "responsible" or "support", which casino footers use).
_PROTECTED_CONTEXT = _words(
    """
    government minister ministers parliament lawmakers mps senate congress legislation
    bill ban banned regulator regulators regulation inquiry investigation court judge
    trial sentenced police prosecutors charity charities campaigners campaign researchers
    research study studies survey evidence report reported according correspondent
    editor reporter journalists newspaper announced warned said says told spokesperson
    officials policy public health clinic clinics patients symptoms diagnosis treatment
    therapy nurse nurses doctors gp hospital nhs prevention screening vaccine infection
    infections confidential counselling addiction recovery harm reduction overdose
    services advice education school schools pupils teachers students lessons curriculum
    university rights human freedom equality discrimination justice protest protesters
    refugees detention torture victims survivors families community parents guidance
    consent relationships puberty contraception pregnancy sexual wellbeing mental
    history museum library article analysis opinion debate election voters economy
    medical medicine effects pharmacology psychoactive chemistry encyclopedia legal status
    century species climate science scientists
    """
)


def _protected_sentences() -> list[str]:
    return [line.strip() for line in _PROTECTED_TEXT.strip().splitlines() if line.strip()]


def _word_costs(
    examples_by_label: dict[str, list[Example]], tweets: Sequence[str]
) -> dict[str, float]:
    counts: Counter[str] = Counter()
    for text in tweets:
        counts.update(w for w in re.findall(r"[a-z]+", text.lower()) if len(w) > 1)
    for examples in examples_by_label.values():
        for example in examples:
            body = example.text[1:-1]
            counts.update(w for w in re.split(r"[^a-z]+", body) if 2 <= len(w) <= 15)
    for sentence in _protected_sentences():
        counts.update(re.findall(r"[a-z]+", sentence.lower()))
    for word in _PROTECTED_WORDS + _GENERIC_PATH_WORDS:
        counts[word] += 3
    total = sum(counts.values())
    return {w: -math.log(n / total) for w, n in counts.items() if n >= 2}


def segment_words(label: str, costs: dict[str, float], max_word: int = 15) -> list[str]:
    """Split a run of letters into likely words (``freeporntube`` -> ``free porn tube``)
    by the cheapest sequence of known words; unknown letters are expensive single words."""
    n = len(label)
    if n == 0:
        return []
    unknown = max(costs.values(), default=20.0) + 6.0
    best = [0.0] + [math.inf] * n
    back = [0] * (n + 1)
    for end in range(1, n + 1):
        for start in range(max(0, end - max_word), end):
            word = label[start:end]
            cost = costs.get(word, unknown * len(word) if len(word) > 1 else unknown)
            total = best[start] + cost
            if total < best[end]:
                best[end], back[end] = total, start
    words: list[str] = []
    end = n
    while end > 0:
        words.append(label[back[end] : end])
        end = back[end]
    return words[::-1]


def _url_words(url_key: str, costs: dict[str, float]) -> list[str]:
    body = url_key.strip("^$")
    host, _, path = body.partition("/")
    labels = host.split(".")
    if len(labels) > 1:
        labels = labels[:-1]  # the TLD says little about page text
    words: list[str] = []
    for piece in re.split(r"[^a-z]+", " ".join(labels) + " " + path):
        if len(piece) > 40:
            continue
        words.extend(w for w in segment_words(piece, costs) if len(w) > 1)
    return words


def _neutral_tweets(data_dir: Path) -> list[str]:
    out: list[str] = []
    report: dict[str, Any] = {"bad_rows": 0}
    for row in _csv_rows(Path(data_dir) / "text" / "davidson" / "labeled_data.csv", report):
        if row.get("class") == "2":
            out.append(clean_chat_text(row.get("tweet", "")).replace("@user", ""))
    for path in sorted((Path(data_dir) / "text" / "cyberbullying").glob("*.csv")):
        for row in _csv_rows(path, report):
            if row.get("cyberbullying_type") == "not_cyberbullying":
                out.append(clean_chat_text(row.get("tweet_text", "")).replace("@user", ""))
    return sorted(set(out))


def _hate_tweets(data_dir: Path) -> list[str]:
    report: dict[str, Any] = {"bad_rows": 0}
    return sorted(
        {
            clean_chat_text(row.get("tweet", "")).replace("@user", "")
            for row in _csv_rows(Path(data_dir) / "text" / "davidson" / "labeled_data.csv", report)
            if row.get("class") == "0"
        }
    )


def page_corpus(
    data_dir: Path, *, seed: int = SEED
) -> tuple[list[Example], list[Example], dict[str, Any]]:
    """Synthetic page documents for the page model (train, test, report).

    There is no labelled page corpus; each document imitates a page from what the data
    does have: the words of several listed URLs of one category (host names split into
    words, path words) mixed with filler taken from ordinary tweets. ``hate`` documents are
    Davidson hate-speech tweets with filler. Benign documents: words of benign-list URLs,
    ordinary tweets, and hand-written sentences about protected topics (health, sex
    education, LGBT, rights, news). Filler goes into every class, so common words carry no
    weight. The split is by registered domain (URL words) and by tweet.
    """
    rng = random.Random(seed)
    urls, report = url_examples(data_dir, seed=seed)
    by_label: dict[str, list[Example]] = defaultdict(list)
    for example in urls:
        if example.label in PAGE_LIST_CATEGORIES or example.label == BENIGN:
            by_label[example.label].append(example)
    neutral = _neutral_tweets(data_dir)
    hate = _hate_tweets(data_dir)
    costs = _word_costs(by_label, neutral)
    protected = _protected_sentences()
    segmented: dict[str, list[str]] = {}

    def url_words(key: str) -> list[str]:
        # Documents sample the same URLs many times: segment each once.
        words = segmented.get(key)
        if words is None:
            words = segmented[key] = _url_words(key, costs)
        return words

    def tweet_side(text: str) -> str:
        return "test" if _side(f"tweet:{text}", seed) else "train"

    filler_by_side = {s: [t for t in neutral if tweet_side(t) == s] for s in ("train", "test")}
    hate_by_side = {s: [t for t in hate if tweet_side(t) == s] for s in ("train", "test")}
    docs: dict[str, list[Example]] = {"train": [], "test": []}
    for side in ("train", "test"):
        scale = 1.0 if side == "train" else TEST_SHARE / (1 - TEST_SHARE)
        filler = filler_by_side[side]

        def add_filler(words: list[str], most: int, pool: list[str] = filler) -> list[str]:
            for _ in range(rng.randint(0, most)):
                words.extend(rng.choice(pool).split())
            return words

        for label in (*PAGE_LIST_CATEGORIES, BENIGN):
            pool = [e for e in by_label[label] if _side(e.group, seed) == (side == "test")]
            if not pool:
                continue
            wanted = PAGE_BENIGN_DOCS if label == BENIGN else PAGE_DOCS_PER_CATEGORY
            for i in range(int(wanted * scale)):
                picked = rng.sample(pool, min(len(pool), rng.randint(2, 10)))
                words: list[str] = []
                for example in picked:
                    words.extend(url_words(example.text))
                add_filler(words, 6)
                rng.shuffle(words)
                docs[side].append(
                    Example(" ".join(words), label, f"{label}-{side}-{i}", "lists+tweets")
                )
            # Contrast documents: the same topic words in the company of the words that
            # news, health, rights and education pages use, labelled benign. A page that
            # talks about gambling or drugs is not a casino or a shop.
            if label != BENIGN:
                for i in range(int(wanted * PAGE_CONTRAST_SHARE * scale)):
                    picked = rng.sample(pool, min(len(pool), rng.randint(2, 6)))
                    topic = [w for e in picked for w in url_words(e.text)]
                    words = rng.sample(topic, min(len(topic), rng.randint(3, 10)))
                    words += rng.choices(_PROTECTED_CONTEXT, k=rng.randint(6, 20))
                    add_filler(words, 4)
                    rng.shuffle(words)
                    docs[side].append(
                        Example(
                            " ".join(words),
                            BENIGN,
                            f"contrast-{label}-{side}-{i}",
                            "lists+hand-written",
                        )
                    )
        hate_pool = hate_by_side[side]
        for i in range(int(PAGE_DOCS_PER_CATEGORY * 0.5 * scale)):
            words = []
            for text in rng.sample(hate_pool, min(len(hate_pool), rng.randint(1, 3))):
                words.extend(text.split())
            add_filler(words, 4)
            docs[side].append(Example(" ".join(words), "hate", f"hate-{side}-{i}", "davidson"))
        for i in range(int(PAGE_BENIGN_DOCS * 0.3 * scale)):
            words = add_filler([], 8)
            if words:
                docs[side].append(Example(" ".join(words), BENIGN, f"filler-{side}-{i}", "tweets"))
    for i in range(len(protected) * 12):
        sentences = rng.sample(protected, rng.randint(1, 4))
        words = " ".join(sentences).split()
        add_filler_train = rng.randint(0, 4)
        for _ in range(add_filler_train):
            words.extend(rng.choice(filler_by_side["train"]).split())
        docs["train"].append(Example(" ".join(words), BENIGN, f"protected-{i}", "hand-written"))
    report["documents"] = {s: dict(Counter(e.label for e in d)) for s, d in docs.items()}
    return docs["train"], docs["test"], report


def _side(group: str, seed: int) -> bool:
    """True when ``group`` falls in the test share (same rule as ``group_split``)."""
    digest = hashlib.sha256(f"{seed}:{group}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < TEST_SHARE


def train_page_model(
    train: Sequence[Example],
    *,
    seed: int = SEED,
    c: float = 1.0,
    weights: Sequence[float] | None = None,
    max_iter: int = 300,
) -> dict[str, Any]:
    """Fit the page model's phrase table on ``train``: word 1-2-grams (presence), one L1
    logistic regression per harmful label against all others, phrases with a non-zero
    weight kept as ``page_ngrams`` keys, the evidence rule of
    ``classifier.training.page`` and Platt parameters fitted on ``train`` itself
    (``python -m classifier.train`` refits them on held-out documents).

    The table (``phrases``, ``weights``, ``intercept``, ``classes``, ``calibration``,
    ``evidence_floor``, ``min_phrases``) is what ``page.skops`` stores and
    ``build_page_model`` compiles. ``max_iter`` is kept for callers; liblinear converges.
    """
    from classifier.training.page import _vectorize, calibrate_table, fit_page_table

    del max_iter
    matrix, names = _vectorize([e.text for e in train])
    table = fit_page_table(matrix, names, [e.label for e in train], weights=weights, c=c, seed=seed)
    return calibrate_table(table, train)


#: Phrases whose largest weight is below this are dropped from the table: mostly common
#: words that barely move a verdict (on the held-out split: accuracy 0.9195 -> 0.9186,
#: over-blocking at 0.7 1.10% -> 1.12%) but match thousands of times on a long page.
PAGE_MIN_WEIGHT = 0.2


def _only_stop_words(phrase: str) -> bool:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return all(len(word) < 2 or word in ENGLISH_STOP_WORDS for word in phrase.split())


def _l1_penalty() -> dict[str, Any]:
    """scikit-learn 1.8 replaced ``penalty="l1"`` by ``l1_ratio=1``; ask for L1 either way."""
    import sklearn

    major, minor = (int(part) for part in sklearn.__version__.split(".")[:2])
    return {"l1_ratio": 1.0} if (major, minor) >= (1, 8) else {"penalty": "l1"}


# --------------------------------------------------------------------------- household


def append_household_examples(
    store: Path,
    examples: Iterable[tuple[str, str, str]],
    *,
    max_examples: int = HOUSEHOLD_MAX_EXAMPLES,
) -> int:
    """Append ``(text, category, source)`` examples to a household store and return how
    many it now holds.

    The store is JSON lines, one ``{"text", "category", "source"}`` object per line, e.g.
    ``source`` = ``"list:adult"`` (page of a host a list categorises) or ``"parent:allowed"``
    / ``"parent:blocked"`` (a parent's decision). Texts are cut at 10,000 characters;
    categories are made canonical; only the newest ``max_examples`` are kept. The file is
    replaced atomically.
    """
    store = Path(store)
    kept, _bad = read_household_examples(store)
    for text, category, source in examples:
        if not isinstance(text, str) or not text.strip():
            continue
        kept.append((text[:HOUSEHOLD_MAX_TEXT_CHARS], canonical(category), str(source)))
    kept = kept[-max_examples:]
    store.parent.mkdir(parents=True, exist_ok=True)
    tmp = store.with_suffix(store.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        for text, category, source in kept:
            handle.write(
                json.dumps(
                    {"text": text, "category": category, "source": source}, ensure_ascii=False
                )
                + "\n"
            )
    tmp.replace(store)
    return len(kept)


def read_household_examples(store: Path) -> tuple[list[tuple[str, str, str]], int]:
    """Read a household store; return ``[(text, category, source)]`` and the number of bad
    lines (not JSON, or missing text/category), which are skipped. A missing store is
    empty."""
    store = Path(store)
    if not store.is_file():
        return [], 0
    examples: list[tuple[str, str, str]] = []
    bad = 0
    with store.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                text, category = item["text"], item["category"]
                if not isinstance(text, str) or not isinstance(category, str) or not text:
                    raise ValueError
            except (ValueError, KeyError, TypeError):
                bad += 1
                continue
            examples.append(
                (text[:HOUSEHOLD_MAX_TEXT_CHARS], canonical(category), str(item.get("source", "")))
            )
    return examples, bad


#: Ordinary categories a household may label pages with; for the page model they are benign.
_ORDINARY = frozenset({BENIGN, "shopping", "games", "video", "social", "chat", "bank"})


def _page_label(category: str) -> str | None:
    """The page-model class for a household category: its own class when the model has it,
    benign for protected and ordinary categories, ``None`` (example not used) for harmful
    categories the page model cannot learn (violence, weapons...)."""
    name = canonical(category)
    if name in (*PAGE_LIST_CATEGORIES, "hate"):
        return name
    if name in PROTECTED or name in _ORDINARY:
        return BENIGN
    return None


def retrain_page_model(
    examples: Iterable[tuple[str, str]],
    out_dir: Path,
    *,
    corpus_dir: Path | None = None,
    seed: int = SEED,
) -> dict[str, Any]:
    """Retrain the page model from the shipped corpus plus household ``(text, category)``
    examples; write ``page.skops`` and ``page.json`` into ``out_dir``; return the metadata.

    Household examples together weigh ``HOUSEHOLD_SHARE`` of the shipped corpus (each
    between ``HOUSEHOLD_WEIGHT_BOUNDS`` shipped documents). Protected and
    ordinary categories (news, health, shopping, games...) count as benign; harmful
    categories the page model has no class for are skipped (and counted in the metadata).
    A parent's "wrongly blocked" page is an example labelled ``benign``; a "wrongly
    allowed" one is labelled with the category it should have been blocked under.
    ``load_models(..., local_dir=out_dir)`` then prefers this model. Raises
    ``FileNotFoundError`` when the shipped corpus is missing. Retraining takes minutes
    (about six on the development machine, far more on a Raspberry Pi): run it in the
    background, never in a request.
    """
    corpus_path = Path(corpus_dir or BUNDLED_MODEL_DIR) / PAGE_CORPUS_FILE
    if not corpus_path.is_file():
        raise FileNotFoundError(f"the shipped page corpus {corpus_path} is missing")
    shipped = _read_corpus(corpus_path)
    household: list[Example] = []
    skipped = 0
    for i, (text, category) in enumerate(examples):
        label = _page_label(category) if isinstance(category, str) else None
        if not isinstance(text, str) or not text.strip() or label is None:
            skipped += 1
            continue
        household.append(
            Example(text[:HOUSEHOLD_MAX_TEXT_CHARS], label, f"household-{i}", "household")
        )
    train = shipped + household
    low, high = HOUSEHOLD_WEIGHT_BOUNDS
    each = min(high, max(low, HOUSEHOLD_SHARE * len(shipped) / max(1, len(household))))
    weights = [each if e.source == "household" else 1.0 for e in train]
    table = train_page_model(train, seed=seed, weights=weights)
    base_meta = _read_json(Path(corpus_dir or BUNDLED_MODEL_DIR) / "page.json")
    metadata = {
        **{k: v for k, v in base_meta.items() if k not in ("evaluation", "thresholds")},
        "format": MODEL_FORMAT,
        "model": "page",
        "trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "household_examples": dict(Counter(e.label for e in household)),
        "household_examples_skipped": skipped,
        "household_example_weight": round(each, 3),
        "training_documents": dict(Counter(e.label for e in train)),
        "phrases": len(table["phrases"]),
        "note": "Retrained on this household's examples plus the shipped corpus; the "
        "held-out figures of the shipped model no longer apply.",
        "libraries": _library_versions(),
    }
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    _write_skops(table, out_dir / "page.skops")
    _write_json(metadata, out_dir / "page.json")
    return metadata


def _read_corpus(path: Path) -> list[Example]:
    out: list[Example] = []
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for i, line in enumerate(handle):
            item = json.loads(line)
            out.append(Example(item["text"], item["label"], f"corpus-{i}", item["source"]))
    return out


def _write_corpus(examples: Sequence[Example], path: Path) -> None:
    # mtime=0 keeps the file byte-identical between runs.
    with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as handle:
        for e in examples:
            line = json.dumps(
                {"text": e.text, "label": e.label, "source": e.source}, ensure_ascii=False
            )
            handle.write((line + "\n").encode("utf-8"))


# --------------------------------------------------------------------------- writing


def _library_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    versions = {"python": platform.python_version()}
    for package in ("scikit-learn", "skops", "numpy", "scipy", "pyahocorasick", "selectolax"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = "not installed"
    return versions


def _write_skops(obj: Any, path: Path) -> None:
    import skops.io as sio

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    sio.dump(obj, tmp, compression=zipfile.ZIP_DEFLATED, compresslevel=9)
    tmp.replace(path)


def _write_json(data: dict[str, Any], path: Path) -> None:
    path.write_text(
        json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n", encoding="utf-8"
    )


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _threshold_meaning(evaluation: dict[str, Any], kind: str) -> dict[str, str]:
    out = {}
    for t, figures in evaluation["thresholds"].items():
        if kind == "chat":
            out[t] = (
                f"flag when P(abusive) >= {t}: on the held-out split {figures['recall']:.0%} "
                f"of abusive messages flagged, {figures['ok_flagged']:.0%} of ok ones flagged"
            )
        else:
            out[t] = (
                f"block when the top category is harmful with probability >= {t}: on the "
                f"held-out split {figures['under_blocking']:.0%} of harmful items allowed, "
                f"{figures['over_blocking']:.0%} of benign items blocked"
            )
    return out


def _common_metadata(name: str, data_dir: Path) -> dict[str, Any]:
    return {
        "format": MODEL_FORMAT,
        "model": name,
        "trained_at": dt.date.today().isoformat(),
        "seed": SEED,
        "data_dir": str(data_dir),
        "command": "python -m classifier.train",
        "libraries": _library_versions(),
    }


def build_url(data_dir: Path, out_dir: Path, log: Any) -> dict[str, Any]:
    from classifier.training.url import URL_FALSE_ALARM_RATE, url_ships, url_training_run

    pipeline, run = url_training_run(data_dir, log)
    ships, rule = url_ships(run)
    metadata = {
        **_common_metadata("url", data_dir),
        "input": "host + path (+ query), lower-cased, scheme/port/www. removed, "
        "at most 200 characters; the proxy passes the host only",
        "features": "character 3-5-grams and [a-z0-9]{2,} tokens, binary; the "
        f"{len(pipeline[0].get_feature_names_out())} most informative by chi-squared",
        "estimator": "LogisticRegression (multinomial, L2, C=0.3); benign weighted as much as "
        "all harmful categories together",
        "classes": [str(c) for c in pipeline.classes_],
        "left_to_lists": run["left_to_lists"],
        "block_floor": run["block_floor"],
        "block_floor_rule": run["block_floor_rule"],
        "protected_categories": "the rights-sensitive hosts (Hearthguard's protected lists, "
        "UT1 press and sexual_education) are kept out of training and measured; other "
        "ordinary UT1 categories are trained as benign",
        "sources": {c: list(f) for c, f in URL_SOURCES.items()},
        "licences": {
            k: LICENCES[k]
            for k in ("ut1", "sinfonietta", "blocklistproject", "ut1-adult-popular", "hand-written")
        },
        "data_report": run["data_report"],
        "augmentation": f"{URL_PATH_AUGMENT_SHARE:.0%} of training hosts also appear with a "
        "generic path (hand-written path words) so a path says nothing by itself; "
        "synthetic benign host names from hand-written protected-topic words (health, "
        "rights, LGBT, news, education) teach that these words are no reason to block",
        "split": f"{TEST_SHARE:.0%} of registered domains held out (hash of seed and domain) "
        f"to set the block floor ({URL_FALSE_ALARM_RATE:.1%} of held-out benign hosts); "
        "leave-one-provider-out for the figures",
        "evaluation_leave_one_provider_out": run["leave_one_provider_out"],
        "evaluation_rights_sensitive": run["rights_sensitive"],
        "evaluation_held_out_split": run["held_out_split"],
        "baseline": "lists alone: for each left-out provider, the share of its harmful hosts "
        "(by registered domain) that the other providers' lists name",
        "ships": ships,
        "ship_rule": rule,
        "thresholds": {
            f"{t:g}": f"block when the top harmful category's probability is at least "
            f"max({t:g}, block floor {run['block_floor']:.3f})"
            for t in (0.5, 0.6, 0.7, 0.8, 0.9, 0.95)
        },
    }
    if not ships:
        log(
            "url: the model does not beat the lists alone without rights-sensitive blocks; "
            "not written"
        )
        return metadata
    _write_skops(pipeline_to_table(pipeline), out_dir / "url.skops")
    _write_json(metadata, out_dir / "url.json")
    return metadata


def build_chat(data_dir: Path, out_dir: Path, log: Any) -> dict[str, Any]:
    """Evaluate the chat model leave-one-source-out against alt-profanity-check (run by
    ``HEARTHGUARD_APC_PYTHON``, default ``/tmp/apc-venv/bin/python``, when it exists), train
    it on every training source and write ``chat.skops`` and ``chat.json``."""
    import os

    from classifier.training.chat import DEFAULT_APC_PYTHON, chat_model_files

    apc_python = Path(os.environ.get("HEARTHGUARD_APC_PYTHON", str(DEFAULT_APC_PYTHON)))
    table, details = chat_model_files(data_dir, log, apc_python=apc_python)
    metadata = {**_common_metadata("chat", data_dir), **details}
    _write_skops(table, out_dir / "chat.skops")
    _write_json(metadata, out_dir / "chat.json")
    return metadata


def build_page(data_dir: Path, out_dir: Path, log: Any) -> dict[str, Any]:
    from classifier.training.page import (
        PAGE_BENIGN_BAR,
        PAGE_CONTEXT_CAP,
        PAGE_CONTRAST_WEIGHT,
        PAGE_EVIDENCE_FLOOR,
        PAGE_MIN_PHRASES,
        page_training_run,
    )
    from classifier.training.sources import EVALUATION_ONLY, TRAINABLE

    train, test, report = page_corpus(data_dir)
    log(f"page: {len(train)} synthetic training documents, {len(test)} held out")
    table, run, documents = page_training_run(data_dir, train, test, log)
    model = build_page_model(table, {})
    metadata = {
        **_common_metadata("page", data_dir),
        "honest_summary": (
            "No real adult, dating, drug-shop or hate page text may be trained on. The model "
            "learns weighted phrases from synthetic documents (words of listed URLs, "
            "Davidson tweets), hand-written web boilerplate and protected-topic sentences, "
            "and real benign pages that may be shipped (MedQuAD health pages, Wikipedia "
            "articles). A category is blocked only on explicit evidence: at least "
            f"{PAGE_MIN_PHRASES} different phrases whose weight for it is at least "
            f"{PAGE_EVIDENCE_FLOOR}; phrases on more than {PAGE_BENIGN_BAR:.1%} of real benign "
            "training pages are never evidence. Scores are Platt-calibrated on held-out "
            "documents. Figures below come from real pages the model never trained on; it "
            "catches few real gambling and drug-market pages, and adult recall on real pages "
            "cannot be measured here (no adult page text in the data)."
        ),
        "input": "visible page text (classifier.text.html_to_text), up to 64 KB",
        "features": "word 1-2-grams, presence (not counts); words are runs of ASCII "
        "letters/digits or non-ASCII letters; n-grams never cross punctuation; n-grams made "
        "only of English stop words (scikit-learn's list) or single letters are left out",
        "estimator": "one LogisticRegression (L1, liblinear, C=1, balanced) per harmful "
        "category against all other documents; non-zero phrases compiled into an "
        "Aho-Corasick automaton at load time; evidence rule and Platt calibration per "
        "category (classifier.training.page)",
        "classes": list(model.classes),
        "phrases": len(table["phrases"]),
        "evidence_rule": {
            "evidence_floor": PAGE_EVIDENCE_FLOOR,
            "min_phrases": PAGE_MIN_PHRASES,
            "benign_bar": PAGE_BENIGN_BAR,
            "context_cap": PAGE_CONTEXT_CAP,
            "contrast_weight": {"gambling, drugs": PAGE_CONTRAST_WEIGHT},
            "barred_phrases": run["barred_by_real_benign_pages"],
        },
        "sources": {
            "lists": {c: list(URL_SOURCES[c]) for c in (*PAGE_LIST_CATEGORIES, BENIGN)},
            "hate": "text/davidson/labeled_data.csv (class 0)",
            "filler": "Davidson 'neither' and cyberbullying 'not_cyberbullying' tweets",
            "protected": "hand-written sentences in classifier/train.py",
            "web_boilerplate": "hand-written sentences in classifier/training/page.py",
            "real_benign_pages_trained": sorted(TRAINABLE),
            "real_pages_evaluation_only": sorted(EVALUATION_ONLY),
        },
        "licences": {
            **{
                k: LICENCES[k]
                for k in (
                    "ut1",
                    "sinfonietta",
                    "blocklistproject",
                    "ut1-adult-popular",
                    "davidson",
                    "cyberbullying",
                    "hand-written",
                )
            },
            "medquad": "CC BY 4.0 (Ben Abacha and Demner-Fushman 2019; NIH/CDC text)",
            "wikipedia": "CC BY-SA 3.0 (WikiText-2, Merity et al. 2016; Wikipedia authors)",
        },
        "data_report": {k: v for k, v in report.items() if k != "files"},
        "class_counts": {"train": dict(Counter(e.label for e in documents))},
        "split": "leave-one-source-out over real pages: MedQuAD and Wikipedia are each left "
        "out of one training run; recipes, BBC News, AG News, gambling-affiliate and Agora "
        "pages are never trained on. 20% of MedQuAD/Wikipedia (by topic) and the synthetic "
        "held-out documents calibrate the scores.",
        "evaluation_left_out_sources": run["sources"],
        "baseline_e2guardian": {
            "what": "e2guardian 5.3.5 default weightedphraselist (shared data, read at run "
            "time), page blocked when its total exceeds the limit Hearthguard uses for the "
            "preset (young 50, child 100, teen 160)",
            "sources": run["baseline"],
        },
        "evaluation_synthetic_held_out": run["synthetic_held_out"],
        "reliability_left_out_real_pages": run["reliability_left_out_real_pages"],
        "ships": run["ships"],
        "ship_rule": run["ship_rule"],
        "thresholds": {
            f"{t:g}": "block when a harmful category's calibrated probability is at least "
            f"{t:g} (and its evidence rule holds)"
            for t in (0.5, 0.6, 0.7, 0.8, 0.9, 0.95)
        },
        "corpus": f"{PAGE_CORPUS_FILE}: the training documents (MedQuAD pages cut at 3,000 "
        "characters), shipped for retrain_page_model",
    }
    if not run["ships"]:
        log("page: the model does not beat its baseline on left-out sources; not written")
        return metadata
    _write_skops(table, out_dir / "page.skops")
    _write_json(metadata, out_dir / "page.json")
    _write_corpus(
        [
            Example(e.text[:3000] if e.source == "medquad" else e.text, e.label, e.group, e.source)
            for e in documents
        ],
        out_dir / PAGE_CORPUS_FILE,
    )
    return metadata


_ATTRIBUTION_ROWS = (
    ("UT1 blacklists", "Université Toulouse Capitole (Fabrice Prigent), "
     "github.com/olbat/ut1-blacklists", "CC BY-SA 4.0", "url, page"),
    ("Sinfonietta hostfiles", "github.com/Sinfonietta/hostfiles", "MIT", "url, page"),
    ("The Block List Project", "github.com/blocklistproject/Lists", "Unlicense", "url, page"),
    ("UT1 adult ∩ top-1M", "github.com/chadmayfield/my-pihole-blocklists (data from UT1)",
     "CC BY-SA 4.0 (data), GPL-3.0 (compilation)", "url, page"),
    ("Hate speech and offensive language", "Davidson, Warmsley, Macy, Weber (ICWSM 2017), "
     "github.com/t-davidson/hate-speech-and-offensive-language", "MIT", "chat, page"),
    ("Cyberbullying tweets", "Wang, Fu, Lu (2020), SOSNet; Kaggle cyberbullying_tweets "
     "(partial copies)", "CC BY 4.0 (as reported)", "chat, page"),
    ("Jigsaw toxic comment sample", "Conversation AI / Jigsaw via IBM "
     "MAX-Toxic-Comment-Classifier", "CC0", "chat (evaluation only)"),
    ("MedQuAD consumer-health pages", "Ben Abacha and Demner-Fushman (2019), "
     "github.com/abachaa/MedQuAD (NIH and CDC text)", "CC BY 4.0", "page"),
    ("Wikipedia articles (WikiText-2)", "Merity et al. (2016), copy in github.com/pytorch/"
     "examples; classifier/data/corpora/SOURCE.md", "CC BY-SA 3.0", "page"),
    ("HateXplain", "Mathew et al. (AAAI 2021), github.com/punyajoy/HateXplain (text via "
     "github.com/Media-Bias-Group/magpie-multi-task)", "MIT", "chat"),
    ("Toxic Spans (Civil Comments)", "Pavlopoulos et al. (ACL 2022), "
     "github.com/ipavlopoulos/toxic_spans", "CC0 1.0", "chat"),
    ("Online misogyny (Reddit)", "Guest et al. (EACL 2021), "
     "github.com/ellamguest/online-misogyny-eacl2021", "MIT", "chat"),
    ("ETHOS hate speech", "Mollas et al. (2022), "
     "github.com/intelligence-csd-auth-gr/Ethos-Hate-Speech-Dataset", "GPL-3.0", "chat"),
    ("Gab Hate Corpus (dev and test parts)", "Kennedy et al. (2022), osf.io/edua3; copy from "
     "github.com/BrendanKennedy/contextualizing-hate-speech-models-with-explanations; "
     "classifier/data/corpora/chat/gab_hate_corpus/SOURCE.md", "CC BY 4.0 (corpus), MIT "
     "(repository)", "chat"),
    ("HateCheck", "Röttger, Vidgen, Nguyen, Waseem, Margetts, Pierrehumbert (ACL 2021), "
     "github.com/paul-rottger/hatecheck-data; classifier/data/corpora/chat/hatecheck/SOURCE.md",
     "CC BY 4.0", "chat"),
)  # fmt: skip


def attribution_markdown() -> str:
    """The ``ATTRIBUTION.md`` written next to the models."""
    lines = [
        "# Attribution for the shipped models",
        "",
        "The models in this directory are derived from the following data. They are",
        "distributed with Hearthguard under the terms below; the share-alike terms of UT1",
        "(CC BY-SA 4.0) apply to the models and to `page_corpus.jsonl.gz`.",
        "",
        "| data | source | licence | used by |",
        "|---|---|---|---|",
        *(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in _ATTRIBUTION_ROWS),
        "",
        "Hand-written sentences and path words in `classifier/train.py`, and chat lines",
        "and identity statements in `classifier/training/chat_data.py`, are Hearthguard's",
        "own. No e2guardian list is used by or shipped with these models. The CONDA Dota 2",
        "chat corpus (no licence stated) only measures the chat model and sets nothing in",
        "it but the comparison figures; none of its text is in the models.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Train, evaluate and write all three models; print a short summary."""
    parser = argparse.ArgumentParser(
        prog="python -m classifier.train",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("data_dir", nargs="?", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--out", type=Path, default=BUNDLED_MODEL_DIR)
    parser.add_argument("--only", choices=("url", "page", "chat"), action="append")
    args = parser.parse_args(argv)
    if not (args.data_dir / "lists").is_dir() or not (args.data_dir / "text").is_dir():
        print(f"error: {args.data_dir} has no lists/ and text/ folders", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)

    def log(message: str) -> None:
        print(message, flush=True)

    builders = {"url": build_url, "page": build_page, "chat": build_chat}
    for name in args.only or builders:
        metadata = builders[name](args.data_dir, args.out, log)
        if "evaluation" not in metadata:
            continue  # the model's own builder reported its left-out figures
        evaluation = metadata["evaluation"]
        figures = evaluation["thresholds"]
        log(
            f"{name}: "
            + json.dumps(
                {k: v for k, v in evaluation.items() if k in ("accuracy", "roc_auc", "items")}
            )
        )
        for t, row in figures.items():
            log(f"  threshold {t}: {json.dumps(row)}")
    (args.out / "ATTRIBUTION.md").write_text(attribution_markdown(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
