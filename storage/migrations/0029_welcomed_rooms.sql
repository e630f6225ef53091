-- The bot now greets a room when it first joins it, once ever (bot_state key
-- 'bienvenue:<room id>'). Rooms it already answered someone in were joined long
-- ago: they are marked welcomed, so an upgrade greets no room it has served.
INSERT OR IGNORE INTO bot_state (key, value)
SELECT 'bienvenue:' || e.room_id, 'servi avant le message de bienvenue'
FROM establishments e
WHERE e.room_id IS NOT NULL
  AND EXISTS (SELECT 1 FROM members m WHERE m.establishment_id = e.id);
