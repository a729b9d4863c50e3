-- Bouwstroom store, version 31: woningblokken, a project's homes in blocks (issue 18 item 1;
-- docs/blocks.md). A block is a number of homes of one kind, home type, tenure and price
-- class, optionally for a target group, delivered with a milestone of the process (a step key
-- of the project's schema, default laatste_oplevering). The price classes are the codes of the
-- dated province classes (processes/provinces/province-exports.json: koop1..4 and huur1..4 by
-- lower bound), with koop_onb / huur_onb for a known tenure without a class and onbekend.
-- Demolition (sloop) is stored as a positive number of homes and counts negative in net
-- figures (net_homes). A correction block (the negative "unknown" counts of the 2020 plan
-- file, engine/core/blocks.h) has a negative number of homes and the correction flag.
-- period_from / period_to: the planned delivery period of the source, in years (NULL: unknown).
-- imported: made by the import of a plan file from its counts; a re-import replaces the
-- imported blocks of the plans it stores, never those added through the API.
-- Every write is audited by the row trigger like the other project sub-resources.
CREATE TABLE project_blocks (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    homes integer NOT NULL,
    kind text NOT NULL DEFAULT 'nieuwbouw' CHECK (kind IN ('nieuwbouw', 'transformatie', 'sloop')),
    home_type text NOT NULL DEFAULT 'onbekend' CHECK (home_type IN ('grondgebonden', 'meergezins', 'onbekend')),
    tenure text NOT NULL DEFAULT 'onbekend' CHECK (tenure IN ('huur', 'koop', 'onbekend')),
    price_class text NOT NULL DEFAULT 'onbekend'
        CHECK (price_class IN ('koop1', 'koop2', 'koop3', 'koop4', 'koop_onb',
                               'huur1', 'huur2', 'huur3', 'huur4', 'huur_onb', 'onbekend')),
    target_group text CHECK (length(target_group) BETWEEN 1 AND 200),
    milestone text NOT NULL DEFAULT 'laatste_oplevering' CHECK (length(milestone) BETWEEN 1 AND 100),
    period_from integer CHECK (period_from BETWEEN 1900 AND 2200),
    period_to integer CHECK (period_to BETWEEN 1900 AND 2200),
    correction boolean NOT NULL DEFAULT false,
    imported boolean NOT NULL DEFAULT false,
    net_homes integer GENERATED ALWAYS AS (CASE WHEN kind = 'sloop' THEN -homes ELSE homes END) STORED,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT project_blocks_homes CHECK (homes > 0 OR (correction AND homes < 0)),
    CONSTRAINT project_blocks_period CHECK (period_to IS NULL OR period_from IS NULL OR period_to >= period_from),
    CONSTRAINT project_blocks_price_tenure CHECK (
        price_class = 'onbekend' OR (tenure = 'koop' AND price_class LIKE 'koop%')
        OR (tenure = 'huur' AND price_class LIKE 'huur%'))
);
CREATE INDEX project_blocks_project ON project_blocks (project_id, created_at, id);

CREATE TRIGGER project_blocks_audit AFTER INSERT OR UPDATE OR DELETE ON project_blocks
    FOR EACH ROW EXECUTE FUNCTION bs_audit_row();
