-- Password reset by mail (docs/security.md §6). A reset secret is HMAC-SHA-256 under the
-- server key of "password-reset:<id>" (as invitation secrets are made); only its SHA-256 is
-- stored (token_hash, redacted in the audit log). It is valid 30 minutes, works once, and a
-- completed reset ends the user's other open reset secrets.
CREATE TABLE password_resets (
    id              uuid PRIMARY KEY,
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash      text NOT NULL UNIQUE,
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    used_at         timestamptz,
    revoked_at      timestamptz,            -- ended by another reset of the same user
    client_address  text                    -- of the request
);
CREATE INDEX password_resets_user ON password_resets (user_id);
CREATE TRIGGER password_resets_audit AFTER INSERT OR UPDATE OR DELETE ON password_resets
    FOR EACH ROW EXECUTE FUNCTION bs_audit_row();

-- The reset mail goes through the alerts outbox (durable, retried) and belongs to no project,
-- like a digest: widen the check that ties a NULL project to the digest kind.
DO $$
DECLARE c text;
BEGIN
    FOR c IN SELECT conname FROM pg_constraint WHERE conrelid = 'alerts'::regclass AND contype = 'c'
             AND pg_get_constraintdef(oid) LIKE '%digest%' AND pg_get_constraintdef(oid) LIKE '%project_id IS NULL%' LOOP
        EXECUTE format('ALTER TABLE alerts DROP CONSTRAINT %I', c);
    END LOOP;
END $$;
ALTER TABLE alerts ADD CONSTRAINT alerts_project_kind CHECK ((kind IN ('digest', 'password_reset')) = (project_id IS NULL));
