"""SQLite storage: migrations and small query functions over ``sqlite_utils.Database``.

Nothing here imports ``bot`` or ``commands``: functions take a database and plain values.
"""

from storage.db import MigrationError, migrate, open_database

__all__ = ["MigrationError", "migrate", "open_database"]
