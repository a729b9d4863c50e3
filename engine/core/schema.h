/*
 * Bouwstroom engine core: process schemas (steps, milestones, dependencies).
 *
 * A schema is loaded from JSON text (format: docs/process-schema.md). Loading is pure:
 * it takes bytes, not a file. Validation reports every problem at once, each with a
 * JSON path ("$.steps[3].duration").
 */
#ifndef BS_SCHEMA_H
#define BS_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum bs_stream { BS_STREAM_PUBLIC = 0, BS_STREAM_PRIVATE = 1 } bs_stream;

/* Unit of a duration or lag. */
typedef enum bs_unit { BS_UNIT_WORKING_DAYS = 0, BS_UNIT_CALENDAR_DAYS = 1 } bs_unit;

/* Dependency types (PMI Practice Standard for Scheduling; precedence diagramming). */
typedef enum bs_link_type { BS_LINK_FS = 0, BS_LINK_SS, BS_LINK_FF, BS_LINK_SF } bs_link_type;

typedef struct bs_link {
    int32_t pred; /* index into steps */
    int32_t succ; /* index into steps */
    bs_link_type type;
    int32_t lag; /* in lag_unit; negative = lead */
    bs_unit lag_unit;
} bs_link;

typedef struct bs_step {
    char *key;   /* owned; [a-z0-9_]+, unique in the schema */
    char *name;  /* owned; Dutch display name */
    char *phase; /* owned; may be NULL (initiatief, definitie, …) */
    bs_stream stream;
    bool milestone;   /* duration 0 */
    int32_t duration; /* in unit; 0 for milestones */
    bs_unit unit;
    bool statutory;               /* a legal term: its end follows the Algemene termijnenwet (calendar days) */
    char *source;                 /* owned; where the default duration comes from; may be NULL for milestones */
    bool optional;                /* applies only to projects matching applies_to_planstatus */
    char **applies_to_planstatus; /* owned; NULL-terminated list of planstatus codes, or NULL */
    int32_t *preds;               /* owned; indexes of links whose succ is this step */
    int32_t n_preds;
    int32_t *succs; /* owned; indexes of links whose pred is this step */
    int32_t n_succs;
} bs_step;

typedef struct bs_schema {
    char *key;  /* owned; e.g. "ppm-woningbouw" */
    char *name; /* owned */
    int32_t version;
    bs_step *steps; /* owned; n_steps */
    int32_t n_steps;
    bs_link *links; /* owned; n_links */
    int32_t n_links;
    int32_t *topo; /* owned; step indexes in a topological order (n_steps) */
} bs_schema;

/* One validation problem. */
typedef struct bs_schema_problem {
    char *path;    /* owned; JSON path, e.g. "$.steps[4].depends_on[0].step" */
    char *message; /* owned; English, one line */
} bs_schema_problem;

typedef struct bs_schema_problems {
    bs_schema_problem *items; /* owned */
    size_t count;
} bs_schema_problems;

/* Loads and validates a schema from JSON text (len bytes; need not be NUL-terminated).
 * Options: allow_all_link_types = false refuses SS/FF/SF with a clear problem (until the
 * scheduler supports them).
 * Returns a new schema, or NULL with *problems filled (every problem found, in document
 * order: JSON syntax (with line:column), missing/ill-typed fields, duplicate keys, unknown
 * references, negative durations, unknown units or link types, cycles naming their steps).
 * The caller frees the result with bs_schema_free and problems with bs_schema_problems_free. */
bs_schema *bs_schema_load(const char *json, size_t len, bool allow_all_link_types, bs_schema_problems *problems);

/* Frees a schema (NULL is fine). */
void bs_schema_free(bs_schema *s);

/* Frees the problem list contents (the struct itself is the caller's). */
void bs_schema_problems_free(bs_schema_problems *p);

/* Index of the step with this key, or -1. */
int32_t bs_schema_find(const bs_schema *s, const char *key);

/* True when step i applies to a project with this planstatus code (non-optional steps
 * always apply). */
bool bs_schema_step_applies(const bs_schema *s, int32_t i, const char *planstatus);

/* The steps an external developer of the private stream may see (docs/security.md §5): every step of
 * the private stream, and every milestone that a private step depends on, directly or
 * through other steps (transitively over the schema's links, any link type). visible must
 * hold schema->n_steps booleans; it is overwritten. Returns the number of visible steps,
 * or -1 for NULL arguments. Pure. */
int32_t bs_schema_stream_view(const bs_schema *schema, bool *visible);

#endif
