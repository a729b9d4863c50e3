-- Bouwstroom store, version 29: an organisation's settings (issue 15, Administration).
-- The options of its working-day calendar (engine/core/calendar.h bs_calendar_options, the
-- "calendar" object of the offline schedule input, docs/scheduling.md §9): Goede Vrijdag a
-- day off or not, and when 5 May (Bevrijdingsdag) is one: never, in lustrum years, yearly.
-- The defaults are bs_calendar_default_options(). The stale-project threshold is
-- stale_after_months (0018).
ALTER TABLE organisations
    ADD COLUMN calendar_goede_vrijdag boolean NOT NULL DEFAULT false,
    ADD COLUMN calendar_bevrijdingsdag text NOT NULL DEFAULT 'lustrum'
        CHECK (calendar_bevrijdingsdag IN ('never', 'lustrum', 'yearly'));

-- Every schedule, forecast and alert of a project counts working days on its owner
-- organisation's calendar (bs_project_state.cal, engine/runtime/engine.h): a changed calendar
-- re-plans the alerts of the organisation's projects that can cause any (as 0004's
-- bs_mark_projects_dirty: followed, with a role, or with a feed).
CREATE FUNCTION bs_org_calendar_dirty() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO notifier_dirty (project_id)
    SELECT p.id FROM new_rows n JOIN old_rows o ON o.id = n.id
      JOIN projects p ON p.owner_organisation_id = n.id
     WHERE (n.calendar_goede_vrijdag, n.calendar_bevrijdingsdag)
           IS DISTINCT FROM (o.calendar_goede_vrijdag, o.calendar_bevrijdingsdag)
       AND (EXISTS (SELECT 1 FROM follows f WHERE f.project_id = p.id)
         OR EXISTS (SELECT 1 FROM project_roles r WHERE r.project_id = p.id)
         OR EXISTS (SELECT 1 FROM feed_tokens t WHERE t.project_id = p.id AND t.revoked_at IS NULL))
    ON CONFLICT DO NOTHING;
    IF FOUND THEN
        PERFORM pg_notify('bs_notifier', '');
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER organisations_calendar_dirty AFTER UPDATE ON organisations
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION bs_org_calendar_dirty();
