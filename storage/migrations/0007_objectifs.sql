-- The year's objectives, negotiated by the referent with the principal, and the
-- progress notes written on them while the year goes.
-- Instants are UTC ISO strings (fixed width, so they compare as text).

-- school_year is the year the school year starts in (2026 for 2026-2027); number
-- is what people type (n° 1, 2… in each establishment and school year).
-- The indicator, when there is one, is a figure the bot counts (indicator_figure:
-- a digest figure's name or a derived ratio), a comparison and a target: « sessions
-- >= 6 » or « besoins_traites >= 80 % » (indicator_percent = 1).
-- status: active → reached or abandoned (and back, if the referent changes their mind).
-- author and updated_by are personal data (Matrix IDs of who wrote the objective and
-- who last changed its status); the objective's text belongs to the establishment.
CREATE TABLE objectives (
    id INTEGER PRIMARY KEY,
    establishment_id TEXT NOT NULL REFERENCES establishments(id) ON DELETE CASCADE,
    school_year INTEGER NOT NULL,
    number INTEGER NOT NULL,
    text TEXT NOT NULL,
    indicator_figure TEXT,
    indicator_op TEXT CHECK (indicator_op IN ('>=', '<=', '>', '<', '=')),
    indicator_target INTEGER,
    indicator_percent INTEGER NOT NULL DEFAULT 0 CHECK (indicator_percent IN (0, 1)),
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'reached', 'abandoned')),
    author TEXT NOT NULL,
    created_at TEXT NOT NULL,
    status_at TEXT,
    updated_by TEXT,
    UNIQUE (establishment_id, school_year, number),
    CHECK ((indicator_figure IS NULL) = (indicator_op IS NULL)
           AND (indicator_figure IS NULL) = (indicator_target IS NULL))
);

-- A progress note (« point d'étape ») on an objective. author is personal data
-- (Matrix ID) and text is what that person typed: forgetting them blanks it.
CREATE TABLE objective_notes (
    id INTEGER PRIMARY KEY,
    objective_id INTEGER NOT NULL REFERENCES objectives(id) ON DELETE CASCADE,
    text TEXT,
    author TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX objective_notes_objective ON objective_notes (objective_id, created_at);
