-- Bouwstroom store, version 33: plusvelden, an organisation's own extra fields on projects
-- and blocks (issue 18 item 2; docs/homes-and-goals.md "Plusvelden").
--
-- A definition belongs to an organisation and applies to the projects it owns
-- (projects.owner_organisation_id) or to their blocks. Its rules (min/max, categories, the
-- PCRE2 pattern) are checked by the API before a value is stored (engine/core/plusveld.h);
-- the table's checks only keep the shape. version counts the changes of a definition: the
-- API's compiled-pattern cache is keyed by (id, version). A definition with values is never
-- deleted: it is retired (retired_at), and a retired field is left out of forms (the list of
-- definitions), of reads of current values and of the required check, while its values stay
-- in plusveld_values and in GET …/plusvelden/history.
CREATE TABLE plusveld_definitions (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organisation_id uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    applies_to text NOT NULL DEFAULT 'project' CHECK (applies_to IN ('project', 'block')),
    key text NOT NULL CHECK (key ~ '^[a-z][a-z0-9_]{0,49}$'),
    label_nl text NOT NULL CHECK (length(label_nl) BETWEEN 1 AND 200),
    label_en text NOT NULL CHECK (length(label_en) BETWEEN 1 AND 200),
    type text NOT NULL CHECK (type IN ('text', 'integer', 'decimal', 'date', 'boolean', 'category', 'multi_category')),
    required boolean NOT NULL DEFAULT false,
    required_from_step text CHECK (length(required_from_step) BETWEEN 1 AND 100),
    min_value numeric,
    max_value numeric,
    categories text[],
    pattern text CHECK (length(pattern) BETWEEN 1 AND 500),
    public boolean NOT NULL DEFAULT false,
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    retired_at timestamptz,
    CONSTRAINT plusveld_definitions_required CHECK (required OR required_from_step IS NULL),
    CONSTRAINT plusveld_definitions_range CHECK (min_value IS NULL OR max_value IS NULL OR min_value <= max_value)
);
-- a key names one field of an organisation (projects and blocks together), retired ones included: a
-- retired key is not reused, so history never mixes two meanings under one key
CREATE UNIQUE INDEX plusveld_definitions_key ON plusveld_definitions (organisation_id, key);

CREATE TRIGGER plusveld_definitions_audit AFTER INSERT OR UPDATE OR DELETE ON plusveld_definitions
    FOR EACH ROW EXECUTE FUNCTION bs_audit_row();

-- The values, versioned: every write appends a row (value NULL: cleared); the value as known
-- on a date is the latest row with known_from on or before it. known_from is the API's
-- "today" when the value was written (as schedule_history.known_from). block_id NULL: a
-- value of the project itself. Rows are never updated; they go with their project or block.
CREATE TABLE plusveld_values (
    id bigserial PRIMARY KEY,
    definition_id uuid NOT NULL REFERENCES plusveld_definitions (id),
    project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    block_id uuid REFERENCES project_blocks (id) ON DELETE CASCADE,
    value jsonb,
    known_from date NOT NULL,
    reason text CHECK (length(reason) BETWEEN 1 AND 2000),
    changed_by text NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX plusveld_values_target ON plusveld_values (project_id, block_id, definition_id, id);
CREATE INDEX plusveld_values_definition ON plusveld_values (definition_id);

CREATE TRIGGER plusveld_values_audit AFTER INSERT OR UPDATE OR DELETE ON plusveld_values
    FOR EACH ROW EXECUTE FUNCTION bs_audit_row();

-- The values of a project (p_block NULL) or of one of its blocks as known on p_known_on (NULL:
-- the latest), of the definitions that are not retired, as a JSON object key -> value
-- (cleared values left out). p_public_only: only the definitions flagged public (an openbaar
-- project's public facts).
CREATE FUNCTION bs_plusvelden_values(p_project uuid, p_block uuid, p_known_on date, p_public_only boolean)
RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT COALESCE(jsonb_object_agg(d.key, v.value ORDER BY d.key), '{}'::jsonb)
      FROM plusveld_definitions d
      JOIN projects p ON p.id = p_project AND p.owner_organisation_id = d.organisation_id
      CROSS JOIN LATERAL (
          SELECT x.value FROM plusveld_values x
           WHERE x.definition_id = d.id AND x.project_id = p_project
             AND x.block_id IS NOT DISTINCT FROM p_block
             AND (p_known_on IS NULL OR x.known_from <= p_known_on)
           ORDER BY x.id DESC LIMIT 1) v
     WHERE d.retired_at IS NULL AND d.applies_to = CASE WHEN p_block IS NULL THEN 'project' ELSE 'block' END
       AND (NOT p_public_only OR d.public) AND v.value IS NOT NULL
$$;

-- The required check of a project (p_block NULL) or block: the keys (sorted, a JSON array) of
-- the definitions that are not retired, are required now — always, or from a step on once
-- that step of the project is done — and have no current value.
CREATE FUNCTION bs_plusvelden_missing(p_project uuid, p_block uuid)
RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT COALESCE(jsonb_agg(d.key ORDER BY d.key), '[]'::jsonb)
      FROM plusveld_definitions d
      JOIN projects p ON p.id = p_project AND p.owner_organisation_id = d.organisation_id
     WHERE d.retired_at IS NULL AND d.required
       AND d.applies_to = CASE WHEN p_block IS NULL THEN 'project' ELSE 'block' END
       AND (d.required_from_step IS NULL OR EXISTS (
             SELECT 1 FROM project_steps s WHERE s.project_id = p_project
                AND s.step_key = d.required_from_step AND s.status = 'done'))
       AND NOT EXISTS (
             SELECT 1 FROM (SELECT x.value FROM plusveld_values x
                             WHERE x.definition_id = d.id AND x.project_id = p_project
                               AND x.block_id IS NOT DISTINCT FROM p_block
                             ORDER BY x.id DESC LIMIT 1) l WHERE l.value IS NOT NULL)
$$;

-- Raised by an import that checked a plusveld value against a definition that has changed,
-- been retired or does not belong to the project's owner by the time it is stored: the
-- import's transaction is rolled back rather than store a value its rules were not checked
-- against (adapters/geojson_exchange.c).
CREATE FUNCTION bs_plusveld_stale(p_key text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'plusveld % changed while the import was checked; import again', p_key
        USING ERRCODE = 'serialization_failure';
END $$;
