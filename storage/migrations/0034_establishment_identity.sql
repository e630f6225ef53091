-- Establishments as the academy knows them (from the config): the official code
-- (UAI), the bassin, and the local authority in charge of equipment. The academy's
-- views group and add up establishments by them.
ALTER TABLE establishments ADD COLUMN uai TEXT;
ALTER TABLE establishments ADD COLUMN bassin TEXT;
ALTER TABLE establishments ADD COLUMN collectivite TEXT;
