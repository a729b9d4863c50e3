/*
 * Bouwstroom adapters: values in COPY's text format (PostgreSQL docs, COPY, "Text Format"),
 * the encoder of the import pipeline's staging rows (import_pipeline.c). Pure: no I/O.
 *
 * A row is its fields separated by a tab and ended by a newline. A field is the value's text
 * with backslash, tab, newline and carriage return written as \\, \t, \n and \r (so no field
 * can end a row, split it, or read as the end-of-data marker \.); SQL NULL is \N. Other bytes,
 * UTF-8 included, are copied as they are.
 */
#ifndef BS_COPY_TEXT_H
#define BS_COPY_TEXT_H

#include <jansson.h>
#include <stddef.h>

/* A growing buffer of COPY text: p (owned, freed with free) holds len bytes and a NUL after
 * them; zero-initialise it before the first append. Appending never fails (alloc.h aborts). */
typedef struct bs_copy_buf {
    char *p;
    size_t len, cap;
} bs_copy_buf;

/* Appends n bytes of s as they are (a separator, a row's end). */
void bs_copy_put(bs_copy_buf *o, const char *s, size_t n);

/* Appends n bytes of s as one text field: \, tab, newline and carriage return escaped. */
void bs_copy_text(bs_copy_buf *o, const char *s, size_t n);

/* Appends the JSON value v (may be NULL) as one field: a string as text (bs_copy_text); an
 * integer in decimal; a real with 17 significant digits (%.17g: it reads back as the same
 * double); true and false as t and f; an array as a PostgreSQL array literal of its string
 * elements ({"a","b"}: every element quoted with " and \ escaped, a non-string element as
 * NULL), itself escaped as text; an object printed by json_dumps with json_flags (jansson's
 * flags: the same text gives the same jsonb), escaped as text; null or NULL as \N. */
void bs_copy_field(bs_copy_buf *o, const json_t *v, size_t json_flags);

#endif
