"""The two text tools of training needs: CRCN domain tags, and the similarity of two needs.

Tags: the keyword table that suggests the framework's domains for what a teacher
typed, and the normalisation that makes « #securite » and « protection-securite »
one tag. Similarity: the word overlap that catches a need typed twice.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from bot.toolkit.text import fold_words

# --- CRCN tags ----------------------------------------------------------------------

# The five domains of the national digital-skills framework, as short tag slugs.
CRCN_TAGS = (
    "information-donnees",
    "communication-collaboration",
    "creation-contenus",
    "protection-securite",
    "environnement-numerique",
)

# How a theme reads in the principal's digest.
CRCN_LABELS = {
    "information-donnees": "Information et données",
    "communication-collaboration": "Communication et collaboration",
    "creation-contenus": "Création de contenus",
    "protection-securite": "Protection et sécurité",
    "environnement-numerique": "Environnement numérique",
}

# Words people type instead of the slug (« #securite », « #info »).
TAG_ALIASES = {
    "information": "information-donnees",
    "informations": "information-donnees",
    "info": "information-donnees",
    "donnees": "information-donnees",
    "communication": "communication-collaboration",
    "collaboration": "communication-collaboration",
    "creation": "creation-contenus",
    "contenus": "creation-contenus",
    "contenu": "creation-contenus",
    "protection": "protection-securite",
    "securite": "protection-securite",
    "environnement": "environnement-numerique",
}

# Keywords (folded, singular) that point to a domain; phrases are matched word by
# word. A need may hit several domains: the best two are suggested.
TAG_KEYWORDS: dict[str, tuple[str, ...]] = {
    "information-donnees": (
        "recherche",
        "rechercher",
        "moteur de recherche",
        "information",
        "infox",
        "fake news",
        "desinformation",
        "source",
        "veille",
        "donnee",
        "tableur",
        "excel",
        "calc",
        "graphique",
        "statistique",
        "esprit critique",
        "ia",
        "intelligence artificielle",
        "chatgpt",
        "wikipedia",
        "sitographie",
        "esidoc",
    ),
    "communication-collaboration": (
        "communiquer",
        "communication",
        "messagerie",
        "mail",
        "courriel",
        "ent",
        "pronote",
        "tchap",
        "visio",
        "visioconference",
        "classe virtuelle",
        "partage",
        "partager",
        "collaboratif",
        "collaborative",
        "collaborer",
        "padlet",
        "digipad",
        "forum",
        "reseau social",
        "reseaux sociaux",
        "parent",
        "nextcloud",
        "apps education",
        "cahier de texte",
        "moodle",
        "elea",
    ),
    "creation-contenus": (
        "creer",
        "creation",
        "produire",
        "video",
        "capsule",
        "podcast",
        "baladodiffusion",
        "audio",
        "diaporama",
        "presentation",
        "genially",
        "canva",
        "montage",
        "image",
        "programmer",
        "programmation",
        "scratch",
        "python",
        "carte mentale",
        "quiz",
        "exerciseur",
        "h5p",
        "learningapps",
        "wooclap",
        "traitement de texte",
        "libreoffice",
        "livre numerique",
        "bande dessinee",
        "site web",
        "droit d auteur",
    ),
    "protection-securite": (
        "securite",
        "securiser",
        "proteger",
        "protection",
        "mot de passe",
        "rgpd",
        "donnee personnelle",
        "vie privee",
        "harcelement",
        "cyberharcelement",
        "identite numerique",
        "e reputation",
        "virus",
        "phishing",
        "hameconnage",
        "arnaque",
        "droit a l image",
        "sante",
        "temps d ecran",
        "cnil",
    ),
    "environnement-numerique": (
        "ordinateur",
        "tablette",
        "videoprojecteur",
        "vpi",
        "tni",
        "tbi",
        "ecran interactif",
        "tableau interactif",
        "reseau",
        "wifi",
        "fichier",
        "dossier",
        "arborescence",
        "cle usb",
        "sauvegarde",
        "sauvegarder",
        "installer",
        "logiciel",
        "windows",
        "linux",
        "imprimante",
        "peripherique",
        "materiel",
        "bureautique",
        "stockage",
        "visualiseur",
    ),
}

MAX_SUGGESTED_TAGS = 2
_TAG_CHARS = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


def _singular(word: str) -> str:
    # Enough French plural folding for matching: « tablettes », « réseaux ».
    if len(word) > 3 and word.endswith(("s", "x")):
        return word[:-1]
    return word


def _phrase_hits(words: Sequence[str], phrases: Iterable[str]) -> list[tuple[int, str]]:
    """(position of first occurrence, phrase) for each phrase found in ``words``."""
    singular = [_singular(w) for w in words]
    hits = []
    for phrase in phrases:
        parts = [_singular(p) for p in phrase.split()]
        for i in range(len(singular) - len(parts) + 1):
            if singular[i : i + len(parts)] == parts:
                hits.append((i, phrase))
                break
    return hits


def suggest_tags(text: str) -> tuple[str, ...]:
    """The CRCN domains a need's words point to, best first (at most two).

    A domain scores one point per distinct keyword found; ties keep the
    framework's order.
    """
    words = fold_words(text)
    scores = {tag: len(_phrase_hits(words, keywords)) for tag, keywords in TAG_KEYWORDS.items()}
    ranked = sorted((t for t in CRCN_TAGS if scores[t]), key=lambda t: -scores[t])
    return tuple(ranked[:MAX_SUGGESTED_TAGS])


def normalize_tag(tag: str) -> str | None:
    """A tag as stored: CRCN slug for a known domain or alias, else the folded tag.

    « Création-de-contenus », « #creation » and « creation-contenus » are the
    same tag. Returns None for something that cannot be a tag.
    """
    words = [w for w in fold_words(tag.lstrip("#")) if w not in ("et", "de", "des", "du")]
    slug = "-".join(words)
    if not slug or not _TAG_CHARS.match(slug):
        return None
    return TAG_ALIASES.get(slug, slug)


def normalize_tags(tags: Iterable[str]) -> tuple[str, ...]:
    """Normalised tags without repeats, in the order given (unusable ones dropped)."""
    return tuple(dict.fromkeys(t for t in map(normalize_tag, tags) if t))


# --- Similarity --------------------------------------------------------------------

# Words that say nothing about *what* the need is: articles, prepositions,
# pronouns, and the words every need contains (« formation », « utiliser »).
_STOP_WORDS_TEXT = """
    le la les de des du un une sur pour en et a au aux avec l d
    j je me m mon ma mes ton ta tes son sa ses notre nos votre vos leur leurs
    nous vous il elle ils elles on y ce cet cette ces qui que qu quoi dont ou
    dans par sans sous chez entre plus mieux bien tres pas ne n s se
    est sont etre avoir faire comment besoin formation former utiliser utilisation
    apprendre savoir aide aider
    """
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())
SIMILAR_JACCARD = 0.5


def need_words(text: str) -> frozenset[str]:
    """The words that carry a need's meaning: folded, singular, stop words dropped."""
    return frozenset(_singular(w) for w in fold_words(text) if w not in STOP_WORDS)


def similarity(a: str, b: str) -> float:
    """Jaccard index of the meaningful words of two needs (0 when either has none)."""
    wa, wb = need_words(a), need_words(b)
    if not wa or not wb:
        return 0.0
    return len(wa & wb) / len(wa | wb)


def looks_similar(a: str, b: str) -> bool:
    """Whether two needs probably ask for the same thing.

    Either half their words are shared (Jaccard ≥ 0.5), or every meaningful word
    of the shorter one (at least two words) is in the longer one: « capsules
    vidéo » is « créer des capsules vidéo avec les élèves ».
    """
    wa, wb = need_words(a), need_words(b)
    if not wa or not wb:
        return False
    if len(wa & wb) / len(wa | wb) >= SIMILAR_JACCARD:
        return True
    shorter, longer = sorted((wa, wb), key=len)
    return len(shorter) >= 2 and shorter <= longer
