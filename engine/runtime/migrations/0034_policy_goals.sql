-- Bouwstroom store, version 34: beleidsdoelen (policy goals) and the change marker of a
-- project's forecast (issue 18 item 3; docs/homes-and-goals.md "Beleidsdoelen").
--
-- policy_goals: a goal of an organisation. measure 'homes' (a number of homes) or 'percentage'
-- (the share, in percent, of the homes delivered in the scope that match the conditions);
-- direction 'minimum' or 'maximum'; period 'by_year' (delivered by 31 December of year_to) or
-- 'per_year' (in every year from year_from to year_to). conditions: a JSON object of code lists
-- (planstatus, plantype, gemeente: of the project; kind, home_type, tenure, price_class,
-- target_group: of the block), validated by the API. gemeenten: NULL = the projects the
-- organisation owns; a list = the projects in these gemeenten whoever owns them (a region goal).
-- Every write is audited by the row trigger.
CREATE TABLE policy_goals (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organisation_id uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    measure text NOT NULL DEFAULT 'homes' CHECK (measure IN ('homes', 'percentage')),
    direction text NOT NULL DEFAULT 'minimum' CHECK (direction IN ('minimum', 'maximum')),
    target numeric NOT NULL CHECK (target >= 0 AND target <= 100000000),
    period text NOT NULL DEFAULT 'by_year' CHECK (period IN ('by_year', 'per_year')),
    year_from integer CHECK (year_from BETWEEN 1900 AND 2200),
    year_to integer NOT NULL CHECK (year_to BETWEEN 1900 AND 2200),
    conditions jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(conditions) = 'object'),
    gemeenten text[] CHECK (cardinality(gemeenten) BETWEEN 1 AND 500),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT policy_goals_percentage CHECK (measure <> 'percentage' OR target <= 100),
    CONSTRAINT policy_goals_years CHECK (
        (period = 'by_year' AND year_from IS NULL)
        OR (period = 'per_year' AND year_from IS NOT NULL AND year_to >= year_from AND year_to - year_from < 100))
);
CREATE INDEX policy_goals_organisation ON policy_goals (organisation_id, created_at, id);

CREATE TRIGGER policy_goals_audit AFTER INSERT OR UPDATE OR DELETE ON policy_goals
    FOR EACH ROW EXECUTE FUNCTION bs_audit_row();

-- The change marker of a project's forecast: a stamp from one sequence, bumped in the statement
-- that changes anything its Monte Carlo forecast reads (its steps, its links, the project's
-- schema, planstatus, progress date, homes, gemeente, custom links, owner, its schedule version,
-- and its owner's calendar). The policy-goal cache (engine/runtime/delivery.h) recomputes a
-- project's samples only when its stamp (or the data date) moved. A project without a row has
-- stamp 0. Statement-level triggers with transition tables: an import of 180,000 step rows
-- costs one upsert per project, not one per row.
CREATE SEQUENCE project_forecast_stamp_seq;
CREATE TABLE project_forecast_stamps (
    project_id uuid PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
    stamp bigint NOT NULL
);

CREATE FUNCTION bs_forecast_stamp_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO project_forecast_stamps (project_id, stamp)
        SELECT d.project_id, nextval('project_forecast_stamp_seq')
          FROM (SELECT DISTINCT project_id FROM old_rows) d JOIN projects p ON p.id = d.project_id
        ON CONFLICT (project_id) DO UPDATE SET stamp = EXCLUDED.stamp;
    ELSE
        INSERT INTO project_forecast_stamps (project_id, stamp)
        SELECT d.project_id, nextval('project_forecast_stamp_seq') FROM (SELECT DISTINCT project_id FROM new_rows) d
        ON CONFLICT (project_id) DO UPDATE SET stamp = EXCLUDED.stamp;
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION bs_forecast_stamp_projects() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO project_forecast_stamps (project_id, stamp)
        SELECT n.id, nextval('project_forecast_stamp_seq') FROM new_rows n
        ON CONFLICT (project_id) DO UPDATE SET stamp = EXCLUDED.stamp;
    ELSE
        INSERT INTO project_forecast_stamps (project_id, stamp)
        SELECT n.id, nextval('project_forecast_stamp_seq') FROM new_rows n JOIN old_rows o ON o.id = n.id
         WHERE (n.process_schema_key, n.process_schema_version, n.planstatus, n.progress_date, n.homes_remaining,
                n.gemeente, n.custom_links, n.owner_organisation_id, n.schedule_version)
               IS DISTINCT FROM
               (o.process_schema_key, o.process_schema_version, o.planstatus, o.progress_date, o.homes_remaining,
                o.gemeente, o.custom_links, o.owner_organisation_id, o.schedule_version)
        ON CONFLICT (project_id) DO UPDATE SET stamp = EXCLUDED.stamp;
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION bs_forecast_stamp_calendar() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO project_forecast_stamps (project_id, stamp)
    SELECT p.id, nextval('project_forecast_stamp_seq')
      FROM new_rows n JOIN old_rows o ON o.id = n.id JOIN projects p ON p.owner_organisation_id = n.id
     WHERE (n.calendar_goede_vrijdag, n.calendar_bevrijdingsdag)
           IS DISTINCT FROM (o.calendar_goede_vrijdag, o.calendar_bevrijdingsdag)
    ON CONFLICT (project_id) DO UPDATE SET stamp = EXCLUDED.stamp;
    RETURN NULL;
END $$;

CREATE TRIGGER project_steps_stamp_ins AFTER INSERT ON project_steps
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION bs_forecast_stamp_rows();
CREATE TRIGGER project_steps_stamp_upd AFTER UPDATE ON project_steps
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION bs_forecast_stamp_rows();
CREATE TRIGGER project_steps_stamp_del AFTER DELETE ON project_steps
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION bs_forecast_stamp_rows();
CREATE TRIGGER project_links_stamp_ins AFTER INSERT ON project_links
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION bs_forecast_stamp_rows();
CREATE TRIGGER project_links_stamp_upd AFTER UPDATE ON project_links
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION bs_forecast_stamp_rows();
CREATE TRIGGER project_links_stamp_del AFTER DELETE ON project_links
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION bs_forecast_stamp_rows();
CREATE TRIGGER projects_stamp_ins AFTER INSERT ON projects
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION bs_forecast_stamp_projects();
CREATE TRIGGER projects_stamp_upd AFTER UPDATE ON projects
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION bs_forecast_stamp_projects();
CREATE TRIGGER organisations_stamp_calendar AFTER UPDATE ON organisations
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION bs_forecast_stamp_calendar();
