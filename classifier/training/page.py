"""The page model: learned evidence phrases, calibrated, measured on real pages it never saw.

Training text: synthetic documents from the category lists and tweets (``page_corpus``),
real benign pages that may be shipped (MedQuAD health pages, Wikipedia articles), and the
hand-written supplement. One L1 logistic regression per harmful category (that category
against everything else) picks a few thousand weighted phrases. At run time only strong
phrases count as evidence for a category, and at least ``PAGE_MIN_PHRASES`` different ones
must be on a page (``classifier.models.PageModel``): there is no real adult, dating or
drug-shop page text to learn from, so those categories block only on explicit vocabulary,
and real benign pages set the bar. Scores are Platt-calibrated on held-out documents.

Honest figures: every real page source is scored by a model that never trained on it
(MedQuAD and Wikipedia are left out in turn; recipes, news, gambling-affiliate and Agora
pages are never trained on), next to e2guardian's default weighted phrase lists read at run
time from the shared data (the baseline, never vendored).
"""

from __future__ import annotations

import random
import warnings
import zlib
from array import array
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from classifier.categories import BENIGN
from classifier.models import build_page_model, page_ngrams
from classifier.train import SEED, Example, group_split
from classifier.training.evaluation import (
    expected_calibration_error,
    fit_platt,
    reliability_curve,
)
from classifier.training.sources import EVALUATION_ONLY, TRAINABLE, page_sources

__all__ = [
    "PAGE_EVIDENCE_FLOOR",
    "PAGE_MIN_PHRASES",
    "PRESET_THRESHOLDS",
    "calibrate_table",
    "e2guardian_scores",
    "evaluate_page_sources",
    "fit_page_table",
    "page_training_run",
]

#: A phrase is evidence for a category when its weight for it is at least this.
PAGE_EVIDENCE_FLOOR = 1.5
#: A category is possible only with at least this many distinct evidence phrases on a page.
PAGE_MIN_PHRASES = 2
#: L1 strength: smaller keeps fewer phrases.
PAGE_C = 1.0
#: The page thresholds of the presets (young, child, teen, adult).
PRESET_THRESHOLDS = {"young": 0.6, "child": 0.7, "teen": 0.8, "adult": 0.95}
#: e2guardian naughtiness limits Hearthguard uses for the same presets.
E2GUARDIAN_LIMITS = {"young": 50, "child": 100, "teen": 160}
#: Weight of the contrast documents (topic words in reporting and care writing, benign).
PAGE_CONTRAST_WEIGHT = 4.0
#: The topics pages are most often about rather than of (news on gambling, health pages on
#: drugs): their contrast documents weigh ``PAGE_CONTRAST_WEIGHT``. Adult and dating keep
#: weight 1, so ordinary words around explicit ones do not cancel them.
_ABOUT_TOPICS = ("contrast-gambling-", "contrast-drugs-")
#: Categories with no real text and no "about" pages to protect beyond sex education: the
#: benign words around explicit ones subtract at most this much, so an explicit passage on an
#: otherwise ordinary page still counts. Other categories: no cap.
PAGE_CONTEXT_CAP = {"adult": 3.0}
_NO_CAP = 1e9
#: Real trainable pages held out for calibration (by group).
CALIBRATION_SHARE = 0.2
#: A phrase on more than this share of real benign training pages is never evidence.
PAGE_BENIGN_BAR = 0.005
#: Documents made from the web boilerplate sentences below (benign).
PAGE_BOILERPLATE_DOCS = 800

# Sentences of the furniture every website has, written for Hearthguard: cookie banners,
# privacy notices, menus, shop and account links, newsletter prompts, app downloads, ads.
# The category lists name many advertising and tracking hosts, so without these words of
# ordinary pages "analytics", "tracking", "ads" or "app" would read as evidence of gambling.
_WEB_BOILERPLATE = """
We use cookies and similar technologies to improve your experience and analyse traffic.
We and our partners show personalised ads.
Accept all cookies. Reject non-essential cookies.
Manage your cookie preferences and privacy settings.
Our advertising and analytics partners may combine this information with other data.
Tracking pixels and web beacons help us measure the performance of our adverts and newsletters.
Read our privacy policy, terms of use and accessibility statement. Contact us. Careers. Press.
Sign in or create an account. Forgot your password? Log out. My orders. Wishlist. Basket.
Add to cart. Free delivery on orders over fifty pounds. Checkout. Secure payment. Returns policy.
Best price guaranteed. Sale ends Sunday. Buy now and save twenty percent. Shop the new collection.
Download our app on the App Store and Google Play. Scan the QR code to get the app.
Subscribe to our newsletter for the latest news, offers and updates straight to your inbox.
Follow us on Facebook, Instagram, TikTok, YouTube, Pinterest and X. Share this page. Print.
Home. About us. Blog. Shop. Recipes. Travel. Games. Forum. Help centre. FAQ. Search this site.
This site is protected by reCAPTCHA and the Google privacy policy and terms of service apply.
Advertisement. Sponsored content.
Affiliate links: we may earn a commission when you buy through links on our site.
Loading... Please enable JavaScript to view this page. Your browser is out of date.
Leave a comment. Your email address will not be published. Required fields are marked. Reply.
Rated 4.8 out of 5 by 1,203 customers. Write a review. Questions and answers. Compare products.
Track your order. Delivery information. Gift cards. Student discount. Store locator. Opening times.
Play free online games for kids: puzzles, racing, dress-up and maths games. New games every week.
Join the community: post updates, share photos, like and comment, message friends and followers.
Book hotels, flights and holiday rentals. Check-in and check-out dates. Guests. Search deals.
Our school newsletter, term dates, uniform, lunch menu, homework club and parents evening.
Copyright 2024. All rights reserved. Site map. Cookie settings. Do not sell my personal information.
Stream the latest films and series. Watch trailers. Subscribe for unlimited streaming in HD.
Software update available. Download the latest version. Release notes.
Developer API documentation and SDK.
Server status, uptime statistics, analytics dashboard, content delivery network and image hosting.
"""


# A small supplement written for Hearthguard: the promotional language of casino, drug-shop,
# porn and hook-up sites, which listed site names only hint at. Generic wording, no brand.
_HARMFUL_SUPPLEMENT = {
    "gambling": """
Claim your welcome bonus: 100% up to 500 and 200 free spins on your first deposit.
Play online slots, live roulette, blackjack and baccarat at the best online casino.
No deposit bonus codes and free spins for new players, wagering requirements apply.
Bet on football, tennis and horse racing with the best odds at our sportsbook.
Place your bets live: in-play betting, accumulators, cash out and boosted odds.
Spin the reels of progressive jackpot slots and win big; high RTP slot games.
Fast withdrawals, instant deposits with crypto, cashback and VIP rewards for high rollers.
Join the poker room: tournaments, freerolls and cash games every day.
Top online casinos ranked: bonuses, payout speed, game providers and licences.
Sign up, make a deposit and get your free bet today; minimum odds and rollover apply.
Crash games, live dealer tables, scratch cards and lottery draws, all in one casino app.
Daily reload bonus, weekly free spins and a loyalty programme for every bettor.
""",
    "drugs": """
Buy weed online: top shelf cannabis buds, hash, THC edibles and vape carts, discreet shipping.
Order MDMA, cocaine, ketamine and LSD tabs with stealth packaging and tracking.
Buy Xanax, Valium, oxycodone and Adderall online without a prescription, overnight delivery.
Magic mushrooms, psilocybin grow kits and microdose capsules for sale.
Vendor shop: grams, ounces and quarter pounds; escrow accepted, reship if lost.
Premium indica and sativa strains, pre-rolls, wax, shatter and live resin concentrates.
Research chemicals for sale: synthetic cannabinoids and designer stimulants, lab tested purity.
Cheap pills online: no prescription needed, bulk discounts, pay with bitcoin.
Get high with our strongest THC gummies and brownies, 500mg per pack.
Pure uncut product, best prices on the market, fast and discreet worldwide delivery.
""",
    "adult": """
Free porn videos: watch hardcore sex movies in HD, updated daily.
Hot naked girls, nude pics and amateur sex tapes, no sign up required.
Live sex cams: chat with horny webcam models now, free shows and private rooms.
Milf, teen 18+, lesbian, anal and bdsm categories; the best free tube.
Watch full length scenes of hot babes fucking, blowjobs and cumshots.
Join now for unlimited access to premium hardcore content, adults only.
Sexy pornstars, erotic videos and nude galleries; 18 or over only.
Hentai, cartoon sex and adult games online for free.
Hardcore sex videos, big tits, wet pussy and huge cock clips.
Horny girls fucking, cum shots and blowjob videos.
Watch free sex videos and clips: pussy, tits, ass and cock.
Best hardcore site with free sex videos, naughty pics and horny amateurs.
""",
    "dating": """
Meet hot singles in your area tonight: sign up free and start flirting.
Hook up with local women and men looking for casual sex and no strings fun.
Find your perfect match with our dating app: browse profiles, swipe and chat.
Adult dating for discreet encounters, affairs and one night stands.
Create your free dating profile, upload photos and get matched with singles near you.
Thousands of lonely singles are waiting to chat with you; join the dating site now.
""",
}
#: Documents per harmful category made from the supplement sentences.
PAGE_SUPPLEMENT_DOCS = 300


def supplement_documents(count: int = PAGE_SUPPLEMENT_DOCS, *, seed: int = SEED) -> list[Example]:
    """Harmful documents from the hand-written supplement (2 to 5 sentences each)."""
    rng = random.Random(seed + 1)
    out: list[Example] = []
    for label, block in sorted(_HARMFUL_SUPPLEMENT.items()):
        sentences = [line.strip() for line in block.strip().splitlines() if line.strip()]
        for i in range(count):
            text = " ".join(rng.sample(sentences, rng.randint(2, min(5, len(sentences)))))
            out.append(Example(text, label, f"supplement-{label}-{i}", "hand-written"))
    return out


def boilerplate_documents(count: int = PAGE_BOILERPLATE_DOCS, *, seed: int = SEED) -> list[Example]:
    """Benign documents made of the hand-written web boilerplate sentences (3 to 8 each)."""
    rng = random.Random(seed)
    sentences = [line.strip() for line in _WEB_BOILERPLATE.strip().splitlines() if line.strip()]
    return [
        Example(
            " ".join(rng.sample(sentences, rng.randint(3, 8))), BENIGN, f"web-{i}", "hand-written"
        )
        for i in range(count)
    ]


def bar_common_phrases(
    table: dict[str, Any], benign_matrix: Any, names: np.ndarray, share: float = PAGE_BENIGN_BAR
) -> tuple[dict[str, Any], list[str]]:
    """Real benign pages set the bar: a phrase present on more than ``share`` of the rows of
    ``benign_matrix`` (real benign pages, columns ``names``) loses its positive weights, so
    it can never be evidence of a harmful category. Returns the new table and the phrases
    barred that had evidence weight."""
    frequency = np.asarray((benign_matrix > 0).sum(axis=0)).ravel() / max(1, benign_matrix.shape[0])
    common = set(names[frequency > share].tolist())
    weights = np.array(table["weights"], dtype=np.float32)
    barred: list[str] = []
    for row, phrase in enumerate(table["phrases"].tolist()):
        if phrase in common and (weights[row] > 0).any():
            if (weights[row] >= table["evidence_floor"]).any():
                barred.append(phrase.strip())
            weights[row] = np.minimum(weights[row], 0.0)
    return {**table, "weights": weights}, sorted(barred)


#: Phrases must occur in at least this many training documents to be features.
PAGE_MIN_DF = 3
_DF_BUCKETS = 1 << 24


def _buckets(gram: str) -> tuple[int, int]:
    raw = gram.encode("utf-8", "surrogatepass")
    return zlib.crc32(raw) & (_DF_BUCKETS - 1), zlib.adler32(raw) & (_DF_BUCKETS - 1)


def frequent_ngrams(texts: Sequence[str], min_df: int = PAGE_MIN_DF) -> list[str]:
    """Every phrase (``page_ngrams``) found in at least ``min_df`` of ``texts``, sorted,
    counted in bounded memory.

    A dict of every distinct phrase of the corpus (1.7 million) and scikit-learn's
    list-of-ints matrix building took most of the 700+ MB that training and household
    retraining peaked at. Here document frequencies go first into two 16 MB tables of
    saturating counters indexed by two hashes (a phrase's count is at most the smaller of
    its two cells), so only phrases that may reach ``min_df`` are then counted exactly.
    """
    cells = np.zeros((2, _DF_BUCKETS), dtype=np.uint8)
    for text in texts:
        pairs = np.array([_buckets(gram) for gram in set(page_ngrams(text))], dtype=np.int64)
        if pairs.size:
            for row in (0, 1):
                column = pairs[:, row]
                cells[row, column] = np.minimum(cells[row, column], min_df - 1) + 1
    exact: Counter[str] = Counter()
    for text in texts:
        exact.update(
            g
            for g in set(page_ngrams(text))
            if min(cells[0, (b := _buckets(g))[0]], cells[1, b[1]]) >= min_df
        )
    return sorted(g for g, n in exact.items() if n >= min_df)


def _vectorize(texts: Sequence[str]) -> tuple[Any, np.ndarray]:
    """Binary phrase presence for ``texts`` (a CSR matrix) over the phrases of at least
    ``PAGE_MIN_DF`` documents that are not only stop words, and those phrases: the columns
    of a ``CountVectorizer(min_df=PAGE_MIN_DF)``, built without its per-entry Python ints."""
    from scipy.sparse import csr_matrix

    from classifier.train import _only_stop_words

    names = [g for g in frequent_ngrams(texts) if not _only_stop_words(g)]
    column = {name: i for i, name in enumerate(names)}
    indices, indptr = array("i"), array("q", [0])
    for text in texts:
        indices.extend(sorted({column[g] for g in page_ngrams(text) if g in column}))
        indptr.append(len(indices))
    matrix = csr_matrix(
        (
            np.ones(len(indices), dtype=np.float64),
            np.frombuffer(indices, dtype=np.int32),
            np.frombuffer(indptr, dtype=np.int64),
        ),
        shape=(len(texts), len(names)),
    )
    return matrix, np.asarray(names, dtype=object)


def fit_page_table(
    matrix: Any,
    names: np.ndarray,
    labels: Sequence[str],
    *,
    weights: Sequence[float] | np.ndarray | None = None,
    c: float = PAGE_C,
    seed: int = SEED,
) -> dict[str, Any]:
    """One L1 logistic regression per harmful label (against all others, classes balanced)
    over the rows of ``matrix``; returns the phrase table ``build_page_model`` compiles:
    non-zero phrases, their weights (a zero ``benign`` column), intercepts, the evidence
    floor and minimum, and an identity calibration (``calibrate_table`` replaces it)."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    y = np.asarray(labels)
    harmful = sorted({str(label) for label in y} - {BENIGN})
    base = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=np.float64)
    columns = []
    intercepts = []
    for label in harmful:
        positive = y == label
        share = base[positive].sum() / max(base[~positive].sum(), 1e-9)
        sample_weight = np.where(positive, 1.0, share) * base
        model = LogisticRegression(
            solver="liblinear", C=c, max_iter=300, tol=1e-4, random_state=seed, **_l1()
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.simplefilter("ignore", FutureWarning)
            warnings.simplefilter("ignore", UserWarning)
            model.fit(matrix, positive.astype(int), sample_weight=sample_weight)
        columns.append(model.coef_[0])
        intercepts.append(float(model.intercept_[0]))
    weights_matrix = np.column_stack([*columns, np.zeros(matrix.shape[1])])
    keep = np.flatnonzero(np.abs(weights_matrix).max(axis=1) > 0)
    order = keep[np.argsort(names[keep])]
    classes = [*harmful, BENIGN]
    phrases = [str(names[i]) for i in order]
    stem_ids: dict[str, int] = {}
    return {
        "phrases": np.asarray(phrases).astype(str),
        "stems": np.asarray(
            [stem_ids.setdefault(phrase_stem(p), len(stem_ids)) for p in phrases], dtype=np.int64
        ),
        "weights": weights_matrix[order].astype(np.float32),
        "intercept": np.asarray([*intercepts, 0.0], dtype=np.float64),
        "classes": np.asarray(classes).astype(str),
        "calibration": np.tile([1.0, 0.0], (len(classes), 1)),
        "evidence_floor": PAGE_EVIDENCE_FLOOR,
        "min_phrases": PAGE_MIN_PHRASES,
        "context_cap": np.asarray(
            [PAGE_CONTEXT_CAP.get(name, _NO_CAP) for name in classes], dtype=np.float64
        ),
    }


def phrase_stem(phrase: str) -> str:
    """A crude English stem of a phrase: each word without a plural ``s``/``es`` ending
    (``" casinos "`` and ``" casino "`` share a stem)."""
    words = []
    for word in phrase.split():
        if len(word) > 4 and word.endswith("es") and not word.endswith("ses"):
            word = word[:-2]
        elif len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        words.append(word)
    return " ".join(words)


def _l1() -> dict[str, Any]:
    from classifier.train import _l1_penalty

    return _l1_penalty()


def calibrate_table(table: dict[str, Any], docs: Sequence[Example]) -> dict[str, Any]:
    """Fit Platt parameters per harmful class on ``docs`` (never trained on): positives are
    the class's documents, negatives every other document (benign weighs as much as the
    positives). Only documents with enough evidence for the class take part, as only they
    can ever be blocked. Returns a new table."""
    model = build_page_model(table, {})
    classes = list(model.classes)
    evidence = [model.evidence(e.text) for e in docs]
    scores = np.vstack([s for s, _ in evidence])
    counts = np.vstack([n for _, n in evidence])
    labels = np.asarray([e.label for e in docs])
    calibration = np.tile([1.0, 0.0], (len(classes), 1))
    for i, name in enumerate(classes):
        if name == BENIGN:
            continue
        eligible = counts[:, i] >= model.min_phrases
        y = (labels[eligible] == name).astype(int)
        if y.sum() == 0 or y.sum() == y.size:
            continue
        w = np.where(y == 1, 1.0, y.sum() / max(1, (y == 0).sum()))
        calibration[i] = fit_platt(scores[eligible, i], y, weights=w)
    return {**table, "calibration": calibration}


def e2guardian_scores(data_dir: Path, texts: Sequence[str]) -> tuple[list[int], list[str]]:
    """Totals and strongest categories of e2guardian's default weighted phrase lists
    (``lists/e2guardian/weightedphraselist`` in the shared data, read at run time)."""
    from classifier.lists.phrases import load_weighted_phrases

    scorer, _report = load_weighted_phrases(
        Path(data_dir) / "lists" / "e2guardian" / "weightedphraselist"
    )
    totals: list[int] = []
    strongest: list[str] = []
    for text in texts:
        found = scorer.score(text)
        totals.append(found.total)
        positive = [(w, name) for name, w in found.by_category.items() if w > 0]
        strongest.append(max(positive)[1] if positive else BENIGN)
    return totals, strongest


def _page_category(name: str) -> str:
    return "drugs" if name in ("illegaldrugs", "drugadvocacy") else name


def evaluate_page_sources(
    probabilities: np.ndarray, classes: Sequence[str], docs: Sequence[Example]
) -> dict[str, Any]:
    """For one source's documents: at each preset threshold, the share blocked (benign
    sources) or caught under the right category (harmful ones), with the categories blocked."""
    classes = list(classes)
    benign = classes.index(BENIGN)
    harmful_p = probabilities.copy()
    harmful_p[:, benign] = -1.0
    best = harmful_p.argmax(axis=1)
    top = harmful_p[np.arange(len(best)), best]
    labels = [e.label for e in docs]
    out: dict[str, Any] = {"pages": len(docs), "label": Counter(labels).most_common(1)[0][0]}
    for preset, t in PRESET_THRESHOLDS.items():
        blocked = top >= t
        right = np.array([classes[b] == y for b, y in zip(best, labels, strict=True)])
        out[preset] = {
            "blocked": round(float(blocked.mean()), 4) if len(docs) else 0.0,
            "caught_right_category": round(float((blocked & right).mean()), 4),
            "categories": dict(Counter(classes[b] for b in best[blocked]).most_common()),
        }
    return out


def _baseline(
    totals: Sequence[int], strongest: Sequence[str], docs: Sequence[Example]
) -> dict[str, Any]:
    out: dict[str, Any] = {"pages": len(docs)}
    for preset, limit in E2GUARDIAN_LIMITS.items():
        blocked = np.asarray(totals) > limit
        right = np.array(
            [_page_category(s) == e.label for s, e in zip(strongest, docs, strict=True)]
        )
        out[preset] = {
            "limit": limit,
            "blocked": round(float(blocked.mean()), 4) if len(docs) else 0.0,
            "caught_right_category": round(float((blocked & right).mean()), 4),
        }
    return out


def page_training_run(
    data_dir: Path,
    synthetic_train: Sequence[Example],
    synthetic_test: Sequence[Example],
    log: Callable[[str], None],
    *,
    seed: int = SEED,
) -> tuple[dict[str, Any], dict[str, Any], list[Example]]:
    """Train the shipped page table, the leave-one-source-out tables, calibrate them and
    score every real page source with a model that never trained on it, and the e2guardian
    baseline on the same pages. Returns ``(table, report, training_documents)``."""
    real, missing = page_sources(data_dir)
    trainable = {name: real[name] for name in TRAINABLE if name in real}
    real_train: dict[str, list[Example]] = {}
    real_calibration: list[Example] = []
    for name, docs in trainable.items():
        train, held = group_split(docs, CALIBRATION_SHARE, seed=seed)
        real_train[name] = train
        real_calibration.extend(held)
    docs = (
        list(synthetic_train)
        + boilerplate_documents(seed=seed)
        + supplement_documents(seed=seed)
        + [e for d in real_train.values() for e in d]
    )
    sources = [e.source if e.source in TRAINABLE else "synthetic" for e in docs]
    log(f"page: vectorising {len(docs)} training documents")
    matrix, names = _vectorize([e.text for e in docs])
    labels = [e.label for e in docs]
    # Pages about a topic: the contrast documents of gambling and drugs (their words among
    # the words of news, health, rights and education writing, labelled benign) weigh more,
    # so that the words of reporting and care count against a block.
    doc_weights = np.array(
        [
            PAGE_CONTRAST_WEIGHT
            if e.source == "lists+hand-written" and e.group.startswith(_ABOUT_TOPICS)
            else 1.0
            for e in docs
        ]
    )
    synthetic_calibration = list(synthetic_test)
    barred: dict[str, list[str]] = {}

    def fit(without: str | None) -> dict[str, Any]:
        rows = np.flatnonzero(np.asarray(sources) != without) if without else np.arange(len(docs))
        table = fit_page_table(
            matrix[rows], names, [labels[i] for i in rows], weights=doc_weights[rows], seed=seed
        )
        real_rows = [i for i in rows if sources[i] in TRAINABLE]
        table, barred[without or "shipped"] = bar_common_phrases(table, matrix[real_rows], names)
        held = synthetic_calibration + [e for e in real_calibration if e.source != without]
        return calibrate_table(table, held)

    log("page: training the shipped table")
    shipped = fit(None)
    tables: dict[str | None, dict[str, Any]] = {None: shipped}
    for name in trainable:
        log(f"page: training without {name}")
        tables[name] = fit(name)

    report: dict[str, Any] = {
        "missing_sources": missing,
        "barred_by_real_benign_pages": barred["shipped"],
        "sources": {},
        "baseline": {},
    }
    pooled_y: list[int] = []
    pooled_p: list[float] = []
    for name, pages in real.items():
        model = build_page_model(tables[name] if name in trainable else shipped, {})
        probabilities = model.predict_proba([e.text for e in pages])
        report["sources"][name] = {
            "left_out": "never trained on" if name in EVALUATION_ONLY else "left out",
            **evaluate_page_sources(probabilities, model.classes, pages),
        }
        benign = list(model.classes).index(BENIGN)
        top = np.delete(probabilities, benign, axis=1).max(axis=1)
        pooled_y.extend(int(e.label != BENIGN) for e in pages)
        pooled_p.extend(top.tolist())
        totals, strongest = e2guardian_scores(data_dir, [e.text for e in pages])
        report["baseline"][name] = _baseline(totals, strongest, pages)
        log(
            f"page: {name}: child blocked {report['sources'][name]['child']['blocked']:.2%} "
            f"(e2guardian {report['baseline'][name]['child']['blocked']:.2%})"
        )
    model = build_page_model(shipped, {})
    probabilities = model.predict_proba([e.text for e in synthetic_test])
    report["synthetic_held_out"] = {
        label: evaluate_page_sources(
            probabilities[[i for i, e in enumerate(synthetic_test) if e.label == label]],
            model.classes,
            [e for e in synthetic_test if e.label == label],
        )
        for label in sorted({e.label for e in synthetic_test})
    }
    report["reliability_left_out_real_pages"] = {
        "curve": reliability_curve(pooled_y, pooled_p),
        "expected_calibration_error": expected_calibration_error(pooled_y, pooled_p),
    }
    report["ships"], report["ship_rule"] = _beats_baseline(report)
    return shipped, report, docs


def _beats_baseline(report: dict[str, Any]) -> tuple[bool, str]:
    rule = (
        "ships when, at the child preset, it blocks at most 1% of every left-out real benign "
        "source and catches at least as many real harmful pages (gambling affiliate + Agora, "
        "right category) as e2guardian's default phrase lists at the child limit"
    )
    ok = True
    caught = base = 0.0
    for name, figures in report["sources"].items():
        if figures["label"] == BENIGN:
            ok = ok and figures["child"]["blocked"] <= 0.01
        else:
            caught += figures["child"]["caught_right_category"] * figures["pages"]
            base += report["baseline"][name]["child"]["caught_right_category"] * figures["pages"]
    return bool(ok and caught >= base), rule
