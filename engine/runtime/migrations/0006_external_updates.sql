-- Bouwstroom store, version 6: the notifier's position in each project's change history,
-- for "update received from an external party" alerts (changes recorded in
-- schedule_history by a user of an organisation that is not a gemeente).
CREATE TABLE notifier_projects (
    project_id       uuid PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
    last_history_id  bigint NOT NULL DEFAULT 0
);
