"""The chat and comment corpora in ``../shared/data/text``, read into one labelled form.

Every source's labels are mapped onto ``abusive`` (1) or ``ok`` (0) by the rules in
``LABEL_MAPPING`` (recorded in the model's metadata), each item keeps the kind of abuse its
source names (insult, threat, hate, misogyny...) so recall can be reported per kind, and
texts are de-duplicated across all sources before any split, so a left-out source never
shares a text with the training sources.

Sources in ``TRAIN_SOURCES`` may ship a model trained on them; ``EVALUATION_SOURCES`` are
read only to measure (the CONDA Dota 2 chat has no stated licence; the Jigsaw sample is a
101-comment check from one more platform). Nothing from ``../shared/data`` is copied into the
project; ``CORPUS_SOURCES`` are Hearthguard's own compact copies of permissively licensed
sets, in ``classifier/data/corpora/chat/<name>/`` beside a ``SOURCE.md`` that names their
repository, commit, path, licence and label mapping.

``BASELINE_SEEN`` names the sources alt-profanity-check was itself trained on: its figures
there are not cross-source, so the comparison that decides shipping leaves them out.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from classifier.models.chat import chat_model_input
from classifier.training.hand_written import read_items

__all__ = [
    "BASELINE_SEEN",
    "CHAT_CORPUS_DIR",
    "CORPUS_SOURCES",
    "EVALUATION_SOURCES",
    "HAND_WRITTEN",
    "LABEL_MAPPING",
    "TRAIN_SOURCES",
    "ChatItem",
    "csv_rows",
    "dedup_key",
    "read_chat_corpus",
]

TRAIN_SOURCES = (
    "davidson",
    "cyberbullying",
    "hatexplain",
    "toxic_spans_civil_comments",
    "reddit_misogyny_guest2021",
    "ethos_hate",
    "gab_hate_corpus",
    "hatecheck",
    "convabuse",
)
EVALUATION_SOURCES = ("jigsaw-sample", "conda_dota2_game_chat")
HAND_WRITTEN = "hand-written"

#: Training sources read from the project's own corpora, not from ``data_dir``.
CORPUS_SOURCES = ("gab_hate_corpus", "hatecheck", "convabuse")
#: Where those corpora live (one folder per source, each with a SOURCE.md).
CHAT_CORPUS_DIR = Path(__file__).resolve().parents[1] / "data" / "corpora" / "chat"

#: Sources alt-profanity-check was trained on, so its figures there are not cross-source:
#: its README ("How", alt-profanity-check 1.9.1 on PyPI, github.com/dimitrismistriotis/
#: alt-profanity-check) names t-davidson/hate-speech-and-offensive-language and the Kaggle
#: Jigsaw Toxic Comment Classification Challenge data, whose test set holds the Jigsaw sample.
BASELINE_SEEN = ("davidson", "jigsaw-sample")

#: How each source's labels become abusive / ok (recorded in chat.json).
LABEL_MAPPING: dict[str, str] = {
    "davidson": "Tweets. class 0 hate speech and 1 offensive language -> abusive (offensive "
    "items weigh by the share of annotators who voted hate or offensive, at least 0.2); "
    "2 neither -> ok.",
    "cyberbullying": "Tweets (Wang et al. 2020). not_cyberbullying -> ok. gender, ethnicity "
    "and religion were collected by keyword and hold much discussion of those topics; they "
    "are abusive only when IDENTITY_CLASSES is on (see the metadata's design choice). 'age' "
    "is left out (mostly people telling of having been bullied: a disclosure, not abuse), "
    "'other_cyberbullying' too (mostly unremarkable tweets).",
    "hatexplain": "Twitter and Gab posts. 0 normal -> ok; 1 offensive and 2 hate speech -> "
    "abusive.",
    "toxic_spans_civil_comments": "News-site comments that a toxicity filter had flagged, "
    "re-annotated: ok when at least half of a comment's annotators marked it 'not toxic' "
    "(hard negatives); abusive when at least half marked a toxic span or 'all toxic' (kind: "
    "the span type most annotators used); anything in between is left out.",
    "reddit_misogyny_guest2021": "Reddit posts and comments, expert labels. Misogynistic -> "
    "abusive (kind misogyny); Nonmisogynistic_personal_attack -> abusive (kind "
    "personal_attack); everything else (incl. counter speech) -> ok. Empty, [deleted] and "
    "[removed] bodies are left out; author names are never read.",
    "ethos_hate": "YouTube and Reddit comments. isHate >= 0.5 -> abusive (kind threat when "
    "its violence label >= 0.5, else hate), weighted by isHate; below 0.5 -> ok.",
    "gab_hate_corpus": "Gab posts (Gab Hate Corpus, majority labels, the dev and test parts "
    "of its 25k release). Call for violence (cv) -> abusive, kind threat; assault on human "
    "dignity (hd) -> abusive, kind hate; vulgarity or offensive language aimed at someone "
    "(vo) -> abusive, kind offensive; none of the three -> ok.",
    "hatecheck": "HateCheck functional test cases (short English statements written by "
    "researchers, checked by five annotators). hateful -> abusive (kind threat for the "
    "threat tests, else hate); non-hateful -> ok (counter speech, negated hate, identity "
    "statements, reclaimed slurs, slur homonyms, abuse of objects), except three tests whose "
    "'non-hateful' is still abuse or profanity in this model's sense (target_indiv_nh: "
    "'I hate you'; target_group_nh: abuse of non-protected groups; profanity_nh): left out.",
    "convabuse": "What people typed to two chatbots (ConvAbuse: a carbon-offset assistant and "
    "an ELIZA), each message judged in its conversation by two to eight annotators. abusive "
    "when more than half chose a level of abuse (mild, strong, very strong), weighted by that "
    "share; ok when at least half chose 'not abusive', weighted likewise; anything in between "
    "is left out. Kind: the abuse type most of its annotators named: sexual harassment -> "
    "sexual_harassment; sexism -> sexism; racism, homophobia, transphobia, ableism -> hate; "
    "'intellectual' (calling the other stupid) -> insult; no type but aimed at the one "
    "spoken to or a person -> insult; otherwise offensive.",
    "jigsaw-sample": "Wikipedia talk-page comments (evaluation only): any of toxic, "
    "severe_toxic, obscene, threat, insult, identity_hate -> abusive.",
    "conda_dota2_game_chat": "Dota 2 in-game chat (evaluation and tuning only, never "
    "trained on): E explicit and I implicit toxicity -> abusive; O other and A action -> ok. "
    "'[SEPA]' line separators become spaces.",
    HAND_WRITTEN: "Hearthguard's own short lines (training only, never a test source): direct "
    "bullying, threats and sexual harassment (abusive), everyday chat and friendly teasing, "
    "and identity statements (ok).",
}

_TOXIC_SPAN_KINDS = {
    "Insult": "insult",
    "Identity based Attack": "identity_attack",
    "Profane/Obscene": "obscene",
    "Threat": "threat",
    "Other Toxicity": "other_toxicity",
}


@dataclass(frozen=True, slots=True)
class ChatItem:
    """One labelled message: ``text`` as the chat model's cleaning leaves it, ``label`` 1 for
    abusive and 0 for ok, ``weight`` from annotator agreement, ``kind`` the abuse its source
    names (``ok`` for ok items), ``key`` the de-duplication key, ``group`` a conversation or
    thread where the source has one."""

    text: str
    label: int
    source: str
    weight: float
    kind: str
    key: str
    group: str = ""
    marked: tuple[str, ...] = ()  # the parts annotators marked as the abuse, where given


def dedup_key(text: str) -> str:
    """The key under which two texts count as the same: NFKC, case-folded, letters and
    digits only, mentions and links ignored."""
    folded = unicodedata.normalize("NFKC", chat_model_input(text)).casefold()
    return re.sub(r"[\W_]+", "", folded.replace("@user", "").replace("url", ""))


# (text, label, source, weight, kind, group)
_Raw = tuple[str, int, str, float, str, str]


def _hand_written() -> list[_Raw]:
    """Chat lines written for Hearthguard (``classifier/data/corpora/hand_written``). The
    corpora are rich in slurs and profanity but poor in the bullying and harassment children
    meet in chats; ``chat_abusive_lines.txt`` and ``chat_ok_lines.txt`` fill the gap a little.
    Identity statements (``identity_templates.txt`` filled with ``identity_terms.txt``),
    labelled ok, keep identity words from reading as abuse by themselves (the corpora mention
    identities mostly in abuse)."""
    terms = read_items("identity_terms.txt")
    templates = read_items("identity_templates.txt")
    rows: list[_Raw] = []
    for i, (term, template) in enumerate((t, tpl) for t in terms for tpl in templates):
        if i % 2 == 0:  # half the combinations is plenty
            rows.append((template.format(t=term), 0, HAND_WRITTEN, 1.0, "ok", ""))
    abusive = read_items("chat_abusive_lines.txt")
    rows += [(line, 1, HAND_WRITTEN, 2.0, "bullying", "") for line in abusive]
    rows += [(line, 0, HAND_WRITTEN, 2.0, "ok", "") for line in read_items("chat_ok_lines.txt")]
    return rows


def csv_rows(
    path: Path, report: dict[str, Any], *, delimiter: str = ","
) -> Iterable[dict[str, str]]:
    """The rows of the CSV file at ``path`` as dicts; a missing file is noted in
    ``report["missing_files"]`` and a row with missing or extra fields is counted in
    ``report["bad_rows"]`` and skipped."""
    if not path.is_file():
        report.setdefault("missing_files", []).append(str(path))
        return
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        for row in csv.DictReader(handle, delimiter=delimiter):
            if None in row or any(v is None for v in row.values()):
                report["bad_rows"] += 1
                continue
            yield row


def _davidson(text_dir: Path, report: dict[str, Any]) -> Iterable[_Raw]:
    for row in csv_rows(text_dir / "davidson" / "labeled_data.csv", report):
        kind = {"0": "hate", "1": "offensive", "2": "ok"}.get(row.get("class", ""))
        if kind is None:
            report["bad_rows"] += 1
            continue
        weight = 1.0
        if kind == "offensive":
            try:
                votes = int(row["hate_speech"]) + int(row["offensive_language"])
                weight = max(0.2, votes / max(1, int(row["count"])))
            except (KeyError, ValueError):
                report["bad_rows"] += 1
                continue
        yield row.get("tweet", ""), int(kind != "ok"), "davidson", weight, kind, ""


_CYBERBULLYING_KINDS = ("gender", "ethnicity", "religion", "age", "other_cyberbullying")


def _cyberbullying(
    text_dir: Path, report: dict[str, Any], identity_classes: bool
) -> Iterable[_Raw]:
    for path in sorted((text_dir / "cyberbullying").glob("*.csv")):
        for row in csv_rows(path, report):
            kind = row.get("cyberbullying_type", "")
            if kind == "not_cyberbullying":
                yield row.get("tweet_text", ""), 0, "cyberbullying", 1.0, "ok", ""
            elif kind in ("gender", "ethnicity", "religion"):
                if identity_classes:
                    text = row.get("tweet_text", "")
                    yield text, 1, "cyberbullying", 1.0, f"bullying_{kind}", ""
            elif kind not in _CYBERBULLYING_KINDS:
                report["bad_rows"] += 1


def _hatexplain(
    text_dir: Path, report: dict[str, Any], marked: dict[str, tuple[str, ...]]
) -> Iterable[_Raw]:
    path = text_dir / "hatexplain" / "hatexplain_magpie_preprocessed.csv"
    for row in csv_rows(path, report):
        kind = {"0": "ok", "1": "offensive", "2": "hate"}.get(row.get("label", ""))
        if kind is None:
            report["bad_rows"] += 1
            continue
        if kind != "ok" and row.get("rationale_pos", "").strip():
            marked[row.get("text", "")] = (row["rationale_pos"],)
        yield row.get("text", ""), int(kind != "ok"), "hatexplain", 1.0, kind, ""


def _toxic_spans(
    text_dir: Path, report: dict[str, Any], marked: dict[str, tuple[str, ...]]
) -> Iterable[_Raw]:
    folder = text_dir / "toxic_spans_civil_comments"
    annotators: dict[str, list[tuple[bool, bool]]] = defaultdict(list)  # all toxic, not toxic
    comment_of: dict[str, str] = {}
    for row in csv_rows(folder / "data_annotations.csv", report):
        comment_of[row["annotation"]] = row["comment_id"]
        annotators[row["comment_id"]].append(
            (row["all toxic"] == "True", row["not toxic"] == "True")
        )
    spans: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    offsets: dict[str, set[tuple[int, int]]] = defaultdict(set)
    for row in csv_rows(folder / "data_spans.csv", report):
        comment = comment_of.get(row["annotation"])
        if comment is None:
            report["bad_rows"] += 1
            continue
        try:
            offsets[comment].add((int(row["start"]), int(row["end"])))
        except (KeyError, ValueError):
            report["bad_rows"] += 1
        spans[comment][_TOXIC_SPAN_KINDS.get(row["type"], "other_toxicity")].add(row["annotation"])
    for row in csv_rows(folder / "data_comments.csv", report):
        votes = annotators.get(row["comment_id"])
        if not votes:
            report["bad_rows"] += 1
            continue
        count = len(votes)
        not_toxic = sum(n for _, n in votes) / count
        kinds = spans.get(row["comment_id"], {})
        with_spans = len(set().union(*kinds.values())) if kinds else 0
        toxic = (with_spans + sum(a for a, n in votes if a)) / count
        text = row["comment_text"]
        if not_toxic >= 0.5:
            yield text, 0, "toxic_spans_civil_comments", not_toxic, "ok", ""
        elif toxic >= 0.5:
            kind = max(sorted(kinds), key=lambda k: len(kinds[k])) if kinds else "other_toxicity"
            parts = {text[a:b] for a, b in sorted(offsets.get(row["comment_id"], ())) if a < b}
            if parts:
                marked[text] = tuple(sorted(parts))
            yield text, 1, "toxic_spans_civil_comments", min(1.0, toxic), kind, ""


def _reddit(text_dir: Path, report: dict[str, Any]) -> Iterable[_Raw]:
    path = text_dir / "reddit_misogyny_guest2021" / "final_labels.csv"
    for row in csv_rows(path, report):
        body = row.get("body", "").strip()
        if not body or body in ("[deleted]", "[removed]"):
            continue
        level_1, level_2 = row.get("level_1", ""), row.get("level_2", "")
        if level_1 == "Misogynistic":
            kind = "misogyny"
        elif level_2 == "Nonmisogynistic_personal_attack":
            kind = "personal_attack"
        elif level_1 == "Nonmisogynistic":
            kind = "ok"
        else:
            report["bad_rows"] += 1
            continue
        thread = row.get("link_id", "")
        yield body, int(kind != "ok"), "reddit_misogyny_guest2021", 1.0, kind, thread


def _ethos(text_dir: Path, report: dict[str, Any]) -> Iterable[_Raw]:
    folder = text_dir / "ethos_hate"
    violent: set[str] = set()
    for row in csv_rows(folder / "Ethos_Dataset_Multi_Label.csv", report, delimiter=";"):
        try:
            if float(row["violence"]) >= 0.5:
                violent.add(row["comment"])
        except (KeyError, ValueError):
            report["bad_rows"] += 1
    for row in csv_rows(folder / "Ethos_Dataset_Binary.csv", report, delimiter=";"):
        try:
            share = float(row["isHate"])
        except (KeyError, ValueError):
            report["bad_rows"] += 1
            continue
        text = row.get("comment", "")
        if share >= 0.5:
            kind = "threat" if text in violent else "hate"
            yield text, 1, "ethos_hate", share, kind, ""
        else:
            yield text, 0, "ethos_hate", 1.0 - share, "ok", ""


def _corpus_rows(path: Path, report: dict[str, Any]) -> Iterable[dict[str, Any]]:
    if not path.is_file():
        report.setdefault("missing_files", []).append(str(path))
        return
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                report["bad_rows"] += 1
                continue
            if not isinstance(row, dict) or not isinstance(row.get("text"), str):
                report["bad_rows"] += 1
                continue
            yield row


def _gab_hate_corpus(corpus_dir: Path, report: dict[str, Any]) -> Iterable[_Raw]:
    for row in _corpus_rows(corpus_dir / "gab_hate_corpus" / "posts.jsonl.gz", report):
        try:
            violence, dignity, vulgar = (int(row[k]) for k in ("cv", "hd", "vo"))
        except (KeyError, TypeError, ValueError):
            report["bad_rows"] += 1
            continue
        if violence:
            kind = "threat"
        elif dignity:
            kind = "hate"
        elif vulgar:
            kind = "offensive"
        else:
            kind = "ok"
        yield row["text"], int(kind != "ok"), "gab_hate_corpus", 1.0, kind, ""


#: ConvAbuse abuse types -> the kind of abuse recorded here.
_CONVABUSE_KINDS = {
    "sex_harassment": "sexual_harassment",
    "sexist": "sexism",
    "racist": "hate",
    "homophobic": "hate",
    "transphobic": "hate",
    "ableist": "hate",
    "intellectual": "insult",
}
_CONVABUSE_LEVELS = ("1", "0", "-1", "-2", "-3")  # not abusive, ambiguous, mild, strong, very


def _convabuse(corpus_dir: Path, report: dict[str, Any]) -> Iterable[_Raw]:
    for row in _corpus_rows(corpus_dir / "convabuse" / "utterances.jsonl.gz", report):
        try:
            votes = {level: int(row["is_abuse"][level]) for level in _CONVABUSE_LEVELS}
            judges = int(row["annotators"])
            types = {str(k): int(v) for k, v in dict(row.get("type", {})).items()}
            targets = {str(k): int(v) for k, v in dict(row.get("target", {})).items()}
        except (KeyError, TypeError, ValueError, AttributeError):
            report["bad_rows"] += 1
            continue
        if judges <= 0:
            report["bad_rows"] += 1
            continue
        abusive = (votes["-1"] + votes["-2"] + votes["-3"]) / judges
        group = f"conversation:{row.get('conv_id', '')}"
        if abusive > 0.5:
            named = {
                kind: sum(n for t, n in types.items() if _CONVABUSE_KINDS.get(t) == kind)
                for kind in set(_CONVABUSE_KINDS.values())
            }
            kind = max(sorted(named), key=lambda k: named[k])
            if not named[kind]:
                aimed = targets.get("system", 0) + targets.get("individual", 0)
                kind = "insult" if aimed else "offensive"
            yield row["text"], 1, "convabuse", min(1.0, abusive), kind, group
        elif votes["1"] / judges >= 0.5:
            yield row["text"], 0, "convabuse", min(1.0, votes["1"] / judges), "ok", group


#: HateCheck tests whose "non-hateful" gold label is still abuse or profanity here.
_HATECHECK_LEFT_OUT = frozenset({"target_indiv_nh", "target_group_nh", "profanity_nh"})


def _hatecheck(corpus_dir: Path, report: dict[str, Any]) -> Iterable[_Raw]:
    for row in _corpus_rows(corpus_dir / "hatecheck" / "cases.jsonl.gz", report):
        test, gold = str(row.get("functionality", "")), row.get("label_gold")
        if gold not in ("hateful", "non-hateful"):
            report["bad_rows"] += 1
            continue
        if test in _HATECHECK_LEFT_OUT:
            continue
        kind = "ok"
        if gold == "hateful":
            kind = "threat" if test.startswith("threat_") else "hate"
        group = f"template:{row.get('templ_id', '')}"
        yield row["text"], int(kind != "ok"), "hatecheck", 1.0, kind, group


def _jigsaw(text_dir: Path, report: dict[str, Any]) -> Iterable[_Raw]:
    sub_labels = ("threat", "identity_hate", "insult", "obscene", "severe_toxic", "toxic")
    for row in csv_rows(text_dir / "jigsaw-sample" / "test_examples.csv", report):
        try:
            marked = [k for k in sub_labels if int(row[k])]
        except (KeyError, ValueError):
            report["bad_rows"] += 1
            continue
        kind = marked[0] if marked else "ok"
        yield row.get("comment_text", ""), int(bool(marked)), "jigsaw-sample", 1.0, kind, ""


def _conda(text_dir: Path, report: dict[str, Any]) -> Iterable[_Raw]:
    folder = text_dir / "conda_dota2_game_chat"
    kinds = {"E": "explicit_toxicity", "I": "implicit_toxicity", "O": "ok", "A": "ok"}
    for name in ("CONDA_train.csv", "CONDA_valid.csv"):
        for row in csv_rows(folder / name, report):
            kind = kinds.get(row.get("intentClass", ""))
            if kind is None:
                report["bad_rows"] += 1
                continue
            text = row.get("utterance", "").replace("[SEPA]", " ")
            group = row.get("conversationId", "")
            yield text, int(kind != "ok"), "conda_dota2_game_chat", 1.0, kind, group


def read_chat_corpus(
    data_dir: Path,
    *,
    identity_classes: bool = False,
    hand_written: bool = True,
    sources: Iterable[str] = TRAIN_SOURCES + EVALUATION_SOURCES,
    corpus_dir: Path = CHAT_CORPUS_DIR,
) -> tuple[list[ChatItem], list[ChatItem], dict[str, Any]]:
    """``(training items, evaluation-only items, report)`` from ``data_dir/text`` and, for
    ``CORPUS_SOURCES``, from the project's own copies in ``corpus_dir``.

    Texts are cleaned with ``chat_model_input`` and de-duplicated across every source by
    ``dedup_key`` before anything else: a text whose copies carry different labels is
    dropped everywhere; otherwise the first copy is kept (sources in the order of
    ``TRAIN_SOURCES``, hand-written lines last), and a training text that an
    evaluation-only source also holds is left out of training. Missing files are listed in
    ``report["missing_files"]``, unreadable rows counted in ``report["bad_rows"]`` and
    texts of fewer than two letters or digits in ``report["too_short"]``.
    """
    text_dir = Path(data_dir) / "text"
    wanted = set(sources)
    report: dict[str, Any] = {"bad_rows": 0, "too_short": 0, "rows": {}}
    marked: dict[str, tuple[str, ...]] = {}  # raw text -> parts marked as the abuse
    readers = {
        "davidson": lambda: _davidson(text_dir, report),
        "cyberbullying": lambda: _cyberbullying(text_dir, report, identity_classes),
        "hatexplain": lambda: _hatexplain(text_dir, report, marked),
        "toxic_spans_civil_comments": lambda: _toxic_spans(text_dir, report, marked),
        "reddit_misogyny_guest2021": lambda: _reddit(text_dir, report),
        "ethos_hate": lambda: _ethos(text_dir, report),
        "gab_hate_corpus": lambda: _gab_hate_corpus(Path(corpus_dir), report),
        "hatecheck": lambda: _hatecheck(Path(corpus_dir), report),
        "convabuse": lambda: _convabuse(Path(corpus_dir), report),
        "jigsaw-sample": lambda: _jigsaw(text_dir, report),
        "conda_dota2_game_chat": lambda: _conda(text_dir, report),
    }
    raw: list[_Raw] = []
    for name, read in readers.items():
        if name in wanted:
            before = len(raw)
            raw.extend(read())
            report["rows"][name] = len(raw) - before
    if hand_written:
        raw.extend(_hand_written())

    by_key: dict[str, list[_Raw]] = defaultdict(list)
    order: list[str] = []
    for item in raw:
        key = dedup_key(item[0])
        if len(key) < 2:
            report["too_short"] += 1
            continue
        if key not in by_key:
            order.append(key)
        by_key[key].append(item)
    evaluation_keys = {
        key for key, items in by_key.items() if any(i[2] in EVALUATION_SOURCES for i in items)
    }
    train: list[ChatItem] = []
    check: list[ChatItem] = []
    conflicts = duplicates = 0
    for key in order:
        items = by_key[key]
        if len({i[1] for i in items}) > 1:
            conflicts += 1
            continue
        evaluation = [i for i in items if i[2] in EVALUATION_SOURCES]
        kept = evaluation[0] if evaluation else items[0]
        duplicates += len(items) - 1
        text, label, source, weight, kind, group = kept
        chat_item = ChatItem(
            chat_model_input(text), label, source, weight, kind, key, group, marked.get(text, ())
        )
        (check if key in evaluation_keys else train).append(chat_item)
    report["duplicates_removed"] = duplicates
    report["conflicting_texts_dropped"] = conflicts
    return train, check, report
