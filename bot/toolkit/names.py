"""An establishment named as French names it: « du collège Jean Moulin », « à la cité scolaire… ».

The article comes from the type word that starts the name (collège, lycée,
cité scolaire, EREA…); an establishment whose name starts otherwise (« Jean
Moulin ») or reads another way sets its article in the configuration. In
running text the type word is a common noun, so « Collège » becomes « collège »;
acronyms stay as they are.
"""

from __future__ import annotations

import re
from functools import lru_cache

from bot.toolkit.text import fold

__all__ = ["ARTICLES", "article_of", "named", "place_fr"]

ARTICLES = ("le", "la", "l'", "les")

# The type words a name may start with (folded), and their article.
_TYPE_WORDS: tuple[tuple[str, str], ...] = (
    ("cite scolaire", "la"),
    ("academie", "l'"),  # the academy's own room: « Commandes de l'académie de Rennes »
    ("ecole", "l'"),
    ("etablissement", "l'"),
    ("erea", "l'"),
    ("institut", "l'"),
    ("internat", "l'"),
    ("college", "le"),
    ("lycee", "le"),
    ("lp", "le"),
    ("lpo", "le"),
    ("legt", "le"),
    ("clg", "le"),
    ("centre", "le"),
    ("groupe scolaire", "le"),
    ("pole", "le"),
    ("segpa", "la"),
)

# With a preposition, French contracts « de le » and « à le ».
_WITH = {
    "": {"le": "le ", "la": "la ", "l'": "l'", "les": "les "},
    "de": {"le": "du ", "la": "de la ", "l'": "de l'", "les": "des "},
    "à": {"le": "au ", "la": "à la ", "l'": "à l'", "les": "aux "},
}


# The academy's views name hundreds of establishments at once, out of a few hundred
# names: each name is read once, not at every message.
@lru_cache(maxsize=2048)
def _type_word(name: str) -> tuple[str, str] | None:
    """The type word starting ``name`` as written, and its article."""
    folded = fold(name)
    for word, article in _TYPE_WORDS:
        if re.match(re.escape(word) + r"\b", folded):
            return name[: len(word)], article
    return None


def article_of(name: str) -> str | None:
    """The article the type word of ``name`` takes (« le », « la », « l' »), if known."""
    found = _type_word(name)
    return found[1] if found else None


@lru_cache(maxsize=4096)
def named(name: str, preposition: str = "", article: str | None = None) -> str:
    """« le collège Jean Moulin »; with ``"de"``, « du collège… »; with ``"à"``, « au collège… ».

    ``article`` overrides the one read from the type word; a name with neither
    (« Jean Moulin ») is given as it is, after its preposition.
    """
    found = _type_word(name)
    article = article or (found[1] if found else None)
    if found and not found[0].isupper():
        name = found[0].lower() + name[len(found[0]) :]
    if article is None:
        return f"{preposition} {name}".strip()
    return _WITH[preposition][article] + name


# Room words a place may start with, and how a sentence reaches them: « au CDI »,
# « à l'amphithéâtre »; anything else is a room number, « salle B12 ».
_PLACE_WORDS: tuple[tuple[str, str], ...] = (
    ("salle", ""),
    ("cdi", "au "),
    ("foyer", "au "),
    ("gymnase", "au "),
    ("self", "au "),
    ("refectoire", "au "),
    ("laboratoire", "au "),
    ("labo", "au "),
    ("bureau", "au "),
    ("amphitheatre", "à l'"),
    ("amphi", "à l'"),
    ("atelier", "à l'"),
    ("auditorium", "à l'"),
    ("vie scolaire", "à la "),
    ("bibliotheque", "à la "),
    ("mediatheque", "à la "),
    ("salle des professeurs", "en "),
)


# The longest word first: « salle des professeurs » before « salle ».
_LONGEST_FIRST = sorted((w for w, _ in _PLACE_WORDS), key=len, reverse=True)
_PLACE_START = re.compile("(" + "|".join(map(re.escape, _LONGEST_FIRST)) + r")\b")
_PLACE_PREPOSITION = dict(_PLACE_WORDS)


# A letter names each slot's place, out of a few per establishment.
@lru_cache(maxsize=4096)
def place_fr(place: str) -> str:
    """Where something happens, written one way: « salle B12 » for « B12 » or « Salle
    B12 », « au CDI », « à l'amphithéâtre »."""
    found = _PLACE_START.match(fold(place))
    if found is None:
        return f"salle {place}"
    word = found.group(1)
    first = place[: len(word)]
    return (
        _PLACE_PREPOSITION[word]
        + (first if first.isupper() else first.lower())
        + place[len(word) :]
    )
