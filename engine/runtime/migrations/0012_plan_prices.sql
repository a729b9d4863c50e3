-- Province exports (docs/exports.md): the price range of a plan's koop and huur homes, in euro cents
-- (purchase price; monthly rent). Optional: NULL = not known. The export puts the homes in the
-- province's price class (koop1..4, huur1..4) when the whole range lies in one class of the
-- table in force, and leaves a plan whose range spans two classes out (docs/exports.md).
ALTER TABLE projects
    ADD COLUMN koop_price_min_cents bigint CHECK (koop_price_min_cents >= 0),
    ADD COLUMN koop_price_max_cents bigint CHECK (koop_price_max_cents >= 0),
    ADD COLUMN huur_rent_min_cents bigint CHECK (huur_rent_min_cents >= 0),
    ADD COLUMN huur_rent_max_cents bigint CHECK (huur_rent_max_cents >= 0),
    ADD CONSTRAINT projects_koop_price_range CHECK (koop_price_min_cents <= koop_price_max_cents),
    ADD CONSTRAINT projects_huur_rent_range CHECK (huur_rent_min_cents <= huur_rent_max_cents);
