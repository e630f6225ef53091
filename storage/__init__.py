"""SQLite storage: migrations and small query functions over ``sqlite_utils.Database``.

Of ours, only ``bot.toolkit`` is imported (text folding): never ``bot.core`` or
``commands``. Functions take a database and plain values.
"""

from storage.db import MigrationError, migrate, open_database

__all__ = ["MigrationError", "migrate", "open_database"]
