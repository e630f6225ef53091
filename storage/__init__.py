"""SQLite storage: migrations and small query functions over ``sqlite_utils.Database``.

One module per command family (``permanence``, ``formation``, ``veille``,
``fiche``, ``panne``, ``lettre``, ``enquete``, ``objectifs``, ``bilan``, ``donnees``,
``oubli`` and ``roles``) and what they share: ``db`` (opening, migrations), ``stamps`` (the one
stored form of an instant), ``numbers`` (short numbers), ``search`` (full-text
search), ``periods``, ``ledger``, ``outbox``, ``inbox`` and ``establishments``. Of
ours, only ``bot.toolkit`` is imported: never ``bot.core`` or ``commands``. Functions
take a database and plain values.
"""

from storage.db import MigrationError, migrate, open_database

__all__ = ["MigrationError", "migrate", "open_database"]
