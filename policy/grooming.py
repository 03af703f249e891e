"""A rule-based grooming signal: the stages the research literature names, per conversation.

Online grooming follows recognisable moves (O'Connell 2003; Black et al. 2015; Lorenzo-Dus
et al. 2016; Winters et al. 2017): building trust with flattery, isolating the child from
parents and friends, asking the child's age and whereabouts, asking for photos, moving the
talk to another platform, asking for secrecy, offering gifts, sexualising the talk, and
arranging to meet. One such move means little — friends ask each other's age — so the signal
counts *different* moves seen in one conversation within a sliding window, and a
conversation raises the signal only when several kinds appear together.

Every cue is a small regular expression over lower-cased chat text, English (chat spellings
like "u", "ur", "pic" included) and German. The rules were tuned by measuring recall and
false alarms on the PAN 2012 predator-identification validation segments (research use only;
none of its text is in this file); the German ones on its machine-translated German copy.
French and Czech cues are not written yet (the README says so).
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

__all__ = [
    "CUES",
    "CUES_DE",
    "GroomingRules",
    "GroomingWindow",
    "cues_in",
]

_U = r"(?:you|u|ya|yu)"
_UR = r"(?:your|ur|yur|you'?re|youre|u r)"
_PARENTS = r"(?:mom|mum|mommy|mother|dad|daddy|father|parents?|folks|family|anyone|any1|anybody|no ?one|nobody|friends?|teachers?|sis|sister|bro|brother)"  # noqa: E501
_PHOTO = r"(?:pics?|picture|photos?|pix|selfies?|nudes?|snaps?|vids?|videos?)"
_PLATFORM = (
    r"(?:snap(?:chat)?|kik|whats ?app|telegram|discord|insta(?:gram)?|skype|signal|wickr|"
    r"yahoo|msn|aim|facebook|fb|messenger|tiktok|phone|cell|number|email|e-mail|cam|webcam)"
)

#: Cue families and the patterns that show them (lower-cased text, word boundaries).
CUES: dict[str, tuple[str, ...]] = {
    "secrecy": (
        rf"\b(?:do ?n'?t|dont|do not|never|dnt) (?:tell|say|show) (?:\w+ )?{_PARENTS}\b",
        r"\b(?:our|a|ur) (?:little )?secret\b",
        r"\bkeep (?:it|this|that) (?:a )?(?:secret|between us|to ?ur ?self|to yourself)\b",
        r"\bbetween (?:you and me|u and me|us)\b",
        r"\b(?:delete|erase|clear) (?:the |this |our |these |those |all )?(?:chat|messages?|msgs?|texts?|convo|history|pics?)\b",  # noqa: E501
        r"\b(?:no ?one|nobody) (?:has|needs|will|would|can|gotta) (?:to )?(?:know|find out)\b",
        rf"\b(?:will|would|wud|wil) {_UR}? ?(?:tell|get (?:me )?in trouble)\b",
        r"\bget (?:me |us )?in(?:to)? trouble\b",
        r"\b(?:are|r) (?:you|u) alone\b",
        rf"\bis {_UR}? ?{_PARENTS} (?:home|there|around|awake|asleep)\b",
        rf"\b{_PARENTS} (?:home|around|gone|asleep|at work|out)\?",
    ),
    "platform": (
        rf"\b(?:add|message|msg|text|call|hit) me (?:up )?(?:on|at|in) {_PLATFORM}\b",
        rf"\b(?:what'?s|whats|wats|wat is|what is|give me|send me|can i (?:get|have)) {_UR}? ?{_PLATFORM}\b",  # noqa: E501
        rf"\b{_UR} (?:cell|phone|number|#|addy)\b",
        r"\b(?:text|call) me\b",
        r"\b(?:do|can|will) (?:you|u) (?:call|text|cam)\b",
        r"\b(?:switch|move|go|talk) (?:to|on) (?:snap|kik|whats ?app|telegram|discord|skype|private|dm)",  # noqa: E501
        r"\b(?:my|here'?s my) (?:number|cell|snap|kik|whatsapp|skype|phone)\b",
        r"\bon (?:the )?(?:phone|cam|webcam)\b",
    ),
    "age": (
        rf"\bhow old (?:are|r|is|ru) ?{_U}?\b",
        r"\bhow old r\b",
        rf"\bwhat(?:'?s| is) {_UR} age\b",
        rf"\b(?:what|which) grade (?:are|r) {_U}\b",
        r"\bwhat grade\b",
        rf"\b{_UR} (?:too )?young\b",
        r"\bwhen(?:'?s| is) (?:your|ur) (?:b-?day|birthday)\b",
        r"\b(?:1[0-7]|twelve|thirteen|fourteen|fifteen|sixteen|seventeen)\s*(?:yo|y/o|yrs? old|years? old)\b",  # noqa: E501
    ),
    "location": (
        rf"\bwhere (?:do|d) {_U} live\b",
        r"\bwhere (?:u|you) at\b",
        r"\bwhat (?:city|town|state|school|street|area|part)\b",
        rf"\b{_UR} (?:address|school|house|street|town|city|zip)\b",
        r"\bwhich school\b",
        r"\bhow far (?:are|r|is) (?:you|u|it)\b",
        r"\b(?:live|lives|living) (?:near|close|around)\b",
    ),
    "photos": (
        rf"\bsend (?:me )?(?:a |some |more |another |ur |your |the )?{_PHOTO}\b",
        rf"\b(?:got|have|any) (?:any |a |more )?{_PHOTO}\b",
        rf"\b(?:see|c) (?:a |ur |your )?{_PHOTO}\b",
        r"\bsee (?:you|u|ur|your) (?:on )?(?:cam|body|face)\b",
        r"\bshow me\b",
        rf"\bwhat (?:are|r) {_U} wearing\b",
        r"\b(?:turn on|get on|on) (?:ur |your |the )?(?:cam|webcam)\b",
        r"\b(?:take|took) (?:a )?(?:pic|picture|photo|selfie)\b",
    ),
    "flattery": (
        rf"\b{_UR} (?:so |really |very |rly |such a |sooo* )*(?:beautiful|pretty|gorgeous|sexy|cute|hot|mature|special|amazing|perfect|adorable)\b",  # noqa: E501
        r"\b(?:mature|smart|grown ?up) for (?:your|ur) age\b",
        r"\b(?:i )?(?:love|like|miss|adore) (?:you|u)\b",
        r"\b(?:my )?(?:baby|babe|sweetie|sweetheart|beautiful|princess|angel|hun|honey)\b",
        r"\bthinking (?:about|of|bout) (?:you|u)\b",
    ),
    "isolation": (
        rf"\b{_PARENTS} (?:do ?n'?t|dont|never|wouldn'?t|would not) (?:understand|get|care|listen)\b",  # noqa: E501
        r"\b(?:only )?(?:i|me) (?:understand|get|care about) (?:you|u)\b",
        r"\b(?:i'?m|im|i am) the only (?:one|1)\b",
        r"\b(?:you|u) can (?:trust|tell) me\b",
        r"\bno(?:body| one) (?:else )?(?:understands|gets|cares about|loves) (?:you|u)\b",
        r"\b(?:they|she|he) (?:are|is|r) (?:so )?(?:strict|mean)\b",
    ),
    "gifts": (
        r"\b(?:buy|get|send|give) (?:you|u|ya) (?:a |some |something|anything|stuff|money|presents?|gifts?)",  # noqa: E501
        r"\b(?:gift ?cards?|robux|v-?bucks|itunes card|steam card|amazon card)\b",
        r"\b(?:a |some )?(?:present|gift)s? for (?:you|u)\b",
        r"\b(?:pay|paid) (?:you|u)\b",
    ),
    "meeting": (
        r"(?<!nice to )(?<!good to )\bmeet (?:up|me|you|u|ya|each other|in person|irl)\b",
        r"\bsee (?:you|u|ya|each other) (?:in person|irl|tonight|tomorrow|this weekend|soon)\b",
        r"\bmeet(?:ing)? (?:somewhere|soon|tomorrow|tonight|this weekend)\b",
        r"\b(?:come|coming) (?:over|see you|see u|to your|to ur|to my|pick)\b",
        r"\bpick (?:you|u|ya) up\b",
        r"\b(?:hang ?out|get together|go out) (?:with me|sometime|in person|irl)\b",
        r"\b(?:drive|come) (?:to|down|up|over)\b",
        r"\bwhen can (?:i|we) (?:see|meet)\b",
        r"\b(?:my|ur|your) (?:place|house|car|hotel)\b",
    ),
    "sexual": (
        r"\b(?:sex|sexy|horny|naked|nude|nudes|cock|dick|penis|pussy|boobs?|tits|breasts?|"
        r"blow ?job|bj|cum|cumming|orgasm|masturbat\w*|jerk(?:ing)? off|virgin|kiss(?:ing)? you|"
        r"touch (?:you|u|urself|yourself)|make love|bra|panties|underwear|lick|suck)\b",
    ),
}

#: German cues (the household languages also include French and Czech: not written yet).
CUES_DE: dict[str, tuple[str, ...]] = {
    "secrecy": (
        r"\b(?:sag|erzähl)\w* (?:es |das )?(?:niemandem|keinem|nicht (?:deiner|deinem|deinen) \w+)",
        r"\bunser (?:kleines )?geheimnis\b",
        r"\bzwischen uns\b",
        r"\b(?:lösch|lösche)\w* (?:den chat|die nachrichten|alles|die bilder)\b",
        r"\bbist du allein\b",
        r"\bsind deine eltern (?:zu hause|da|weg|wach)\b",
        r"\bärger bekommen\b",
    ),
    "platform": (
        r"\b(?:schreib|ruf) mich an\b",
        r"\bdeine (?:handy|telefon)?nummer\b",
        r"\bmeine (?:handy|telefon)?nummer\b",
        r"\bhast du (?:snapchat|whatsapp|kik|skype|telegram|insta|eine webcam|eine kamera)\b",
        r"\b(?:adde|add) mich\b",
        r"\bam telefon\b",
    ),
    "age": (
        r"\bwie alt bist du\b",
        r"\bwelche klasse\b",
        r"\bdein alter\b",
        r"\bwann hast du geburtstag\b",
    ),
    "location": (
        r"\bwo wohnst du\b",
        r"\bin welcher stadt\b",
        r"\bdeine (?:adresse|schule|straße)\b",
        r"\bwelche schule\b",
        r"\bwie weit (?:weg )?(?:bist|wohnst) du\b",
    ),
    "photos": (
        r"\b(?:schick|sende)\w* (?:mir )?(?:ein |mehr |noch |paar )?(?:bild|bilder|foto|fotos|selfie|pic)",  # noqa: E501
        r"\bhast du (?:noch |mehr )?(?:bilder|fotos|pics)\b",
        r"\bwas (?:hast|trägst) du (?:an|gerade an)\b",
        r"\bzeig mir\b",
        r"\b(?:webcam|kamera) an\b",
    ),
    "flattery": (
        r"\bdu bist (?:so |sehr |echt |wirklich )*(?:hübsch|schön|süß|sexy|heiß|reif|besonders|toll)\b",  # noqa: E501
        r"\bich (?:liebe|vermisse) dich\b",
        r"\breif für dein alter\b",
        r"\b(?:mein )?(?:schatz|süße|baby|engel|prinzessin)\b",
    ),
    "isolation": (
        r"\bdeine eltern verstehen dich nicht\b",
        r"\bnur ich verstehe dich\b",
        r"\bdu kannst mir vertrauen\b",
    ),
    "gifts": (
        r"\bich (?:kaufe|schenke|schicke) dir\b",
        r"\bgeschenk für dich\b",
        r"\b(?:gutschein|geschenkkarte|robux|v-bucks)\b",
    ),
    "meeting": (
        r"\b(?:uns|dich|mich) treffen\b",
        r"\bsehen wir uns\b",
        r"\bich hole dich ab\b",
        r"\bkomm(?:e)? (?:vorbei|zu dir|zu mir|rüber)\b",
        r"\b(?:zu mir|zu dir) nach hause\b",
    ),
    "sexual": (
        r"\b(?:sex|geil|nackt|nacktbilder|schwanz|muschi|titten|brüste|blasen|wichsen|"
        r"jungfrau|höschen|unterwäsche|bh|küssen)\b",
    ),
}

_COMPILED: dict[str, re.Pattern[str]] = {
    family: re.compile("|".join(f"(?:{p})" for p in (*patterns, *CUES_DE.get(family, ()))))
    for family, patterns in CUES.items()
}
_SPACES = re.compile(r"\s+")


def cues_in(text: str) -> frozenset[str]:
    """The cue families (keys of ``CUES``) that ``text`` shows."""
    lowered = _SPACES.sub(" ", text.lower().replace("’", "'"))
    return frozenset(family for family, pattern in _COMPILED.items() if pattern.search(lowered))


@dataclass(frozen=True, slots=True)
class GroomingRules:
    """When a conversation raises the grooming signal.

    ``families``: how many different cue families must appear within the window; the
    ``sexual`` family counts only together with ``age``, ``photos``, ``secrecy`` or
    ``meeting`` (adults' flirting is not grooming; sexual talk with a child who was asked
    her age is). ``window``: how far back a conversation is remembered, in time and in
    messages.
    """

    families: int = 3
    window: timedelta = timedelta(days=7)
    max_messages: int = 400

    def raised(self, seen: frozenset[str]) -> bool:
        """True when the cue families ``seen`` in one window are enough to alert."""
        counted = set(seen)
        if "sexual" in counted and not counted & {"age", "photos", "secrecy", "meeting"}:
            counted.discard("sexual")
        return len(counted) >= self.families


@dataclass(slots=True)
class GroomingWindow:
    """The cue families of one conversation's recent messages (bounded in time and count)."""

    rules: GroomingRules = field(default_factory=GroomingRules)
    _messages: deque[tuple[datetime, frozenset[str]]] = field(default_factory=deque)

    def add(self, at: datetime, cues: Iterable[str]) -> frozenset[str]:
        """Remember a message's cues; returns every family seen within the window now."""
        found = frozenset(cues)
        if found:
            self._messages.append((at, found))
        oldest = at - self.rules.window
        while self._messages and (
            self._messages[0][0] < oldest or len(self._messages) > self.rules.max_messages
        ):
            self._messages.popleft()
        return self.seen()

    def seen(self) -> frozenset[str]:
        return frozenset().union(*(cues for _at, cues in self._messages))

    def raised(self) -> bool:
        return self.rules.raised(self.seen())
