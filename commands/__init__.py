"""Command families: one module each; ``load_registry`` collects what they declare.

A family holds its commands, jobs, letter sections, digest figures and
indicators. It imports ``bot.core``, ``storage`` and ``bot.toolkit``, never
another family: what two families share lives in the core or in storage, and
is looked up by name through the registry.
"""

from __future__ import annotations

import importlib

from bot.core.registry import Registry

# The order here is the order of ``!aide``.
FAMILIES = (
    "aide",
    "permanence",
    "formation",
    "veille",
    "fiche",
    "projet",
    "panne",
    "lettre",
    "enquete",
    "objectifs",
    "bilan",
    "statut",
    "donnees",
    "prive",
    "academie",
)


def load_registry() -> Registry:
    """Import every command family and collect its commands."""
    return Registry.from_modules(importlib.import_module(f"commands.{f}") for f in FAMILIES)
