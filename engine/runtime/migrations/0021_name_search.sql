-- Case- and accent-insensitive matching of names for GET /api/v1/projects (q, gemeente,
-- provincie): "Fryslan" and "fryslân" both match "Fryslân". unaccent and pg_trgm ship with
-- PostgreSQL (Debian: the postgresql-15 package) and are trusted extensions: the database
-- owner may create them.
CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public;
CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;

-- The folded form of a name: accents removed (the unaccent rules), then lower case.
-- unaccent() itself is only STABLE (its dictionary could be changed); naming the dictionary
-- makes the result depend on the text alone, so it is declared IMMUTABLE to be indexable.
CREATE FUNCTION bs_fold(t text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT lower(public.unaccent('public.unaccent'::regdictionary, t))
$$;

-- q is a substring search (LIKE '%…%'): a trigram index serves it; the filters are equality.
CREATE INDEX projects_name_fold_trgm ON projects USING gin (bs_fold(name) public.gin_trgm_ops);
CREATE INDEX projects_gemeente_fold ON projects (bs_fold(gemeente));
CREATE INDEX projects_provincie_fold ON projects (bs_fold(provincie));
