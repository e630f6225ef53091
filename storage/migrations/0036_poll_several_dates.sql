-- How many dates a person may choose in a date poll. Polls posted before were
-- single-choice (1); new ones let each person pick every date they can make.
ALTER TABLE training_polls ADD COLUMN max_selections INTEGER NOT NULL DEFAULT 1;
