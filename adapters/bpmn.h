/*
 * Bouwstroom adapters: BPMN 2.0 exchange of process schemas (docs/process-schema.md "BPMN 2.0
 * exchange"). Pure functions from text to text: a schema document (JSON) to BPMN 2.0 XML with
 * diagram interchange, and the same subset of BPMN back to a schema document. No I/O.
 *
 * The reference is the OMG specification Business Process Model and Notation (BPMN) 2.0.2,
 * document formal/13-12-09: §8.3.5 extension elements, §9 collaboration (participant), §10.3
 * process and lanes, §10.5 events, §10.6 gateways (parallel, §10.6.4), §10.3.3 sequence flow,
 * §12 diagram interchange (BPMNDI).
 */
#ifndef BS_BPMN_H
#define BS_BPMN_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

/* The namespace of Bouwstroom's extension elements (prefix bs). */
#define BS_BPMN_NS "urn:bouwstroom:process-schema:bpmn:1"

/* Exports the process schema document json[0..len) (docs/process-schema.md; SS/FF/SF links
 * allowed) as BPMN 2.0 XML: one process in one participant with two lanes (public, private),
 * steps as tasks, milestones as intermediate throw events, FS links as sequence flows with
 * parallel gateways where a node forks or joins (BPMN 2.0.2 §10.6.4), every field the engine
 * keeps in bs: extension elements (§8.3.5), and BPMNDI shapes laid out left to right by
 * topological level (§12). Returns 0 and *xml (NUL-terminated, free with free()); or
 * BS_EMALFORMED (not JSON) or BS_EINVAL (the schema's problems, each "path: message", in
 * err->msg; a text holding a character XML 1.0 cannot carry, field named); *xml is then NULL. */
int bs_bpmn_export(const char *json, size_t len, char **xml, bs_err *err);

/* Imports BPMN 2.0 XML xml[0..len) of the subset bs_bpmn_export writes (parsed with expat,
 * no DOCTYPE) back to a process schema document, validated by the engine's loader and
 * written in canonical form (bs_bpmn_canonical_json). Returns 0 and *json (free with free());
 * or BS_EMALFORMED (XML syntax, with line:column), BS_ETOOLARGE (over 2 GiB), BS_EINVAL: an element outside the subset
 * (err->field is its prefixed name, err->msg names it and its line), a flow node without
 * its bs:step, a second process, sequence flows that disagree with the FS dependencies, or the schema's
 * problems ("path: message" lines). *json is then NULL. */
int bs_bpmn_import(const char *xml, size_t len, char **json, bs_err *err);

/* The canonical JSON of a process schema document: what the engine keeps of it (every field
 * with its default made explicit: milestone, duration, statutory, optional, link type and
 * lag) and its free texts (description, notes), keys sorted, indented by 2. Two documents
 * are the same schema when their canonical texts are equal. Returns 0 and *out (free());
 * BS_EMALFORMED or BS_EINVAL (problems as in bs_bpmn_export). */
int bs_bpmn_canonical_json(const char *json, size_t len, char **out, bs_err *err);

/* Escapes the NUL-terminated UTF-8 text s for XML 1.0 (W3C XML 1.0 §2.4, §3.3.3): & < > always,
 * " in an attribute, and in an attribute also TAB, LF and CR as character references so
 * that attribute-value normalisation keeps them. Returns a new string (free()), or NULL
 * when s holds a character XML 1.0 cannot carry (controls other than TAB, LF, CR). */
char *bs_xml_escape(const char *s, bool attribute);

#endif
