-- Short numbers were allocated three ways: max(number) + 1 read before the insert
-- (slots, surveys), the same inside the insert (needs, breakdowns, objectives), and
-- a counter for the links of the watch, whose numbers a removal must not free. One
-- counter table now serves every numbered family (storage/numbers.py), so no
-- number is ever given twice. family is the numbered table; scope is what numbers
-- restart with besides the establishment: the school year for objectives, else 0.
CREATE TABLE number_counters (
    family TEXT NOT NULL,
    establishment_id TEXT NOT NULL REFERENCES establishments(id) ON DELETE CASCADE,
    scope INTEGER NOT NULL DEFAULT 0,
    last_number INTEGER NOT NULL,
    PRIMARY KEY (family, establishment_id, scope)
) WITHOUT ROWID;

-- Each counter starts at the last number given: the largest in the table, or the
-- watch's own counter when links were removed after the last one.
INSERT INTO number_counters (family, establishment_id, scope, last_number)
SELECT 'veille_items', establishment_id, 0, max(n) FROM (
    SELECT establishment_id, last_number AS n FROM veille_counters
    UNION ALL SELECT establishment_id, number FROM veille_items
) GROUP BY establishment_id;
INSERT INTO number_counters (family, establishment_id, scope, last_number)
SELECT 'permanence_slots', establishment_id, 0, max(number) FROM permanence_slots
GROUP BY establishment_id;
INSERT INTO number_counters (family, establishment_id, scope, last_number)
SELECT 'training_needs', establishment_id, 0, max(number) FROM training_needs
GROUP BY establishment_id;
INSERT INTO number_counters (family, establishment_id, scope, last_number)
SELECT 'incidents', establishment_id, 0, max(number) FROM incidents GROUP BY establishment_id;
INSERT INTO number_counters (family, establishment_id, scope, last_number)
SELECT 'surveys', establishment_id, 0, max(number) FROM surveys GROUP BY establishment_id;
INSERT INTO number_counters (family, establishment_id, scope, last_number)
SELECT 'objectives', establishment_id, school_year, max(number) FROM objectives
GROUP BY establishment_id, school_year;

DROP TABLE veille_counters;
