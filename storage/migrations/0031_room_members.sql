-- Who has joined each establishment's room, as the homeserver says: a survey for
-- everyone is for them, not only for those who once typed a command. The bot
-- reads each room's members once per start and follows joins and leaves.
-- user_id is personal data (storage/donnees.py): exported, deleted when forgotten,
-- and gone from here as soon as the person leaves the room.
CREATE TABLE room_members (
    establishment_id TEXT NOT NULL REFERENCES establishments(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL,
    joined_at TEXT NOT NULL,
    PRIMARY KEY (establishment_id, user_id)
) WITHOUT ROWID;
