-- The academy's views (!academie) add up every establishment at once. What they
-- count is kept ready here, by triggers, as the establishments' own commands write:
-- a view reads a few rows instead of a school year of them. storage/academie reads
-- these, and counts row by row instead when the configuration served is not what
-- the establishments table holds.

-- The overview's and the survey's counts over every establishment, from indexes.
CREATE INDEX training_needs_awaiting_dane
    ON training_needs (status, dane_answer, establishment_id)
    WHERE status = 'dane' AND dane_answer IS NULL;
CREATE INDEX training_sessions_by_start ON training_sessions (starts_at);
CREATE INDEX members_referents ON members (establishment_id, user_id, role)
    WHERE role = 'referent';
CREATE INDEX surveys_academy
    ON surveys (academy_key, deadline, opens_at, closed_at, establishment_id, title)
    WHERE academy_key IS NOT NULL;
CREATE INDEX class_projects_created ON class_projects (created_at);
-- Whether the academy's configuration groups establishments as they are stored.
CREATE INDEX establishments_by_bassin ON establishments (bassin, id);
CREATE INDEX establishments_by_authority ON establishments (collectivite, id);

-- Training sessions by the day they start, class projects by the day they were
-- recorded (UTC days): the overview's counts since the start of the school year
-- add whole days up and read the rows of their first and last days only.
CREATE TABLE academy_days (
    kind TEXT NOT NULL CHECK (kind IN ('session', 'project')),
    day TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (kind, day)
) WITHOUT ROWID;

CREATE TRIGGER academy_days_session_planned AFTER INSERT ON training_sessions BEGIN
    INSERT INTO academy_days (kind, day, count) VALUES ('session', substr(NEW.starts_at, 1, 10), 1)
    ON CONFLICT DO UPDATE SET count = count + 1;
END;

CREATE TRIGGER academy_days_session_removed AFTER DELETE ON training_sessions BEGIN
    UPDATE academy_days SET count = count - 1
    WHERE kind = 'session' AND day = substr(OLD.starts_at, 1, 10);
    DELETE FROM academy_days WHERE kind = 'session' AND day = substr(OLD.starts_at, 1, 10)
      AND count = 0;
END;

CREATE TRIGGER academy_days_session_moved AFTER UPDATE OF starts_at ON training_sessions
WHEN OLD.starts_at IS NOT NEW.starts_at BEGIN
    UPDATE academy_days SET count = count - 1
    WHERE kind = 'session' AND day = substr(OLD.starts_at, 1, 10);
    DELETE FROM academy_days WHERE kind = 'session' AND day = substr(OLD.starts_at, 1, 10)
      AND count = 0;
    INSERT INTO academy_days (kind, day, count) VALUES ('session', substr(NEW.starts_at, 1, 10), 1)
    ON CONFLICT DO UPDATE SET count = count + 1;
END;

CREATE TRIGGER academy_days_project_recorded AFTER INSERT ON class_projects BEGIN
    INSERT INTO academy_days (kind, day, count) VALUES ('project', substr(NEW.created_at, 1, 10), 1)
    ON CONFLICT DO UPDATE SET count = count + 1;
END;

CREATE TRIGGER academy_days_project_removed AFTER DELETE ON class_projects BEGIN
    UPDATE academy_days SET count = count - 1
    WHERE kind = 'project' AND day = substr(OLD.created_at, 1, 10);
    DELETE FROM academy_days WHERE kind = 'project' AND day = substr(OLD.created_at, 1, 10)
      AND count = 0;
END;

CREATE TRIGGER academy_days_project_moved AFTER UPDATE OF created_at ON class_projects
WHEN OLD.created_at IS NOT NEW.created_at BEGIN
    UPDATE academy_days SET count = count - 1
    WHERE kind = 'project' AND day = substr(OLD.created_at, 1, 10);
    DELETE FROM academy_days WHERE kind = 'project' AND day = substr(OLD.created_at, 1, 10)
      AND count = 0;
    INSERT INTO academy_days (kind, day, count) VALUES ('project', substr(NEW.created_at, 1, 10), 1)
    ON CONFLICT DO UPDATE SET count = count + 1;
END;

-- For each academy survey (one copy per establishment), how many of the
-- establishment's referents said they answered it: the survey's view and its
-- reminder read who answered from here rather than from every answer. Kept as
-- answers are given or forgotten, as people become referents or stop being one.
CREATE TABLE academy_referent_answers (
    survey_id INTEGER PRIMARY KEY,
    answers INTEGER NOT NULL
);

CREATE TRIGGER academy_referent_answered AFTER INSERT ON survey_answers BEGIN
    INSERT INTO academy_referent_answers (survey_id, answers)
    SELECT s.id, 1 FROM surveys s JOIN members m ON m.establishment_id = s.establishment_id
        AND m.user_id = NEW.user_id AND m.role = 'referent'
    WHERE s.id = NEW.survey_id AND s.academy_key IS NOT NULL
    ON CONFLICT DO UPDATE SET answers = answers + 1;
END;

CREATE TRIGGER academy_referent_answer_removed AFTER DELETE ON survey_answers BEGIN
    UPDATE academy_referent_answers SET answers = answers - 1
    WHERE survey_id = OLD.survey_id AND EXISTS (SELECT 1 FROM surveys s JOIN members m
        ON m.establishment_id = s.establishment_id AND m.user_id = OLD.user_id
        AND m.role = 'referent' WHERE s.id = OLD.survey_id AND s.academy_key IS NOT NULL);
END;

CREATE TRIGGER academy_referent_answer_changed
AFTER UPDATE OF survey_id, user_id ON survey_answers BEGIN
    UPDATE academy_referent_answers SET answers = answers - 1
    WHERE survey_id = OLD.survey_id AND EXISTS (SELECT 1 FROM surveys s JOIN members m
        ON m.establishment_id = s.establishment_id AND m.user_id = OLD.user_id
        AND m.role = 'referent' WHERE s.id = OLD.survey_id AND s.academy_key IS NOT NULL);
    INSERT INTO academy_referent_answers (survey_id, answers)
    SELECT s.id, 1 FROM surveys s JOIN members m ON m.establishment_id = s.establishment_id
        AND m.user_id = NEW.user_id AND m.role = 'referent'
    WHERE s.id = NEW.survey_id AND s.academy_key IS NOT NULL
    ON CONFLICT DO UPDATE SET answers = answers + 1;
END;

CREATE TRIGGER academy_referent_joined AFTER INSERT ON members
WHEN NEW.role = 'referent' BEGIN
    INSERT INTO academy_referent_answers (survey_id, answers)
    SELECT s.id, 1 FROM surveys s JOIN survey_answers a ON a.survey_id = s.id
        AND a.user_id = NEW.user_id
    WHERE s.establishment_id = NEW.establishment_id AND s.academy_key IS NOT NULL
    ON CONFLICT DO UPDATE SET answers = answers + 1;
END;

CREATE TRIGGER academy_referent_left AFTER DELETE ON members
WHEN OLD.role = 'referent' BEGIN
    UPDATE academy_referent_answers SET answers = answers - 1
    WHERE survey_id IN (SELECT s.id FROM surveys s JOIN survey_answers a
        ON a.survey_id = s.id AND a.user_id = OLD.user_id
        WHERE s.establishment_id = OLD.establishment_id AND s.academy_key IS NOT NULL);
END;

-- Each command records its sender's role again: only a change is counted.
CREATE TRIGGER academy_referent_changed
AFTER UPDATE OF establishment_id, user_id, role ON members
WHEN (OLD.role = 'referent' OR NEW.role = 'referent')
  AND (OLD.role IS NOT NEW.role OR OLD.user_id IS NOT NEW.user_id
       OR OLD.establishment_id IS NOT NEW.establishment_id) BEGIN
    UPDATE academy_referent_answers SET answers = answers - 1
    WHERE OLD.role = 'referent' AND survey_id IN (SELECT s.id FROM surveys s
        JOIN survey_answers a ON a.survey_id = s.id AND a.user_id = OLD.user_id
        WHERE s.establishment_id = OLD.establishment_id AND s.academy_key IS NOT NULL);
    INSERT INTO academy_referent_answers (survey_id, answers)
    SELECT s.id, 1 FROM surveys s JOIN survey_answers a ON a.survey_id = s.id
        AND a.user_id = NEW.user_id
    WHERE NEW.role = 'referent' AND s.establishment_id = NEW.establishment_id
      AND s.academy_key IS NOT NULL
    ON CONFLICT DO UPDATE SET answers = answers + 1;
END;

CREATE TRIGGER academy_referent_survey_changed
AFTER UPDATE OF establishment_id, academy_key ON surveys
WHEN OLD.establishment_id IS NOT NEW.establishment_id
  OR OLD.academy_key IS NOT NEW.academy_key BEGIN
    DELETE FROM academy_referent_answers WHERE survey_id = OLD.id;
    INSERT INTO academy_referent_answers (survey_id, answers)
    SELECT NEW.id, count(*) FROM survey_answers a JOIN members m
        ON m.establishment_id = NEW.establishment_id AND m.user_id = a.user_id
        AND m.role = 'referent'
    WHERE a.survey_id = NEW.id AND NEW.academy_key IS NOT NULL HAVING count(*) > 0;
END;

CREATE TRIGGER academy_referent_survey_removed AFTER DELETE ON surveys BEGIN
    DELETE FROM academy_referent_answers WHERE survey_id = OLD.id;
END;

-- Open training needs by bassin, CRCN domain and establishment. The domain is a
-- need's first tag ('' for none: tags are stored as slugs separated by one space);
-- the bassin is the establishment's ('' for none), moved with it if it changes.
CREATE TABLE academy_open_needs (
    bassin TEXT NOT NULL,
    domain TEXT NOT NULL,
    establishment_id TEXT NOT NULL,
    needs INTEGER NOT NULL,
    PRIMARY KEY (establishment_id, domain)
) WITHOUT ROWID;
CREATE INDEX academy_open_needs_by_bassin
    ON academy_open_needs (bassin, domain, establishment_id, needs);

CREATE TRIGGER academy_open_needs_recorded AFTER INSERT ON training_needs
WHEN NEW.status = 'open' BEGIN
    INSERT INTO academy_open_needs (bassin, domain, establishment_id, needs)
    VALUES (
        coalesce((SELECT bassin FROM establishments WHERE id = NEW.establishment_id), ''),
        substr(ltrim(NEW.tags), 1, instr(ltrim(NEW.tags) || ' ', ' ') - 1),
        NEW.establishment_id,
        1
    ) ON CONFLICT DO UPDATE SET needs = needs + 1;
END;

CREATE TRIGGER academy_open_needs_removed AFTER DELETE ON training_needs
WHEN OLD.status = 'open' BEGIN
    UPDATE academy_open_needs SET needs = needs - 1
    WHERE establishment_id = OLD.establishment_id
      AND domain = substr(ltrim(OLD.tags), 1, instr(ltrim(OLD.tags) || ' ', ' ') - 1);
    DELETE FROM academy_open_needs WHERE needs = 0 AND establishment_id = OLD.establishment_id
      AND domain = substr(ltrim(OLD.tags), 1, instr(ltrim(OLD.tags) || ' ', ' ') - 1);
END;

CREATE TRIGGER academy_open_needs_changed
AFTER UPDATE OF status, tags, establishment_id ON training_needs
WHEN OLD.status = 'open' OR NEW.status = 'open' BEGIN
    UPDATE academy_open_needs SET needs = needs - 1
    WHERE OLD.status = 'open' AND establishment_id = OLD.establishment_id
      AND domain = substr(ltrim(OLD.tags), 1, instr(ltrim(OLD.tags) || ' ', ' ') - 1);
    DELETE FROM academy_open_needs WHERE needs = 0 AND establishment_id = OLD.establishment_id
      AND domain = substr(ltrim(OLD.tags), 1, instr(ltrim(OLD.tags) || ' ', ' ') - 1);
    INSERT INTO academy_open_needs (bassin, domain, establishment_id, needs)
    SELECT
        coalesce((SELECT bassin FROM establishments WHERE id = NEW.establishment_id), ''),
        substr(ltrim(NEW.tags), 1, instr(ltrim(NEW.tags) || ' ', ' ') - 1),
        NEW.establishment_id,
        1
    WHERE NEW.status = 'open'
    ON CONFLICT DO UPDATE SET needs = needs + 1;
END;

CREATE TRIGGER academy_open_needs_bassin AFTER UPDATE OF bassin ON establishments
WHEN OLD.bassin IS NOT NEW.bassin BEGIN
    UPDATE academy_open_needs SET bassin = coalesce(NEW.bassin, '')
    WHERE establishment_id = NEW.id;
END;

-- The same by bassin and domain only, with how many establishments ask: what the
-- view of every bassin reads.
CREATE TABLE academy_open_themes (
    bassin TEXT NOT NULL,
    domain TEXT NOT NULL,
    needs INTEGER NOT NULL,
    establishments INTEGER NOT NULL,
    PRIMARY KEY (bassin, domain)
) WITHOUT ROWID;

CREATE TRIGGER academy_open_themes_added AFTER INSERT ON academy_open_needs BEGIN
    INSERT INTO academy_open_themes (bassin, domain, needs, establishments)
    VALUES (NEW.bassin, NEW.domain, NEW.needs, 1)
    ON CONFLICT DO UPDATE SET
        needs = needs + excluded.needs, establishments = establishments + 1;
END;

CREATE TRIGGER academy_open_themes_removed AFTER DELETE ON academy_open_needs BEGIN
    UPDATE academy_open_themes SET
        needs = needs - OLD.needs, establishments = establishments - 1
    WHERE bassin = OLD.bassin AND domain = OLD.domain;
    DELETE FROM academy_open_themes
    WHERE bassin = OLD.bassin AND domain = OLD.domain AND establishments = 0;
END;

CREATE TRIGGER academy_open_themes_changed AFTER UPDATE ON academy_open_needs BEGIN
    UPDATE academy_open_themes SET
        needs = needs - OLD.needs, establishments = establishments - 1
    WHERE bassin = OLD.bassin AND domain = OLD.domain;
    DELETE FROM academy_open_themes
    WHERE bassin = OLD.bassin AND domain = OLD.domain AND establishments = 0;
    INSERT INTO academy_open_themes (bassin, domain, needs, establishments)
    VALUES (NEW.bassin, NEW.domain, NEW.needs, 1)
    ON CONFLICT DO UPDATE SET
        needs = needs + excluded.needs, establishments = establishments + 1;
END;

-- Every breakdown, with what the academy counts it by: its category, its
-- establishment's local authority ('' for none), and once repaired, the school
-- year of the repair (2026 for 2026-2027, in UTC) and how long it took in days,
-- computed as the views always did. The tallies below keep, by category and by
-- authority, the open ones, and for each school year the repaired ones with their
-- lower median repair: moved one step at each repair counted or removed, it is
-- read in one row, where a median over the year once read every repair.
CREATE TABLE academy_breakdowns (
    incident_id INTEGER PRIMARY KEY,
    category TEXT NOT NULL,
    authority TEXT NOT NULL,
    repaired_in INTEGER,
    resolved_at TEXT,
    repair_days REAL
);
CREATE INDEX academy_breakdowns_by_category
    ON academy_breakdowns (repaired_in, category, repair_days) WHERE repaired_in IS NOT NULL;
CREATE INDEX academy_breakdowns_by_authority
    ON academy_breakdowns (repaired_in, authority, repair_days) WHERE repaired_in IS NOT NULL;
CREATE INDEX academy_breakdowns_resolved
    ON academy_breakdowns (resolved_at) WHERE resolved_at IS NOT NULL;

-- by_category: 1 when label is a category, 0 when it is a local authority;
-- repaired_in: 0 for the open breakdowns (those without a repair time, as the
-- views always counted them); median_id and median_days: for repaired ones, the
-- repair ranked (breakdowns + 1) / 2 by (repair_days, incident_id).
CREATE TABLE academy_breakdown_tallies (
    by_category INTEGER NOT NULL,
    label TEXT NOT NULL,
    repaired_in INTEGER NOT NULL,
    breakdowns INTEGER NOT NULL,
    median_id INTEGER,
    median_days REAL,
    PRIMARY KEY (by_category, label, repaired_in)
) WITHOUT ROWID;

CREATE TRIGGER academy_breakdowns_reported AFTER INSERT ON incidents BEGIN
    INSERT INTO academy_breakdowns
        (incident_id, category, authority, repaired_in, resolved_at, repair_days)
    VALUES (
        NEW.id,
        NEW.category,
        coalesce((SELECT collectivite FROM establishments WHERE id = NEW.establishment_id), ''),
        CAST(substr(NEW.resolved_at, 1, 4) AS INTEGER) - (substr(NEW.resolved_at, 6, 2) < '09'),
        NEW.resolved_at,
        julianday(NEW.resolved_at) - julianday(NEW.reported_at)
    );
END;

CREATE TRIGGER academy_breakdowns_changed
AFTER UPDATE OF establishment_id, category, reported_at, resolved_at ON incidents
WHEN OLD.establishment_id IS NOT NEW.establishment_id OR OLD.category IS NOT NEW.category
  OR OLD.reported_at IS NOT NEW.reported_at OR OLD.resolved_at IS NOT NEW.resolved_at BEGIN
    DELETE FROM academy_breakdowns WHERE incident_id = OLD.id;
    INSERT INTO academy_breakdowns
        (incident_id, category, authority, repaired_in, resolved_at, repair_days)
    VALUES (
        NEW.id,
        NEW.category,
        coalesce((SELECT collectivite FROM establishments WHERE id = NEW.establishment_id), ''),
        CAST(substr(NEW.resolved_at, 1, 4) AS INTEGER) - (substr(NEW.resolved_at, 6, 2) < '09'),
        NEW.resolved_at,
        julianday(NEW.resolved_at) - julianday(NEW.reported_at)
    );
END;

CREATE TRIGGER academy_breakdowns_deleted AFTER DELETE ON incidents BEGIN
    DELETE FROM academy_breakdowns WHERE incident_id = OLD.id;
END;

-- An establishment's local authority changed: its breakdowns are counted again.
CREATE TRIGGER academy_breakdowns_authority AFTER UPDATE OF collectivite ON establishments
WHEN OLD.collectivite IS NOT NEW.collectivite BEGIN
    DELETE FROM academy_breakdowns
    WHERE incident_id IN (SELECT id FROM incidents WHERE establishment_id = NEW.id);
    INSERT INTO academy_breakdowns
        (incident_id, category, authority, repaired_in, resolved_at, repair_days)
    SELECT
        id,
        category,
        coalesce(NEW.collectivite, ''),
        CAST(substr(resolved_at, 1, 4) AS INTEGER) - (substr(resolved_at, 6, 2) < '09'),
        resolved_at,
        julianday(resolved_at) - julianday(reported_at)
    FROM incidents WHERE establishment_id = NEW.id;
END;

CREATE TRIGGER academy_breakdown_opened AFTER INSERT ON academy_breakdowns
WHEN NEW.repair_days IS NULL BEGIN
    INSERT INTO academy_breakdown_tallies (by_category, label, repaired_in, breakdowns)
    VALUES (1, NEW.category, 0, 1), (0, NEW.authority, 0, 1)
    ON CONFLICT DO UPDATE SET breakdowns = breakdowns + 1;
END;

CREATE TRIGGER academy_breakdown_unopened AFTER DELETE ON academy_breakdowns
WHEN OLD.repair_days IS NULL BEGIN
    UPDATE academy_breakdown_tallies SET breakdowns = breakdowns - 1
    WHERE repaired_in = 0
      AND (by_category = 1 AND label = OLD.category OR by_category = 0 AND label = OLD.authority);
    DELETE FROM academy_breakdown_tallies WHERE breakdowns = 0 AND repaired_in = 0;
END;

-- A repair counted: with an odd count before, one ranked below the median moves
-- it one step down; with an even count, one ranked above moves it one step up.
CREATE TRIGGER academy_breakdown_repaired AFTER INSERT ON academy_breakdowns
WHEN NEW.repair_days IS NOT NULL BEGIN
    INSERT INTO academy_breakdown_tallies (by_category, label, repaired_in, breakdowns)
    VALUES (1, NEW.category, NEW.repaired_in, 0), (0, NEW.authority, NEW.repaired_in, 0)
    ON CONFLICT DO NOTHING;
    UPDATE academy_breakdown_tallies SET breakdowns = breakdowns + 1, median_id = CASE
        WHEN breakdowns = 0 THEN NEW.incident_id
        WHEN breakdowns % 2 = 1
             AND (NEW.repair_days, NEW.incident_id) < (median_days, median_id) THEN (
            SELECT incident_id FROM academy_breakdowns
            WHERE repaired_in = academy_breakdown_tallies.repaired_in
              AND category = academy_breakdown_tallies.label
              AND (repair_days, incident_id)
                < (academy_breakdown_tallies.median_days, academy_breakdown_tallies.median_id)
            ORDER BY repair_days DESC, incident_id DESC LIMIT 1)
        WHEN breakdowns % 2 = 0
             AND (NEW.repair_days, NEW.incident_id) > (median_days, median_id) THEN (
            SELECT incident_id FROM academy_breakdowns
            WHERE repaired_in = academy_breakdown_tallies.repaired_in
              AND category = academy_breakdown_tallies.label
              AND (repair_days, incident_id)
                > (academy_breakdown_tallies.median_days, academy_breakdown_tallies.median_id)
            ORDER BY repair_days, incident_id LIMIT 1)
        ELSE median_id END
    WHERE by_category = 1 AND label = NEW.category AND repaired_in = NEW.repaired_in;
    UPDATE academy_breakdown_tallies SET breakdowns = breakdowns + 1, median_id = CASE
        WHEN breakdowns = 0 THEN NEW.incident_id
        WHEN breakdowns % 2 = 1
             AND (NEW.repair_days, NEW.incident_id) < (median_days, median_id) THEN (
            SELECT incident_id FROM academy_breakdowns
            WHERE repaired_in = academy_breakdown_tallies.repaired_in
              AND authority = academy_breakdown_tallies.label
              AND (repair_days, incident_id)
                < (academy_breakdown_tallies.median_days, academy_breakdown_tallies.median_id)
            ORDER BY repair_days DESC, incident_id DESC LIMIT 1)
        WHEN breakdowns % 2 = 0
             AND (NEW.repair_days, NEW.incident_id) > (median_days, median_id) THEN (
            SELECT incident_id FROM academy_breakdowns
            WHERE repaired_in = academy_breakdown_tallies.repaired_in
              AND authority = academy_breakdown_tallies.label
              AND (repair_days, incident_id)
                > (academy_breakdown_tallies.median_days, academy_breakdown_tallies.median_id)
            ORDER BY repair_days, incident_id LIMIT 1)
        ELSE median_id END
    WHERE by_category = 0 AND label = NEW.authority AND repaired_in = NEW.repaired_in;
    UPDATE academy_breakdown_tallies SET median_days = (
        SELECT repair_days FROM academy_breakdowns WHERE incident_id = median_id)
    WHERE repaired_in = NEW.repaired_in
      AND (by_category = 1 AND label = NEW.category OR by_category = 0 AND label = NEW.authority);
END;

-- A repair removed: with an odd count before, removing the median or one above it
-- moves the median one step down; with an even count, the median or one below, up.
CREATE TRIGGER academy_breakdown_unrepaired AFTER DELETE ON academy_breakdowns
WHEN OLD.repair_days IS NOT NULL BEGIN
    UPDATE academy_breakdown_tallies SET breakdowns = breakdowns - 1, median_id = CASE
        WHEN breakdowns = 1 THEN NULL
        WHEN breakdowns % 2 = 1
             AND (OLD.repair_days, OLD.incident_id) >= (median_days, median_id) THEN (
            SELECT incident_id FROM academy_breakdowns
            WHERE repaired_in = academy_breakdown_tallies.repaired_in
              AND category = academy_breakdown_tallies.label
              AND (repair_days, incident_id)
                < (academy_breakdown_tallies.median_days, academy_breakdown_tallies.median_id)
            ORDER BY repair_days DESC, incident_id DESC LIMIT 1)
        WHEN breakdowns % 2 = 0
             AND (OLD.repair_days, OLD.incident_id) <= (median_days, median_id) THEN (
            SELECT incident_id FROM academy_breakdowns
            WHERE repaired_in = academy_breakdown_tallies.repaired_in
              AND category = academy_breakdown_tallies.label
              AND (repair_days, incident_id)
                > (academy_breakdown_tallies.median_days, academy_breakdown_tallies.median_id)
            ORDER BY repair_days, incident_id LIMIT 1)
        ELSE median_id END
    WHERE by_category = 1 AND label = OLD.category AND repaired_in = OLD.repaired_in;
    UPDATE academy_breakdown_tallies SET breakdowns = breakdowns - 1, median_id = CASE
        WHEN breakdowns = 1 THEN NULL
        WHEN breakdowns % 2 = 1
             AND (OLD.repair_days, OLD.incident_id) >= (median_days, median_id) THEN (
            SELECT incident_id FROM academy_breakdowns
            WHERE repaired_in = academy_breakdown_tallies.repaired_in
              AND authority = academy_breakdown_tallies.label
              AND (repair_days, incident_id)
                < (academy_breakdown_tallies.median_days, academy_breakdown_tallies.median_id)
            ORDER BY repair_days DESC, incident_id DESC LIMIT 1)
        WHEN breakdowns % 2 = 0
             AND (OLD.repair_days, OLD.incident_id) <= (median_days, median_id) THEN (
            SELECT incident_id FROM academy_breakdowns
            WHERE repaired_in = academy_breakdown_tallies.repaired_in
              AND authority = academy_breakdown_tallies.label
              AND (repair_days, incident_id)
                > (academy_breakdown_tallies.median_days, academy_breakdown_tallies.median_id)
            ORDER BY repair_days, incident_id LIMIT 1)
        ELSE median_id END
    WHERE by_category = 0 AND label = OLD.authority AND repaired_in = OLD.repaired_in;
    UPDATE academy_breakdown_tallies SET median_days = (
        SELECT repair_days FROM academy_breakdowns WHERE incident_id = median_id)
    WHERE repaired_in = OLD.repaired_in
      AND (by_category = 1 AND label = OLD.category OR by_category = 0 AND label = OLD.authority);
    DELETE FROM academy_breakdown_tallies WHERE breakdowns = 0 AND repaired_in = OLD.repaired_in;
END;

-- What was there before: counted once, through the triggers above.
INSERT INTO academy_referent_answers (survey_id, answers)
SELECT s.id, count(*) FROM surveys s JOIN survey_answers a ON a.survey_id = s.id
    JOIN members m ON m.establishment_id = s.establishment_id AND m.user_id = a.user_id
    AND m.role = 'referent'
WHERE s.academy_key IS NOT NULL GROUP BY s.id;
INSERT INTO academy_days (kind, day, count)
SELECT 'session', substr(starts_at, 1, 10), count(*) FROM training_sessions GROUP BY 2;
INSERT INTO academy_days (kind, day, count)
SELECT 'project', substr(created_at, 1, 10), count(*) FROM class_projects GROUP BY 2;

INSERT INTO academy_open_needs (bassin, domain, establishment_id, needs)
SELECT
    coalesce(e.bassin, ''),
    substr(ltrim(n.tags), 1, instr(ltrim(n.tags) || ' ', ' ') - 1),
    n.establishment_id,
    count(*)
FROM training_needs n JOIN establishments e ON e.id = n.establishment_id
WHERE n.status = 'open' GROUP BY 1, 2, 3;

INSERT INTO academy_breakdowns
    (incident_id, category, authority, repaired_in, resolved_at, repair_days)
SELECT
    i.id,
    i.category,
    coalesce(e.collectivite, ''),
    CAST(substr(i.resolved_at, 1, 4) AS INTEGER) - (substr(i.resolved_at, 6, 2) < '09'),
    i.resolved_at,
    julianday(i.resolved_at) - julianday(i.reported_at)
FROM incidents i LEFT JOIN establishments e ON e.id = i.establishment_id;
