"""Speed and memory of the URL, page and chat models, with a stock baseline in the same run.

    .venv/bin/python benchmarks/models_bench.py [--data ../shared/data] [--models DIR]

Prints one table. Everything runs on one core (BLAS threads pinned to 1). The baseline is a
stock ``HashingVectorizer`` (word 1-2-grams, 2**20 features) + ``LogisticRegression`` fitted
on a small sample of the page corpus and timed on the same 64 KB texts, so the page model's
speed can be quoted as a ratio. The whole page path (HTML -> text -> verdict) is timed on the
bench's filler pages and on 64 KB pages of real text read at run time (recipes, BBC News,
MedQuAD), directly and through the content-scan addon's ``scan_page``. Memory is measured
in fresh subprocesses (VmRSS): the URL and page models as the proxy loads them
(``load_models(names=("url", "page"))``, after importing ``classifier.models``, which brings
numpy and pyahocorasick), and the chat model alone. The
chat model is compared with alt-profanity-check on Dota 2 game chat that it never saw (CONDA,
read at run time) when ``--apc-python`` names a throwaway venv that has it
(``python -m venv /tmp/apc-venv && /tmp/apc-venv/bin/pip install alt-profanity-check``); the
leave-one-source-out comparison on every corpus is in ``chat.json`` (``python -m
classifier.training``).
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import gzip  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from classifier.models.loading import BUNDLED_MODEL_DIR, load_models  # noqa: E402
from classifier.models.text import html_to_text  # noqa: E402

PAGE_BYTES = 64 * 1024
ADULT_LINE = (
    "<p>free porn xxx hardcore porn sex videos pussy cock hardcore sex free porn videos "
    "xxx porn</p>"
)

_RSS_PROBE = """
import sys
sys.path.insert(0, {repo!r})
def rss():
    for line in open('/proc/self/status'):
        if line.startswith('VmRSS:'):
            return int(line.split()[1]) / 1024
start = rss()
from classifier.models.loading import load_models
if {prepare!r}:
    import sklearn.feature_extraction.text, sklearn.linear_model, sklearn.pipeline
imported = rss()
models = load_models({models!r}, names={names!r})
loaded = rss()
for name in {names!r}:
    getattr(models, name).predict(["https://example.com/casino"])
used = rss()
heavy = [m for m in sys.modules if m.split(".")[0] in ("sklearn", "scipy", "skops")]
print(start, imported, loaded, used, len(heavy), sorted(models.errors))
"""


def rss_added(models: Path, names: tuple[str, ...], prepare: bool) -> tuple[float, ...]:
    """VmRSS in MB of a fresh interpreter: at start, after importing ``classifier.models``
    (and scikit-learn when ``prepare``), after ``load_models(names=names)``, after one
    prediction per model; then how many sklearn/scipy/skops modules it holds."""
    code = _RSS_PROBE.format(repo=str(REPO), models=str(models), names=names, prepare=prepare)
    probe = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    )
    start, imported, loaded, used, heavy, errors = probe.stdout.split(maxsplit=5)
    if errors.strip() != "[]":
        raise SystemExit(f"models unavailable in the RSS probe: {errors}")
    return float(start), float(imported), float(loaded), float(used), float(heavy)


def best_rate(run: Callable[[], int], repeats: int = 3) -> float:
    """Items per second: the best of ``repeats`` timed runs (``run`` returns its item count)."""
    best = 0.0
    for _ in range(repeats):
        started = time.perf_counter()
        items = run()
        best = max(best, items / (time.perf_counter() - started))
    return best


def _words(text: str) -> list[str]:
    return text.split()


def filler_html(rng: random.Random, size: int, extra: str = "") -> str:
    words = _words(
        """
        the of and to in is that for it as was with be by on not this are or from at
        which have an they you were her she there been one all we their has would
        when if so no will more about can who what up some time could them into only
        other new like year people school family house garden kitchen weather river
        mountain library science history music museum market local government water
        children city country world
        """
    )
    parts = [
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Community notes</title>'
        "</head><body>"
    ]
    length = len(parts[0])
    while length < size - len(extra) - 40:
        paragraph = "<p>" + " ".join(rng.choice(words) for _ in range(60)) + ".</p>\n"
        parts.append(paragraph)
        length += len(paragraph)
    parts.append(extra + "</body></html>")
    return "".join(parts)[:size]


def real_html(data: Path, count: int, rng: random.Random) -> list[bytes]:
    """``count`` HTML pages of 64 KB made of real page text (recipe, BBC News and MedQuAD
    pages, read at run time from the data folder, never copied), one paragraph per line of
    text, with a little navigation markup; empty when the folder has none of them."""
    import csv
    import html

    csv.field_size_limit(2**31 - 1)
    pages = data / "pages"
    sources = (
        (pages / "recipe_scrapers_pages" / "recipe_pages_visible_text.csv", "visible_text"),
        (pages / "bbc_news_fulltext" / "bbc_news_fulltext.csv", "text"),
        (pages / "medquad_nih_health" / "medquad_documents.csv", "text"),
    )
    groups: list[list[str]] = []
    for path, column in sources:
        if path.is_file():
            with path.open(encoding="utf-8", errors="replace", newline="") as handle:
                groups.append([row[column] for row in csv.DictReader(handle) if row[column]])
    out: list[bytes] = []
    for i in range(count if groups else 0):
        texts = groups[i % len(groups)]
        parts = [
            '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Page</title></head>'
            '<body><nav><a href="/">Home</a> <a href="/about">About</a></nav>\n'
        ]
        size = len(parts[0])
        while size < PAGE_BYTES:
            for line in rng.choice(texts).split("\n"):
                paragraph = f"<p>{html.escape(line)}</p>\n"
                parts.append(paragraph)
                size += len(paragraph.encode())
        out.append("".join(parts).encode()[:PAGE_BYTES])
    return out


def load_urls(data: Path, count: int, rng: random.Random) -> list[str]:
    urls: list[str] = []
    for relative in (
        "lists/sinfonietta/pornography-hosts",
        "lists/ut1/press/domains",
        "lists/ut1/phishing/urls",
        "lists/ut1/shopping/domains",
    ):
        path = data / relative
        if path.is_file():
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
                fields = line.split()
                if fields and not line.startswith("#"):
                    urls.append("https://" + fields[-1])
    if not urls:
        urls = [f"https://site{i}.example.com/page/{i}" for i in range(count)]
    rng.shuffle(urls)
    return (urls * (count // len(urls) + 1))[:count]


def load_chat(data: Path, count: int) -> list[str]:
    """``count`` real messages: Davidson tweets, news-site comments (Civil Comments) and
    Dota 2 game chat lines in turn, read at run time (nothing copied)."""
    import csv

    text = data / "text"
    sets = (
        (text / "davidson" / "labeled_data.csv", "tweet"),
        (text / "toxic_spans_civil_comments" / "data_comments.csv", "comment_text"),
        (text / "conda_dota2_game_chat" / "CONDA_valid.csv", "utterance"),
    )
    columns: list[list[str]] = []
    for path, column in sets:
        if path.is_file():
            with path.open(encoding="utf-8", errors="replace", newline="") as handle:
                columns.append([row[column] for row in csv.DictReader(handle)][:count])
    lines = [line for group in zip(*columns, strict=False) for line in group if line]
    if not lines:
        lines = ["see you at practice tomorrow", "you are such a loser"]
    return (lines * (count // len(lines) + 1))[:count]


def stock_baseline(models_dir: Path, texts: list[str]) -> Callable[[], int]:
    """A HashingVectorizer + LogisticRegression fitted on part of the shipped page corpus."""
    from sklearn.feature_extraction.text import HashingVectorizer
    from sklearn.linear_model import LogisticRegression

    corpus = models_dir / "page_corpus.jsonl.gz"
    docs: list[str] = []
    labels: list[str] = []
    with gzip.open(corpus, "rt", encoding="utf-8") as handle:
        for i, line in enumerate(handle):
            if i % 10 == 0:
                item = json.loads(line)
                docs.append(item["text"])
                labels.append(item["label"])
    vectorizer = HashingVectorizer(ngram_range=(1, 2), n_features=2**20, alternate_sign=False)
    model = LogisticRegression(max_iter=300).fit(vectorizer.transform(docs), labels)

    def run() -> int:
        for text in texts:
            model.predict_proba(vectorizer.transform([text]))
        return len(texts)

    return run


_APC_SCORER = """
import json, sys
from profanity_check import predict_prob
texts = json.load(sys.stdin)
json.dump([float(p) for p in predict_prob(texts)], sys.stdout)
"""


def chat_comparison(
    data: Path, apc_python: Path | None, chat: object
) -> list[tuple[str, str, str]]:
    """The chat model and alt-profanity-check on the Dota 2 game chat (CONDA), which the
    chat model never saw: ROC AUC, and recall and false alerts per 1,000 ordinary lines at
    each one's threshold from the chat model's metadata (both chosen for 10 % false alarms
    on the left-out training sources). alt-profanity-check runs in its own venv."""
    from classifier.models.verdicts import ABUSIVE
    from classifier.training.chat_data import read_chat_corpus
    from classifier.training.evaluation import roc_auc

    _train, check, _report = read_chat_corpus(
        data, sources=("conda_dota2_game_chat",), hand_written=False
    )
    if not check:
        return []
    texts = [i.text for i in check]
    labels = [i.label for i in check]
    meta = chat.metadata  # type: ignore[attr-defined]
    theirs_meta = meta.get("baseline_alt_profanity_check")
    ok = [i for i, y in enumerate(labels) if y == 0]
    bad = [i for i, y in enumerate(labels) if y == 1]

    def figures(scores: list[float], threshold: float) -> str:
        caught = sum(scores[i] >= threshold for i in bad) / len(bad)
        alerts = 1000 * sum(scores[i] >= threshold for i in ok) / len(ok)
        return f"AUC {roc_auc(labels, scores):.3f}, recall {caught:.0%}, {alerts:.0f}/1,000 ok"

    ours = figures(list(chat.predict_proba(texts)), float(meta["default_threshold"]))  # type: ignore[attr-defined]
    theirs = "not run"
    if apc_python is not None and apc_python.is_file() and isinstance(theirs_meta, dict):
        answer = subprocess.run(
            [str(apc_python), "-c", _APC_SCORER],
            input=json.dumps(texts),
            capture_output=True,
            text=True,
            check=True,
        )
        theirs = figures(json.loads(answer.stdout), float(theirs_meta["threshold"]))
    return [
        (f"chat on game chat ({len(texts):,} lines, {ABUSIVE} {len(bad):,})", ours, ""),
        ("  alt-profanity-check, same lines", theirs, ""),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--models", type=Path, default=BUNDLED_MODEL_DIR)
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--urls", type=int, default=20000)
    parser.add_argument("--chat", type=int, default=5000)
    parser.add_argument(
        "--apc-python",
        type=Path,
        default=Path("/tmp/apc-venv/bin/python"),
        help="python of a throwaway venv with alt-profanity-check, for the chat comparison",
    )
    args = parser.parse_args()
    rng = random.Random(7)

    models = load_models(args.models)
    if models.errors:
        print("models unavailable:", models.errors)
        return 1
    assert models.url and models.page and models.chat

    html_pages = [
        filler_html(rng, PAGE_BYTES, ADULT_LINE if i % 2 else "").encode()
        for i in range(args.pages)
    ]
    texts = [html_to_text(page) for page in html_pages]
    texts64 = [(t * (PAGE_BYTES // max(1, len(t)) + 1))[:PAGE_BYTES] for t in texts]
    urls = load_urls(args.data, args.urls, rng)
    chats = load_chat(args.data, args.chat)
    page, url, chat = models.page, models.url, models.chat

    rows: list[tuple[str, str, str]] = []

    def page_text_run() -> int:
        for text in texts64:
            page.predict([text])
        return len(texts64)

    def page_html_run() -> int:
        for body in html_pages:
            page.predict([html_to_text(body)])
        return len(html_pages)

    def extract_run() -> int:
        for body in html_pages:
            html_to_text(body)
        return len(html_pages)

    def url_batch_run() -> int:
        for start in range(0, len(urls), 1000):
            url.predict(urls[start : start + 1000])
        return len(urls)

    def url_single_run() -> int:
        for item in urls[:2000]:
            url.predict([item])
        return 2000

    def chat_run() -> int:
        for start in range(0, len(chats), 500):
            chat.predict(chats[start : start + 500])
        return len(chats)

    page_rate = best_rate(page_text_run)
    baseline_rate = best_rate(stock_baseline(args.models, texts64[:60]))
    rows.append(
        (
            "page: 64 KB text -> verdict",
            f"{page_rate:,.0f} pages/s",
            f"{1000 / page_rate:.2f} ms/page; target >= 1,000/s",
        )
    )
    rows.append(
        (
            "page: stock HashingVectorizer+LR, same texts",
            f"{baseline_rate:,.0f} pages/s",
            f"phrase automaton is {page_rate / baseline_rate:.1f}x faster",
        )
    )
    html_rate = best_rate(page_html_run)
    rows.append(
        (
            "page: 64 KB HTML -> text -> verdict",
            f"{html_rate:,.0f} pages/s",
            f"{1000 / html_rate:.2f} ms/page",
        )
    )
    rows.append(("text: 64 KB HTML -> text only", f"{best_rate(extract_run):,.0f} pages/s", ""))
    real_pages = real_html(args.data, args.pages, rng)
    if real_pages:
        from proxy_addons.contentscan import scan_page

        def real_html_run() -> int:
            for body in real_pages:
                page.predict([html_to_text(body)])
            return len(real_pages)

        def scan_page_run() -> int:
            for body in real_pages:
                scan_page(page, body, None, "text/html; charset=utf-8")
            return len(real_pages)

        real_rate = best_rate(real_html_run)
        rows.append(
            (
                "page: 64 KB HTML of real pages -> verdict",
                f"{real_rate:,.0f} pages/s",
                f"{1000 / real_rate:.2f} ms/page; recipes, BBC News, MedQuAD text",
            )
        )
        rows.append(
            (
                "page: same, the addon's scan_page",
                f"{best_rate(scan_page_run):,.0f} pages/s",
                "HTML -> text -> verdict, with the explanation of a block",
            )
        )
    rows.append(
        ("url: batches of 1,000", f"{best_rate(url_batch_run):,.0f} URLs/s", "target >= 20,000/s")
    )

    from classifier.models.modelfile import read_model_file
    from classifier.models.url import url_model_input
    from classifier.training.conversion import pipeline_from_table

    url_pipeline = pipeline_from_table(read_model_file(args.models / "url.skops"))

    def url_pipeline_run() -> int:
        for start in range(0, len(urls), 1000):
            url_pipeline.predict_proba([url_model_input(u) for u in urls[start : start + 1000]])
        return len(urls)

    rows.append(
        (
            "url: same, stock sklearn pipeline",
            f"{best_rate(url_pipeline_run):,.0f} URLs/s",
            "identical probabilities",
        )
    )
    rows.append(("url: one at a time", f"{best_rate(url_single_run):,.0f} URLs/s", ""))
    from classifier.training.chat_pipeline import chat_pipeline_from_table

    chat_stock = chat_pipeline_from_table(read_model_file(args.models / "chat.skops"))

    def chat_stock_run() -> int:
        for start in range(0, len(chats), 500):
            chat_stock.predict_proba(chats[start : start + 500])
        return len(chats)

    chat_rate = best_rate(chat_run)
    stock_rate = best_rate(chat_stock_run)
    rows.append(
        (
            "chat: batches of 500",
            f"{chat_rate:,.0f} messages/s",
            "tweets, news comments, game chat",
        )
    )
    rows.append(
        (
            "chat: same, stock sklearn pipeline",
            f"{stock_rate:,.0f} messages/s",
            f"same probabilities; the table is {chat_rate / stock_rate:.1f}x as fast",
        )
    )

    if (args.data / "text").is_dir():
        rows.extend(chat_comparison(args.data, args.apc_python, chat))

    phrases = args.data / "lists" / "e2guardian" / "weightedphraselist"
    if phrases.is_file():
        from classifier.lists.phrases import load_weighted_phrases

        scorer, _ = load_weighted_phrases(phrases)

        def e2g_run() -> int:
            for text in texts64[:100]:
                scorer.score(text)
            return 100

        rows.append(
            (
                "e2guardian phrase lists (reference)",
                f"{best_rate(e2g_run):,.0f} pages/s",
                "same 64 KB texts",
            )
        )

    for name in ("url.skops", "page.skops", "chat.skops", "page_corpus.jsonl.gz"):
        path = args.models / name
        size = path.stat().st_size / 1e6 if path.exists() else 0.0
        rows.append((f"file: {name}", f"{size:.1f} MB", ""))

    start, imported, loaded, used, heavy = rss_added(args.models, ("url", "page"), False)
    rows.append(
        ("RSS: import classifier.models", f"{imported - start:.0f} MB", "numpy, pyahocorasick")
    )
    rows.append(
        (
            "RSS: load url + page (as the proxy)",
            f"{loaded - imported:.0f} MB",
            f"{used - imported:.0f} MB after one prediction each; target <= 60 MB",
        )
    )
    rows.append(("modules: sklearn/scipy/skops after url + page", f"{heavy:.0f}", "must stay 0"))
    start, imported, loaded, used, heavy = rss_added(args.models, ("chat",), False)
    rows.append(
        (
            "RSS: load chat",
            f"{loaded - imported:.0f} MB",
            f"{used - imported:.0f} MB after one prediction; sklearn/scipy/skops modules: "
            f"{heavy:.0f}",
        )
    )

    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'value':>16}  note")
    print("-" * (width + 40))
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>16}  {note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
