-- The login limiter in the database, shared by every node (docs/security.md §6, issue 16):
-- the counters of failed logins per client address and per unknown e-mail address, and of
-- password-reset requests per client address and per e-mail address, lived in one process's
-- memory (two nodes gave an attacker twice the tries). The per-account counters stay in
-- users (0009); they and these rows are now changed by one statement each, under the row's
-- lock, so that concurrent failures (on one node or on several) all count.

-- The policy (a pure function; the same rule as bs_login_record_failure in
-- engine/runtime/auth.c, which tests/unit/test_login_limits.c holds it to): failures count in a window
-- that starts at the first failure; max_failures within window_s seconds lock for lockout_s
-- seconds from the last one and start the counters over; a failure after the window starts a
-- new window; a failure while locked changes nothing. Times are Unix seconds, 0 = none.
CREATE FUNCTION bs_login_step(failures int, first_at bigint, locked_at bigint, now_s bigint, max_failures int,
                              window_s int, lockout_s int,
                              OUT new_failures int, OUT new_first bigint, OUT new_locked bigint)
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    new_failures := failures;
    new_first := first_at;
    new_locked := locked_at;
    IF max_failures < 1 OR window_s < 1 OR lockout_s < 1 OR locked_at > now_s THEN
        RETURN;
    END IF;
    IF failures <= 0 OR first_at = 0 OR now_s - first_at >= window_s OR now_s < first_at THEN
        new_failures := 1;
        new_first := now_s;
    ELSE
        new_failures := failures + 1;
    END IF;
    IF new_failures >= max_failures THEN
        new_locked := now_s + lockout_s;
        new_failures := 0;
        new_first := 0;
    END IF;
END $$;

-- Counters that are not a user's: kind 'login_address' (failed logins from a client address,
-- the address X-Forwarded-For names when the peer is a trusted proxy), 'login_email' (failed
-- logins for an e-mail address without an active account, lower-cased), 'reset_address' and
-- 'reset_email' (password-reset requests). A row whose lock and window have passed
-- (expires_at) means nothing and is deleted by a later failure.
CREATE TABLE login_limits (
    kind            text NOT NULL CHECK (kind IN ('login_address', 'login_email', 'reset_address', 'reset_email')),
    key             text NOT NULL,
    failures        int NOT NULL DEFAULT 0,
    first_failed_at timestamptz,
    locked_until    timestamptz,
    expires_at      timestamptz NOT NULL,
    PRIMARY KEY (kind, key)
);
CREATE INDEX login_limits_expires ON login_limits (expires_at);

-- Records one failure (or counted request) of (kind, key) at now_s under the policy; returns
-- the lock's end (Unix seconds) when the key is locked afterwards, else 0. One row lock: two
-- nodes counting the same key at once both count.
CREATE FUNCTION bs_limit_failure(p_kind text, p_key text, now_s bigint, max_failures int, window_s int,
                                 lockout_s int) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    r login_limits;
    s record;
BEGIN
    INSERT INTO login_limits AS l (kind, key, expires_at) VALUES (p_kind, p_key, to_timestamp(now_s))
        ON CONFLICT (kind, key) DO UPDATE SET failures = l.failures
        RETURNING * INTO r;
    SELECT * INTO s FROM bs_login_step(r.failures, COALESCE(extract(epoch FROM r.first_failed_at)::bigint, 0),
                                       COALESCE(extract(epoch FROM r.locked_until)::bigint, 0), now_s,
                                       max_failures, window_s, lockout_s);
    UPDATE login_limits SET failures = s.new_failures,
           first_failed_at = to_timestamp(NULLIF(s.new_first, 0)),
           locked_until = to_timestamp(NULLIF(s.new_locked, 0)),
           expires_at = to_timestamp(greatest(s.new_locked, CASE WHEN s.new_first > 0 THEN s.new_first + window_s
                                                                 ELSE 0 END, now_s))
     WHERE kind = p_kind AND key = p_key;
    -- rows that mean nothing any more, a few at a time, never waiting for another's lock
    DELETE FROM login_limits d USING (SELECT kind, key FROM login_limits WHERE expires_at < to_timestamp(now_s)
                                      LIMIT 100 FOR UPDATE SKIP LOCKED) x
     WHERE d.kind = x.kind AND d.key = x.key;
    RETURN CASE WHEN s.new_locked > now_s THEN s.new_locked ELSE 0 END;
END $$;

-- The erasure of a person (bs_erase_user, 0016) forgets the counters of their e-mail address
-- too (a reset request names it; the rows would otherwise wait for a later failure to go).
CREATE FUNCTION bs_login_limits_forget() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM login_limits WHERE kind IN ('login_email', 'reset_email') AND key = lower(OLD.email);
    RETURN NULL;
END $$;
CREATE TRIGGER users_erased_login_limits AFTER UPDATE OF erased_at ON users
    FOR EACH ROW WHEN (OLD.erased_at IS NULL AND NEW.erased_at IS NOT NULL)
    EXECUTE FUNCTION bs_login_limits_forget();
