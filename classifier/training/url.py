"""The URL model, never at the cost of rights: what it predicts, how high its bar is, and
honest figures next to the lists alone.

- Categories: a model of host names predicts only the harmful categories whose names say
  something (adult, provocative, gambling, drugs, violence, dating). Malware, phishing and
  anonymizers are left to the lists: their host names are random or ordinary, and the model
  read long news paths and infrastructure hosts as malware. Piracy and the ordinary
  categories (social, chat, games, video) are left to the lists too: their names look like
  any shop, blog or media site, and predicting them forced a high bar on every category.
- Rights-sensitive benign set, kept out of training: Hearthguard's protected lists (health,
  helplines, sex education, rights), UT1 ``press`` and ``sexual_education``. Blocks on it are
  measured for the lists and for the model.
- Real ordinary site names (``benign_names/``: PeerTube instances, v2fly media, shopping and
  company lists) and UT1's video sites are benign training names, so one piece harmful and
  ordinary names share ("tube") does not decide by itself; the held-out half of those names
  is never trained on (by site name) and measured, and bounds what the model may ship.
- Bar: the model blocks only at or above ``block_floor``, chosen so that at most
  ``URL_FALSE_ALARM_RATE`` of held-out ordinary benign hosts would be blocked.
- Leave-one-source-out: each list provider is left out in turn; the figure is how many of
  its harmful hosts the other providers' lists catch (lists alone) and how many more the
  model trained without it adds.
"""

from __future__ import annotations

import random
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from classifier.categories import BENIGN
from classifier.models.url import registered_domain, shared_platform, url_model_input
from classifier.training.evaluation import threshold_at_false_alarm_rate
from classifier.training.infra_hosts import infra_hosts
from classifier.training.list_sources import URL_SOURCES, read_list_file, url_examples
from classifier.training.splits import SEED, Example, group_split
from classifier.training.url_benign_names import BENIGN_NAMES_DIR, read_names, site_name
from classifier.training.url_pipeline import augment_urls, train_url_model

__all__ = [
    "RIGHTS_FILES",
    "SHIPPED_DESIGN",
    "URL_FALSE_ALARM_RATE",
    "URL_MODEL_CATEGORIES",
    "UrlDesign",
    "benign_names_report",
    "listed_only_by_servers",
    "rights_sensitive_hosts",
    "url_training_run",
]

#: Categories the URL model may answer (besides benign).
URL_MODEL_CATEGORIES = ("adult", "provocative", "gambling", "drugs", "violence", "dating")
#: Training URLs per label in each leave-one-provider-out run (the shipped model uses all):
#: keeps a full training run within minutes; the folds' figures are, if anything, low.
URL_FOLD_CAP = 8000
#: Held-out ordinary benign hosts the model may block at most (sets ``block_floor``).
URL_FALSE_ALARM_RATE = 0.002


@dataclass(frozen=True)
class UrlDesign:
    """What a URL training run learns from and how (compared by ``url_variants``).

    ``real_benign_names``: train on ``benign_names/train.txt`` as benign; ``video_benign``:
    video sites (UT1 ``audio-video``, left to the lists) are benign names for the model,
    which never predicts video."""

    real_benign_names: bool = True
    video_benign: bool = True


SHIPPED_DESIGN = UrlDesign()
#: Rights-sensitive benign hosts: kind -> files (``hearthguard:`` = bundled protected lists).
RIGHTS_FILES: dict[str, tuple[str, ...]] = {
    "news (UT1 press)": ("ut1/press/domains", "ut1/press/urls"),
    "sex education (UT1)": ("ut1/sexual_education/domains", "ut1/sexual_education/urls"),
    "health (Hearthguard)": ("hearthguard:health.txt",),
    "helplines (Hearthguard)": ("hearthguard:helpline.txt",),
    "sex education (Hearthguard)": ("hearthguard:sex_education.txt",),
    "rights (Hearthguard)": ("hearthguard:rights.txt",),
}
_BUNDLED_LISTS = Path(__file__).resolve().parents[1] / "data" / "lists" / "hearthguard"
_PROVIDERS = {"ut1-adult-popular": "ut1"}  # a subset of UT1 adult: one source with UT1


#: Harmful list entries that name an advertising, tracking or delivery host rather than a
#: site (the 2020 gambling hosts list holds many): label noise for a model of site names,
#: which otherwise learns that "ad" or "api" means gambling.
_NOT_A_SITE_NAME = re.compile(
    r"^(ad|ads|adserver|adservice|adx|track|tracker|tracking|pixel|stats|stat|analytics|"
    r"metrics|counter|cdn|static|img|images|api|sdk|beacon|tag|tags|log|logs|collect)"
    r"[0-9]*[.-]"
)


def rights_sensitive_hosts(data_dir: Path) -> dict[str, list[str]]:
    """Kind -> host names (path entries cut to their host), de-duplicated."""
    out: dict[str, list[str]] = {}
    for kind, files in RIGHTS_FILES.items():
        hosts: set[str] = set()
        for relative in files:
            if relative.startswith("hearthguard:"):
                path = _BUNDLED_LISTS / relative.split(":", 1)[1]
            else:
                path = Path(data_dir) / "lists" / relative
            if not path.is_file():
                continue
            entries, _bad = read_list_file(path)
            hosts.update(entry.split("/", 1)[0] for entry in entries)
        out[kind] = sorted(hosts)
    return out


def listed_only_by_servers(data_dir: Path) -> set[str]:
    """Registered domains that the harmful lists name only through advertising, tracking or
    delivery hosts below them (``ads.example.com``, never ``example.com`` or a site-like
    host): the model judges registered domains, and these are not harmful site names."""
    site_named: dict[str, bool] = {}
    for category, files in URL_SOURCES.items():
        if category == BENIGN:
            continue
        for relative in files:
            path = Path(data_dir) / "lists" / relative
            if not path.is_file():
                continue
            entries, _bad = read_list_file(path)
            for entry in entries:
                host = entry.split("/", 1)[0].removeprefix("www.")
                domain = registered_domain(host)
                server = host != domain and bool(_NOT_A_SITE_NAME.match(host))
                site_named[domain] = site_named.get(domain, False) or not server
    return {domain for domain, named in site_named.items() if not named}


def _provider_entries(data_dir: Path) -> dict[str, dict[str, str]]:
    """Provider -> {registered domain: harmful category} over every harmful list file."""
    out: dict[str, dict[str, str]] = defaultdict(dict)
    for category, files in URL_SOURCES.items():
        if category == BENIGN:
            continue
        for relative in files:
            path = Path(data_dir) / "lists" / relative
            if not path.is_file():
                continue
            provider = _PROVIDERS.get(relative.split("/", 1)[0], relative.split("/", 1)[0])
            entries, _bad = read_list_file(path)
            for entry in entries:
                out[provider].setdefault(registered_domain(entry), category)
    return out


def _verdicts(pipeline: Any, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(best harmful class name, its probability) per text."""
    classes = list(pipeline.classes_)
    p = pipeline.predict_proba(list(texts))
    benign = classes.index(BENIGN)
    p[:, benign] = -1.0
    best = p.argmax(axis=1)
    return np.asarray(classes)[best], p[np.arange(len(best)), best]


def url_training_run(
    data_dir: Path,
    log: Callable[[str], None],
    *,
    seed: int = SEED,
    design: UrlDesign = SHIPPED_DESIGN,
    folds: bool = True,
) -> tuple[Any, dict[str, Any]]:
    """Train the shipped URL pipeline and the leave-one-provider-out pipelines; return the
    shipped pipeline and the report (block floor, per-provider table, rights-sensitive,
    infrastructure and held-out real benign names blocked by lists and by model, per
    preset). ``folds=False`` skips the leave-one-provider-out table (quicker comparisons)."""
    rights = rights_sensitive_hosts(data_dir)
    infra = infra_hosts()
    providers = _provider_entries(data_dir)
    listed = {d for entries in providers.values() for d in entries}
    held_names = [d for d, _source in read_names(BENIGN_NAMES_DIR / "heldout.txt")]
    held_evaluated = [d for d in held_names if d not in listed]
    held_site_names = {site_name(d) for d in held_evaluated}
    rights_domains = {registered_domain(h) for hosts in rights.values() for h in hosts}
    never_trained = rights_domains | {registered_domain(h) for h in infra}
    servers_only = listed_only_by_servers(data_dir)
    examples, data_report = url_examples(data_dir, seed=seed)
    if design.video_benign:
        examples = [
            Example(e.text, BENIGN, e.group, e.source + "-video") if e.label == "video" else e
            for e in examples
        ]
    if design.real_benign_names:
        seen = {e.text for e in examples}
        added = [
            Example(url_model_input(d), BENIGN, d, "benign-names")
            for d, _source in read_names(BENIGN_NAMES_DIR / "train.txt")
            if d not in listed and url_model_input(d) not in seen
        ]
        data_report = {**data_report, "benign_names_trained": len(added)}
        examples = examples + added
    kept = [
        e
        for e in examples
        if (e.label == BENIGN or e.label in URL_MODEL_CATEGORIES)
        and e.group not in never_trained
        and site_name(e.group) not in held_site_names
        and not (
            e.label != BENIGN and (e.group in servers_only or _NOT_A_SITE_NAME.match(e.text[1:]))
        )
        and not shared_platform(e.text[1:-1])
    ]
    log(f"url: {len(kept)} of {len(examples)} list URLs kept (model categories, no rights hosts)")

    def fit(train: Sequence[Example]) -> Any:
        return train_url_model(augment_urls(train, random.Random(seed)), seed=seed)

    train, test = group_split(kept, seed=seed)
    pipeline = fit(train)
    benign_test = [e for e in test if e.label == BENIGN]
    _, benign_scores = _verdicts(pipeline, [e.text for e in benign_test])
    floor = threshold_at_false_alarm_rate(benign_scores, URL_FALSE_ALARM_RATE)
    floor = float(min(max(floor, 0.5), 0.99))
    log(f"url: block floor {floor:.3f}")
    report: dict[str, Any] = {
        "design": {
            "real_benign_names": design.real_benign_names,
            "video_benign": design.video_benign,
        },
        "block_floor": round(floor, 4),
        "block_floor_rule": f"the lowest score at which at most {URL_FALSE_ALARM_RATE:.1%} of "
        "held-out ordinary benign hosts are blocked",
        "categories": list(URL_MODEL_CATEGORIES),
        "left_to_lists": sorted(set(URL_SOURCES) - {BENIGN, *URL_MODEL_CATEGORIES}),
        "data_report": data_report,
    }
    presets = {"young": 0.7, "child": 0.8, "teen": 0.9}

    def blocked_share(scores: np.ndarray, threshold: float) -> float:
        return round(float((scores >= max(threshold, floor)).mean()), 4) if len(scores) else 0.0

    harmful_test = [e for e in test if e.label != BENIGN]
    names, scores = _verdicts(pipeline, [e.text for e in harmful_test])
    right = names == np.asarray([e.label for e in harmful_test])
    report["held_out_split"] = {
        "benign_blocked": {p: blocked_share(benign_scores, t) for p, t in presets.items()},
        "harmful_caught_right_category": {
            p: round(float(((scores >= max(t, floor)) & right).mean()), 4)
            for p, t in presets.items()
        },
        "items": {"benign": len(benign_test), "harmful": len(harmful_test)},
    }
    report.update(_benign_sets_report(pipeline, rights, infra, providers, blocked_share, presets))
    _, held_scores = _verdicts(pipeline, [url_model_input(d) for d in held_evaluated])
    report["benign_names"] = benign_names_report(
        held_evaluated, held_scores, max(presets["child"], floor)
    ) | {
        "named_by_a_harmful_list_not_counted": len(held_names) - len(held_evaluated),
        "evaluated": list(held_evaluated),
        "model_blocked": {p: blocked_share(held_scores, t) for p, t in presets.items()},
    }
    if folds:
        report["leave_one_provider_out"] = _leave_one_provider_out(
            kept, providers, floor, presets, seed, log, fit
        )
    return pipeline, report


def benign_names_report(names: Sequence[str], scores: np.ndarray, bar: float) -> dict[str, Any]:
    """How many held-out real benign names reach ``bar`` (the child preset's bar): all of
    them, those with a piece that harmful names often hold (``tube``, ``bet``, ``sex``,
    ``cam``, ``hot``, ``teen``, ``med``, ``pharm``), and the names blocked."""
    blocked = [n for n, s in zip(names, scores, strict=True) if s >= bar]
    pieces: dict[str, Any] = {}
    for piece in ("tube", "bet", "sex", "cam", "hot", "teen", "med", "pharm"):
        holding = [n for n in names if piece in site_name(n)]
        hits = [n for n in blocked if piece in site_name(n)]
        pieces[piece] = {"names": len(holding), "blocked_at_child": len(hits)}
    return {
        "source": "classifier/data/benign_names/heldout.txt (PeerTube instances via yt-dlp, "
        "Unlicense; v2fly/domain-list-community, MIT); never trained on",
        "names": len(names),
        "blocked_at_child": len(blocked),
        "by_piece": pieces,
        "blocked_examples": sorted(blocked)[:40],
    }


def _benign_sets_report(
    pipeline: Any,
    rights: dict[str, list[str]],
    infra: Sequence[str],
    providers: dict[str, dict[str, str]],
    blocked_share: Callable[[np.ndarray, float], float],
    presets: dict[str, float],
) -> dict[str, Any]:
    """Blocks on the benign sets training never saw, by preset: per kind of rights-sensitive
    host by the model (and how many a harmful list names), and the infrastructure hosts."""
    listed = {d: c for entries in providers.values() for d, c in entries.items()}
    rights_report: dict[str, Any] = {}
    for kind, hosts in rights.items():
        _, s = _verdicts(pipeline, [url_model_input(h) for h in hosts])
        by_lists = [h for h in hosts if registered_domain(h) in listed]
        rights_report[kind] = {
            "hosts": len(hosts),
            "in_a_harmful_list": round(len(by_lists) / len(hosts), 4) if hosts else 0.0,
            "model_blocked": {p: blocked_share(s, t) for p, t in presets.items()},
        }
    _, infra_scores = _verdicts(pipeline, [url_model_input(h) for h in infra])
    return {
        "rights_sensitive": rights_report,
        "infrastructure": {
            "hosts": len(infra),
            "source": "classifier/data/benign_infra (v2fly/domain-list-community, MIT)",
            "model_blocked": {p: blocked_share(infra_scores, t) for p, t in presets.items()},
        },
    }


def _leave_one_provider_out(
    kept: Sequence[Example],
    providers: dict[str, dict[str, str]],
    floor: float,
    presets: dict[str, float],
    seed: int,
    log: Callable[[str], None],
    fit: Callable[[Sequence[Example]], Any],
) -> dict[str, Any]:
    """Per list provider: its harmful hosts that the other providers' lists catch, and what
    a model trained without it (by ``fit``) adds on the rest (with a few of the hosts it
    caught)."""
    loso: dict[str, Any] = {}
    for provider in sorted(providers):
        others = {d for p, entries in providers.items() if p != provider for d in entries}
        own = [e for e in kept if e.label != BENIGN and _provider(e) == provider]
        unseen = [e for e in own if e.group not in others]
        if not own:
            continue
        fold_train = [e for e in kept if _provider(e) != provider or e.label == BENIGN]
        unseen_groups = {u.group for u in unseen}
        fold_train = _capped(
            [e for e in fold_train if e.group not in unseen_groups], URL_FOLD_CAP, seed
        )
        log(f"url: training without {provider} ({len(fold_train)} URLs)")
        fold = fit(fold_train)
        fold_names, fold_scores = _verdicts(fold, [e.text for e in unseen])
        fold_right = fold_names == np.asarray([e.label for e in unseen])
        lists_alone = 1 - len(unseen) / len(own)
        child = (fold_scores >= max(presets["child"], floor)) & fold_right
        loso[provider] = {
            "harmful_hosts": len(own),
            "lists_alone_caught": round(lists_alone, 4),
            "in_no_other_list": len(unseen),
            "lists_and_model_caught": {
                p: round(
                    lists_alone
                    + float(((fold_scores >= max(t, floor)) & fold_right).sum()) / len(own),
                    4,
                )
                for p, t in presets.items()
            },
            "model_on_hosts_in_no_other_list": {
                p: round(float(((fold_scores >= max(t, floor)) & fold_right).mean()), 4)
                if len(unseen)
                else 0.0
                for p, t in presets.items()
            },
            "by_category": dict(Counter(e.label for e in own).most_common()),
            "caught_at_child_examples": sorted(
                f"{e.text[1:-1]} {e.label}" for e, hit in zip(unseen, child, strict=True) if hit
            )[:8],
        }
    return loso


def _capped(examples: Sequence[Example], cap: int, seed: int) -> list[Example]:
    """At most ``cap`` examples per label (benign: three times as many), chosen by seed."""
    rng = random.Random(seed)
    by_label: dict[str, list[Example]] = defaultdict(list)
    for example in examples:
        by_label[example.label].append(example)
    out: list[Example] = []
    for label in sorted(by_label):
        items = by_label[label]
        rng.shuffle(items)
        out.extend(items[: cap * 3 if label == BENIGN else cap])
    return out


def _provider(example: Example) -> str:
    name = example.source.split("+", 1)[0]
    return _PROVIDERS.get(name, name)


def url_ships(report: dict[str, Any]) -> tuple[bool, str]:
    """Whether the URL model may ship: on every left-out provider, lists and model together
    catch more than the lists alone at the child preset, and at the child preset the model
    blocks at most 0.5% of all rights-sensitive hosts (the issue's goal), at most 1% of
    the real infrastructure hosts and at most 0.5% of the held-out real benign site names."""
    rule = (
        "ships when, at the child preset, lists + model catch more of every left-out "
        "provider's harmful hosts than the other providers' lists alone, and the model alone "
        "(before the protected lists, help words and shared platforms shield anything) blocks "
        "at most 0.5% of the rights-sensitive hosts, at most 1% of the infrastructure hosts "
        "and at most 0.5% of the held-out real benign site names (video platforms, media, "
        "shops, companies)"
    )
    adds = all(
        row["lists_and_model_caught"]["child"] > row["lists_alone_caught"]
        for row in report["leave_one_provider_out"].values()
    )
    rows = report["rights_sensitive"].values()
    hosts = sum(row["hosts"] for row in rows)
    blocked = sum(row["model_blocked"]["child"] * row["hosts"] for row in rows)
    rights = hosts > 0 and blocked / hosts <= 0.005
    infra = report["infrastructure"]
    quiet = infra["hosts"] > 0 and infra["model_blocked"]["child"] <= 0.01
    names = report["benign_names"]
    ordinary = names["names"] > 0 and names["model_blocked"]["child"] <= 0.005
    return bool(adds and rights and quiet and ordinary and report["leave_one_provider_out"]), rule
