"""The schema's history: numbered SQL files applied in order by ``storage.db.migrate``."""
