"""Seeded training needs: a year of needs, their supporters, date polls and the sessions planned."""

from __future__ import annotations

import json
import random
from datetime import datetime, time, timedelta

from bench.seed.academy import PARIS
from bench.seed.seeding import Probe, Seeding
from storage.formation import suggest_tags
from storage.stamps import to_stamp

# What teachers ask for: one establishment expresses some of these in a year, each once.
NEED_TEXTS = (
    "Créer des capsules vidéo avec mes élèves", "Utiliser Pronote pour le cahier de textes",
    "Prendre en main le vidéoprojecteur interactif", "Programmer en Python avec Capytale",
    "Utiliser l'intelligence artificielle en classe", "Sécuriser mes mots de passe",
    "Faire un diaporama avec LibreOffice Impress", "Construire des quiz avec Wooclap",
    "Animer une classe virtuelle", "Utiliser les tablettes de la classe mobile",
    "Organiser mes fichiers et dossiers sur le réseau",
    "Partager des documents avec le Nextcloud d'Apps Éducation",
    "Créer un padlet collaboratif pour la classe", "Enregistrer un podcast avec les élèves",
    "Éduquer aux médias et repérer les infox", "Préparer les élèves à la certification Pix",
    "Utiliser le tableur pour les statistiques", "Faire des cartes mentales",
    "Protéger les données personnelles des élèves (RGPD)", "Prévenir le cyberharcèlement",
    "Monter une vidéo simple", "Utiliser Éléa pour des parcours en ligne",
    "Communiquer avec les parents par l'ENT", "Créer des exercices interactifs H5P",
    "Utiliser Scratch en technologie", "Faire une sitographie avec les élèves",
    "Comprendre le droit à l'image et le droit d'auteur", "Utiliser le visualiseur en classe",
    "Travailler le traitement de texte avec les 6e", "Créer un livre numérique",
    "Utiliser Genially pour des présentations", "Gérer le temps d'écran des élèves",
    "Installer un logiciel sur les postes de la salle", "Rechercher efficacement des informations",
    "Faire de la bande dessinée numérique", "Animer le forum de l'ENT",
    "Sauvegarder son travail sur une clé USB ou dans le cloud",
    "Réaliser une visioconférence avec une classe partenaire", "Évaluer avec des QCM en ligne",
    "Faire rendre des devoirs par l'ENT", "Créer un site web de classe",
    "Imprimer depuis sa session", "Utiliser Moodle pour les devoirs à la maison",
    "Repérer les arnaques et le hameçonnage", "Faire coder un robot en mathématiques",
    "Générer des images avec une IA", "Préparer ses cours avec ChatGPT",
    "Prendre en main le tableau numérique interactif", "Réaliser des graphiques avec les élèves",
    "Utiliser LearningApps en langues", "Mutualiser des ressources sur Digipad",
    "Paramétrer les notifications de Tchap", "Découvrir la messagerie académique",
    "Créer un escape game pédagogique", "Utiliser la dictée vocale pour les élèves dys",
    "Adapter les documents pour les élèves à besoins particuliers",
    "Tenir un blog du voyage scolaire", "Filmer une expérience de sciences",
    "Utiliser e-sidoc au CDI", "Accompagner les élèves dans leur identité numérique",
)  # fmt: skip
# Needs nobody expressed in the seeded year: what the benchmark's teachers propose.
NEW_NEED_TEXTS = (
    "Faire découvrir la réalité virtuelle en histoire", "Programmer un micro:bit en physique",
    "Lancer une web radio au collège", "Monter un projet eTwinning avec une classe étrangère",
    "Retoucher des photos numériques en arts plastiques", "Piloter des drones en technologie",
)  # fmt: skip
SESSION_TIMES = (time(12, 30), time(13, 0), time(17, 0))
SESSION_PLACES = (None, "CDI", "B12", "informatique", "104")
NEED_COLUMNS = (
    "id", "establishment_id", "number", "text", "tags", "author", "created_at", "status",
    "status_at", "closed_by", "close_note", "poll_event_id",
)  # fmt: skip
POLL_COLUMNS = (
    "event_id", "need_id", "room_id", "options", "created_by", "created_at", "max_selections",
)  # fmt: skip
RESPONSE_COLUMNS = ("poll_event_id", "voter", "response_event_id", "answers", "origin_ts")
# Polls have their own random stream: the rest of the seeded year stays as it was.
POLL_SEED = 2036
SESSION_COLUMNS = (
    "need_id", "establishment_id", "starts_at", "place", "planned_by", "planned_at",
)  # fmt: skip


def seed(s: Seeding) -> None:
    """Thirty to sixty training needs per establishment since September, with their support.

    Each need is supported by its author and by colleagues (a few for most, a
    crowd for some). Older needs were mostly handled: planned (a session took
    place or is coming), closed after their session, or forwarded to the DANE;
    recent ones are mostly open, and a few sessions lie in the weeks ahead.
    A quarter of the recent open needs have a date poll under way (``_poll``).
    """
    need_rows, vote_rows, session_rows = [], [], []
    poll_rows, response_rows = [], []
    poll_rng = random.Random(POLL_SEED)
    ahead = [d for d in s.school_days if d > s.now.date()][:15]
    need_id = 0
    tags_of = {text: " ".join(suggest_tags(text)) for text in NEED_TEXTS}
    recent = s.now - timedelta(days=60)
    for e in s.establishments:
        people, referent = s.teachers[e.id], e.referents[0]
        count = s.rng.randint(30, 60)
        texts = s.rng.sample(NEED_TEXTS, count)
        created = sorted(s.during_class(d) for d in s.rng.choices(s.past_days, k=count))
        for number, (text, at) in enumerate(zip(texts, created, strict=True), 1):
            need_id += 1
            author = referent if s.rng.random() < 0.1 else s.rng.choice(people)
            fate = s.rng.choices(
                ("open", "planned", "closed", "dane"),
                (30, 17, 43, 10) if at < recent else (60, 28, 7, 5),
            )[0]
            status, status_at, closed_by, note = "open", None, None, None
            if fate in ("planned", "closed"):
                planned_at = s.before_now(at, at + timedelta(days=20))
                day = s.school_day_between(
                    planned_at.date() + timedelta(days=2), planned_at.date() + timedelta(days=25)
                )
                starts = datetime.combine(day, s.rng.choice(SESSION_TIMES), PARIS) if day else None
                if starts is not None:
                    place = s.rng.choice(SESSION_PLACES)
                    session_rows.append(
                        (need_id, e.id, to_stamp(starts), place, referent, to_stamp(planned_at))
                    )
                    status, status_at = "planned", planned_at
                    if fate == "closed" and starts + timedelta(days=1) < s.now:
                        status, closed_by = "closed", referent
                        status_at = s.before_now(
                            starts + timedelta(hours=2), starts + timedelta(days=10)
                        )
                        if s.rng.random() < 0.5:
                            note = f"session faite le {starts.day}/{starts.month}"
            elif fate == "dane":
                status, closed_by = "dane", referent
                status_at = s.before_now(at + timedelta(days=1), at + timedelta(days=30))
            changed = to_stamp(status_at) if status_at else None
            row = (need_id, e.id, number, text, tags_of[text], author, to_stamp(at), status)
            poll_id = None
            if status == "open" and at >= recent and poll_rng.random() < 0.25:
                poll_id = f"$seed-poll-{need_id}"
                poll, responses = _poll(s, poll_rng, poll_id, need_id, e, at, ahead)
                poll_rows.append(poll)
                response_rows.extend(responses)
            need_rows.append((*row, changed, closed_by, note, poll_id))
            # Support: the author first, then a few colleagues (a crowd for some needs).
            vote_rows.append((need_id, author, to_stamp(at)))
            span = ((status_at if status != "open" else s.now) - at).total_seconds()
            others = [p for p in people if p != author]
            supporters = min(len(others), int(s.rng.expovariate(1 / 7)))
            for voter in s.rng.sample(others, supporters):  # the year's largest table: inlined
                voted = at + timedelta(seconds=int(span * s.rng.random()))
                vote_rows.append((need_id, voter, to_stamp(voted)))
    s.insert("training_needs", NEED_COLUMNS, need_rows)
    s.count_numbers("training_needs")
    s.insert("training_votes", ("need_id", "voter", "voted_at"), vote_rows)
    s.insert("training_sessions", SESSION_COLUMNS, session_rows)
    s.insert("training_polls", POLL_COLUMNS, poll_rows)
    s.insert("training_poll_responses", RESPONSE_COLUMNS, response_rows)


def _poll(s: Seeding, rng: random.Random, poll_id, need_id, e, need_at, ahead):
    """A date poll posted since the need, three school days ahead, and its answers.

    Most polls let each person tick every date they can make; one in five is
    single-choice, as polls were before. Up to a dozen colleagues answered.
    """
    created = min(need_at + timedelta(days=rng.randint(1, 10)), s.now - timedelta(hours=2))
    days = sorted(rng.sample(ahead, 3))
    options = [
        {
            "id": f"date-{i}",
            "starts_at": to_stamp(datetime.combine(d, rng.choice(SESSION_TIMES), PARIS)),
        }
        for i, d in enumerate(days, 1)
    ]
    most = 1 if rng.random() < 0.2 else len(options)
    poll = (poll_id, need_id, e.room, json.dumps(options), e.referents[0], to_stamp(created), most)
    people = s.teachers[e.id]
    start_ms, span_ms = (
        int(created.timestamp() * 1000),
        int((s.now - created).total_seconds() * 1000),
    )
    responses = []
    for voter in rng.sample(people, rng.randint(0, min(12, len(people)))):
        picked = rng.sample([o["id"] for o in options], rng.randint(1, most))
        ts = start_ms + int(span_ms * rng.random())
        responses.append(
            (poll_id, voter, f"$seed-answer-{need_id}-{voter}", json.dumps(picked), ts)
        )
    return poll, responses


PROBES: list[Probe] = [
    Probe(("!formation",)),
    Probe(("!formation {new_need}",)),
    Probe(("!formation Utiliser Pronote pour le cahier de textes",)),
    Probe(("!formation +1 {need}", "!formation -1 {need}")),
    Probe(("!formation",), role="referent"),
    Probe(("!formation planifier {planned_need} jeudi 12h30 salle B12",), role="referent"),
    Probe(("!formation planifier {poll_need} sondage",), role="referent"),
    Probe(("!formation sondage {need} jeudi 12h30 | vendredi 12h30 | lundi 17h",), role="referent"),
]


def values(db, eid: str, now: datetime, rng: random.Random) -> dict[str, str]:
    """An open need to support, a planned one to move, one with a date poll to plan from,
    and a need nobody expressed yet."""
    rows = db.execute(
        "SELECT n.number, n.status, s.starts_at FROM training_needs n"
        " LEFT JOIN training_sessions s ON s.need_id = n.id"
        " WHERE n.establishment_id = ? AND n.status IN ('open', 'planned')",
        (eid,),
    ).fetchall()
    opened = [number for number, status, _ in rows if status == "open"] or [9999]
    polled = [
        number
        for (number,) in db.execute(
            "SELECT number FROM training_needs WHERE establishment_id = ?"
            " AND poll_event_id IS NOT NULL AND status IN ('open', 'planned')",
            (eid,),
        )
    ]
    coming = [n for n, status, at in rows if status == "planned" and at >= to_stamp(now)]
    return {
        "need": str(rng.choice(opened)),
        "planned_need": str(rng.choice(coming or opened)),
        "poll_need": str(rng.choice(polled or opened)),
        "new_need": rng.choice(NEW_NEED_TEXTS),
    }
