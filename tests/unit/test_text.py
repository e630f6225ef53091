"""The one folding of French text every layer uses (bot.toolkit.text)."""

from bot.toolkit.text import capitalise, fold, fold_words, strip_accents


def test_fold_ignores_case_and_accents():
    assert fold("Réserver") == fold("RESERVER") == "reserver"
    assert fold("Straße") == "strasse"  # case folding, not only lower-casing
    assert fold("ﬁche") == "fiche"  # compatibility forms decomposed


def test_strip_accents_keeps_the_case():
    assert strip_accents("Élève à l'ÉCOLE") == "Eleve a l'ECOLE"


def test_fold_words_splits_on_anything_but_letters_and_digits():
    assert fold_words("L'Éducation numérique, c'est 2026 !") == [
        "l",
        "education",
        "numerique",
        "c",
        "est",
        "2026",
    ]


def test_capitalise_keeps_the_rest():
    assert capitalise("imprimante ou copieur") == "Imprimante ou copieur"
    assert capitalise("ENT, Pronote ou compte") == "ENT, Pronote ou compte"
    assert capitalise("") == ""
