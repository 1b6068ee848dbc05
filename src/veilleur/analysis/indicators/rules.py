"""The indicator rules, as data: one entry per rule, in French and English.

Each :class:`Rule` has a stable ``id`` (``<language>.<indicator>.<name>``; hits keep it, so an id
is never reused for a different rule), the indicator it feeds, its language, a confidence, a
regular expression over *normalised* text (lower case, accents folded, plain apostrophes and
quotes: :mod:`veilleur.analysis.indicators.text`), what it is meant to catch, and synthetic
example phrases the test suite checks it catches (and counter-examples it must not). Example
phrases are of the kind investigators' keyword lists hold, never more explicit than a rule needs.

Patterns name shared vocabulary with ``<NAME>`` (:data:`VOCABULARY`), expanded to a
non-capturing group when rules are compiled. A rule's ``anchors`` are literal stems of which at
least one is in every text the rule can match (``<NAME>`` stands for the stems of that
vocabulary): the matcher skips a rule on messages holding none of them, which is what makes a
scan of millions of messages cheap. The test suite checks, on every example, that the rule with
its anchors finds what the rule alone finds.

``intent``, ``request`` and ``meeting`` are *sensitive*: their hits are stored as offsets only
and their text is shown only through an audited reveal. ``access_to_children`` and
``profession`` are not.

Confidence belongs to the rule, not to a probability: ``high`` — the phrase says it (a
first-person statement with an age, an explicit child term); ``medium`` — it usually does, but
common innocent uses exist; ``low`` — a weak signal that matters only beside others. The guards
(:data:`GUARDS`) drop a disclosure that is negated, reported or quoted, and lower a sensitive
hit in the same situation to ``low`` instead of dropping it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass

import orjson

__all__ = [
    "CONFIDENCES",
    "GUARDS",
    "IDIOMS",
    "IDIOM_ANCHORS",
    "INDICATORS",
    "LANGUAGES",
    "RULES",
    "SENSITIVE",
    "VOCABULARY",
    "Rule",
    "expand",
    "rule_anchors",
    "ruleset_digest",
]

INDICATORS = ("access_to_children", "profession", "intent", "request", "meeting")
SENSITIVE = frozenset({"intent", "request", "meeting"})
LANGUAGES = ("fr", "en")
CONFIDENCES = ("high", "medium", "low")


@dataclass(frozen=True)
class Rule:
    id: str
    indicator: str
    language: str
    confidence: str
    pattern: str
    anchors: tuple[str, ...]
    catches: str
    examples: tuple[str, ...]
    counter_examples: tuple[str, ...] = ()

    @property
    def sensitive(self) -> bool:
        return self.indicator in SENSITIVE


# A vocabulary is a list of alternatives; each is a regular expression whose stem (the literal
# characters it starts with) is found automatically, or a tuple (expression, stem, stem…) where
# the expression does not start with its stem.
_Alt = str | tuple[str, ...]

_AGE_DIGITS = (r"(?<!\d)(?:1[0-7]|[1-9])(?!\d|[,.]\d)", *"123456789")
_AGE_WORDS_FR = [
    "deux",
    "trois",
    "quatre",
    "cinq",
    "six",
    "sept",
    "huit",
    "neuf",
    "dix-sept",
    "dix",
    "onze",
    "douze",
    "treize",
    "quatorze",
    "quinze",
    "seize",
]
_AGE_WORDS_EN = [
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
]

_VOCABULARY: dict[str, list[_Alt]] = {
    # Ages of a minor, 1 to 17, in figures or words.
    "AGE_NUM_FR": [_AGE_DIGITS, *_AGE_WORDS_FR],
    "AGE_NUM_EN": [_AGE_DIGITS, *_AGE_WORDS_EN],
    # Sons, daughters and other children one has (French): "ma fille", "mes gosses".
    "OFFSPRING_FR": [
        r"petits?-enfants?\b",
        r"petite?s?-(?:fille|fils)s?\b",
        r"belles?-filles?\b",
        r"beaux?-fils\b",
        r"filles?\b",
        r"fils\b",
        r"fistons?\b",
        r"enfants?\b",
        r"gamine?s?\b",
        r"gosses?\b",
        r"bebes?\b",
        r"nieces?\b",
        r"neveux?\b",
        r"filleule?s?\b",
        r"fillettes?\b",
        r"loulous?\b",
        r"marmots?\b",
        r"momes?\b",
    ],
    # Children in general (French): "des enfants", "une gamine", "des mineurs".
    "CHILD_FR": [
        r"enfants?\b",
        r"gamine?s?\b",
        r"gosses?\b",
        r"fillettes?\b",
        r"garconnets?\b",
        r"bebes?\b",
        r"bambins?\b",
        r"momes?\b",
        r"petits? garcons?\b",
        r"petites? filles?\b",
        r"ados?\b",
        r"adolescente?s?\b",
        r"preados?\b",
        r"mineure?s?\b",
        r"ecolieres?\b",
        r"ecoliers?\b",
        r"collegiens?\b",
        r"collegiennes?\b",
    ],
    # Sons, daughters and other children one has (English).
    "OFFSPRING_EN": [
        r"daughters?\b",
        r"sons?\b",
        r"kids?\b",
        r"kiddos?\b",
        r"children\b",
        r"child\b",
        r"step-?(?:daughter|son|kid|child)s?\b",
        r"step-?children\b",
        r"nieces?\b",
        r"nephews?\b",
        r"grand(?:daughter|son|kid|child)s?\b",
        r"grandchildren\b",
        r"little ones?\b",
        r"toddlers?\b",
        r"baby (?:girl|boy)s?\b",
        r"bab(?:y|ies)\b",
        r"god(?:son|daughter|child)s?\b",
    ],
    # Children in general (English).
    "CHILD_EN": [
        r"kids?\b",
        r"children\b",
        r"child\b",
        r"toddlers?\b",
        r"bab(?:y|ies)\b",
        r"little (?:girls?|boys?|ones?)\b",
        r"young (?:girls?|boys?|ones?)\b",
        r"teens?\b",
        r"preteens?\b",
        r"pre-teens?\b",
        r"tweens?\b",
        r"minors?\b",
        r"under-?age\b",
        r"schoolgirls?\b",
        r"schoolboys?\b",
        r"youngsters?\b",
    ],
    # Jobs in contact with children, unambiguous (French).
    "JOB_CHILD_FR": [
        r"instits?\b",
        r"institut(?:rice|eur)s?\b",
        r"profs? des ecoles\b",
        r"professeure?s? des ecoles\b",
        r"maitresse d'ecole\b",
        r"maitre d'ecole\b",
        r"enseignante?s? (?:en|de|a la) (?:maternelle|primaire|ecole|cp|ce1|ce2|cm1|cm2)\b",
        r"atsem\b",
        r"assistante?s? maternelles?\b",
        r"ass ?mat\b",
        r"nounous?\b",
        r"baby-?sitt(?:er|euse)s?\b",
        r"puericultrices?\b",
        r"auxiliaire de puericulture\b",
        r"pediatres?\b",
        r"pedopsychiatres?\b",
        r"educat(?:eur|rice)s? (?:de jeunes enfants|specialisee?s?|de l'ase)\b",
        r"animat(?:eur|rice)s? (?:de colo|en colo|periscolaire|en centre de loisirs|bafa|jeunesse)\b",
        r"moniteur de colo\b",
        r"monitrice de colo\b",
        r"catechistes?\b",
        r"chef scout\b",
        r"cheftaine\b",
        r"direct(?:eur|rice) d'ecole\b",
        r"surveillante? (?:de|au|en) (?:college|lycee|internat)\b",
        r"cpe\b",
        r"entraineu(?:r|se)s? (?:des|de) (?:jeunes|petits|enfants|u\d{1,2}|benjamins|poussins|minimes)\b",
    ],
    # Jobs often but not always in contact with children (French).
    "JOB_OTHER_FR": [
        r"profs?\b",
        r"professeure?s?\b",
        r"enseignante?s?\b",
        r"animat(?:eur|rice)s?\b",
        r"educat(?:eur|rice)s?\b",
        r"entraineu(?:r|se)s?\b",
        r"moniteur\b",
        r"monitrice\b",
        r"surveillante?s?\b",
        r"pretres?\b",
        r"cures?\b",
        r"aumoniers?\b",
        r"pasteurs?\b",
        r"coach\b",
        r"tut(?:eur|rice)\b",
    ],
    # Jobs in contact with children, unambiguous (English).
    "JOB_CHILD_EN": [
        (
            r"(?:primary|elementary|kindergarten|preschool|pre-school|nursery|middle school|grade school|"
            r"school|year \d|\d(?:st|nd|rd|th) grade|sunday school|reception) teachers?\b",
            "teacher",
        ),
        r"teaching assistants?\b",
        r"teacher'?s aide\b",
        r"youth (?:workers?|pastors?|leaders?|coach(?:es)?|counsell?ors?|ministers?)\b",
        r"scout ?(?:leaders?|masters?)\b",
        r"scoutmasters?\b",
        r"camp counsell?ors?\b",
        r"baby-?sitters?\b",
        r"nann(?:y|ies)\b",
        r"childminders?\b",
        r"au pairs?\b",
        (
            r"(?:daycare|day care|childcare|child care) (?:workers?|teachers?|providers?|assistants?)\b",
            "care",
        ),
        (r"p(?:a)?ediatricians?\b", "ediatrician"),
        r"child (?:psychologists?|therapists?)\b",
        r"school (?:nurses?|counsell?ors?|bus drivers?|janitors?|caretakers?|chaplains?)\b",
        (
            r"(?:little league|junior|youth|kids'?|under-?\d{1,2}s?|u\d{1,2}) (?:coach(?:es)?|trainers?)\b",
            "coach",
            "trainer",
        ),
        r"swim(?:ming)? (?:instructors?|coach(?:es)?)\b",
        r"playground supervisors?\b",
    ],
    # Jobs often but not always in contact with children (English).
    "JOB_OTHER_EN": [
        r"teachers?\b",
        r"coach(?:es)?\b",
        r"tutors?\b",
        r"instructors?\b",
        r"priests?\b",
        r"pastors?\b",
        r"lifeguards?\b",
        r"mentors?\b",
    ],
    # Material asked for.
    "MATERIAL_FR": [
        r"photos?\b",
        r"videos?\b",
        r"vids?\b",
        r"vidz\b",
        r"pics?\b",
        r"images?\b",
        r"liens?\b",
        r"dossiers?\b",
        r"contenus?\b",
        r"fichiers?\b",
        r"packs?\b",
        r"albums?\b",
        r"collections?\b",
        r"archives?\b",
    ],
    "MATERIAL_EN": [
        r"pics?\b",
        r"pix\b",
        r"pictures?\b",
        r"photos?\b",
        r"vids?\b",
        r"videos?\b",
        r"clips?\b",
        r"links?\b",
        r"content\b",
        r"stuff\b",
        r"files?\b",
        r"folders?\b",
        r"packs?\b",
        r"albums?\b",
        r"collections?\b",
        r"material\b",
        r"archives?\b",
    ],
    # Arranging to meet.
    "MEET_FR": [
        r"on se voit\b",
        r"on se retrouve\b",
        r"on se rejoint\b",
        r"on se capte\b",
        r"on se rencontre\b",
        r"rdv\b",
        r"rendez-vous\b",
        r"rendez vous\b",
        r"je te rejoins\b",
        r"je passe te (?:chercher|prendre)\b",
        r"je viens te (?:chercher|prendre)\b",
        r"je t'attends\b",
        r"retrouve-moi\b",
        r"rejoins-moi\b",
    ],
    "MEET_EN": [
        r"let'?s meet\b",
        r"lets meet\b",
        r"meet me\b",
        r"meet up\b",
        r"we (?:can|could|should) meet\b",
        r"can we meet\b",
        r"wanna meet\b",
        r"want to meet\b",
        r"where (?:do|should|shall|can) we meet\b",
        r"when can we meet\b",
        r"see you\b",
        r"i'll pick you up\b",
        r"i can pick you up\b",
        r"i'll wait for you\b",
    ],
    "DAY_FR": ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"],
    "DAY_EN": ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"],
    # Someone else's: "ta fille", "vos enfants", "your son".
    "POSS2_FR": ["ta", "ton", "tes", "votre", "vos", "sa", "son", "ses", "leur", "leurs"],
    "POSS2_EN": ["your", "ur", "her", "his", "their"],
    # Wanting to.
    "WANT_FR": [
        "je veux",
        "je voudrais",
        "j'aimerais",
        "j'ai envie de",
        "je compte",
        "je vais",
        "laisse-moi",
        "laisse moi",
        "je peux",
    ],
    "WANT_EN": [
        "i want to",
        "i want",
        "i wanna",
        "i'd like to",
        "i would like to",
        "i'd love to",
        "i would love to",
        "i need to",
        "i'm going to",
        "let me",
        "can i",
        "could i",
    ],
    # Asking for material (French): "tu as", "envoie-moi", "je cherche"…
    "ASK_FR": [
        "tu as",
        "t'as",
        "t'aurais",
        "tu aurais",
        "vous avez",
        "vous auriez",
        "qqn a",
        "quelqu'un a",
        "quelqu'un aurait",
        "envoie",
        "envoyez",
        "balance",
        "file",
        "passe",
        "partage",
        "montre",
        "cherche",
        "recherche",
        "echange",
        "j'echange",
        "j'achete",
    ],
    # Asking for material (English); never a bare "have" or "got" (a parent has pictures of their
    # own kids).
    "ASK_EN": [
        "send",
        "share",
        "trade",
        "swap",
        "sell",
        "buy",
        "post",
        "show",
        "drop",
        "dm",
        "pm",
        "do you have",
        "do u have",
        "you got",
        "u got",
        "got any",
        "have you got",
        r"anyone (?:have|got|has)",
        r"who (?:has|have|got)",
        "looking for",
        "need",
    ],
}


def _stem(alternative: str) -> str:
    """The literal characters an expression starts with (without one a quantifier makes optional)."""
    out: list[str] = []
    for c in alternative:
        if c in "\\()[]{}?*+|.^$":
            if c in "?*{" and out:
                out.pop()
            break
        out.append(c)
    return "".join(out)


def _vocabulary() -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    patterns: dict[str, str] = {}
    stems: dict[str, tuple[str, ...]] = {}
    for name, alternatives in _VOCABULARY.items():
        exprs: list[str] = []
        found: list[str] = []
        for alt in alternatives:
            if isinstance(alt, tuple):
                exprs.append(alt[0])
                found.extend(alt[1:])
                continue
            stem = _stem(alt)
            if not stem:
                raise ValueError(f"vocabulary {name}: {alt!r} has no literal stem; give it one")
            exprs.append(alt)
            found.append(stem)
        patterns[name] = "|".join(exprs)
        stems[name] = tuple(dict.fromkeys(found))
    return patterns, stems


VOCABULARY, VOCABULARY_STEMS = _vocabulary()
"""Each vocabulary name → its expression (alternatives joined) and → its literal stems."""

# A French age: "6 ans", "4 et 9 ans", "un an", "18 mois".
VOCABULARY["AGE_FR"] = (
    r"(?:<AGE_NUM_FR>)(?:\s*(?:,|et|&)\s*(?:<AGE_NUM_FR>))*\s*ans\b|(?:un|1)\s*an\b|\d{1,2}\s*mois\b"
)
VOCABULARY_STEMS["AGE_FR"] = ("an", "mois")

_PLACEHOLDER = re.compile(r"<([A-Z][A-Z0-9_]*)>")


def expand(pattern: str) -> str:
    """``pattern`` with every ``<NAME>`` replaced by ``(?:`` its vocabulary ``)``, recursively."""
    for _ in range(5):
        expanded = _PLACEHOLDER.sub(lambda m: f"(?:{VOCABULARY[m.group(1)]})", pattern)
        if expanded == pattern:
            return expanded
        pattern = expanded
    raise ValueError("vocabulary nested too deep")


def rule_anchors(rule: Rule) -> frozenset[str]:
    """The literal stems of ``rule`` (``<NAME>`` anchors expanded to the vocabulary's stems)."""
    out: set[str] = set()
    for a in rule.anchors:
        m = _PLACEHOLDER.fullmatch(a)
        out.update(VOCABULARY_STEMS[m.group(1)] if m else (a,))
    return frozenset(out)


# Uses of child words that are not about children, masked (same length) before the rules run:
# "un jeu d'enfant" is not a child, "my kid brother" is an adult, "en la mineur" is a key.
IDIOMS: tuple[tuple[str, str], ...] = (
    (r"\bjeux? d'enfants?\b", "c'est un jeu d'enfant"),
    (r"\bbon enfant\b", "une soirée bon enfant"),
    (r"\benfants? de (?:ch)?oeur\b", "un enfant de chœur"),
    (r"\benfants? terribles?\b", "l'enfant terrible du rock"),
    (r"\benfant prodigue\b", "le retour de l'enfant prodigue"),
    (r"\benfants? du pays\b", "un enfant du pays"),
    (r"\b(?:tomber|retomber|retombe|tombe) en enfance\b", "il retombe en enfance"),
    (r"\bmineurs? (?:de fond|de charbon|du nord)\b", "un mineur de fond"),
    (r"\b(?:do|re|mi|fa|sol|la|si) (?:bemol |diese )?mineur\b", "un prélude en la mineur"),
    (r"\benfants? (?:adultes|majeure?s?)\b", "mes enfants adultes"),
    (r"\bchild'?s play\b", "it's child's play"),
    (r"\binner child\b", "my inner child"),
    (r"\bposter child\b", "the poster child of the league"),
    (r"\bkid gloves\b", "handle it with kid gloves"),
    (r"\bkid (?:brother|sister)\b", "my kid brother"),
    (r"\b(?:adult|grown|grown-up|grownup) (?:children|kids?|sons?|daughters?)\b", "my grown kids"),
)
"""Each idiom (pattern, example). The matcher masks idioms only in texts holding one of
:data:`IDIOM_ANCHORS`; the test suite checks every example holds one and is masked."""
IDIOM_ANCHORS = ("enfan", "mineur", "child", "kid", "son", "daughter")

# Guards, per language: cues looked for in the same clause before a hit. A disclosure
# (non-sensitive indicator) with one is dropped; a sensitive hit is kept at low confidence.
GUARDS: dict[str, dict[str, str]] = {
    # Negation and wishes, within the clause (stops at . ! ? ; , : parentheses, line ends).
    "negation": {
        "fr": r"\b(?:ne|pas|jamais|aucune?|si j'avais|si j'etais|j'aimerais avoir|je voudrais avoir)\b|\bn'",
        "en": r"\b(?:not|no|never|neither|if i had|if i were|i wish|i'd love to have|someday|"
        r"dont|doesnt|didnt|isnt|wasnt|havent|hasnt|cant|wont|aint)\b|n't\b",
    },
    # Reported speech, within the sentence (stops at . ! ? and line ends).
    "reported": {
        "fr": r"\b(?:il|elle|ils|elles|on|quelqu'un|un mec|une meuf|un gars|le type|mon pote|ma pote|"
        r"mon collegue|ma collegue)\s+(?:m'|t'|lui |nous |leur )?(?:a |avait |ont )?"
        r"(?:dit|ecrit|raconte|explique|pretend|pretendu|affirme|repondu|disait|raconte)\b"
        r"|\b(?:selon|d'apres) (?:lui|elle|eux|elles)\b|\bsoi-disant\b",
        "en": r"\b(?:he|she|they|someone|somebody|a guy|this guy|my friend|some guy|my colleague)\s+"
        r"(?:said|says|told (?:me|us|him|her|them)|wrote|writes|claims|claimed|was saying|texted|replied)\b"
        r"|\baccording to (?:him|her|them)\b",
    },
}


# -- rules ------------------------------------------------------------------------------------------

_OFFSPRING_ANY_FR = ("<OFFSPRING_FR>", "<CHILD_FR>", "petit")
_OFFSPRING_ANY_EN = ("<OFFSPRING_EN>", "<CHILD_EN>")

RULES: tuple[Rule, ...] = (
    # access_to_children -------------------------------------------------------------------------
    Rule(
        "fr.access.possessive_child_age",
        "access_to_children",
        "fr",
        "high",
        r"\b(?:ma|mon|mes|notre|nos)\s+(?:(?:petite?s?|grande?s?|deux|trois|propres?)\s+)?"
        r"(?:<OFFSPRING_FR>|petite?s?\b|puce\b)\s*[(,:-]?\s*"
        r"(?:(?:de|qui a|qui ont|a|ont|agee?s? de|va avoir|vient d'avoir|fete ses|aura)\s+|d')?(?:<AGE_FR>)",
        ("<OFFSPRING_FR>", "petit", "puce"),
        "one's own child with an age (ma fille de 6 ans, mes enfants de 4 et 9 ans)",
        ("ma fille de 6 ans", "mon fils a 8 ans", "mes enfants de 4 et 9 ans", "ma petite (5 ans)"),
        ("ma fille de 26 ans",),
    ),
    Rule(
        "fr.access.possessive_child",
        "access_to_children",
        "fr",
        "medium",
        r"\b(?:ma|mon|mes)\s+(?:(?:petite?s?|grande?s?|deux|trois|propres?)\s+)?(?:<OFFSPRING_FR>)"
        r"(?!\s*[(,:-]?\s*(?:(?:de|qui a|a|agee?s? de)\s+)?(?:1[89]|[2-9]\d)\s*ans)",
        ("<OFFSPRING_FR>",),
        "one's own child named with a possessive (mon fils, ma fille, mes gosses, ma nièce), not with an "
        "adult age",
        ("mon fils", "ma nièce arrive demain", "mes gosses sont chez leur père"),
        ("ton fils", "un jeu d'enfant", "ce n'est pas mon fils", "ma fille de 26 ans"),
    ),
    Rule(
        "fr.access.have_children",
        "access_to_children",
        "fr",
        "medium",
        r"\b(?:j'ai|jai|on a|nous avons|j'ai eu)\s+(?:des|une|un|deux|trois|quatre|cinq|mes|\d)\s+"
        r"(?:(?:petite?s?|grande?s?)\s+)?(?:<OFFSPRING_FR>)",
        ("<OFFSPRING_FR>",),
        "saying one has children (j'ai deux enfants, j'ai mes gosses ce week-end)",
        ("j'ai deux enfants", "j'ai une fille", "j'ai mes gosses ce week-end"),
        ("je n'ai pas d'enfants", "j'ai pas d'enfant"),
    ),
    Rule(
        "fr.access.parent",
        "access_to_children",
        "fr",
        "medium",
        r"\bje suis (?:une |un )?(?:maman|papa|mere|pere|parent)(?: solo| celibataire| seule?)?\b",
        ("maman", "papa", "mere", "pere", "parent"),
        "a self-declared parent (je suis papa solo)",
        ("je suis papa solo", "je suis maman de deux enfants"),
        ("je suis pas papa", "je ne suis pas maman"),
    ),
    Rule(
        "fr.access.caring",
        "access_to_children",
        "fr",
        "high",
        r"\bje (?:garde|gardais|vais garder|m'occupe des?|m'occupe d'|recupere|emmene|depose|amene|"
        r"ramene|baby-?sitte|surveille|fais les devoirs avec|donne des cours (?:particuliers )?a)\s*"
        r"(?:(?:les|des|mes|ses|la|le|l'|sa|son|ces|leurs?|deux|trois|\d+)\s*)?"
        r"(?:<OFFSPRING_FR>|<CHILD_FR>|petits\b|petites\b)"
        r"|\bje fais (?:du|des) (?:baby-?sitting|gardes? d'enfants)\b",
        (*_OFFSPRING_ANY_FR, "baby"),
        "looking after children (je garde les enfants de ma voisine, je fais du baby-sitting)",
        (
            "je garde les enfants de ma voisine",
            "je m'occupe des petits le mercredi",
            "je fais du baby-sitting",
        ),
    ),
    Rule(
        "fr.access.partner_child",
        "access_to_children",
        "fr",
        "medium",
        r"\b(?:ma|mon) (?:copine|compagne|femme|epouse|meuf|nana|copain|compagnon|mari|conjointe?|ex|"
        r"voisine?|soeur|frere|cousine?|coloc(?:ataire)?|amie?|pote|belle-soeur|beau-frere|fiancee?)\s+"
        r"a\s+(?:une|un|deux|trois|des|\d+)\s+(?:<OFFSPRING_FR>|<CHILD_FR>)",
        _OFFSPRING_ANY_FR,
        "the children of a partner, neighbour or relative (ma copine a une fille)",
        ("ma copine a une fille de 8 ans", "ma voisine a deux gamins"),
    ),
    Rule(
        "fr.access.coaching",
        "access_to_children",
        "fr",
        "high",
        r"\bj'(?:entraine|encadre|anime)\s+(?:les |des |une equipe de |l'equipe des )?"
        r"(?:u\d{1,2}|moins de \d{1,2} ans|mini-?poussins|poussins|benjamins|minimes|pupilles|petits|"
        r"enfants|gamins|jeunes)\b",
        ("j'entraine", "j'encadre", "j'anime"),
        "training or leading a children's group (j'entraîne les U10, j'encadre les poussins)",
        ("j'entraîne les U10", "j'encadre les poussins le samedi"),
    ),
    Rule(
        "en.access.possessive_child_age",
        "access_to_children",
        "en",
        "high",
        r"\bmy\s+(?:(?:little|young|youngest|eldest|oldest|two|three|own|step)\s+)?"
        r"(?:<OFFSPRING_EN>|girl\b|boy\b)\s*[(,-]?\s*"
        r"(?:(?:is|who is|who's|'s|turned|just turned|turns|is turning|will be|aged|age)\s+(?:<AGE_NUM_EN>)"
        r"(?!\s*(?:minutes?|mins?|hours?|hrs?|days?|weeks?|months?|feet|ft|inches|cm|kg|lbs?|pounds|"
        r"percent|%|am|pm|o'clock|miles?|km|th|st|nd|rd)\b)(?![:.]\d)"
        r"|(?:<AGE_NUM_EN>)\s*(?:years?|yrs?)(?:[- ]old)?\b|(?:<AGE_NUM_EN>)\s*(?:yo|y/o)\b)"
        r"|\bmy\s+(?:<AGE_NUM_EN>)[- ]?(?:years?|yrs?|yr)[- ]?olds?\b|\bmy\s+(?:<AGE_NUM_EN>)\s?yo\b",
        ("<OFFSPRING_EN>", "girl", "boy", "year", "yr", "yo"),
        "one's own child with an age (my daughter is 7, my 6 year old)",
        ("my daughter is 7", "my son, 9 years old", "my 6 year old", "my little girl is seven"),
        ("my son is 5 minutes away", "my daughter is 27"),
    ),
    Rule(
        "en.access.possessive_child",
        "access_to_children",
        "en",
        "medium",
        r"\bmy\s+(?:(?:little|young|youngest|eldest|oldest|two|three|four|own|sweet|baby|step)\s+)?"
        r"(?:<OFFSPRING_EN>|little girl\b|little boy\b)"
        r"(?!\s*[(,-]?\s*(?:(?:is|who is|who's|'s|aged|age)\s+)?(?:1[89]|[2-9]\d)\b)",
        ("<OFFSPRING_EN>", "little"),
        "one's own child named with a possessive (my son, my kids, my niece), not with an adult age",
        ("my son", "picking up my kids", "my stepdaughter"),
        ("your son", "just kidding", "my kid brother", "my grown kids", "my daughter is 27"),
    ),
    Rule(
        "en.access.have_children",
        "access_to_children",
        "en",
        "medium",
        r"\b(?:i have|i've got|ive got|i got|i have got|we have|we've got)\s+"
        r"(?:a|an|one|two|three|four|five|\d|my)\s+(?:(?:little|young|baby|step)\s+)?(?:<OFFSPRING_EN>)",
        ("<OFFSPRING_EN>",),
        "saying one has children (I have two kids)",
        ("i have two kids", "I've got a daughter", "we have three children"),
        ("I don't have kids", "I have no children"),
    ),
    Rule(
        "en.access.parent",
        "access_to_children",
        "en",
        "medium",
        r"\bi'?m a (?:single |proud |working |stay at home |stay-at-home )?(?:mom|mum|dad|father|mother|"
        r"parent)\b",
        ("mom", "mum", "dad", "father", "mother", "parent"),
        "a self-declared parent (I'm a single mum of two)",
        ("I'm a single mum of two", "im a dad"),
    ),
    Rule(
        "en.access.caring",
        "access_to_children",
        "en",
        "high",
        r"\bi(?:'m| am)?\s+(?:babysit(?:ting)?|look(?:ing)? after|take care of|taking care of|watch(?:ing)?|"
        r"mind(?:ing)?|pick(?:ing)? up|drop(?:ping)? off|tutor(?:ing)?|nanny for|nannying for|care for|"
        r"caring for|foster(?:ing)?|raising)\s+"
        r"(?:(?:the|my|her|his|their|our|a|some|two|three|\d+|[a-z]+'s|[a-z]+s')\s+){0,3}"
        r"(?:<OFFSPRING_EN>|<CHILD_EN>)"
        r"|\bi (?:babysit|nanny|childmind)\b",
        (*_OFFSPRING_ANY_EN, "babysit", "nanny", "childmind"),
        "looking after children (I babysit the neighbours' kids)",
        ("I babysit the neighbours' kids", "i look after my sister's children", "I babysit on weekends"),
    ),
    Rule(
        "en.access.partner_child",
        "access_to_children",
        "en",
        "medium",
        r"\bmy\s+(?:girlfriend|gf|wife|partner|boyfriend|bf|husband|fiancee?|ex|neighbou?r|sister|brother|"
        r"cousin|roommate|flatmate|friend|best friend|sister-in-law|brother-in-law)\s+(?:has|has got|"
        r"'s got)\s+"
        r"(?:a|an|one|two|three|\d+|some)\s+(?:(?:little|young|baby)\s+)?(?:<OFFSPRING_EN>|<CHILD_EN>)",
        _OFFSPRING_ANY_EN,
        "the children of a partner, neighbour or relative (my girlfriend has a daughter)",
        ("my girlfriend has a daughter", "my neighbour has two little kids"),
    ),
    Rule(
        "en.access.coaching",
        "access_to_children",
        "en",
        "high",
        r"\bi (?:coach|train|teach|run|lead|help (?:coach|run))\s+"
        r"(?:the |a |an |our local |our |the local |my (?:son|daughter|kid)'?s? )?"
        r"(?:under-?\d{1,2}s?|u-?\d{1,2}s?|kids|children|juniors|youth|little league|pee-?wees?|cubs|"
        r"brownies|"
        r"(?:girl|boy) scouts|sunday school|kindergarten|preschool|year \d{1,2}|(?:\d(?:st|nd|rd|th)|first|"
        r"second|third|fourth|fifth) grade)\b",
        ("i coach", "i train", "i teach", "i run", "i lead", "i help"),
        "training, teaching or leading a children's group (I coach the under-10s)",
        ("I coach the under-10s", "i teach 3rd grade", "I run the local cubs"),
    ),
    # profession -----------------------------------------------------------------------------------
    Rule(
        "fr.profession.self_child_job",
        "profession",
        "fr",
        "high",
        r"\b(?:je suis|j'suis|jsuis|chuis|je bosse comme|je travaille comme|je travaille en tant que|"
        r"je taffe comme|mon (?:metier|taf|boulot|job),? c'est)\s+(?:aussi |moi-meme )?(?:un |une )?"
        r"(?:<JOB_CHILD_FR>)",
        ("<JOB_CHILD_FR>",),
        "a self-stated job with children (je suis instit, je bosse comme nounou)",
        ("je suis instit", "je suis professeure des écoles", "je bosse comme nounou", "je suis ATSEM"),
        ("mon frère est instit", "je suis allée voir le pédiatre"),
    ),
    Rule(
        "fr.profession.self_other_job",
        "profession",
        "fr",
        "medium",
        r"\b(?:je suis|j'suis|jsuis|chuis|je bosse comme|je travaille comme|je travaille en tant que|"
        r"je taffe comme|mon (?:metier|taf|boulot|job),? c'est)\s+(?:aussi |moi-meme )?(?:un |une )?"
        r"(?:<JOB_OTHER_FR>)",
        ("<JOB_OTHER_FR>",),
        "a self-stated job often with children (je suis prof, je suis animateur, je suis entraîneur)",
        ("je suis prof", "je suis animatrice", "je travaille comme surveillant", "je suis entraîneur"),
        ("sa mère est prof", "je ne suis pas prof"),
    ),
    Rule(
        "fr.profession.workplace",
        "profession",
        "fr",
        "medium",
        r"\bje (?:travaille|bosse|taffe|fais des remplacements|fais un stage|interviens)\s+"
        r"(?:dans|a|en|au|aux)\s+(?:une |un |la |le |l'|les |des )?(?:ecoles?|creches?|maternelles?|colos?|"
        r"colonies? de vacances|centres? (?:aere|de loisirs)|periscolaire|garderies?|college|primaire|"
        r"cantine|pouponniere|foyer de l'enfance|aide sociale a l'enfance|club de (?:foot|basket|judo|"
        r"natation|gym|handball|rugby|tennis|danse))\b",
        ("travaille", "bosse", "taffe", "remplacements", "stage", "interviens"),
        "working where children are (je travaille dans une crèche); never 'je suis au collège' (a pupil)",
        ("je travaille dans une crèche", "je bosse au périscolaire", "je travaille en colo cet été"),
        ("je suis au collège",),
    ),
    Rule(
        "fr.profession.teaching",
        "profession",
        "fr",
        "medium",
        r"\b(?:j'enseigne|je fais cours|j'ai une classe)\s+(?:en|aux?|de|a des|a)\s+(?:cp|ce1|ce2|cm1|cm2|"
        r"maternelle|primaire|petite section|moyenne section|grande section|sixieme|6e|5e|4e|3e|cinquieme|"
        r"quatrieme|troisieme|college|enfants|petits|eleves)\b"
        r"|\bmes eleves\b",
        ("j'enseigne", "je fais cours", "j'ai une classe", "mes eleves"),
        "teaching a class of children (j'enseigne en CM1, mes élèves)",
        ("j'enseigne en CM1", "mes élèves sont en vacances"),
    ),
    Rule(
        "en.profession.self_child_job",
        "profession",
        "en",
        "high",
        r"\b(?:i'm|i am|im|i work as|i'm working as|i worked as|my job is|i've been|i was)\s+(?:also )?"
        r"(?:a |an )?(?:<JOB_CHILD_EN>)(?!')",
        ("<JOB_CHILD_EN>",),
        "a self-stated job with children (I work as a primary teacher, I'm a nanny)",
        ("I'm a nanny", "I work as a primary teacher", "i am a youth worker", "I'm a scout leader"),
        ("my brother is a nanny",),
    ),
    Rule(
        "en.profession.self_other_job",
        "profession",
        "en",
        "medium",
        r"\b(?:i'm|i am|im|i work as|i'm working as|i worked as|my job is|i've been)\s+(?:also )?(?:a |an )?"
        r"(?:<JOB_OTHER_EN>)(?!')",
        ("<JOB_OTHER_EN>",),
        "a self-stated job often with children (I work as a teacher, I'm a coach)",
        ("I work as a teacher", "i'm a coach", "I am a tutor"),
        ("she is a teacher", "I'm a teacher's pet", "I'm not a teacher"),
    ),
    Rule(
        "en.profession.workplace",
        "profession",
        "en",
        "medium",
        r"\bi (?:work|volunteer|help out|intern)\s+(?:at|in|with|for)\s+(?:a |an |the |my local |"
        r"our local |our |"
        r"the local )?(?:schools?|daycares?|day care|nurser(?:y|ies)|kindergarten|preschool|summer camps?|"
        r"youth (?:clubs?|centers?|centres?|groups?)|scout (?:troop|group)|primary school|elementary school|"
        r"middle school|after-?school (?:club|program(?:me)?)|children'?s (?:hospital|ward|home)|orphanage|"
        r"kids|children)\b",
        ("i work", "i volunteer", "i help out", "i intern"),
        "working where children are (I work at a daycare)",
        ("I work at a daycare", "i volunteer at the youth club"),
    ),
    # intent (sensitive) ---------------------------------------------------------------------------
    Rule(
        "fr.intent.alone_with_child",
        "intent",
        "fr",
        "high",
        r"\b(?:<WANT_FR>)\s+(?:la |le |les )?(?:rencontrer|voir|garder|emmener|recuperer|"
        r"passer (?:du temps|la nuit|la journee|le week-end) avec)\s+(?:<POSS2_FR>)\s+"
        r"(?:<OFFSPRING_FR>|<CHILD_FR>|petite?s?\b)(?:\s+\S+){0,3}?\s+"
        r"(?:seule?s?|en tete-a-tete|sans (?:toi|vous|personne|ses parents|sa mere|son pere))\b"
        r"|\b(?:<WANT_FR>)\s+(?:etre|rester|me retrouver|passer du temps)\s+seule?\s+avec\s+"
        r"(?:<POSS2_FR>|la|le)\s+(?:<OFFSPRING_FR>|<CHILD_FR>|petite?s?\b)",
        _OFFSPRING_ANY_FR,
        "wanting to be alone with someone else's child (je veux rencontrer ta fille seul)",
        ("je veux rencontrer ta fille seul", "j'aimerais être seul avec ta fille"),
    ),
    Rule(
        "fr.intent.want_child",
        "intent",
        "fr",
        "low",
        r"\b(?:<WANT_FR>)\s+(?:la |le |les )?(?:rencontrer|voir|garder|emmener|recuperer)\s+(?:<POSS2_FR>)\s+"
        r"(?:<OFFSPRING_FR>|<CHILD_FR>|petite?s?\b)",
        _OFFSPRING_ANY_FR,
        "wanting to meet, see or take someone else's child (often innocent: a lead only beside others)",
        ("je voudrais rencontrer ta fille", "je peux garder tes enfants"),
    ),
    Rule(
        "fr.intent.seeking_minor",
        "intent",
        "fr",
        "high",
        r"\bje (?:cherche|recherche|prefere|kiffe|veux)\s+(?:les |des |une |un )?(?:tres |plus )?"
        r"(?:mineure?s?|gamines?|fillettes?|collegiennes?|ecolieres?)\b",
        ("mineur", "gamine", "fillette", "collegienne", "ecoliere"),
        "seeking minors (je cherche des mineures)",
        ("je cherche des mineures",),
        ("je cherche des enfants de choeur", "je cherche un mineur de fond"),
    ),
    Rule(
        "fr.intent.age_preference",
        "intent",
        "fr",
        "medium",
        r"\b(?:le|la|les) plus (?:jeunes?|petite?s?) possible\b"
        r"|\bplus (?:c'est|elles sont|ils sont) (?:jeunes?|petite?s?),? (?:mieux c'est|plus j'aime|mieux)\b"
        r"|\bje (?:prefere|cherche|kiffe|aime)\s+(?:les |des )?(?:tres |plus )?(?:jeunes|petites|ados)\b"
        r"|\bl'age (?:n'a pas d'importance|importe peu|c'est (?:qu'un|juste un) chiffre)\b",
        ("jeune", "petit", "ados", "l'age"),
        "a stated preference for the young (le plus jeune possible, l'âge n'a pas d'importance)",
        ("le plus jeune possible", "l'âge n'a pas d'importance", "je préfère les jeunes"),
    ),
    Rule(
        "fr.intent.secrecy_parents",
        "intent",
        "fr",
        "medium",
        r"\b(?:ne |n')?(?:le |lui |leur )?dis (?:rien|pas|surtout pas|jamais)\s*(?:a |aux |au )\s*"
        r"(?:tes |ta |ton )?(?:parents|mere|pere|maman|papa|daronne?|darons|maitresse|prof)\b"
        r"|\bsans que (?:tes|ta|ton|ses|sa|son) (?:parents|mere|pere|maman|papa) (?:ne )?(?:le )?"
        r"(?:sache|sachent|soit au courant|soient au courant)\b",
        ("dis ", "sans que"),
        "asking a child to keep things from their parents (ne dis rien à tes parents)",
        ("ne dis rien à tes parents", "sans que ta mère le sache"),
    ),
    Rule(
        "fr.intent.secret",
        "intent",
        "fr",
        "low",
        r"\bc'est (?:notre|un) (?:petit )?secret\b|\b(?:efface|supprime) (?:nos|les|ces) "
        r"(?:messages|conversations?|discussions?)\b",
        ("secret", "efface", "supprime"),
        "secrecy or deleting the conversation (c'est notre petit secret)",
        ("c'est notre petit secret", "efface nos messages"),
    ),
    Rule(
        "fr.intent.looking_for_parent",
        "intent",
        "fr",
        "medium",
        r"\bje cherche (?:une|un) (?:maman|mere|papa|pere|parent|femme|homme)\s+(?:solo |celibataire |"
        r"seule? )?"
        r"(?:avec|qui a) (?:une |un |des |deux |\d+ )?(?:<OFFSPRING_FR>|<CHILD_FR>)",
        _OFFSPRING_ANY_FR,
        "seeking a parent because of their children (je cherche une maman solo avec une fille)",
        ("je cherche une maman solo avec une fille",),
    ),
    Rule(
        "en.intent.alone_with_child",
        "intent",
        "en",
        "high",
        r"\b(?:<WANT_EN>)\s+(?:meet|see|babysit|have|take|pick up|spend (?:time|the night|the day|"
        r"the weekend) "
        r"with)\s+(?:<POSS2_EN>)\s+(?:<OFFSPRING_EN>|<CHILD_EN>)(?:\s+\S+){0,3}?\s+"
        r"(?:alone|by (?:ourselves|themselves|herself|himself)|without (?:you|anyone|her parents|his parents|"
        r"their parents)|one on one|1 on 1)\b"
        r"|\b(?:<WANT_EN>)\s+be alone with\s+(?:<POSS2_EN>|the)\s+(?:<OFFSPRING_EN>|<CHILD_EN>)",
        _OFFSPRING_ANY_EN,
        "wanting to be alone with someone else's child (I want to meet your daughter alone)",
        ("I want to meet your daughter alone", "i'd like to be alone with your son"),
    ),
    Rule(
        "en.intent.want_child",
        "intent",
        "en",
        "low",
        r"\b(?:<WANT_EN>)\s+(?:meet|see|babysit|take|pick up)\s+(?:<POSS2_EN>)\s+(?:<OFFSPRING_EN>|"
        r"<CHILD_EN>)",
        _OFFSPRING_ANY_EN,
        "wanting to meet, see or take someone else's child (often innocent: a lead only beside others)",
        ("I'd love to meet your kids", "can i babysit your daughter"),
    ),
    Rule(
        "en.intent.seeking_minor",
        "intent",
        "en",
        "medium",
        r"\bi(?:'m| am)?\s+(?:looking for|seeking|searching for|into|prefer)\s+(?:a |an |some )?"
        r"(?:underage|under-age|minors?|preteens?|little girls?|little boys?|schoolgirls?|schoolboys?|kids|"
        r"children|child)\b(?!'|\s*(?:clothes|shoes|toys|books|movies|activities|games|part(?:y|ies)|"
        r"friendly|menu|room|table|section|size|bikes?|names?)\b)",
        ("underage", "under-age", "minor", "preteen", "little", "schoolgirl", "schoolboy", "kids", "child"),
        "seeking minors (I'm looking for underage)",
        ("I'm looking for underage", "i am into preteens"),
        ("I'm looking for kids shoes",),
    ),
    Rule(
        "en.intent.age_preference",
        "intent",
        "en",
        "medium",
        r"\b(?:as young as possible|the younger the better|younger is better|age doesn'?t matter|"
        r"age is just a number)\b"
        r"|\bi (?:like|prefer|want|am into|'m into|only like|only want)\s+(?:them |it )?(?:really |very |"
        r"super )?"
        r"(?:young|younger)(?: ones| girls| boys)?\b",
        ("young", "age"),
        "a stated preference for the young (as young as possible, age is just a number)",
        ("as young as possible", "age doesn't matter", "i like them young"),
    ),
    Rule(
        "en.intent.secrecy_parents",
        "intent",
        "en",
        "medium",
        r"\b(?:don'?t|do not|never) tell (?:your |ur )?(?:mom|mum|mommy|mummy|dad|daddy|parents|mother|"
        r"father|"
        r"folks|teacher)\b",
        ("tell",),
        "asking a child to keep things from their parents (don't tell your mom)",
        ("don't tell your mom", "never tell your parents"),
    ),
    Rule(
        "en.intent.secret",
        "intent",
        "en",
        "low",
        r"\b(?:our|a) little secret\b|\b(?:don'?t|do not) tell (?:anyone|anybody)\b"
        r"|\bdelete (?:our|these|this|the) (?:chats?|messages|conversation|texts)\b",
        ("secret", "tell", "delete"),
        "secrecy or deleting the conversation (our little secret, delete our chats)",
        ("it's our little secret", "delete our chats"),
    ),
    Rule(
        "en.intent.looking_for_parent",
        "intent",
        "en",
        "medium",
        r"\b(?:looking for|seeking|want to meet|wanna meet|i'd like to meet)\s+(?:a |an )?(?:single )?"
        r"(?:mom|mum|mother|dad|father|parent|woman|man|lady|guy)s?\s+(?:with|who has|who have|that has)\s+"
        r"(?:(?:a|an|one|two|young|little|\d+)\s+)*(?:<OFFSPRING_EN>|<CHILD_EN>)",
        _OFFSPRING_ANY_EN,
        "seeking a parent because of their children (looking for a single mom with a daughter)",
        ("looking for a single mom with a daughter",),
    ),
    # request (sensitive) --------------------------------------------------------------------------
    Rule(
        "fr.request.material_child",
        "request",
        "fr",
        "high",
        r"\b(?:<ASK_FR>)(?:-moi|\s+moi)?\s+(?:(?:des|de|du|les|tes|ta|ton|vos|quelques|d'autres|encore|"
        r"un|une|"
        r"plein de|nouvelles?)\s+)*(?:d')?(?:<MATERIAL_FR>)(?:\s+\S+){0,3}?\s*"
        r"(?:\s(?:de|des|du|avec|sur)\s+(?:des |une |un |la |le |les )?|\sd')"
        r"(?:(?:<POSS2_FR>)\s+)?(?:(?:jeunes?|petite?s?|tres jeunes)\s+)?(?:<CHILD_FR>|<OFFSPRING_FR>)",
        _OFFSPRING_ANY_FR,
        "asking for or offering material showing children (tu as des vidéos d'enfants ?)",
        (
            "tu as des vidéos d'enfants ?",
            "cherche des vidéos d'enfants",
            "envoie-moi des photos de ta fille",
        ),
        ("tu as des photos du jeu d'enfant",),
    ),
    Rule(
        "fr.request.material",
        "request",
        "fr",
        "low",
        r"\b(?:tu as|t'as|t'aurais|tu aurais|vous avez|qqn a|quelqu'un a|envoie|envoyez)(?:-moi|\s+moi)?\s+"
        r"(?:des|de|du|d'autres|encore des|de nouvelles|les)\s+(?:<MATERIAL_FR>)",
        ("<MATERIAL_FR>",),
        "asking for photos, videos or links, no child term (tu as des vidéos ?): weak alone",
        ("tu as des vidéos", "envoie-moi des photos"),
    ),
    Rule(
        "fr.request.new_stuff",
        "request",
        "fr",
        "low",
        r"\b(?:tu as|t'as|t'aurais|tu aurais|vous avez|qqn a|quelqu'un a)\s+(?:du |des |de )?"
        r"(?:nouveau|nouveautes|neuf|nouvelles? (?:photos|videos|vids|choses))\b",
        ("nouveau", "neuf", "nouvelle"),
        "asking for new material in the words of exchange groups (t'as du nouveau ?): weak alone",
        ("t'as du nouveau ?", "qqn a des nouveautés"),
    ),
    Rule(
        "en.request.material_child",
        "request",
        "en",
        "high",
        r"\b(?:<ASK_EN>)\s+(?:me\s+|us\s+)?(?:(?:some|any|more|your|the|a few|new|fresh|those|these|"
        r"good)\s+)*"
        r"(?:<MATERIAL_EN>)(?:\s+\S+){0,3}?\s+(?:of|with|from)\s+"
        r"(?:(?:<POSS2_EN>|young|little|small|real)\s+)?(?:<CHILD_EN>|<OFFSPRING_EN>)",
        _OFFSPRING_ANY_EN,
        "asking for or offering material showing children (send me pics of kids)",
        ("send me pics of kids", "do you have vids of your daughter", "anyone have links with minors"),
        ("I have pics of my kids",),
    ),
    Rule(
        "en.request.send_pics",
        "request",
        "en",
        "low",
        r"\b(?:send|show|dm|pm|share)\s+(?:me|us)\s+(?:(?:some|any|more|a|your|the)\s+)?(?:<MATERIAL_EN>)",
        ("<MATERIAL_EN>",),
        "asking to be sent pictures or videos, no child term (send me pics): weak alone",
        ("send me pics", "show me more videos"),
    ),
    Rule(
        "en.request.new_stuff",
        "request",
        "en",
        "low",
        r"\b(?:any|got any|have any|anyone got|anyone have|you got|u got|got some|need|want)\s+"
        r"(?:new|more|fresh)\s+(?:stuff|content|pics|vids|videos|links|material|files|folders|packs)\b",
        ("new", "more", "fresh"),
        "asking for new material in the words of exchange groups (any new stuff?): weak alone",
        ("any new stuff?", "got any fresh links"),
    ),
    # meeting (sensitive) --------------------------------------------------------------------------
    Rule(
        "fr.meeting.with_child",
        "meeting",
        "fr",
        "high",
        r"\b(?:amene|ramene|emmene|viens avec|venez avec|passe avec|accompagnee? de)\s+"
        r"(?:(?:<POSS2_FR>)\s+(?:<OFFSPRING_FR>|<CHILD_FR>|petite?s?\b)|la petite\b|le petit\b)"
        r"|\b(?:<MEET_FR>).{0,40}?\bavec\s+(?:<POSS2_FR>)\s+(?:<OFFSPRING_FR>|<CHILD_FR>|petite?s?\b)",
        _OFFSPRING_ANY_FR,
        "arranging to meet with someone else's child (amène ta fille, rdv samedi avec ton fils)",
        ("amène ta fille", "rdv samedi avec ton fils"),
        ("rdv samedi avec les enfants du club",),
    ),
    Rule(
        "fr.meeting.school",
        "meeting",
        "fr",
        "medium",
        r"\b(?:<MEET_FR>).{0,30}?(?:a la sortie de l'ecole|apres l'ecole|apres les cours|"
        r"a la sortie des cours|"
        r"devant (?:l'ecole|le college|le lycee|ton ecole|ton college)|a la sortie du college|au parc|"
        r"a l'arret de bus|apres le sport)\b",
        ("<MEET_FR>",),
        "arranging to meet at or after school (je t'attends à la sortie de l'école)",
        ("je t'attends à la sortie de l'école", "on se voit après les cours"),
    ),
    Rule(
        "fr.meeting.time_place",
        "meeting",
        "fr",
        "low",
        r"\b(?:<MEET_FR>)\s*(?:ou|quand|a|au|aux|chez|devant|derriere|pres|vers|dans|apres|demain|ce soir|"
        r"cet aprem|cet apres-midi|ce (?:week-end|weekend|we)|(?:<DAY_FR>)|\d{1,2}\s*h)\b",
        ("<MEET_FR>",),
        "arranging a meeting with a time or place (on se voit où ?, rdv samedi): weak alone",
        ("on se voit où ?", "rdv samedi", "on se retrouve chez toi"),
    ),
    Rule(
        "en.meeting.with_child",
        "meeting",
        "en",
        "high",
        r"\b(?:bring|bring along|come with|show up with)\s+(?:<POSS2_EN>)\s+(?:<OFFSPRING_EN>|<CHILD_EN>)"
        r"|\b(?:<MEET_EN>).{0,40}?\b(?:with|and)\s+(?:<POSS2_EN>)\s+(?:<OFFSPRING_EN>|<CHILD_EN>)",
        _OFFSPRING_ANY_EN,
        "arranging to meet with someone else's child (bring your daughter, let's meet with your son)",
        ("bring your daughter", "let's meet saturday with your son"),
    ),
    Rule(
        "en.meeting.school",
        "meeting",
        "en",
        "medium",
        r"\b(?:<MEET_EN>|pick you up|wait for you)\b.{0,30}?\b(?:after school|after class|"
        r"outside (?:your|the) "
        r"school|at (?:the|your) school|at the (?:park|playground|bus stop)|near (?:your|the) school)\b",
        ("school", "class", "park", "playground", "bus stop"),
        "arranging to meet at or after school (meet me after school)",
        ("meet me after school", "i'll pick you up outside your school"),
    ),
    Rule(
        "en.meeting.time_place",
        "meeting",
        "en",
        "low",
        r"\b(?:let'?s meet|lets meet|meet me|we (?:can|could|should) meet|can we meet|wanna meet|"
        r"want to meet|"
        r"i'll pick you up|i can pick you up)\s+(?:at|in|on|near|by|behind|outside|after|before|tomorrow|"
        r"tonight|this|next|(?:<DAY_EN>)|\d)\b"
        r"|\bwhere (?:do|should|shall|can) we meet\b",
        ("meet", "pick you up"),
        "arranging a meeting with a time or place (let's meet at…, where should we meet): weak alone",
        ("let's meet at the station", "where should we meet?"),
    ),
)


def ruleset_digest() -> str:
    """SHA-256 of the rules, vocabulary, idioms and guards: names the rule set a run used."""
    data = {
        "rules": [asdict(r) for r in RULES],
        "vocabulary": VOCABULARY,
        "idioms": IDIOMS,
        "guards": GUARDS,
    }
    return hashlib.sha256(orjson.dumps(data, option=orjson.OPT_SORT_KEYS)).hexdigest()
