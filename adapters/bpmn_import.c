/*
 * BPMN 2.0 XML -> process schema (bpmn.h, bs_bpmn_import; OMG formal/13-12-09).
 *
 * Reads the subset bs_bpmn_export writes, with expat (namespace-aware, no DOCTYPE): every
 * element is looked up in one table of (namespace, name, allowed parent); anything else is
 * refused naming it and its line. Attributes the subset does not use (a modeler's colours,
 * isHorizontal, …) are ignored. The schema is built from the bs: extension elements, the
 * lanes (stream) and the flow nodes (name; task or milestone), checked against the sequence
 * flows (the FS dependencies must be exactly the step-to-step paths through gateways), and
 * validated and written by bs_bpmn_canonical_json.
 */
#include <expat.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "bpmn.h"
#include "bpmn_internal.h"

#define NS_SEP '\x01'
#define MAX_DEPTH 64

typedef enum ekind {
    E_NONE,
    E_DEFINITIONS,
    E_COLLABORATION,
    E_PARTICIPANT,
    E_PROCESS,
    E_DOCUMENTATION,
    E_EXTENSION,
    E_LANESET,
    E_LANE,
    E_FLOWNODEREF,
    E_START,
    E_END,
    E_TASK,
    E_EVENT,
    E_GATEWAY,
    E_FLOW,
    E_INCOMING,
    E_OUTGOING,
    E_DIAGRAM,
    E_PLANE,
    E_SHAPE,
    E_EDGE,
    E_LABEL,
    E_BOUNDS,
    E_WAYPOINT,
    E_BS_SCHEMA,
    E_BS_LANE,
    E_BS_STEP,
    E_BS_APPLIES,
    E_BS_DEP,
} ekind;

#define P(k) (1u << (k))
#define NODE_PARENTS (P(E_START) | P(E_END) | P(E_TASK) | P(E_EVENT) | P(E_GATEWAY))

/* The subset: element, its namespace, where it may stand (parent; for bs: elements also the
 * grandparent, 0 = any). */
static const struct {
    const char *ns, *name;
    ekind kind;
    unsigned parents, grandparents;
} subset[] = {
    // clang-format off
    {BS_BPMN_MODEL_NS, "definitions", E_DEFINITIONS, P(E_NONE), 0},
    {BS_BPMN_MODEL_NS, "collaboration", E_COLLABORATION, P(E_DEFINITIONS), 0},
    {BS_BPMN_MODEL_NS, "participant", E_PARTICIPANT, P(E_COLLABORATION), 0},
    {BS_BPMN_MODEL_NS, "process", E_PROCESS, P(E_DEFINITIONS), 0},
    {BS_BPMN_MODEL_NS, "documentation", E_DOCUMENTATION, P(E_PROCESS) | P(E_TASK) | P(E_EVENT), 0},
    {BS_BPMN_MODEL_NS, "extensionElements", E_EXTENSION, P(E_PROCESS) | P(E_TASK) | P(E_EVENT) | P(E_LANE), 0},
    {BS_BPMN_MODEL_NS, "laneSet", E_LANESET, P(E_PROCESS), 0},
    {BS_BPMN_MODEL_NS, "lane", E_LANE, P(E_LANESET), 0},
    {BS_BPMN_MODEL_NS, "flowNodeRef", E_FLOWNODEREF, P(E_LANE), 0},
    {BS_BPMN_MODEL_NS, "startEvent", E_START, P(E_PROCESS), 0},
    {BS_BPMN_MODEL_NS, "endEvent", E_END, P(E_PROCESS), 0},
    {BS_BPMN_MODEL_NS, "task", E_TASK, P(E_PROCESS), 0},
    {BS_BPMN_MODEL_NS, "intermediateThrowEvent", E_EVENT, P(E_PROCESS), 0},
    {BS_BPMN_MODEL_NS, "parallelGateway", E_GATEWAY, P(E_PROCESS), 0},
    {BS_BPMN_MODEL_NS, "sequenceFlow", E_FLOW, P(E_PROCESS), 0},
    {BS_BPMN_MODEL_NS, "incoming", E_INCOMING, NODE_PARENTS, 0},
    {BS_BPMN_MODEL_NS, "outgoing", E_OUTGOING, NODE_PARENTS, 0},
    {BS_BPMN_DI_NS, "BPMNDiagram", E_DIAGRAM, P(E_DEFINITIONS), 0},
    {BS_BPMN_DI_NS, "BPMNPlane", E_PLANE, P(E_DIAGRAM), 0},
    {BS_BPMN_DI_NS, "BPMNShape", E_SHAPE, P(E_PLANE), 0},
    {BS_BPMN_DI_NS, "BPMNEdge", E_EDGE, P(E_PLANE), 0},
    {BS_BPMN_DI_NS, "BPMNLabel", E_LABEL, P(E_SHAPE) | P(E_EDGE), 0},
    {BS_DD_DC_NS, "Bounds", E_BOUNDS, P(E_SHAPE) | P(E_LABEL), 0},
    {BS_DD_DI_NS, "waypoint", E_WAYPOINT, P(E_EDGE), 0},
    {BS_BPMN_NS, "schema", E_BS_SCHEMA, P(E_EXTENSION), P(E_PROCESS)},
    {BS_BPMN_NS, "lane", E_BS_LANE, P(E_EXTENSION), P(E_LANE)},
    {BS_BPMN_NS, "step", E_BS_STEP, P(E_EXTENSION), P(E_TASK) | P(E_EVENT)},
    {BS_BPMN_NS, "appliesTo", E_BS_APPLIES, P(E_BS_STEP), 0},
    {BS_BPMN_NS, "dependency", E_BS_DEP, P(E_BS_STEP), 0},
    // clang-format on
};

typedef struct inode {
    ekind kind;
    char *id;
    json_t *step; /* the step object (E_TASK, E_EVENT), NULL before its bs:step */
    unsigned long line;
    int stream; /* -1 unknown, 0 public, 1 private */
} inode;

typedef struct iflow {
    char *src, *tgt;
    int s, t; /* node indexes once resolved */
} iflow;

typedef struct ictx {
    XML_Parser p;
    bs_err *err;
    int rc;
    ekind stack[MAX_DEPTH];
    int depth;
    bs__xbuf text; /* character data of documentation and flowNodeRef */
    json_t *doc;
    inode *nodes;
    int n_nodes, cap_nodes;
    iflow *flows;
    int n_flows, cap_flows;
    char **lane_refs; /* flowNodeRef ids */
    int *lane_of_ref; /* their lanes */
    int n_refs, cap_refs;
    int lane_stream[16]; /* per lane, -1 unknown */
    int n_lanes;
} ictx;

__attribute__((format(printf, 4, 5))) static void stop(ictx *c, int code, const char *field, const char *fmt, ...) {
    if (c->rc) return;
    char what[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    c->rc = bs_err_set(c->err, code, field, "line %lu: %s", (unsigned long)XML_GetCurrentLineNumber(c->p), what);
    XML_StopParser(c->p, XML_FALSE);
}

static const char *attr(const XML_Char **atts, const char *name) {
    for (int i = 0; atts[i]; i += 2)
        if (strcmp(atts[i], name) == 0) return atts[i + 1];
    return NULL;
}

/* An integer where the text is one, else the text (the loader then names the field). */
static json_t *number_or_text(const char *v) {
    char *end;
    long long n = strtoll(v, &end, 10);
    return *v && !*end && strlen(v) < 12 ? json_integer(n) : json_string(v);
}

static json_t *amount(const char *value, const char *unit) {
    json_t *o = json_object();
    if (value) json_object_set_new(o, "value", number_or_text(value));
    if (unit) json_object_set_new(o, "unit", json_string(unit));
    return o;
}

static void set_attr(json_t *o, const char *name, const char *value) {
    if (value) json_object_set_new(o, name, json_string(value));
}

/* An xsd:boolean attribute (absent: false); another text stays text, and the loader names the field. */
static json_t *xsd_boolean(const char *v) {
    if (!v || strcmp(v, "false") == 0 || strcmp(v, "0") == 0) return json_false();
    if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0) return json_true();
    return json_string(v);
}

static inode *cur_node(ictx *c) {
    return c->n_nodes ? &c->nodes[c->n_nodes - 1] : NULL;
}

static void new_node(ictx *c, ekind kind, const XML_Char **atts) {
    if (c->n_nodes == c->cap_nodes) {
        c->cap_nodes = c->cap_nodes ? 2 * c->cap_nodes : 64;
        c->nodes = bs_reallocarray(c->nodes, (size_t)c->cap_nodes, sizeof *c->nodes);
    }
    const char *id = attr(atts, "id");
    inode *n = &c->nodes[c->n_nodes++];
    *n = (inode){.kind = kind, .id = bs_strdup(id ? id : ""), .line = XML_GetCurrentLineNumber(c->p), .stream = -1};
    if (kind == E_TASK || kind == E_EVENT) {
        n->step = json_object();
        set_attr(n->step, "name", attr(atts, "name"));
        json_object_set_new(n->step, "milestone", json_boolean(kind == E_EVENT));
    }
}

static void read_bs_step(ictx *c, const XML_Char **atts) {
    json_t *st = cur_node(c)->step;
    if (json_object_get(st, "key")) {
        stop(c, BS_EINVAL, "bs:step", "a second bs:step in flow node '%.100s'", cur_node(c)->id);
        return;
    }
    set_attr(st, "key", attr(atts, "key") ? attr(atts, "key") : "");
    set_attr(st, "phase", attr(atts, "phase"));
    set_attr(st, "source", attr(atts, "source"));
    json_object_set_new(st, "duration", amount(attr(atts, "duration"), attr(atts, "unit")));
    json_object_set_new(st, "statutory", xsd_boolean(attr(atts, "statutory")));
    json_object_set_new(st, "optional", xsd_boolean(attr(atts, "optional")));
    json_object_set_new(st, "depends_on", json_array());
}

static void read_bs_dep(ictx *c, const XML_Char **atts) {
    json_t *dep = json_object();
    set_attr(dep, "step", attr(atts, "step"));
    set_attr(dep, "type", attr(atts, "type"));
    if (attr(atts, "lag") || attr(atts, "lagUnit"))
        json_object_set_new(dep, "lag", amount(attr(atts, "lag"), attr(atts, "lagUnit")));
    set_attr(dep, "note", attr(atts, "note"));
    json_array_append_new(json_object_get(cur_node(c)->step, "depends_on"), dep);
}

static void read_bs_applies(ictx *c, const XML_Char **atts) {
    json_t *st = cur_node(c)->step;
    json_t *at = json_object_get(st, "applies_to");
    if (!at) {
        at = json_pack("{s:[]}", "planstatus");
        json_object_set_new(st, "applies_to", at);
    }
    const char *code = attr(atts, "planstatus");
    json_array_append_new(json_object_get(at, "planstatus"), json_string(code ? code : ""));
}

static void read_flow(ictx *c, const XML_Char **atts) {
    if (c->n_flows == c->cap_flows) {
        c->cap_flows = c->cap_flows ? 2 * c->cap_flows : 64;
        c->flows = bs_reallocarray(c->flows, (size_t)c->cap_flows, sizeof *c->flows);
    }
    const char *s = attr(atts, "sourceRef"), *t = attr(atts, "targetRef");
    c->flows[c->n_flows++] = (iflow){bs_strdup(s ? s : ""), bs_strdup(t ? t : ""), -1, -1};
}

static void read_lane(ictx *c) {
    if (c->n_lanes == (int)(sizeof c->lane_stream / sizeof c->lane_stream[0])) {
        stop(c, BS_EINVAL, "bpmn:lane", "more lanes than the two streams");
        return;
    }
    c->lane_stream[c->n_lanes++] = -1;
}

static void read_bs_lane(ictx *c, const XML_Char **atts) {
    const char *s = attr(atts, "stream");
    int stream = s && strcmp(s, "public") == 0 ? 0 : s && strcmp(s, "private") == 0 ? 1 : -1;
    if (stream < 0) {
        stop(c, BS_EINVAL, "bs:lane", "unknown stream \"%.100s\" (expected public or private)", s ? s : "");
        return;
    }
    c->lane_stream[c->n_lanes - 1] = stream;
}

static void read_element(ictx *c, ekind kind, const XML_Char **atts) {
    switch (kind) {
    case E_PROCESS:
        if (json_object_get(c->doc, "name") || c->n_nodes) {
            stop(c, BS_EINVAL, "bpmn:process", "a second bpmn:process: a schema is one process");
            break;
        }
        set_attr(c->doc, "name", attr(atts, "name") ? attr(atts, "name") : "");
        break;
    case E_BS_SCHEMA:
        set_attr(c->doc, "key", attr(atts, "key"));
        if (attr(atts, "version")) json_object_set_new(c->doc, "version", number_or_text(attr(atts, "version")));
        break;
    case E_LANE: read_lane(c); break;
    case E_BS_LANE: read_bs_lane(c, atts); break;
    case E_START:
    case E_END:
    case E_TASK:
    case E_EVENT:
    case E_GATEWAY: new_node(c, kind, atts); break;
    case E_BS_STEP: read_bs_step(c, atts); break;
    case E_BS_APPLIES: read_bs_applies(c, atts); break;
    case E_BS_DEP: read_bs_dep(c, atts); break;
    case E_FLOW: read_flow(c, atts); break;
    case E_DOCUMENTATION:
    case E_FLOWNODEREF:
        c->text.len = 0;
        bs__xb_put(&c->text, "", 0);
        break;
    default: break;
    }
}

/* "uri\1local\1prefix" (or "uri\1local", or "local") -> kind; E_NONE when outside the subset. */
static ekind lookup(const char *name, char *shown, size_t shown_size) {
    const char *sep = strchr(name, NS_SEP);
    const char *local = sep ? sep + 1 : name;
    const char *sep2 = strchr(local, NS_SEP);
    size_t ns_len = sep ? (size_t)(sep - name) : 0, local_len = sep2 ? (size_t)(sep2 - local) : strlen(local);
    if (sep2)
        snprintf(shown, shown_size, "%s:%.*s", sep2 + 1, (int)local_len, local);
    else
        snprintf(shown, shown_size, "%.*s", (int)local_len, local);
    for (size_t i = 0; i < sizeof subset / sizeof subset[0]; i++)
        if (strlen(subset[i].ns) == ns_len && strncmp(subset[i].ns, name, ns_len) == 0 &&
            strlen(subset[i].name) == local_len && strncmp(subset[i].name, local, local_len) == 0)
            return subset[i].kind;
    return E_NONE;
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **atts) {
    ictx *c = ud;
    if (c->rc) return;
    char shown[200];
    ekind kind = lookup(name, shown, sizeof shown);
    if (kind == E_NONE) {
        stop(c, BS_EINVAL, shown, "element %.150s is outside the BPMN subset Bouwstroom imports", shown);
        return;
    }
    size_t i = 0;
    while (subset[i].kind != kind) i++;
    ekind parent = c->depth ? c->stack[c->depth - 1] : E_NONE;
    ekind grand = c->depth > 1 ? c->stack[c->depth - 2] : E_NONE;
    if (!(subset[i].parents & P(parent)) || (subset[i].grandparents && !(subset[i].grandparents & P(grand)))) {
        stop(c, BS_EINVAL, shown, "element %.150s is not allowed where it stands", shown);
        return;
    }
    if (c->depth == MAX_DEPTH) {
        stop(c, BS_EINVAL, shown, "elements nested deeper than the subset allows");
        return;
    }
    c->stack[c->depth++] = kind;
    read_element(c, kind, atts);
}

static void add_lane_ref(ictx *c, const char *id) {
    if (c->n_refs == c->cap_refs) {
        c->cap_refs = c->cap_refs ? 2 * c->cap_refs : 64;
        c->lane_refs = bs_reallocarray(c->lane_refs, (size_t)c->cap_refs, sizeof *c->lane_refs);
        c->lane_of_ref = bs_reallocarray(c->lane_of_ref, (size_t)c->cap_refs, sizeof *c->lane_of_ref);
    }
    c->lane_refs[c->n_refs] = bs_strdup(id);
    c->lane_of_ref[c->n_refs++] = c->n_lanes - 1;
}

/* The text without leading and trailing white space (in place). */
static char *trimmed(char *s) {
    while (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == '\t')) s[--n] = '\0';
    return s;
}

static void XMLCALL on_end(void *ud, const XML_Char *name) {
    (void)name;
    ictx *c = ud;
    if (c->rc || c->depth == 0) return;
    ekind kind = c->stack[--c->depth];
    ekind parent = c->depth ? c->stack[c->depth - 1] : E_NONE;
    if (kind == E_FLOWNODEREF) add_lane_ref(c, trimmed(c->text.p));
    if (kind == E_DOCUMENTATION && parent == E_PROCESS) set_attr(c->doc, "description", c->text.p);
    if (kind == E_DOCUMENTATION && parent != E_PROCESS) set_attr(cur_node(c)->step, "note", c->text.p);
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len) {
    ictx *c = ud;
    if (c->rc || c->depth == 0) return;
    ekind k = c->stack[c->depth - 1];
    if (k == E_DOCUMENTATION || k == E_FLOWNODEREF) bs__xb_put(&c->text, s, (size_t)len);
}

static void XMLCALL no_doctype(void *ud, const XML_Char *name, const XML_Char *sysid, const XML_Char *pubid,
                               int has_internal) {
    (void)name, (void)sysid, (void)pubid, (void)has_internal;
    stop(ud, BS_EINVAL, "DOCTYPE", "a document type declaration is not accepted");
}

static int parse(ictx *c, const char *xml, size_t len) {
    if (len > (size_t)INT32_MAX)
        return c->rc = bs_err_set(c->err, BS_ETOOLARGE, "xml", "a BPMN file of %zu bytes is too large", len);
    c->p = XML_ParserCreateNS(NULL, NS_SEP);
    XML_SetReturnNSTriplet(c->p, 1);
    XML_SetUserData(c->p, c);
    XML_SetElementHandler(c->p, on_start, on_end);
    XML_SetCharacterDataHandler(c->p, on_text);
    XML_SetStartDoctypeDeclHandler(c->p, no_doctype);
    if (XML_Parse(c->p, xml, (int)len, 1) != XML_STATUS_OK && !c->rc)
        c->rc =
            bs_err_set(c->err, BS_EMALFORMED, "xml", "XML syntax error at %lu:%lu: %s",
                       (unsigned long)XML_GetCurrentLineNumber(c->p),
                       (unsigned long)XML_GetCurrentColumnNumber(c->p) + 1, XML_ErrorString(XML_GetErrorCode(c->p)));
    XML_ParserFree(c->p);
    c->p = NULL;
    return c->rc;
}

/* ---- after parsing: nodes, lanes, flows ---- */

typedef struct idref {
    const char *id;
    int node;
} idref;

static int cmp_id(const void *a, const void *b) {
    return strcmp(((const idref *)a)->id, ((const idref *)b)->id);
}

typedef struct idx {
    idref *order; /* node ids sorted */
    int n;
} idx;

static int find_node(const idx *x, const char *id) {
    idref key = {id, -1};
    const idref *hit = bsearch(&key, x->order, (size_t)x->n, sizeof *x->order, cmp_id);
    return hit ? hit->node : -1;
}

__attribute__((format(printf, 3, 4))) static int fail(ictx *c, const char *field, const char *fmt, ...) {
    char what[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return c->rc = bs_err_set(c->err, BS_EINVAL, field, "%s", what);
}

static int index_nodes(ictx *c, idx *x) {
    x->n = c->n_nodes;
    x->order = bs_calloc((size_t)c->n_nodes + 1, sizeof *x->order);
    for (int i = 0; i < c->n_nodes; i++) x->order[i] = (idref){c->nodes[i].id, i};
    qsort(x->order, (size_t)c->n_nodes, sizeof *x->order, cmp_id);
    for (int i = 1; i < c->n_nodes; i++)
        if (strcmp(x->order[i].id, x->order[i - 1].id) == 0)
            return fail(c, "id", "two flow nodes with the id '%.100s'", x->order[i].id);
    return 0;
}

static int assign_lanes(ictx *c, const idx *x) {
    for (int r = 0; r < c->n_refs; r++) {
        int n = find_node(x, c->lane_refs[r]);
        if (n < 0) return fail(c, "flowNodeRef", "a lane refers to '%.100s', which is no flow node", c->lane_refs[r]);
        int stream = c->lane_stream[c->lane_of_ref[r]];
        if (stream < 0) return fail(c, "bpmn:lane", "a lane without bs:lane names no stream");
        c->nodes[n].stream = stream;
    }
    return 0;
}

static int resolve_flows(ictx *c, const idx *x) {
    for (int f = 0; f < c->n_flows; f++) {
        c->flows[f].s = find_node(x, c->flows[f].src);
        c->flows[f].t = find_node(x, c->flows[f].tgt);
        if (c->flows[f].s < 0 || c->flows[f].t < 0)
            return fail(c, "sequenceFlow", "a sequence flow refers to '%.100s', which is no flow node",
                        c->flows[f].s < 0 ? c->flows[f].src : c->flows[f].tgt);
    }
    return 0;
}

static bool is_step(const inode *n) {
    return n->kind == E_TASK || n->kind == E_EVENT;
}

static const char *step_key(const inode *n) {
    const char *k = bs__doc_text(n->step, "key");
    return k ? k : n->id;
}

/* The flows as adjacency lists: the targets of node v are adj[first[v] .. first[v + 1]). */
typedef struct adjacency {
    int *first, *adj, *stack;
} adjacency;

static void adjacency_build(const ictx *c, adjacency *a) {
    a->first = bs_calloc((size_t)c->n_nodes + 2, sizeof *a->first);
    a->adj = bs_calloc((size_t)c->n_flows + 1, sizeof *a->adj);
    a->stack = bs_calloc((size_t)c->n_nodes + 1, sizeof *a->stack);
    for (int f = 0; f < c->n_flows; f++) a->first[c->flows[f].s + 2]++;
    for (int v = 0; v < c->n_nodes; v++) a->first[v + 2] += a->first[v + 1];
    for (int f = 0; f < c->n_flows; f++) a->adj[a->first[c->flows[f].s + 1]++] = c->flows[f].t;
}

static void adjacency_free(adjacency *a) {
    free(a->first);
    free(a->adj);
    free(a->stack);
}

/* Marks in reach[] the steps reached from step p over paths through gateways only. */
static void reach_steps(const ictx *c, const adjacency *a, int p, int *seen, bool *reach) {
    int top = 0;
    a->stack[top++] = p;
    while (top) {
        int v = a->stack[--top];
        for (int k = a->first[v]; k < a->first[v + 1]; k++) {
            int t = a->adj[k];
            if (seen[t] == p + 1) continue;
            seen[t] = p + 1;
            if (is_step(&c->nodes[t]))
                reach[t] = true;
            else if (c->nodes[t].kind == E_GATEWAY)
                a->stack[top++] = t;
        }
    }
}

/* Whether step t has an FS bs:dependency on the step with key. */
static bool has_fs_dep(const inode *t, const char *key) {
    const json_t *deps = json_object_get(t->step, "depends_on");
    for (size_t k = 0; k < json_array_size(deps); k++) {
        const json_t *d = json_array_get(deps, k);
        const char *type = bs__doc_text(d, "type"), *step = bs__doc_text(d, "step");
        if (step && strcmp(step, key) == 0 && (!type || strcmp(type, "FS") == 0)) return true;
    }
    return false;
}

static int check_flows(ictx *c) {
    int *seen = bs_calloc((size_t)c->n_nodes + 1, sizeof *seen);
    bool *reach = bs_calloc((size_t)c->n_nodes + 1, sizeof *reach);
    int *paths = bs_calloc((size_t)c->n_nodes + 1, sizeof *paths); /* per step: FS paths into it */
    adjacency a;
    adjacency_build(c, &a);
    for (int p = 0; p < c->n_nodes && !c->rc; p++) {
        if (!is_step(&c->nodes[p])) continue;
        memset(reach, 0, (size_t)c->n_nodes * sizeof *reach);
        reach_steps(c, &a, p, seen, reach);
        for (int t = 0; t < c->n_nodes && !c->rc; t++) {
            if (!reach[t]) continue;
            paths[t]++;
            if (!has_fs_dep(&c->nodes[t], step_key(&c->nodes[p])))
                fail(c, "sequenceFlow",
                     "step '%.100s': a sequence flow comes from '%.100s' without an FS bs:dependency on it",
                     step_key(&c->nodes[t]), step_key(&c->nodes[p]));
        }
    }
    for (int t = 0; t < c->n_nodes && !c->rc; t++) {
        if (!is_step(&c->nodes[t])) continue;
        const json_t *deps = json_object_get(c->nodes[t].step, "depends_on");
        int fs = 0;
        for (size_t k = 0; k < json_array_size(deps); k++) {
            const char *type = bs__doc_text(json_array_get(deps, k), "type");
            fs += !type || strcmp(type, "FS") == 0;
        }
        if (fs != paths[t])
            fail(c, "bs:dependency", "step '%.100s': an FS bs:dependency has no sequence flow from its step",
                 step_key(&c->nodes[t]));
    }
    adjacency_free(&a);
    free(seen);
    free(reach);
    free(paths);
    return c->rc;
}

/* The schema document of the parsed nodes: steps in document order. */
static int build_steps(ictx *c) {
    json_t *steps = json_array();
    json_object_set_new(c->doc, "steps", steps);
    for (int i = 0; i < c->n_nodes; i++) {
        inode *n = &c->nodes[i];
        if (!is_step(n)) continue;
        if (!json_object_get(n->step, "key")) {
            char line[32];
            snprintf(line, sizeof line, "%lu", n->line);
            return fail(c, "bs:step", "line %s: flow node '%.100s' has no bs:step extension element (key, duration)",
                        line, n->id);
        }
        if (n->stream < 0) return fail(c, "bpmn:lane", "step '%.100s' is in no lane of a stream", step_key(n));
        json_object_set_new(n->step, "stream", json_string(n->stream ? "private" : "public"));
        json_array_append(steps, n->step);
    }
    return 0;
}

static void ctx_free(ictx *c) {
    for (int i = 0; i < c->n_nodes; i++) {
        free(c->nodes[i].id);
        json_decref(c->nodes[i].step);
    }
    for (int f = 0; f < c->n_flows; f++) {
        free(c->flows[f].src);
        free(c->flows[f].tgt);
    }
    for (int r = 0; r < c->n_refs; r++) free(c->lane_refs[r]);
    free(c->nodes);
    free(c->flows);
    free(c->lane_refs);
    free(c->lane_of_ref);
    free(c->text.p);
    json_decref(c->doc);
}

int bs_bpmn_import(const char *xml, size_t len, char **json, bs_err *err) {
    *json = NULL;
    ictx c = {.err = err, .doc = json_object()};
    idx x = {0};
    if (!parse(&c, xml, len) && !index_nodes(&c, &x) && !assign_lanes(&c, &x) && !resolve_flows(&c, &x) &&
        !build_steps(&c) && !check_flows(&c)) {
        char *text = bs_json_dumps(c.doc, JSON_COMPACT);
        c.rc = bs_bpmn_canonical_json(text, strlen(text), json, err);
        free(text);
    }
    free(x.order);
    int rc = c.rc;
    ctx_free(&c);
    return rc;
}
