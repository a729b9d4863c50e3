-- Bouwstroom store, version 1: process schemas, projects, per-project step state.
-- Every entity has a UUID (gen_random_uuid() is built into PostgreSQL 13+).

CREATE TABLE process_schemas (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    key         text NOT NULL,
    version     integer NOT NULL,
    name        text NOT NULL,
    definition  jsonb NOT NULL,
    loaded_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (key, version)
);

CREATE TABLE projects (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    source                  text NOT NULL,          -- 'eib-2020', 'sample', 'api'
    source_key              text NOT NULL,          -- key in the source (EIB: OBJECTID)
    name                    text NOT NULL,
    gemeente                text NOT NULL,
    provincie               text NOT NULL,
    plantype                text NOT NULL CHECK (plantype IN
                              ('uitleg','verdichting','transformatie','herstructurering','onbekend')),
    plantype_raw            text,
    planstatus              text NOT NULL CHECK (planstatus IN
                              ('1A','1B','1C','2A','2B','2C','3','4A','4B','onbekend')),
    planstatus_raw          text,
    homes_remaining         integer,                -- Aantalrest: homes still to build
    demolition              integer,                -- Sloop as given (negative)
    completions_2019        integer,                -- OP2019
    completions_2020_2024   integer,                -- OP202024
    completions_2025_2029   integer,                -- Op202529
    completions_2030_2050   integer,                -- Op20302050
    completions_unknown     integer,                -- OPLONB
    type_grondgebonden      integer,                -- WTYPGGB
    type_appartement        integer,                -- WTYPAPP
    type_onbekend           integer,                -- WTYPONB
    tenure_huur             integer,                -- HUUR
    tenure_koop             integer,                -- KOOP
    tenure_onbekend         integer,                -- HRKPONB
    expected_period         text,                   -- latest period with a positive count
    expected_by             date,                   -- last day of expected_period
    data_date               date NOT NULL,          -- datum: the date of the figures
    data_date_estimated     boolean NOT NULL DEFAULT false,
    datum_raw               text,
    schatting               text,
    geometry                jsonb,                  -- GeoJSON geometry
    geometry_crs            text,                   -- e.g. 'EPSG:28992' (RD New)
    process_schema_key      text NOT NULL,
    process_schema_version  integer NOT NULL,
    planned_completion      date,                   -- early finish of laatste_oplevering (critical path)
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    UNIQUE (source, source_key)
);
CREATE INDEX projects_gemeente ON projects (gemeente);
CREATE INDEX projects_provincie ON projects (provincie);
CREATE INDEX projects_planstatus ON projects (planstatus);
CREATE INDEX projects_name_id ON projects (name, id);

CREATE TABLE project_steps (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    project_id        uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    step_key          text NOT NULL,
    status            text NOT NULL CHECK (status IN ('open','started','done','skipped')),
    actual_start      date,
    actual_finish     date,
    actual_estimated  boolean NOT NULL DEFAULT false,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (project_id, step_key)
);
