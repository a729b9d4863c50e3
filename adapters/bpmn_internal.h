/*
 * Shared between bpmn.c, bpmn_export.c and bpmn_import.c (not a public interface).
 */
#ifndef BS_BPMN_INTERNAL_H
#define BS_BPMN_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "schema.h"

#define BS_BPMN_MODEL_NS "http://www.omg.org/spec/BPMN/20100524/MODEL"
#define BS_BPMN_DI_NS "http://www.omg.org/spec/BPMN/20100524/DI"
#define BS_DD_DC_NS "http://www.omg.org/spec/DD/20100524/DC"
#define BS_DD_DI_NS "http://www.omg.org/spec/DD/20100524/DI"

/* A growing NUL-terminated text buffer (p is NULL until the first put). */
typedef struct bs__xbuf {
    char *p;
    size_t len, cap;
} bs__xbuf;

/* Appends n bytes of s (grows the buffer; allocate or abort). */
void bs__xb_put(bs__xbuf *b, const char *s, size_t n);
/* Appends the printf-formatted text (no escaping: for markup and numbers only). */
void bs__xb_printf(bs__xbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s escaped as bs_xml_escape says (bpmn.h). Returns false at a character XML 1.0 cannot
 * carry; the buffer then holds the text up to it. */
bool bs__xb_escaped(bs__xbuf *b, const char *s, bool attribute);

/* A schema document: the loaded schema and its JSON (for the free texts the engine does not keep). */
typedef struct bs__schema_doc {
    bs_schema *schema;
    json_t *doc;
} bs__schema_doc;

/* Loads and validates (SS/FF/SF allowed). Returns 0, or BS_EMALFORMED / BS_EINVAL with every
 * problem as a "path: message" line in err. */
int bs__schema_doc_load(const char *json, size_t len, bs__schema_doc *out, bs_err *err);
void bs__schema_doc_free(bs__schema_doc *d);
/* The string member name of obj, or NULL. */
const char *bs__doc_text(const json_t *obj, const char *name);
/* Step i's object, and its k-th dependency object, of the document (NULL when absent). */
const json_t *bs__doc_step(const bs__schema_doc *d, int32_t i);
const json_t *bs__doc_dep(const bs__schema_doc *d, int32_t i, int32_t k);

/* "working_days" / "calendar_days" of a bs_unit; "FS", "SS", "FF", "SF" of a bs_link_type. */
const char *bs__unit_name(int unit);
const char *bs__link_type_name(int type);

#endif
