-- Bouwstroom store, version 9: authentication columns on users (docs/security.md §6).
-- password_hash: Argon2id PHC string ("$argon2id$…", libsodium crypto_pwhash_str); never the
-- password. totp_secret: the base32 TOTP key (RFC 6238); totp_last_step: the last accepted
-- time step (replay guard). failed_logins / first_failed_at / locked_until: the login rate
-- limiter's counters (engine/runtime/auth.h). Nothing reads these yet: authorisation is not
-- enforced (docs/security.md).
ALTER TABLE users
    ADD COLUMN password_hash   text,
    ADD COLUMN totp_secret     text,
    ADD COLUMN totp_last_step  bigint,
    ADD COLUMN is_admin        boolean NOT NULL DEFAULT false,
    ADD COLUMN disabled_at     timestamptz,
    ADD COLUMN failed_logins   int NOT NULL DEFAULT 0,
    ADD COLUMN first_failed_at timestamptz,
    ADD COLUMN locked_until    timestamptz;
