"""Loading the shipped models safely, and what they say about hand-written fixtures."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import skops.io as sio
from hypothesis import given, settings
from hypothesis import strategies as st

from classifier.categories import BENIGN
from classifier.models.loading import BUNDLED_MODEL_DIR, LoadedModels, load_models
from classifier.models.modelfile import read_model_file
from classifier.models.page import build_page_model, page_ngrams
from classifier.models.text import html_to_text
from classifier.models.url import build_url_model, shared_platform, url_model_input
from classifier.models.verdicts import ABUSIVE, OK, ChatVerdict, Verdict
from classifier.training.conversion import pipeline_to_table

REPO = Path(__file__).resolve().parents[3]

# Preset thresholds the policy uses (young is the strictest).
YOUNG_URL, YOUNG_PAGE = 0.7, 0.6
CHILD_PAGE = 0.7


def blocked_at(verdict: Verdict, threshold: float) -> bool:
    return verdict.category != BENIGN and verdict.score >= threshold


# ----------------------------------------------------------------------------- loading


def test_bundled_models_load_with_metadata(bundled_models: LoadedModels) -> None:
    assert bundled_models.url is not None
    assert bundled_models.page is not None
    assert bundled_models.chat is not None
    for model in (bundled_models.url, bundled_models.page, bundled_models.chat):
        meta = model.metadata
        assert meta["libraries"]["scikit-learn"]
        assert {"0.5", "0.7", "0.9"} <= set(meta["thresholds"])
        assert meta["licences"]
    summary = bundled_models.page.metadata["honest_summary"].lower()
    assert "no real adult" in summary  # and it says what it cannot measure


def test_missing_directory_is_reported_not_raised(tmp_path: Path) -> None:
    models = load_models(tmp_path / "nowhere")
    assert (models.url, models.page, models.chat) == (None, None, None)
    assert set(models.errors) == {"url", "page", "chat"}
    assert "missing" in models.errors["url"]


def copy_models(tmp_path: Path) -> Path:
    target = tmp_path / "models"
    shutil.copytree(BUNDLED_MODEL_DIR, target)
    return target


def test_corrupt_model_file_only_disables_that_model(tmp_path: Path) -> None:
    directory = copy_models(tmp_path)
    (directory / "url.skops").write_bytes(b"this is not a zip archive")
    (directory / "chat.json").write_text("{not json", encoding="utf-8")
    models = load_models(directory)
    assert models.url is None and "skops" in models.errors["url"]
    assert models.chat is None and "JSON" in models.errors["chat"]
    assert models.page is not None and "page" not in models.errors


def test_missing_metadata_disables_the_model(tmp_path: Path) -> None:
    directory = copy_models(tmp_path)
    (directory / "page.json").unlink()
    models = load_models(directory)
    assert models.page is None
    assert "page.json" in models.errors["page"]


def test_truncated_archive_is_reported(tmp_path: Path) -> None:
    directory = copy_models(tmp_path)
    data = (directory / "chat.skops").read_bytes()
    (directory / "chat.skops").write_bytes(data[: len(data) // 2])
    models = load_models(directory)
    assert models.chat is None and models.errors["chat"]


def test_untrusted_types_are_refused(tmp_path: Path) -> None:
    from sklearn.linear_model import LogisticRegression

    directory = copy_models(tmp_path)
    sio.dump({"kind": "linear-text", "model": LogisticRegression()}, directory / "url.skops")
    sio.dump({"phrases": [print]}, directory / "page.skops")
    models = load_models(directory)
    assert models.url is None
    assert "untrusted" in models.errors["url"]
    assert "LogisticRegression" in models.errors["url"]
    assert models.page is None
    assert "untrusted" in models.errors["page"]
    assert "builtins.print" in models.errors["page"]
    assert models.chat is not None


def test_names_load_only_the_models_asked_for() -> None:
    models = load_models(names=("page",))
    assert models.page is not None
    assert (models.url, models.chat) == (None, None)
    assert models.errors == {}
    assert set(models.sources) == {"page"}
    assert load_models(names=()).sources == {}


@pytest.mark.parametrize("names", [("url", "pages"), "url"])
def test_unknown_model_names_are_a_programming_error(names: Any) -> None:
    with pytest.raises(ValueError, match="unknown model names"):
        load_models(names=names)


_LIGHT_PROBE = """
import sys
sys.path.insert(0, {repo!r})
from classifier.models.loading import load_models
models = load_models(names={names!r})
assert not models.errors, models.errors
if models.url is not None:
    assert models.url.predict(["https://casino-slots.example/bonus"])[0].score > 0
if models.page is not None:
    assert models.page.predict(["free porn videos"])[0].score > 0
if models.chat is not None:
    assert models.chat.predict(["see you tomorrow"])[0].score >= 0
heavy = [name for name in sys.modules if name.split(".")[0] in ("sklearn", "scipy", "skops")]
print(" ".join(sorted(heavy)))
"""


def heavy_modules_after_loading(names: tuple[str, ...]) -> list[str]:
    """The scikit-learn, SciPy and skops modules a fresh interpreter holds after loading
    the models ``names`` and predicting once with each."""
    done = subprocess.run(
        [sys.executable, "-c", _LIGHT_PROBE.format(repo=str(REPO), names=names)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_url_and_page_models_load_without_sklearn_scipy_or_skops() -> None:
    assert heavy_modules_after_loading(("url", "page")) == []


def test_no_model_brings_in_sklearn_scipy_or_skops() -> None:
    # The chat model runs from its table too (the proxy will load it for chat watch).
    assert heavy_modules_after_loading(("url", "page", "chat")) == []


def test_the_probe_sees_a_heavy_import() -> None:
    # Shows the probe above would see a heavy import if a model made one.
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sklearn.linear_model\n" + _LIGHT_PROBE.format(repo=str(REPO), names=("chat",)),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr
    assert any(name.startswith("sklearn") for name in done.stdout.split())


def test_local_directory_is_preferred_and_falls_back(tmp_path: Path) -> None:
    local = tmp_path / "local"
    local.mkdir()
    table = {
        "phrases": np.asarray([" hello "]).astype(str),
        "weights": np.asarray([[0.0, 5.0]], dtype=np.float32),
        "intercept": np.asarray([0.0, -1.0]),
        "classes": np.asarray(["adult", BENIGN]).astype(str),
    }
    sio.dump(table, local / "page.skops", compression=zipfile.ZIP_DEFLATED)
    (local / "page.json").write_text(json.dumps({"format": 1}), encoding="utf-8")
    (local / "chat.skops").write_bytes(b"broken")
    models = load_models(local_dir=local)
    assert models.sources["page"] == str(local)
    assert models.page is not None and models.page.phrases == (" hello ",)
    # a broken local chat model falls back to the bundled one, and says so
    assert models.chat is not None
    assert models.sources["chat"] == str(BUNDLED_MODEL_DIR)
    assert "chat" in models.errors


# ----------------------------------------------------------------------------- inputs


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.Example.COM/Path?q=1#frag", "^example.com/path?q=1$"),
        ("example.com", "^example.com$"),
        ("http://user:pw@www2.example.org:8080/", "^example.org$"),
        ("EXAMPLE.net.", "^example.net$"),
        ("", "^$"),
        ("http://[::1", "^$"),
    ],
)
def test_url_model_input(url: str, expected: str) -> None:
    assert url_model_input(url) == expected


def test_url_model_input_is_capped() -> None:
    assert len(url_model_input("example.com/" + "a" * 1000)) <= 201


def test_page_ngrams_do_not_cross_punctuation() -> None:
    grams = page_ngrams("Free porn, XXX videos! café-crème")
    assert " free porn " in grams
    assert " porn xxx " not in grams
    assert " xxx videos " in grams
    assert " caf\u00c3\u00a9 cr\u00c3\u00a8me " in grams  # UTF-8 bytes as Latin-1


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab c,.\u00e9-\n")), max_size=80))
def test_automaton_finds_exactly_the_trained_ngrams(text: str) -> None:
    vocabulary = sorted({" a ", " b ", " ab ", " a b ", " b a ", " c ", " \u00c3\u00a9 ", " a c "})
    table = {
        "phrases": vocabulary,
        "weights": np.ones((len(vocabulary), 2), dtype=np.float32),
        "intercept": np.zeros(2),
        "classes": ["adult", BENIGN],
    }
    model = build_page_model(table, {})
    found = {model.phrases[i] for i in model.matched_phrases(text)}
    assert found == set(page_ngrams(text)) & set(vocabulary)


# ----------------------------------------------------------------------------- page model


def test_bench_adult_page_is_adult_at_the_young_threshold(
    bundled_models: LoadedModels, bench_pages: dict[str, bytes]
) -> None:
    # One explicit line among 4 KB of ordinary words (community, government, museum...):
    # ordinary words count against a verdict (for adult at most by a capped amount), so
    # this page is blocked at the young preset and sits at the child one.
    page = bundled_models.page
    assert page is not None
    (verdict,) = page.predict([html_to_text(bench_pages["adult.html"])])
    assert verdict.category == "adult"
    assert verdict.score >= YOUNG_PAGE
    reasons = [phrase for phrase, _weight in page.explain(html_to_text(bench_pages["adult.html"]))]
    assert any("porn" in phrase for phrase in reasons)


@pytest.mark.parametrize("name", ["page60k.html", "small.html", "img64k.jpg"])
def test_bench_filler_pages_are_not_blocked(
    bundled_models: LoadedModels, bench_pages: dict[str, bytes], name: str
) -> None:
    assert bundled_models.page is not None
    (verdict,) = bundled_models.page.predict([html_to_text(bench_pages[name])])
    assert not blocked_at(verdict, YOUNG_PAGE), verdict


@pytest.mark.parametrize(
    "name", ["sex_education", "health", "lgbt", "gambling_regulation_news", "human_rights"]
)
def test_protected_pages_are_not_blocked(
    bundled_models: LoadedModels, protected_pages: dict[str, bytes], name: str
) -> None:
    assert bundled_models.page is not None
    text = html_to_text(protected_pages[name])
    (verdict,) = bundled_models.page.predict([text])
    assert not blocked_at(verdict, YOUNG_PAGE), (verdict, bundled_models.page.explain(text))


def test_gambling_page_is_recognised(bundled_models: LoadedModels) -> None:
    assert bundled_models.page is not None
    text = (
        "Online casino - play slots, roulette and blackjack. Claim your 200% welcome bonus "
        "and 100 free spins. Live casino, sports betting odds, poker tournaments and jackpot "
        "games. Deposit now and win real money."
    )
    (verdict,) = bundled_models.page.predict([text])
    assert verdict.category == "gambling"
    assert verdict.score >= YOUNG_PAGE


def test_page_predict_handles_empty_input(bundled_models: LoadedModels) -> None:
    assert bundled_models.page is not None
    assert bundled_models.page.predict([]) == []
    (verdict,) = bundled_models.page.predict([""])
    assert verdict.category == BENIGN
    assert bundled_models.page.explain("") == []


# ----------------------------------------------------------------------------- URL model

PROTECTED_URLS = [
    "https://www.who.int/health-topics/hiv-aids",
    "https://www.nhs.uk/conditions/contraception/",
    "https://www.bbc.co.uk/news/world",
    "https://www.amnesty.org/en/",
    "https://kidshealth.org/en/teens/",
    "https://www.unicef.org/",
    "https://www.lgbtyouth.org.uk/",
]


def test_protected_urls_are_not_blocked(bundled_models: LoadedModels) -> None:
    assert bundled_models.url is not None
    verdicts = bundled_models.url.predict(PROTECTED_URLS)
    blocked = [
        (u, v) for u, v in zip(PROTECTED_URLS, verdicts, strict=True) if blocked_at(v, YOUNG_URL)
    ]
    assert blocked == []


def test_blatant_urls_get_their_category(bundled_models: LoadedModels) -> None:
    url_model = bundled_models.url
    assert url_model is not None
    cases = {
        "freehardcorepornvideos.com": "adult",
        "best-online-casino-slots.net": "gambling",
        # Anonymizers are left to the lists: a model of names read ordinary hosts as them.
        "free-vpn-proxy-unblock.com": BENIGN,
    }
    verdicts = url_model.predict(list(cases))
    assert [v.category for v in verdicts] == list(cases.values())
    assert all(0.0 <= v.score <= 1.0 for v in verdicts)
    features = [name for name, _ in url_model.explain("freehardcorepornvideos.com", k=5)]
    assert any("porn" in name for name in features)


def test_url_predict_keeps_order_and_handles_empty(bundled_models: LoadedModels) -> None:
    assert bundled_models.url is not None
    assert bundled_models.url.predict([]) == []
    urls = ["example.org", "", "http://[broken", "a" * 5000]
    verdicts = bundled_models.url.predict(urls)
    assert len(verdicts) == len(urls)
    assert all(isinstance(v, Verdict) for v in verdicts)


# ----------------------------------------------------------------------------- chat model


def test_chat_flags_bullying_and_leaves_everyday_chat(bundled_models: LoadedModels) -> None:
    chat = bundled_models.chat
    assert chat is not None
    abusive, everyday = chat.predict(
        [
            "you are a disgusting fat loser, nobody at school likes you, just die",
            "are you coming to football practice tomorrow? bring your boots",
        ]
    )
    assert abusive == ChatVerdict(ABUSIVE, abusive.score) and abusive.score >= 0.5
    assert everyday.label == OK and everyday.score < 0.5
    words = [name for name, _ in chat.explain("you are a disgusting fat loser")]
    assert words and all(weight > 0 for _, weight in chat.explain("you fat loser"))


def test_chat_scores_are_probabilities(bundled_models: LoadedModels) -> None:
    assert bundled_models.chat is not None
    scores = [v.score for v in bundled_models.chat.predict(["", "ok", "?" * 10000])]
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert bundled_models.chat.predict([]) == []


# ----------------------------------------------------------------------------- URL model = pipeline


@pytest.fixture(scope="module")
def url_pipeline() -> Any:
    """The stock scikit-learn pipeline rebuilt from the shipped URL model's table."""
    from classifier.training.conversion import pipeline_from_table

    return pipeline_from_table(read_model_file(BUNDLED_MODEL_DIR / "url.skops"))


def real_urls(shared_data: Path, count: int) -> list[str]:
    """``count`` list entries (adult hosts, news domains, phishing URLs with paths, shops),
    shuffled with a fixed seed."""
    urls: list[str] = []
    for relative in (
        "lists/sinfonietta/pornography-hosts",
        "lists/ut1/press/domains",
        "lists/ut1/phishing/urls",
        "lists/ut1/shopping/domains",
    ):
        path = shared_data / relative
        if path.is_file():
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines()[:5000]:
                fields = line.split()
                if fields and not line.startswith("#"):
                    urls.append("https://" + fields[-1])
    random.Random(11).shuffle(urls)
    if len(urls) < count:
        pytest.skip("shared URL lists not found")
    return urls[:count]


def test_url_model_gives_the_pipelines_probabilities_on_real_urls(
    bundled_models: LoadedModels, url_pipeline: Any, shared_data: Path
) -> None:
    url_model = bundled_models.url
    assert url_model is not None
    urls = real_urls(shared_data, 400)
    expected = url_pipeline.predict_proba([url_model_input(u) for u in urls])
    assert url_model.classes == tuple(str(c) for c in url_pipeline.classes_)
    np.testing.assert_allclose(url_model.predict_proba(urls), expected, atol=1e-5)
    one_by_one = np.vstack([url_model.predict_proba([u]) for u in urls[:60]])
    np.testing.assert_allclose(one_by_one, expected[:60], atol=1e-5)
    best = expected.argmax(axis=1)
    floor = url_model.metadata["block_floor"]
    benign = url_model.classes.index(BENIGN)
    wanted = [  # a harmful verdict needs the model's block floor (and no shared platform)
        url_model.classes[i]
        if i == benign or (row[i] >= floor and not shared_platform(u))
        else BENIGN
        for u, i, row in zip(urls, best, expected, strict=True)
    ]
    assert [v.category for v in url_model.predict(urls)] == wanted
    assert wanted.count(BENIGN) < len(wanted)  # some real harmful hosts pass the floor


def test_url_explanations_name_features_of_the_url(
    bundled_models: LoadedModels, url_pipeline: Any, shared_data: Path
) -> None:
    url_model = bundled_models.url
    assert url_model is not None
    features = url_pipeline[0]
    names = features.get_feature_names_out()
    for url in real_urls(shared_data, 40):
        row = features.transform([url_model_input(url)]).tocsr()
        present = {str(names[i]).split("__", 1)[-1] for i in row.indices}
        explained = url_model.explain(url, k=5)
        assert len(explained) <= 5
        assert {name for name, _ in explained} <= present, url
        weights = [weight for _, weight in explained]
        assert weights == sorted(weights, reverse=True) and all(w > 0 for w in weights)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.text(alphabet=st.sampled_from(list("abcpornxv0123-./?=:_ \u00e9\t")), max_size=40),
        min_size=1,
        max_size=20,
    )
)
def test_url_fast_path_matches_the_pipeline(
    bundled_models: LoadedModels, url_pipeline: Any, urls: list[str]
) -> None:
    url_model = bundled_models.url
    assert url_model is not None
    expected = url_pipeline.predict_proba([url_model_input(u) for u in urls])
    np.testing.assert_allclose(url_model.predict_proba(urls), expected, atol=1e-5)


def test_a_trained_url_model_reads_back_as_it_was_trained(tmp_path: Path) -> None:
    from classifier.training.artefacts import write_skops
    from classifier.training.splits import Example
    from classifier.training.url_pipeline import train_url_model

    # Spaces in training inputs put n-grams with a space in the vocabulary, so the test
    # also covers how runs of whitespace are read (as one space).
    hosts = [("^freepornvideos.com$", "adult"), ("^xxx tube.org$", "adult"),
             ("^best casino.com$", "gambling"), ("^poker slots.net$", "gambling"),
             ("^freevpnproxy.com$", "anonymizer"), ("^unblockproxy.net$", "anonymizer"),
             ("^citynews.com$", BENIGN), ("^gardenshop.net$", BENIGN)] * 3  # fmt: skip
    pipeline = train_url_model(
        [Example(u, y, u, "t") for u, y in hosts], max_features=200, max_iter=200
    )
    write_skops(pipeline_to_table(pipeline), tmp_path / "url.skops")
    model = build_url_model(read_model_file(tmp_path / "url.skops"), {"format": 1})
    probe = ["casinoporn.com", "https://www.news.org/proxy?x=1", "", "best  casino.com"]
    probe += ["poker \u3000 slots.net", "xxx \x0b tube.org", "vpn proxy  " * 30]
    probe += [f"site{i}.example/free-porn" for i in range(12)]  # a batch, not one by one
    np.testing.assert_allclose(
        model.predict_proba(probe),
        pipeline.predict_proba([url_model_input(u) for u in probe]),
        atol=1e-5,
    )


def shipped_url_table() -> dict[str, Any]:
    table = read_model_file(BUNDLED_MODEL_DIR / "url.skops")
    assert isinstance(table, dict)
    return table


def _with_newline_gram(table: dict[str, Any]) -> None:
    chars = table["branches"][0]
    chars["vocabulary"] = np.concatenate([chars["vocabulary"][:-1], ["a\nb"]])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.update(kind="something-else"), "linear text"),
        (lambda t: t["branches"][0].update(analyzer="word"), "char n-grams"),
        (lambda t: t["branches"][1].update(binary=False), "char n-grams"),
        (lambda t: t.update(coef=t["coef"][:, :-1]), "do not fit"),
        (lambda t: t.update(intercept=t["intercept"][:-1]), "intercept"),
        (_with_newline_gram, "n-gram"),
    ],
)
def test_inconsistent_url_tables_are_refused(change: Any, message: str) -> None:
    table = shipped_url_table()
    change(table)
    with pytest.raises(ValueError, match=message):
        build_url_model(table, {})


def test_url_model_arrays_are_read_only(bundled_models: LoadedModels) -> None:
    url_model = bundled_models.url
    assert url_model is not None
    with pytest.raises(ValueError):
        url_model.weights[0, 0] = 1.0
