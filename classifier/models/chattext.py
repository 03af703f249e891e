"""What the chat model reads: one normalisation for every platform, and the features taken
from it.

Chat and comments look different on every platform (tweets have @mentions, hashtags and
links, forum dumps are lower-cased without punctuation, game chat is all slang, children
write "soooo", "b1tch", "f u c k" or "u r a l0ser"). ``normalise_chat`` maps all of these onto
one form, lower-case words separated by single spaces, so that a model trained on some
platforms reads the others the same way. ``chat_word_features`` and ``chat_char_grams`` are
the features the chat model is trained on and run with; both are pure Python, so training
(through scikit-learn) and the numpy run time read exactly the same features.

This module imports nothing of Hearthguard's.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "CHAR_GRAM_RANGE",
    "LEXICON_FEATURES",
    "chat_char_grams",
    "chat_features",
    "chat_word_features",
    "normalise_chat",
]

#: Lengths of the character n-grams (taken within words, with a space at each word edge).
CHAR_GRAM_RANGE = (2, 5)

# Placeholders (letters only, so they survive every step and read as one word).
_USER, _URL, _NUMBER = "xuser", "xurl", "xnum"

_PLACEHOLDERS = (
    (re.compile(r"<\s*user\s*>", re.I), f" {_USER} "),  # HateXplain's <user>
    (re.compile(r"<\s*number\s*>", re.I), f" {_NUMBER} "),
    (re.compile(r"<\s*url\s*>", re.I), f" {_URL} "),
    (re.compile(r"https?://\S+|www\.\S+|\b\S+\.(?:com|net|org|ly|co)/\S*", re.I), f" {_URL} "),
    (re.compile(r"@\w+"), f" {_USER} "),
    (re.compile(r"\bURL\b"), f" {_URL} "),
)
_RETWEET = re.compile(r"^\s*rt\s+(?=xuser)", re.I)
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z][a-z])")
_HASHTAG = re.compile(r"#(\w+)")
# Letters, digits, and the symbols people put in words to dodge filters (b1tch, a$$, f*ck).
_TOKEN = re.compile(r"[^\W_]+(?:[@$!*0-9]+[^\W_]*)*|[@$!*]+[^\W_]+(?:[@$!*0-9]+[^\W_]*)*")
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a",
                       "$": "s", "!": "i", "|": "l"})  # fmt: skip
_ELONGATED = re.compile(r"(.)\1{2,}")
_ELONGATED_TWICE = re.compile(r"(.)\1+")
_DOUBLED = re.compile(r"(.)\1")
# Runs of single letters: "f u c k", "s.t.u.p.i.d", "i-d-i-o-t".
_SPACED_PUNCT = re.compile(r"\b(?:[^\W\d_][.\-_*+,]+){2,}[^\W\d_]\b")
_SPACED_BLANK = re.compile(r"(?<!\S)(?:[^\W\d_] ){3,}[^\W\d_](?!\S)")
_MASKED = re.compile(r"\*+")
_EMOJI_GLUE = frozenset("\u200d\ufe0e\ufe0f")
_NOT_NAME = re.compile(r"[^a-z0-9]+")
_TRAILING_DIGITS = re.compile(r"[0-9]+$")

#: Chat spellings read as the words they stand for (second person matters for bullying).
_SPELLINGS = {
    "u": "you", "ya": "you", "yu": "you", "ur": "your", "yr": "your", "r": "are",
    "youre": "you are", "im": "i am", "ima": "i am going to", "imma": "i am going to",
    "gonna": "going to", "wanna": "want to", "gotta": "got to", "dont": "do not",
    "cant": "can not", "wont": "will not", "ive": "i have",
    "shes": "she is", "hes": "he is", "theyre": "they are", "thats": "that is",
    "whats": "what is", "isnt": "is not", "arent": "are not", "didnt": "did not",
    "doesnt": "does not", "pls": "please", "plz": "please", "cuz": "because", "bc": "because",
    "kys": "kill yourself", "stfu": "shut the fuck up", "gtfo": "get the fuck out",
    "fking": "fucking", "fkin": "fucking", "fucken": "fucking", "fuckin": "fucking",
    "fukin": "fucking", "fuk": "fuck", "fck": "fuck", "fk": "fuck", "fcking": "fucking",
    "btch": "bitch", "biatch": "bitch", "shyt": "shit", "sht": "shit", "azz": "ass",
    "retart": "retard",
}  # fmt: skip


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Words a masked spelling (f*ck, b**ch, sh*t) is matched against.
_MASKABLE = (
    "fuck", "fucking", "fucker", "shit", "bitch", "bitches", "cunt", "dick", "cock", "pussy",
    "whore", "slut", "bastard", "asshole", "ass", "damn", "nigger", "nigga", "faggot", "fag",
    "retard", "retarded", "motherfucker", "twat", "wanker", "piss", "crap", "hell", "kill",
    "die", "rape", "idiot", "stupid", "loser",
)  # fmt: skip

# Small hand-written lexicon behind the lexicon features: insults aimed at a person,
# threats and incitement to self-harm. Matched on normalised words.
_INSULTS = _word_set(
    """idiot idiots stupid dumb moron morons retard retarded loser losers ugly fat pathetic
    worthless useless disgusting freak freaks weirdo creep bitch bitches slut sluts whore
    whores hoe hoes skank cunt twat dick dickhead asshole bastard prick jerk scum trash
    garbage pig pigs rat vermin failure clown fool coward psycho ignorant liar fag faggot
    dyke tranny nigger nigga coon spic chink kike wetback raghead savage savages
    subhuman"""
)
_SECOND_PERSON = frozenset(("you", "your", "yourself", "yall", "ya"))
_THREAT_VERBS = _word_set(
    "kill hurt beat stab shoot punch slap rape murder destroy smash bash hang burn find"
)
_FUTURE = frozenset(("will", "going", "gonna", "go", "should", "hope", "wish", "want"))

_STRONG_WORDS = frozenset(_MASKABLE) | _INSULTS

#: The lexicon features ``chat_word_features`` may add (each is one word-feature name).
LEXICON_FEATURES = (
    "lex:insult",
    "lex:you_insult",
    "lex:threat",
    "lex:self_harm_incitement",
    "lex:shouting",
    "lex:masked_word",
)


def _emoji_words(text: str) -> str:
    """Emoji and pictographs become their Unicode names as one word each (``😂`` ->
    ``emofacewithtearsofjoy``), so platforms that export emoji differently agree."""
    if text.isascii():
        return text
    out: list[str] = []
    for ch in text:
        if ch in _EMOJI_GLUE:
            continue
        if ord(ch) >= 0x2190 and unicodedata.category(ch) in ("So", "Sk"):
            name = unicodedata.name(ch, "")
            if name.startswith("EMOJI MODIFIER"):
                continue  # skin tones
            if name:
                out.append(" emo" + _NOT_NAME.sub("", name.lower()) + " ")
                continue
        out.append(ch)
    return "".join(out)


def _unmask(token: str) -> str:
    """``f*ck`` -> ``fuck`` when exactly one listed word fits the mask (each ``*`` one
    letter, or a run of them any 1 to 3 letters); otherwise the letters around the mask."""
    pattern = re.compile(
        "^"
        + "".join("[a-z]{1,3}" if c == "*" else re.escape(c) for c in _MASKED.sub("*", token))
        + "$"
    )
    fits = [word for word in _MASKABLE if pattern.match(word)]
    if len(fits) == 1:
        return fits[0]
    return token.replace("*", "")


def _word(token: str, flags: set[str]) -> str:
    """One token made a plain word: masks filled, leetspeak undone, elongation cut, chat
    spellings expanded. (Runs of three or more are cut to two before tokens are taken.)"""
    if not token.isalpha():
        token = token.strip("!*")
        if "*" in token:
            flags.add("masked")
            token = _unmask(token)
        if any(c.isalpha() for c in token) and not token[0].isdigit():
            # "b1tch", "a$$", "sh!t"; not "3pm", "4ever" (digits first) nor "mp3", "win10"
            # (digits last read as numbers, not letters)
            tail = _TRAILING_DIGITS.search(token)
            body, end = (token[: tail.start()], tail.group(0)) if tail else (token, "")
            token = (body if body.isalpha() else body.translate(_LEET)) + end
        token = "".join(c for c in token if c.isalnum())
        if token.isdigit():
            return _NUMBER
    expanded = _SPELLINGS.get(token)
    if expanded is not None:
        return expanded
    if token not in _STRONG_WORDS and _DOUBLED.search(token):
        single = _ELONGATED_TWICE.sub(r"\1", token)
        if single in _SPELLINGS or single in _STRONG_WORDS:
            return _SPELLINGS.get(single, single)  # "uu" -> "you", "fuuck" -> "fuck"
    return token


def _join_spaced(match: re.Match[str]) -> str:
    return "".join(c for c in match.group(0) if c.isalpha())


def normalise_chat(text: str) -> str:
    """The normalised form of one chat message: lower-case words separated by single spaces.

    Promises, for any input string: links, @mentions and ``<user>`` placeholders become
    ``xurl`` / ``xuser``, numbers ``xnum``; hashtags lose ``#`` and are split at camel case
    (``#KillYourself`` -> ``kill yourself``); emoji become ``emo<unicode name>`` words;
    compatibility forms and accents of fancy fonts are folded (NFKC), case is folded;
    leetspeak inside words is undone (``b1tch`` -> ``bitch``, ``a$$`` -> ``ass``); masked
    swear words are filled (``f*ck`` -> ``fuck``); runs of three or more letters are cut to
    two (``soooo`` -> ``soo``); spaced-out words are joined (``f u c k``, ``s.t.u.p.i.d``);
    common chat spellings are expanded (``u r`` -> ``you are``, ``kys`` -> ``kill yourself``);
    apostrophes vanish (``don't`` -> ``dont`` -> ``do not``) and other punctuation is a word
    edge. Text that is already normalised is returned unchanged.
    """
    words, _flags = _normalise(text)
    return " ".join(words)


def _normalise(text: str) -> tuple[list[str], set[str]]:
    flags: set[str] = set()
    text = unicodedata.normalize("NFKC", text)
    text = _emoji_words(text)
    if "<" in text or "@" in text or "URL" in text or "/" in text or "www." in text:
        for pattern, replacement in _PLACEHOLDERS:
            text = pattern.sub(replacement, text)
        text = _RETWEET.sub("", text)
    if "#" in text:
        text = _HASHTAG.sub(lambda m: " " + _CAMEL.sub(" ", m.group(1)) + " ", text)
    if not text.islower():
        upper = sum(map(str.isupper, text))
        if upper >= 8 and upper >= 0.7 * (upper + sum(map(str.islower, text))):
            flags.add("shouting")
    text = text.casefold().replace("'", "").replace("\u2019", "").replace("`", "")
    text = _ELONGATED.sub(r"\1\1", text)
    text = _SPACED_PUNCT.sub(_join_spaced, text)
    text = _SPACED_BLANK.sub(_join_spaced, " ".join(text.split()))
    words: list[str] = []
    for token in _TOKEN.findall(text):
        word = _word(token, flags)
        if word:
            words.extend(word.split())
    return words, flags


def _lexicon(words: list[str], flags: set[str]) -> list[str]:
    found: list[str] = []
    insult_at = [i for i, w in enumerate(words) if w in _INSULTS]
    if insult_at:
        found.append("lex:insult")
        for i in insult_at:
            if any(w in _SECOND_PERSON for w in words[max(0, i - 4) : i]):
                found.append("lex:you_insult")
                break
    for i, w in enumerate(words):
        if w in _THREAT_VERBS and i + 1 < len(words) and words[i + 1] in _SECOND_PERSON:
            before = words[max(0, i - 4) : i]
            if any(b in _FUTURE or b in ("i", "ill", "we", "well") for b in before):
                found.append("lex:threat")
                break
    text = " " + " ".join(words) + " "
    if any(
        p in text
        for p in (" kill yourself ", " kill urself ", " go die ", " hang yourself ",
                  " you should die ", " end yourself ", " neck yourself ", " slit your ")
    ):  # fmt: skip
        found.append("lex:self_harm_incitement")
    if "shouting" in flags:
        found.append("lex:shouting")
    if "masked" in flags:
        found.append("lex:masked_word")
    return found


def chat_word_features(text: str, *, lexicon: bool = True) -> list[str]:
    """The word features of one chat message: the words of ``normalise_chat(text)`` and
    their bigrams (``"a b"``), each once, then the lexicon features present (names from
    ``LEXICON_FEATURES``) when ``lexicon`` is true."""
    return chat_features(text, lexicon=lexicon)[0]


def chat_features(text: str, *, lexicon: bool = True) -> tuple[list[str], str]:
    """``(chat_word_features(text), normalise_chat(text))``, normalising once."""
    words, flags = _normalise(text)
    features = dict.fromkeys(words)
    features.update(dict.fromkeys(f"{a} {b}" for a, b in zip(words, words[1:], strict=False)))
    if lexicon:
        features.update(dict.fromkeys(_lexicon(words, flags)))
    return list(features), " ".join(words)


def chat_char_grams(normalised: str, gram_range: tuple[int, int] = CHAR_GRAM_RANGE) -> list[str]:
    """The distinct character n-grams of normalised text, taken within words: every
    substring of ``" " + normalised + " "`` of a length in ``gram_range`` that holds no space
    except as its first or last character. (Exactly what an automaton of such n-grams finds
    in that padded string.)"""
    low, high = gram_range
    grams: dict[str, None] = {}
    for word in normalised.split(" "):
        if not word:
            continue
        w = " " + word + " "
        for n in range(low, high + 1):
            for i in range(len(w) - n + 1):
                grams[w[i : i + n]] = None
    return list(grams)
