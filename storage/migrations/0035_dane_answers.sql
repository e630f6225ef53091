-- A need forwarded to the academy (status 'dane') is delivered to the academy's room;
-- the academy's answer is kept with it and sent back to the establishment's room.
-- dane_answered_by is personal data (an admin's ID); the answer is the academy's word.
ALTER TABLE training_needs ADD COLUMN dane_answer TEXT;
ALTER TABLE training_needs ADD COLUMN dane_answered_at TEXT;
ALTER TABLE training_needs ADD COLUMN dane_answered_by TEXT;
