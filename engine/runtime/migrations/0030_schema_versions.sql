-- Process schema versions deployed through the API (issue 19, item 1; docs/process-schema.md
-- "Versions").
--
-- process_schemas holds the versions deployed through POST /api/v1/process-schemas. The
-- shipped schemas of processes/ are version 1 of their key (national) and stay in memory,
-- not in this table: bs_is_milestone (0011) reads a stored definition when there is one, so
-- storing the shipped schema would change what the adapters report for every existing project.
-- A version belongs to an organisation, or is national (organisation_id NULL).

ALTER TABLE process_schemas
    ADD COLUMN organisation_id uuid REFERENCES organisations(id);
CREATE INDEX process_schemas_org ON process_schemas (organisation_id);

-- A version is immutable once a project uses it: no update or delete of a version any
-- project refers to.
CREATE FUNCTION bs_schema_version_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM projects WHERE process_schema_key = OLD.key
                                         AND process_schema_version = OLD.version) THEN
        RAISE EXCEPTION 'process schema % version % is used by a project and cannot change', OLD.key, OLD.version
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;
CREATE TRIGGER process_schemas_immutable BEFORE UPDATE OR DELETE ON process_schemas
    FOR EACH ROW EXECUTE FUNCTION bs_schema_version_immutable();

CREATE TRIGGER process_schemas_audit AFTER INSERT OR UPDATE OR DELETE ON process_schemas
    FOR EACH ROW EXECUTE FUNCTION bs_audit_row();

-- Which version of a schema key new projects of an organisation get (no row: the shipped
-- version 1). PUT /api/v1/organisations/{id}/process-schema-versions/{key}.
CREATE TABLE organisation_schema_versions (
    organisation_id uuid NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    schema_key      text NOT NULL,
    version         integer NOT NULL CHECK (version >= 1),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organisation_id, schema_key)
);
CREATE TRIGGER organisation_schema_versions_audit AFTER INSERT OR UPDATE OR DELETE ON organisation_schema_versions
    FOR EACH ROW EXECUTE FUNCTION bs_audit_row();
