"""The compact vocabulary tables find exactly what an automaton or a dict finds, and the chat
and URL models built on them score real text (read at run time from ../shared/data, never
copied here) exactly as a plain dict-and-set reading of the same model file does."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import ahocorasick
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from classifier.models.chat import chat_model_features, unpack_words
from classifier.models.chattext import CHAR_GRAM_RANGE, chat_char_grams
from classifier.models.grams import GramTable, WordTable, packed_words_array
from classifier.models.loading import BUNDLED_MODEL_DIR, LoadedModels
from classifier.models.modelfile import read_model_file
from classifier.models.url import _char_ngram_text, url_model_input
from classifier.models.verdicts import softmax


@pytest.fixture(scope="module")
def chat_table() -> dict:  # type: ignore[type-arg]
    return read_model_file(BUNDLED_MODEL_DIR / "chat.skops")  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def url_table() -> dict:  # type: ignore[type-arg]
    return read_model_file(BUNDLED_MODEL_DIR / "url.skops")  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def chat_grams(chat_table: dict) -> list[str]:  # type: ignore[type-arg]
    return unpack_words(chat_table["chars"]["vocabulary"])


@pytest.fixture(scope="module")
def real_messages(shared_data: Path) -> list[str]:
    """About 3,000 real messages: tweets, news comments and game chat."""
    found: list[str] = []
    for source, name, column in (
        ("davidson", "labeled_data.csv", "tweet"),
        ("toxic_spans_civil_comments", "data_comments.csv", "comment_text"),
        ("conda_dota2_game_chat", "CONDA_valid.csv", "utterance"),
    ):
        path = shared_data / "text" / source / name
        if not path.exists():
            continue
        with path.open(encoding="utf-8", errors="replace", newline="") as handle:
            for i, row in enumerate(csv.DictReader(handle)):
                if i >= 1000:
                    break
                if row.get(column):
                    found.append(row[column])
    if len(found) < 1000:
        pytest.skip("real chat corpora not found")
    return found


@pytest.fixture(scope="module")
def real_hosts(shared_data: Path) -> list[str]:
    """About 4,000 real list entries (adult, press, gambling, shopping), and some as URLs."""
    hosts: list[str] = []
    for folder in ("press", "gambling", "shopping", "phishing", "child"):
        path = shared_data / "lists" / "ut1" / folder / "domains"
        if path.exists():
            hosts += path.read_text(errors="replace").split()[:800]
    if len(hosts) < 1000:
        pytest.skip("UT1 lists not found")
    return hosts + [f"https://www.{h}/casino/bet?x=1&q=é" for h in hosts[:300]]


def _automaton_finds(grams: list[str], text: str) -> list[tuple[int, int]]:
    automaton = ahocorasick.Automaton()
    for column, gram in enumerate(grams):
        automaton.add_word(gram, column)
    automaton.make_automaton()
    return sorted((end - len(grams[c]) + 1, c) for end, c in automaton.iter(text))


def _table_finds(table: GramTable, text: str) -> list[tuple[int, int]]:
    starts, columns = table.find(text)
    return sorted(zip(starts.tolist(), columns.tolist(), strict=True))


def test_gram_table_finds_what_an_automaton_finds_in_real_messages(
    chat_grams: list[str], real_messages: list[str]
) -> None:
    table = GramTable(chat_grams, range(len(chat_grams)), *CHAR_GRAM_RANGE)
    automaton = ahocorasick.Automaton()
    for column, gram in enumerate(chat_grams):
        automaton.add_word(gram, column)
    automaton.make_automaton()
    matched = 0
    for message in real_messages:
        text = " " + chat_model_features(message)[1] + " "
        expected = sorted((end - len(chat_grams[c]) + 1, c) for end, c in automaton.iter(text))
        assert _table_finds(table, text) == expected
        # the raw message too: capitals, punctuation, emoji, characters no n-gram has
        raw = sorted((end - len(chat_grams[c]) + 1, c) for end, c in automaton.iter(message))
        assert _table_finds(table, message) == raw
        matched += len(expected)
    assert matched > 50_000


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("abcab  \n\t.é😀\ud800ß")), max_size=40))
def test_gram_table_on_any_text(text: str) -> None:
    grams = ["ab", "bc", "abc", " a", "c ", "é😀", "\ud800ß", "ab ab", "ca"]
    table = GramTable(grams, range(len(grams)), 2, 5)
    assert _table_finds(table, text) == _automaton_finds(grams, text)
    assert set(table.columns(text).tolist()) == {c for _s, c in _automaton_finds(grams, text)}


def test_a_table_whose_alphabet_is_too_wide_for_integer_keys_falls_back_and_agrees() -> None:
    grams = [chr(0x4E00 + i) + chr(0x4E00 + i + 1) + "x" for i in range(0, 12_000, 2)]
    table = GramTable(grams, range(len(grams)), 3, 5)  # 6,001 characters: 13 bits, 65 > 63
    text = "".join(chr(0x4E00 + (i * 7919) % 12_001) + "x" * (i % 2) for i in range(3000))
    assert _table_finds(table, text) == _automaton_finds(grams, text)
    assert table.gram(5) == grams[5]


def test_gram_names_and_bad_vocabularies(chat_grams: list[str]) -> None:
    table = GramTable(chat_grams, range(100, 100 + len(chat_grams)), *CHAR_GRAM_RANGE)
    for column in (0, 17, len(chat_grams) - 1):
        assert table.gram(100 + column) == chat_grams[column]
    with pytest.raises(KeyError):
        table.gram(5)
    with pytest.raises(ValueError, match="duplicates"):
        GramTable(["ab", "cd", "ab"], range(3), 2, 5)
    with pytest.raises(ValueError, match="2 to 5"):
        GramTable(["abcdef"], range(1), 2, 5)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list("ab é😀\ud800\x00")), max_size=6)))
def test_packed_words_become_the_same_str_array(words: list[str]) -> None:
    packed = "\n".join(words).encode("utf-8", "surrogatepass")
    expected = [w.rstrip("\x00") for w in words] if packed else []  # numpy drops trailing NULs
    assert packed_words_array(packed).tolist() == expected


def test_word_table_is_a_dict_of_the_shipped_words(chat_table: dict) -> None:  # type: ignore[type-arg]
    words = unpack_words(chat_table["words"]["vocabulary"])
    table = WordTable(words, range(len(words)))
    plain = {word: column for column, word in enumerate(words)}
    asked = words[::7] + [w + "s" for w in words[:3000]] + ["", "ünseen", "\ud800", "a b c"]
    assert table.columns_of(asked) == [plain.get(word) for word in asked]
    assert table.get(words[42]) == 42 and table.get("zzz-not-a-word") is None
    assert [table.word(c) for c in (0, 1234, len(words) - 1)] == [
        words[0],
        words[1234],
        words[-1],
    ]
    with pytest.raises(ValueError, match="duplicate"):
        WordTable(["a", "b", "a"], range(3))


def _plain_chat_logits(table: dict, texts: list[str]) -> np.ndarray:  # type: ignore[type-arg]
    """The chat model's logits read the plain way: dicts of words and character n-grams, the
    set of a message's n-grams (``chat_char_grams``), the arrays of the model file."""
    words = {w: i for i, w in enumerate(unpack_words(table["words"]["vocabulary"]))}
    char_index = {g: i for i, g in enumerate(unpack_words(table["chars"]["vocabulary"]))}
    word_idf = np.asarray(table["words"]["idf"], dtype=np.float64)
    word_coef = np.asarray(table["words"]["coef"], dtype=np.float64)
    char_idf = np.asarray(table["chars"]["idf"], dtype=np.float64)
    char_coef = np.asarray(table["chars"]["coef"], dtype=np.float64)
    own = table.get("lexicon_branch") or {"vocabulary": [], "scale": [], "coef": []}
    lexicon = {str(n): i for i, n in enumerate(unpack_words(own["vocabulary"]))}
    intercept = float(np.asarray(table["intercept"], dtype=np.float64).reshape(-1)[0])
    logits = []
    for text in texts:
        feature_words, normalised = chat_model_features(text, lexicon=bool(table["lexicon"]))
        logit = intercept
        word_columns = sorted({words[w] for w in feature_words if w in words})
        char_columns = sorted(
            {char_index[g] for g in chat_char_grams(normalised) if g in char_index}
        )
        for idf, coef, columns in (
            (word_idf, word_coef, np.array(word_columns, np.int64)),
            (char_idf, char_coef, np.array(char_columns, np.int64)),
        ):
            if columns.size:
                norm = np.sqrt((idf[columns] ** 2).sum())
                logit += float((idf[columns] * coef[columns]).sum()) / norm
        for w in feature_words:
            if w in lexicon:
                logit += float(own["scale"][lexicon[w]]) * float(own["coef"][lexicon[w]])
        logits.append(logit)
    return np.array(logits)


def test_chat_scores_equal_a_plain_reading_of_the_model_file(
    bundled_models: LoadedModels,
    chat_table: dict,  # type: ignore[type-arg]
    real_messages: list[str],
) -> None:
    model = bundled_models.chat
    assert model is not None
    if (chat_table.get("marked_words") or {}).get("words") is not None and len(
        chat_table["marked_words"]["words"]
    ):
        pytest.skip("the plain reading here has no marked words")
    sample = real_messages[::3]
    plain = _plain_chat_logits(chat_table, sample)
    expected = 1.0 / (1.0 + np.exp(-plain))
    got = model.predict_proba(sample)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)
    threshold = model.threshold
    assert [p >= threshold for p in got] == [p >= threshold for p in expected]
    assert 0 < sum(p >= threshold for p in got) < len(sample)  # both labels really occur
    explained = model.explain(sample[int(np.argmax(got))])
    assert explained and all(name and weight > 0 for name, weight in explained)


def test_url_scores_equal_a_plain_reading_of_the_model_file(
    bundled_models: LoadedModels,
    url_table: dict,  # type: ignore[type-arg]
    real_hosts: list[str],
) -> None:
    model = bundled_models.url
    assert model is not None
    branches = {b["name"]: b for b in url_table["branches"]}
    grams = {g: i for i, g in enumerate(np.asarray(branches["chars"]["vocabulary"]).astype(str))}
    offset = len(grams)
    tokens = {
        t: offset + i
        for i, t in enumerate(np.asarray(branches["tokens"]["vocabulary"]).astype(str))
    }
    low, high = (int(n) for n in branches["chars"]["ngram_range"])
    pattern = model._token_pattern
    weights = np.asarray(url_table["coef"], dtype=np.float32).T
    intercept = np.asarray(url_table["intercept"], dtype=np.float64)

    def plain_logits(url: str) -> np.ndarray:
        text = url_model_input(url)
        chars = _char_ngram_text(text)
        columns = {
            grams[chars[i : i + n]]
            for n in range(low, high + 1)
            for i in range(len(chars) - n + 1)
            if chars[i : i + n] in grams
        }
        columns |= {tokens[t] for t in pattern.findall(text) if t in tokens}
        return intercept + weights[sorted(columns)].sum(axis=0, dtype=np.float64)

    expected = softmax(np.vstack([plain_logits(u) for u in real_hosts]))
    np.testing.assert_allclose(model.predict_proba(real_hosts), expected, rtol=0, atol=1e-9)
    one_by_one = np.vstack([model.predict_proba([u]) for u in real_hosts[:500]])
    np.testing.assert_allclose(one_by_one, expected[:500], rtol=0, atol=1e-9)
    benign = model.classes.index("benign")
    assert (expected.argmax(axis=1) != benign).sum() > 100  # harmful verdicts really occur


def test_loading_gives_the_memory_back(tmp_path: Path) -> None:
    """The three models take less than 30 MiB of a fresh process once loaded (a dict and an
    automaton per vocabulary, and the freed load-time heap kept, took about 39 MiB), and
    loading them peaks under 40 MiB (43 MiB with a Python string per vocabulary entry)."""
    import subprocess
    import sys

    script = (
        "import json\n"
        "def rss():\n"
        "    return int([l for l in open('/proc/self/status') if l.startswith('VmRSS')][0]"
        ".split()[1]) / 1024\n"
        "from classifier.models.loading import load_models\n"
        "import classifier.models.chat, classifier.models.page, classifier.models.url\n"
        "import classifier.models.modelfile\n"  # the code: what follows is the models
        "load_models(names=())\n"
        "open('/proc/self/clear_refs', 'w').write('5')\n"
        "before = rss()\n"
        "models = load_models()\n"
        "assert not models.errors, models.errors\n"
        "peak = int([l for l in open('/proc/self/status') if l.startswith('VmHWM')][0]"
        ".split()[1]) / 1024\n"
        "print(json.dumps([rss() - before, peak - before]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=Path(__file__).resolve().parents[3],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    added, peak = json.loads(out.stdout.strip().splitlines()[-1])
    assert added < 30, f"loading the three models added {added:.1f} MiB"
    assert peak < 40, f"loading the three models peaked {peak:.1f} MiB above the process"
