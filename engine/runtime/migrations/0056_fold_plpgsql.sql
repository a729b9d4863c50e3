-- Bouwstroom store, version 56: bs_fold (0021) in PL/pgSQL instead of SQL, the same expression
-- (issue 17 item 4, docs/performance.md "Import of the real plans").
--
-- bs_fold is the expression of three indexes of projects (the name's trigram index, gemeente,
-- provincie): every project row written calls it three times, an import of the real plans 13,044
-- times. As an IMMUTABLE SQL function around the STABLE unaccent() PostgreSQL cannot inline it and
-- runs the SQL-function executor at every call (≈ 7–9 µs on this machine); PL/pgSQL evaluates the
-- same expression as a cached simple expression (≈ 3.5–5 µs; 4,348 calls, alternating, load ≈ 9:
-- 30–40 ms as SQL, 15–23 ms as PL/pgSQL, 4 ms written out inline). An inlinable form would need an
-- immutable wrapper of unaccent's C function, which only a superuser may create.
--
-- The result is the same for every text (the same expression, the same named dictionary), so the
-- indexes built with the SQL version stay valid; test_name_search.py compares the two.
CREATE OR REPLACE FUNCTION bs_fold(t text) RETURNS text LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
BEGIN
    RETURN lower(public.unaccent('public.unaccent'::regdictionary, t));
END $$;
