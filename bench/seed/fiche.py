"""Seeded answer sheets: what a referent wrote down over a year, rewritten now and then, read."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from bench.seed.seeding import Probe, Seeding
from storage.stamps import to_stamp

# The questions that come back every week: (name, first line, what the answer is about).
SHEET_TOPICS = (
    ("vpi-connexion", "Connecter le vidéoprojecteur interactif au portable", "HDMI"),
    ("vpi-stylet", "Le stylet du tableau interactif ne répond plus", "calibrer"),
    ("vpi-son", "Faire passer le son par le vidéoprojecteur", "sortie audio"),
    ("wifi-eleves", "Connecter une classe mobile au wifi des élèves", "wifi"),
    ("wifi-invite", "Le wifi pour un intervenant extérieur", "code invité"),
    ("pronote-mdp", "Un élève a perdu son mot de passe Pronote", "ÉduConnect"),
    ("pronote-cahier", "Remplir le cahier de textes dans Pronote", "séance"),
    ("ent-parents", "Aider un parent à activer son compte ENT", "ÉduConnect"),
    ("ent-casier", "Déposer un devoir dans le casier de l'ENT", "casier"),
    ("imprimante-cdi", "Imprimer sur le copieur du CDI", "badge"),
    ("imprimante-bourrage", "Débloquer un bourrage du copieur de la salle des profs", "trappe"),
    ("scanner-mail", "Numériser un document vers sa messagerie", "numériser"),
    ("tablettes-chariot", "Réserver et ranger le chariot de tablettes", "chariot"),
    ("tablettes-appli", "Installer une application sur les tablettes", "console"),
    ("capytale", "Démarrer une activité Python avec Capytale", "Capytale"),
    ("pix-campagne", "Lancer une campagne Pix avec une classe", "code campagne"),
    ("nextcloud-partage", "Partager un dossier avec Apps Éducation", "Nextcloud"),
    ("visio-classe", "Faire cours en visio avec la classe virtuelle", "lien"),
    ("salle-info", "Ouvrir une session dans la salle informatique", "identifiant"),
    ("cles-usb", "Une clé USB n'apparaît pas sur l'ordinateur", "USB"),
    ("ecran-noir", "L'ordinateur de la salle reste sur un écran noir", "veille"),
    ("son-enceintes", "Pas de son dans les enceintes de la salle", "volume"),
    ("rgpd-photos", "Publier des photos d'élèves sur l'ENT", "autorisation"),
    ("ia-cadre", "Utiliser l'IA avec les élèves : le cadre", "cadre"),
    ("mdp-session", "Changer le mot de passe de sa session", "Ctrl Alt Suppr"),
    ("manuels-numeriques", "Accéder aux manuels numériques de la classe", "GAR"),
    ("ticket-panne", "Ouvrir un ticket de panne auprès de la collectivité", "portail"),
    ("videos-lourdes", "Projeter une vidéo sans saturer le réseau", "télécharger"),
    ("messagerie-academique", "Retrouver sa messagerie académique", "webmail"),
    ("agenda-salles", "Réserver une salle équipée", "agenda"),
)
STEPS = (
    "Vérifiez d'abord que tout est branché et allumé.",
    "Redémarrez l'ordinateur si rien ne change.",
    "Passez par le portail de l'ENT plutôt que par un ancien favori.",
    "Notez le message d'erreur exact : il aide beaucoup.",
    "Si cela ne suffit pas, écrivez au référent numérique.",
    "La procédure est affichée en salle des professeurs.",
    "Comptez cinq minutes la première fois, une ensuite.",
    "Pour une classe entière, prévenez la veille.",
)
# What people look for (each finds seeded sheets).
SHEET_SEARCHES = (
    "video projecteur", "wifi", "mot de passe", "pronote", "imprimer", "tablette",
    "son", "ENT parents", "clé usb", "visio",
)  # fmt: skip
SHEET_COLUMNS = (
    "id", "establishment_id", "name", "body", "author", "created_at", "updated_by", "updated_at",
)  # fmt: skip


def seed(s: Seeding) -> None:
    """Ten to thirty sheets per establishment, written by the referent through the year.

    A third were rewritten since; each writing is a change (the letters of
    ``lettre.seed`` announce them), and each sheet was read a few times a week
    since it was written. Indexed for the search as the watch is.
    """
    sheets, changes, reads = [], [], []
    sheet_id = 0
    last_day = s.past_days[-1]
    for e in s.establishments:
        referent = e.referents[0]
        for name, title, about in s.rng.sample(SHEET_TOPICS, s.rng.randint(10, 30)):
            sheet_id += 1
            written = s.during_class(s.rng.choice(s.past_days))
            steps = s.rng.sample(STEPS, s.rng.randint(2, 5))
            body = "\n".join([title, f"Le mot à retenir : {about}.", "", *steps])
            updated, editor = written, None
            changes.append((e.id, sheet_id, to_stamp(written)))
            if s.rng.random() < 0.33:
                later = [d for d in s.past_days if d > written.date()]
                if later:
                    updated, editor = s.during_class(s.rng.choice(later)), referent
                    body += "\nMis à jour après les retours des collègues."
                    changes.append((e.id, sheet_id, to_stamp(updated)))
            sheets.append((sheet_id, e.id, name, body, referent, to_stamp(written), editor,
                           to_stamp(updated)))  # fmt: skip
            days = (last_day - written.date()).days
            for _ in range(s.rng.randint(0, max(1, days // 3))):
                read = written + timedelta(
                    days=s.rng.randint(0, days), minutes=s.rng.randint(1, 90)
                )
                reads.append((e.id, sheet_id, to_stamp(min(read, s.now - timedelta(minutes=1)))))
    s.insert_indexed("answer_sheets", SHEET_COLUMNS, sheets)
    changes.sort(key=lambda change: change[2])
    s.insert("answer_sheet_changes", ("establishment_id", "sheet_id", "changed_at"), changes)
    s.insert("answer_sheet_reads", ("establishment_id", "sheet_id", "read_at"), reads)


PROBES: list[Probe] = [
    Probe(("!fiche",)),
    Probe(("!fiche {name}",)),
    Probe(("!fiche cherche {search}",)),
    Probe(("!fiche {search}",)),  # not a name: the search answers
    Probe(
        (
            "!fiche ajouter {new_name} Le code du wifi invité est affiché au CDI.",
            "!fiche retirer {new_name}",
        ),
        role="referent",
    ),
    Probe(
        ("!fiche modifier {name} Câble HDMI, puis touche Source (version {new_name}).",),
        role="referent",
    ),
]


def values(db, eid: str, now: datetime, rng: random.Random) -> dict[str, str]:
    """A sheet's name, words to search, a name not taken yet."""
    names = db.execute(
        "SELECT name FROM answer_sheets WHERE establishment_id = ?", (eid,)
    ).fetchall()
    return {
        "name": rng.choice(names)[0] if names else "vpi-connexion",
        "search": rng.choice(SHEET_SEARCHES),
        "new_name": f"note-{rng.randrange(10**6)}",
    }
