"""Training needs (besoins de formation): record, spot look-alikes, vote, plan, close.

A need gets a short number per establishment. Its author is its first
supporter; colleagues add theirs with ``+1``. The referent plans a session
(directly or from a date poll posted in the room), closes the need, or forwards
it to the academy team (DANE). The newsletter reads ``top_needs`` and
``upcoming_sessions``.

Besides the queries, this module holds the two small text tools the family
needs: the word-overlap similarity that catches a need typed twice, and the
keyword table that suggests CRCN domain tags.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlite_utils

from storage.numbers import next_number
from storage.periods import (
    Period,
    count_per_period,
    counts_by_key_per_period,
    select_per_period,
)
from storage.stamps import from_stamp, to_stamp

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


def fold_words(text: str) -> list[str]:
    """Lower-case, accent-free words of a text, apostrophes and hyphens splitting words."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.findall(r"[a-z0-9]+", plain)


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


# --- Records -----------------------------------------------------------------------

OPEN, PLANNED, CLOSED, DANE = "open", "planned", "closed", "dane"


@dataclass(frozen=True)
class TrainingNeed:
    """A need as users see it, with its support count and session, if any."""

    id: int
    establishment_id: str
    number: int
    text: str
    tags: tuple[str, ...]
    author: str
    created_at: datetime
    status: str
    votes: int
    close_note: str | None = None
    poll_event_id: str | None = None
    session_at: datetime | None = None
    session_place: str | None = None


@dataclass(frozen=True)
class TrainingSession:
    """A planned session, for the list and the newsletter."""

    need_number: int
    need_text: str
    tags: tuple[str, ...]
    starts_at: datetime
    place: str | None
    votes: int


@dataclass(frozen=True)
class PollOption:
    """One proposed date of a poll; ``id`` is the answer id sent in the Matrix event."""

    id: str
    starts_at: datetime


@dataclass(frozen=True)
class TrainingPoll:
    """A date poll posted for a need."""

    event_id: str
    need_id: int
    room_id: str
    options: tuple[PollOption, ...]
    closed: bool


@dataclass(frozen=True)
class PollResult:
    """Who chose each option (the last answer of each person counts)."""

    poll: TrainingPoll
    voters_by_option: dict[str, tuple[str, ...]]

    @property
    def voters(self) -> tuple[str, ...]:
        """Everyone who chose a date, each once."""
        return tuple(dict.fromkeys(v for vs in self.voters_by_option.values() for v in vs))

    @property
    def winner(self) -> PollOption | None:
        """The most chosen date (the earliest one on a tie); None if nobody chose."""
        best = max(
            self.poll.options,
            key=lambda o: (len(self.voters_by_option.get(o.id, ())), -o.starts_at.timestamp()),
        )
        return best if self.voters_by_option.get(best.id) else None


_NEED_SELECT = """
SELECT n.id, n.establishment_id, n.number, n.text, n.tags, n.author, n.created_at, n.status,
       (SELECT count(*) FROM training_votes v WHERE v.need_id = n.id) AS votes,
       n.close_note, n.poll_event_id, s.starts_at, s.place
FROM training_needs n LEFT JOIN training_sessions s ON s.need_id = n.id
"""


def _need(row) -> TrainingNeed:
    (id_, est, number, text, tags, author, created, status, votes, note, poll, start, place) = row
    return TrainingNeed(
        id=id_,
        establishment_id=est,
        number=number,
        text=text,
        tags=tuple(tags.split()),
        author=author,
        created_at=from_stamp(created),
        status=status,
        votes=votes,
        close_note=note,
        poll_event_id=poll,
        session_at=from_stamp(start) if start else None,
        session_place=place,
    )


def record_need(
    db: sqlite_utils.Database,
    establishment_id: str,
    text: str,
    tags: Sequence[str],
    author: str,
    now: datetime,
) -> TrainingNeed:
    """Store a new need with the next number of its establishment; the author supports it."""
    with db.atomic():
        number = next_number(db, "training_needs", establishment_id)
        need_id = db.execute(
            "INSERT INTO training_needs (establishment_id, number, text, tags, author, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            (establishment_id, number, text, " ".join(tags), author, to_stamp(now)),
        ).fetchone()[0]
        db.execute(
            "INSERT INTO training_votes (need_id, voter, voted_at) VALUES (?, ?, ?)",
            (need_id, author, to_stamp(now)),
        )
    return _need_by_id(db, need_id)


def _need_by_id(db: sqlite_utils.Database, need_id: int) -> TrainingNeed:
    return _need(db.execute(_NEED_SELECT + " WHERE n.id = ?", (need_id,)).fetchone())


def find_need(db: sqlite_utils.Database, establishment_id: str, number: int) -> TrainingNeed | None:
    """The need with this number in the establishment, or None."""
    row = db.execute(
        _NEED_SELECT + " WHERE n.establishment_id = ? AND n.number = ?",
        (establishment_id, number),
    ).fetchone()
    return _need(row) if row else None


def needs_with_status(
    db: sqlite_utils.Database, establishment_id: str, *statuses: str
) -> list[TrainingNeed]:
    """Needs in these states, most supported first (then the oldest first)."""
    marks = ",".join("?" * len(statuses))
    rows = db.execute(
        _NEED_SELECT + f" WHERE n.establishment_id = ? AND n.status IN ({marks})"
        " ORDER BY votes DESC, n.number",
        (establishment_id, *statuses),
    ).fetchall()
    return [_need(r) for r in rows]


def top_needs(
    db: sqlite_utils.Database, establishment_id: str, limit: int = 5
) -> list[TrainingNeed]:
    """The most supported open needs (for the newsletter)."""
    return needs_with_status(db, establishment_id, OPEN)[:limit]


def find_similar_need(
    db: sqlite_utils.Database, establishment_id: str, text: str
) -> TrainingNeed | None:
    """The open or planned need that most looks like ``text``, if one does."""
    candidates = [
        n
        for n in needs_with_status(db, establishment_id, OPEN, PLANNED)
        if looks_similar(text, n.text)
    ]
    if not candidates:
        return None
    return max(candidates, key=lambda n: (similarity(text, n.text), n.votes, -n.number))


def vote(db: sqlite_utils.Database, need_id: int, voter: str, now: datetime) -> bool:
    """Add someone's support; False if they already supported it (counted once)."""
    cursor = db.execute(
        "INSERT INTO training_votes (need_id, voter, voted_at) VALUES (?, ?, ?)"
        " ON CONFLICT (need_id, voter) DO NOTHING",
        (need_id, voter, to_stamp(now)),
    )
    return cursor.rowcount == 1


def withdraw_vote(db: sqlite_utils.Database, need_id: int, voter: str) -> bool:
    """Remove someone's support; False if they had not given it."""
    cursor = db.execute(
        "DELETE FROM training_votes WHERE need_id = ? AND voter = ?", (need_id, voter)
    )
    return cursor.rowcount == 1


def supporters(db: sqlite_utils.Database, need: TrainingNeed) -> list[str]:
    """Who asked for a need or supports it: the author first, then by date of support."""
    rows = db.execute(
        "SELECT voter FROM training_votes WHERE need_id = ? ORDER BY voted_at, rowid",
        (need.id,),
    ).fetchall()
    return list(dict.fromkeys([need.author, *(r[0] for r in rows)]))


def plan_session(
    db: sqlite_utils.Database,
    need: TrainingNeed,
    starts_at: datetime,
    place: str | None,
    planned_by: str,
    now: datetime,
    *,
    close_poll: bool = False,
) -> bool:
    """Plan (or move) the need's session; returns True if it moved an existing one.

    The need becomes ``planned``; with ``close_poll`` its date poll is closed in
    the same transaction, so late answers no longer count.
    """
    stamp = to_stamp(now)
    with db.atomic():
        moved = bool(
            db.execute("SELECT 1 FROM training_sessions WHERE need_id = ?", (need.id,)).fetchone()
        )
        db.execute(
            "INSERT INTO training_sessions"
            " (need_id, establishment_id, starts_at, place, planned_by, planned_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (need_id) DO UPDATE SET"
            " starts_at = excluded.starts_at, place = excluded.place,"
            " planned_by = excluded.planned_by, planned_at = excluded.planned_at",
            (need.id, need.establishment_id, to_stamp(starts_at), place, planned_by, stamp),
        )
        db.execute(
            "UPDATE training_needs SET status = ?, status_at = ? WHERE id = ?",
            (PLANNED, stamp, need.id),
        )
        if close_poll and need.poll_event_id:
            db.execute(
                "UPDATE training_polls SET closed_at = ? WHERE event_id = ? AND closed_at IS NULL",
                (stamp, need.poll_event_id),
            )
    return moved


def upcoming_sessions(
    db: sqlite_utils.Database, establishment_id: str, now: datetime, limit: int | None = None
) -> list[TrainingSession]:
    """Planned sessions still to come, soonest first (for the list and the newsletter).

    A session given as a date alone (midnight) stays listed for the whole day.
    """
    start_of_day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    rows = db.execute(
        "SELECT n.number, n.text, n.tags, s.starts_at, s.place,"
        " (SELECT count(*) FROM training_votes v WHERE v.need_id = n.id)"
        " FROM training_sessions s JOIN training_needs n ON n.id = s.need_id"
        " WHERE s.establishment_id = ? AND n.status = ? AND s.starts_at >= ?"
        " ORDER BY s.starts_at, n.number LIMIT ?",
        (establishment_id, PLANNED, to_stamp(start_of_day), -1 if limit is None else limit),
    ).fetchall()
    return [
        TrainingSession(number, text, tuple(tags.split()), from_stamp(at), place, votes)
        for number, text, tags, at, place, votes in rows
    ]


def close_need(
    db: sqlite_utils.Database, need: TrainingNeed, note: str | None, closed_by: str, now: datetime
) -> None:
    """Close a need (done, or dropped), with an optional note."""
    db.execute(
        "UPDATE training_needs SET status = ?, status_at = ?, closed_by = ?, close_note = ?"
        " WHERE id = ?",
        (CLOSED, to_stamp(now), closed_by, note, need.id),
    )


def forward_to_dane(
    db: sqlite_utils.Database, need: TrainingNeed, forwarded_by: str, now: datetime
) -> None:
    """Mark a need as forwarded to the academy team: it leaves the establishment's list."""
    db.execute(
        "UPDATE training_needs SET status = ?, status_at = ?, closed_by = ? WHERE id = ?",
        (DANE, to_stamp(now), forwarded_by, need.id),
    )


# --- Date polls --------------------------------------------------------------------


def attach_poll(
    db: sqlite_utils.Database,
    need: TrainingNeed,
    event_id: str,
    room_id: str,
    options: Sequence[PollOption],
    created_by: str,
    now: datetime,
) -> None:
    """Remember a poll posted for a need; a newer poll replaces the need's previous one."""
    encoded = json.dumps([{"id": o.id, "starts_at": to_stamp(o.starts_at)} for o in options])
    with db.atomic():
        db.execute(
            "INSERT INTO training_polls (event_id, need_id, room_id, options, created_by,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING",
            (event_id, need.id, room_id, encoded, created_by, to_stamp(now)),
        )
        if need.poll_event_id and need.poll_event_id != event_id:
            db.execute(
                "UPDATE training_polls SET closed_at = ? WHERE event_id = ? AND closed_at IS NULL",
                (to_stamp(now), need.poll_event_id),
            )
        db.execute("UPDATE training_needs SET poll_event_id = ? WHERE id = ?", (event_id, need.id))


def find_poll(db: sqlite_utils.Database, event_id: str) -> TrainingPoll | None:
    """The poll posted as this event, or None."""
    row = db.execute(
        "SELECT event_id, need_id, room_id, options, closed_at FROM training_polls"
        " WHERE event_id = ?",
        (event_id,),
    ).fetchone()
    if row is None:
        return None
    options = tuple(PollOption(o["id"], from_stamp(o["starts_at"])) for o in json.loads(row[3]))
    return TrainingPoll(row[0], row[1], row[2], options, closed=row[4] is not None)


def record_poll_response(
    db: sqlite_utils.Database,
    poll_event_id: str,
    voter: str,
    response_event_id: str,
    answers: Sequence[str],
    origin_ts: int,
) -> None:
    """Keep a person's latest answer to a poll; older or repeated events change nothing.

    Replaying the same event (a restart, a back-filled sync) is a no-op, and an
    older answer delivered late never overwrites a newer one.
    """
    db.execute(
        "INSERT INTO training_poll_responses"
        " (poll_event_id, voter, response_event_id, answers, origin_ts) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (poll_event_id, voter) DO UPDATE SET"
        " response_event_id = excluded.response_event_id, answers = excluded.answers,"
        " origin_ts = excluded.origin_ts"
        " WHERE excluded.origin_ts > training_poll_responses.origin_ts"
        " OR (excluded.origin_ts = training_poll_responses.origin_ts"
        " AND excluded.response_event_id > training_poll_responses.response_event_id)",
        (poll_event_id, voter, response_event_id, json.dumps(list(answers)), origin_ts),
    )


def poll_result(db: sqlite_utils.Database, poll: TrainingPoll) -> PollResult:
    """Who chose which date; an answer naming no known option is a spoiled vote."""
    known = {o.id for o in poll.options}
    chosen: dict[str, list[str]] = {}
    rows = db.execute(
        "SELECT voter, answers FROM training_poll_responses WHERE poll_event_id = ?"
        " ORDER BY origin_ts, voter",
        (poll.event_id,),
    ).fetchall()
    for voter, answers in rows:
        valid = [a for a in json.loads(answers) if a in known]
        if valid:
            chosen.setdefault(valid[0], []).append(voter)
    return PollResult(poll, {k: tuple(v) for k, v in chosen.items()})


def needs_by_theme_per_period(
    db: sqlite_utils.Database, establishment_id: str, periods: Sequence[Period]
) -> list[dict[str, int]]:
    """Needs expressed in each period, by CRCN theme (a digest figure).

    Each need counts once, under its first theme, so the themes add up to the total.
    """
    rows = select_per_period(
        db,
        periods,
        "SELECT p.n, t.tags, count(*) FROM periods p JOIN training_needs t"
        " ON t.establishment_id = ? AND t.created_at >= p.lo AND t.created_at < p.hi"
        " GROUP BY p.n, t.tags",
        [establishment_id],
    )
    return counts_by_key_per_period(
        ((n, theme_of(tags), count) for n, tags, count in rows), len(periods)
    )


NO_THEME, OTHER_THEME = "Sans thème", "Autre thème"


def theme_of(tags: str) -> str:
    """A need's theme as the digest and the report show it: its first tag's CRCN domain."""
    first = tags.split(maxsplit=1)[0] if tags.strip() else None
    if first is None:
        return NO_THEME
    return CRCN_LABELS.get(first, OTHER_THEME)


def sessions_per_period(
    db: sqlite_utils.Database, establishment_id: str, periods: Sequence[Period]
) -> list[int]:
    """Training sessions held (planned for a time) in each period (a digest figure)."""
    return count_per_period(
        db,
        periods,
        "SELECT count(*) FROM training_sessions t WHERE t.establishment_id = ?"
        " AND t.starts_at >= p.lo AND t.starts_at < p.hi",
        [establishment_id],
    )
