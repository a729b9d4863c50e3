/*
 * Process schema -> BPMN 2.0 XML (bpmn.h, bs_bpmn_export; OMG formal/13-12-09).
 *
 * The flow graph: one node per step (task, or intermediate throw event for a milestone), one
 * start and one end event, and a parallel gateway (§10.6.4) wherever a node would otherwise
 * fork or join (bpmnlint's no-implicit-split and fake-join): a step with two or more FS
 * successors gets a split gateway after it, one with two or more FS predecessors a join
 * gateway before it; the start forks to every step without FS predecessors and every step
 * without FS successors joins into the end. Only FS links are sequence flows; every link,
 * with its type and lag, is also a bs:dependency of its successor's bs:step.
 *
 * The layout (§12): column = the node's longest distance from the start (topological level),
 * lane = the step's stream, row = the node's place among the nodes of its lane and column;
 * every cell holds one shape, so no two shapes overlap.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "bpmn.h"
#include "bpmn_internal.h"

enum { COL_W = 200, ROW_H = 130, POOL_X = 100, POOL_Y = 80, LABEL_BAND = 30, LANE_PAD = 20 };

typedef enum nkind { N_TASK, N_MILESTONE, N_START, N_END, N_GATEWAY } nkind;

typedef struct gnode {
    nkind kind;
    char id[96];
    int32_t step; /* step index, or -1 */
    int lane;     /* 0 public, 1 private */
    int level, row;
    int cx, cy, w, h;
} gnode;

typedef struct gflow {
    int src, tgt;
} gflow;

typedef struct graph {
    gnode *nodes;
    int n_nodes;
    gflow *flows;
    int n_flows, cap_flows;
    int *in_node, *out_node; /* per step: the node its FS predecessors reach, the node its successors leave */
    int start, end, levels;
    int rows[2];               /* rows of each lane */
    int *in_first, *in_flow;   /* the flows into node v: in_flow[in_first[v] .. in_first[v + 1]), ascending */
    int *out_first, *out_flow; /* the flows out of node v, likewise */
} graph;

static int add_node(graph *g, nkind kind, int32_t step, int lane, const char *prefix, const char *key) {
    gnode *n = &g->nodes[g->n_nodes];
    memset(n, 0, sizeof *n);
    n->kind = kind;
    n->step = step;
    n->lane = lane;
    snprintf(n->id, sizeof n->id, "%s%s", prefix, key);
    n->w = kind == N_TASK ? 140 : kind == N_GATEWAY ? 50 : 36;
    n->h = kind == N_TASK ? 80 : kind == N_GATEWAY ? 50 : 36;
    return g->n_nodes++;
}

static void add_flow(graph *g, int src, int tgt) {
    if (g->n_flows == g->cap_flows) {
        g->cap_flows = g->cap_flows ? 2 * g->cap_flows : 64;
        g->flows = bs_reallocarray(g->flows, (size_t)g->cap_flows, sizeof *g->flows);
    }
    g->flows[g->n_flows++] = (gflow){src, tgt};
}

static int count_fs(const bs_schema *s, const int32_t *links, int32_t n) {
    int c = 0;
    for (int32_t k = 0; k < n; k++) c += s->links[links[k]].type == BS_LINK_FS;
    return c;
}

/* Steps, their gateways, start and end; in_node/out_node per step. */
static void build_nodes(graph *g, const bs_schema *s) {
    g->nodes = bs_calloc((size_t)s->n_steps * 3 + 4, sizeof *g->nodes);
    g->in_node = bs_calloc((size_t)s->n_steps, sizeof *g->in_node);
    g->out_node = bs_calloc((size_t)s->n_steps, sizeof *g->out_node);
    int32_t first_root = -1, last_sink = -1, roots = 0, sinks = 0;
    for (int32_t i = 0; i < s->n_steps; i++) {
        const bs_step *st = &s->steps[i];
        int lane = st->stream == BS_STREAM_PRIVATE;
        int n_in = count_fs(s, st->preds, st->n_preds), n_out = count_fs(s, st->succs, st->n_succs);
        int node =
            add_node(g, st->milestone ? N_MILESTONE : N_TASK, i, lane, st->milestone ? "Event_" : "Activity_", st->key);
        g->in_node[i] = node;
        g->out_node[i] = node;
        if (n_in >= 2) {
            g->in_node[i] = add_node(g, N_GATEWAY, -1, lane, "Gateway_join_", st->key);
            add_flow(g, g->in_node[i], node);
        }
        if (n_out >= 2) {
            g->out_node[i] = add_node(g, N_GATEWAY, -1, lane, "Gateway_split_", st->key);
            add_flow(g, node, g->out_node[i]);
        }
        if (n_in == 0 && first_root < 0) first_root = i;
        if (n_out == 0) last_sink = i;
        roots += n_in == 0;
        sinks += n_out == 0;
    }
    int start_lane = s->steps[first_root].stream == BS_STREAM_PRIVATE;
    int end_lane = s->steps[last_sink].stream == BS_STREAM_PRIVATE;
    g->start = add_node(g, N_START, -1, start_lane, "StartEvent_", "1");
    g->end = add_node(g, N_END, -1, end_lane, "EndEvent_", "1");
    int start_out = g->start, end_in = g->end;
    if (roots >= 2) {
        start_out = add_node(g, N_GATEWAY, -1, start_lane, "Gateway_", "start");
        add_flow(g, g->start, start_out);
    }
    if (sinks >= 2) {
        end_in = add_node(g, N_GATEWAY, -1, end_lane, "Gateway_", "end");
        add_flow(g, end_in, g->end);
    }
    for (int32_t i = 0; i < s->n_steps; i++) {
        const bs_step *st = &s->steps[i];
        if (count_fs(s, st->preds, st->n_preds) == 0) add_flow(g, start_out, g->in_node[i]);
        for (int32_t k = 0; k < st->n_preds; k++) {
            const bs_link *l = &s->links[st->preds[k]];
            if (l->type == BS_LINK_FS) add_flow(g, g->out_node[l->pred], g->in_node[i]);
        }
        if (count_fs(s, st->succs, st->n_succs) == 0) add_flow(g, g->out_node[i], end_in);
    }
}

/* The flows by target (into) or source (out of), each node's in ascending flow order. */
static void index_flows(const graph *g, bool into, int **first_out, int **flow_out) {
    int *first = bs_calloc((size_t)g->n_nodes + 2, sizeof *first);
    int *flow = bs_calloc((size_t)g->n_flows + 1, sizeof *flow);
    for (int f = 0; f < g->n_flows; f++) first[(into ? g->flows[f].tgt : g->flows[f].src) + 2]++;
    for (int v = 0; v < g->n_nodes; v++) first[v + 2] += first[v + 1];
    for (int f = 0; f < g->n_flows; f++) flow[first[(into ? g->flows[f].tgt : g->flows[f].src) + 1]++] = f;
    *first_out = first;
    *flow_out = flow;
}

static int cmp_flow_src(const void *a, const void *b) {
    const gflow *x = a, *y = b;
    return x->src != y->src ? (x->src < y->src ? -1 : 1) : (x != y ? (x < y ? -1 : 1) : 0);
}

/* Levels by longest path (Kahn's order over the acyclic flow graph), then rows per lane and level. */
static void layout(graph *g) {
    int n = g->n_nodes;
    int *indeg = bs_calloc((size_t)n, sizeof *indeg), *order = bs_calloc((size_t)n, sizeof *order);
    int *first = bs_calloc((size_t)n + 1, sizeof *first);
    gflow *sorted = bs_reallocarray(NULL, (size_t)g->n_flows + 1, sizeof *sorted);
    memcpy(sorted, g->flows, (size_t)g->n_flows * sizeof *sorted);
    qsort(sorted, (size_t)g->n_flows, sizeof *sorted, cmp_flow_src);
    for (int f = 0; f < g->n_flows; f++) {
        indeg[sorted[f].tgt]++;
        first[sorted[f].src + 1]++;
    }
    for (int v = 0; v < n; v++) first[v + 1] += first[v];
    int head = 0, tail = 0;
    for (int v = 0; v < n; v++)
        if (indeg[v] == 0) order[tail++] = v;
    while (head < tail) {
        int v = order[head++];
        for (int f = first[v]; f < first[v + 1]; f++) {
            gnode *t = &g->nodes[sorted[f].tgt];
            if (t->level < g->nodes[v].level + 1) t->level = g->nodes[v].level + 1;
            if (--indeg[sorted[f].tgt] == 0) order[tail++] = sorted[f].tgt;
        }
    }
    g->levels = 0;
    for (int v = 0; v < n; v++)
        if (g->nodes[v].level + 1 > g->levels) g->levels = g->nodes[v].level + 1;
    int *count = bs_calloc((size_t)g->levels * 2, sizeof *count);
    for (int k = 0; k < tail; k++) {
        gnode *v = &g->nodes[order[k]];
        v->row = count[v->level * 2 + v->lane]++;
        if (v->row + 1 > g->rows[v->lane]) g->rows[v->lane] = v->row + 1;
    }
    for (int l = 0; l < 2; l++)
        if (g->rows[l] == 0) g->rows[l] = 1;
    free(count);
    free(indeg);
    free(order);
    free(first);
    free(sorted);
}

static int lane_y(const graph *g, int lane) {
    return POOL_Y + (lane ? g->rows[0] * ROW_H + LANE_PAD : 0);
}
static int lane_h(const graph *g, int lane) {
    return g->rows[lane] * ROW_H + LANE_PAD;
}
static int pool_w(const graph *g) {
    return LABEL_BAND + g->levels * COL_W + 50;
}

static void place(graph *g) {
    for (int v = 0; v < g->n_nodes; v++) {
        gnode *n = &g->nodes[v];
        n->cx = POOL_X + LABEL_BAND + 25 + n->level * COL_W + COL_W / 2;
        n->cy = lane_y(g, n->lane) + LANE_PAD / 2 + n->row * ROW_H + ROW_H / 2;
    }
}

static void graph_free(graph *g) {
    free(g->nodes);
    free(g->flows);
    free(g->in_node);
    free(g->out_node);
    free(g->in_first);
    free(g->in_flow);
    free(g->out_first);
    free(g->out_flow);
}

/* ---- writing ---- */

typedef struct writer {
    bs__xbuf b;
    bs_err *err;
    int rc;
} writer;

static void w_attr(writer *w, const char *name, const char *value) {
    if (!value || w->rc) return;
    bs__xb_printf(&w->b, " %s=\"", name);
    if (!bs__xb_escaped(&w->b, value, true))
        w->rc =
            bs_err_set(w->err, BS_EINVAL, name, "the text of %s holds a control character XML 1.0 cannot carry", name);
    bs__xb_put(&w->b, "\"", 1);
}

static void w_int_attr(writer *w, const char *name, long v) {
    bs__xb_printf(&w->b, " %s=\"%ld\"", name, v);
}

static void w_text_element(writer *w, const char *indent, const char *tag, const char *text) {
    if (!text || w->rc) return;
    bs__xb_printf(&w->b, "%s<%s>", indent, tag);
    if (!bs__xb_escaped(&w->b, text, false))
        w->rc = bs_err_set(w->err, BS_EINVAL, "documentation", "a text holds a control character XML 1.0 cannot carry");
    bs__xb_printf(&w->b, "</%s>\n", tag);
}

static void w_head(writer *w, const bs__schema_doc *d) {
    bs__xb_printf(&w->b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                         "<bpmn:definitions xmlns:bpmn=\"" BS_BPMN_MODEL_NS "\" xmlns:bpmndi=\"" BS_BPMN_DI_NS
                         "\" xmlns:dc=\"" BS_DD_DC_NS "\" xmlns:di=\"" BS_DD_DI_NS "\" xmlns:bs=\"" BS_BPMN_NS
                         "\" id=\"Definitions_1\" targetNamespace=\"" BS_BPMN_NS "\" exporter=\"Bouwstroom\" "
                         "exporterVersion=\"1\">\n"
                         "  <bpmn:collaboration id=\"Collaboration_1\">\n"
                         "    <bpmn:participant id=\"Participant_1\"");
    w_attr(w, "name", d->schema->name);
    bs__xb_printf(&w->b, " processRef=\"Process_1\" />\n  </bpmn:collaboration>\n"
                         "  <bpmn:process id=\"Process_1\"");
    w_attr(w, "name", d->schema->name);
    bs__xb_printf(&w->b, " isExecutable=\"false\">\n");
    w_text_element(w, "    ", "bpmn:documentation", bs__doc_text(d->doc, "description"));
    bs__xb_printf(&w->b, "    <bpmn:extensionElements>\n      <bs:schema");
    w_attr(w, "key", d->schema->key);
    w_int_attr(w, "version", d->schema->version);
    bs__xb_printf(&w->b, " />\n    </bpmn:extensionElements>\n");
}

static void w_lanes(writer *w, const graph *g) {
    static const char *const ids[] = {"Lane_public", "Lane_private"};
    static const char *const names[] = {"Gemeente (publieke stroom)", "Initiatiefnemer (private stroom)"};
    static const char *const streams[] = {"public", "private"};
    bs__xb_printf(&w->b, "    <bpmn:laneSet id=\"LaneSet_1\">\n");
    for (int l = 0; l < 2; l++) {
        bs__xb_printf(&w->b,
                      "      <bpmn:lane id=\"%s\" name=\"%s\">\n        <bpmn:extensionElements>\n"
                      "          <bs:lane stream=\"%s\" />\n        </bpmn:extensionElements>\n",
                      ids[l], names[l], streams[l]);
        for (int v = 0; v < g->n_nodes; v++)
            if (g->nodes[v].lane == l)
                bs__xb_printf(&w->b, "        <bpmn:flowNodeRef>%s</bpmn:flowNodeRef>\n", g->nodes[v].id);
        bs__xb_printf(&w->b, "      </bpmn:lane>\n");
    }
    bs__xb_printf(&w->b, "    </bpmn:laneSet>\n");
}

static void w_dependency(writer *w, const bs__schema_doc *d, int32_t i, int32_t k) {
    const bs_schema *s = d->schema;
    const bs_link *l = &s->links[s->steps[i].preds[k]];
    bs__xb_printf(&w->b, "          <bs:dependency");
    w_attr(w, "step", s->steps[l->pred].key);
    w_attr(w, "type", bs__link_type_name(l->type));
    w_int_attr(w, "lag", l->lag);
    w_attr(w, "lagUnit", bs__unit_name(l->lag_unit));
    w_attr(w, "note", bs__doc_text(bs__doc_dep(d, i, k), "note"));
    bs__xb_printf(&w->b, " />\n");
}

static void w_step_ext(writer *w, const bs__schema_doc *d, int32_t i) {
    const bs_step *st = &d->schema->steps[i];
    bs__xb_printf(&w->b, "      <bpmn:extensionElements>\n        <bs:step");
    w_attr(w, "key", st->key);
    w_attr(w, "phase", st->phase);
    w_int_attr(w, "duration", st->duration);
    w_attr(w, "unit", bs__unit_name(st->unit));
    if (st->statutory) w_attr(w, "statutory", "true");
    if (st->optional) w_attr(w, "optional", "true");
    w_attr(w, "source", st->source);
    bs__xb_printf(&w->b, ">\n");
    for (char **p = st->applies_to_planstatus; p && *p; p++) {
        bs__xb_printf(&w->b, "          <bs:appliesTo");
        w_attr(w, "planstatus", *p);
        bs__xb_printf(&w->b, " />\n");
    }
    for (int32_t k = 0; k < st->n_preds; k++) w_dependency(w, d, i, k);
    bs__xb_printf(&w->b, "        </bs:step>\n      </bpmn:extensionElements>\n");
}

static void w_refs(writer *w, const graph *g, int v) {
    for (int k = g->in_first[v]; k < g->in_first[v + 1]; k++)
        bs__xb_printf(&w->b, "      <bpmn:incoming>Flow_%d</bpmn:incoming>\n", g->in_flow[k] + 1);
    for (int k = g->out_first[v]; k < g->out_first[v + 1]; k++)
        bs__xb_printf(&w->b, "      <bpmn:outgoing>Flow_%d</bpmn:outgoing>\n", g->out_flow[k] + 1);
}

static void w_node(writer *w, const graph *g, const bs__schema_doc *d, int v) {
    static const char *const tags[] = {"bpmn:task", "bpmn:intermediateThrowEvent", "bpmn:startEvent", "bpmn:endEvent",
                                       "bpmn:parallelGateway"};
    const gnode *n = &g->nodes[v];
    bs__xb_printf(&w->b, "    <%s id=\"%s\"", tags[n->kind], n->id);
    if (n->step >= 0) w_attr(w, "name", d->schema->steps[n->step].name);
    if (n->kind == N_START) w_attr(w, "name", "Start");
    if (n->kind == N_END) w_attr(w, "name", "Einde");
    bs__xb_printf(&w->b, ">\n");
    if (n->step >= 0) {
        w_text_element(w, "      ", "bpmn:documentation", bs__doc_text(bs__doc_step(d, n->step), "note"));
        w_step_ext(w, d, n->step);
    }
    w_refs(w, g, v);
    bs__xb_printf(&w->b, "    </%s>\n", tags[n->kind]);
}

static void w_shape(writer *w, const char *id, int x, int y, int wd, int ht, bool horizontal) {
    bs__xb_printf(&w->b, "      <bpmndi:BPMNShape id=\"%s_di\" bpmnElement=\"%s\"%s>\n", id, id,
                  horizontal ? " isHorizontal=\"true\"" : "");
    bs__xb_printf(&w->b, "        <dc:Bounds x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" />\n", x, y, wd, ht);
}

/* The channel above row `row` of a lane: the free band between that row's shapes and the
 * labels of the row above (or the lane's top). */
static int channel_y(const graph *g, int lane, int row) {
    return lane_y(g, lane) + LANE_PAD / 2 + row * ROW_H + 6;
}

/* A flow's edge: out of the source's right side, into the target's left side. To the next
 * column it turns once in the gap between the columns; further it runs to the gap after the
 * source, along the free channel above the target's row and down the gap before the target,
 * so that it never crosses a shape. */
static void w_edge(writer *w, const graph *g, int f) {
    const gnode *a = &g->nodes[g->flows[f].src], *b = &g->nodes[g->flows[f].tgt];
    int x0 = a->cx + a->w / 2, x1 = b->cx - b->w / 2, after = a->cx + COL_W / 2, before = b->cx - COL_W / 2;
    bs__xb_printf(&w->b, "      <bpmndi:BPMNEdge id=\"Flow_%d_di\" bpmnElement=\"Flow_%d\">\n", f + 1, f + 1);
    bs__xb_printf(&w->b, "        <di:waypoint x=\"%d\" y=\"%d\" />\n", x0, a->cy);
    if (b->level > a->level + 1) {
        int y = channel_y(g, b->lane, b->row);
        bs__xb_printf(&w->b, "        <di:waypoint x=\"%d\" y=\"%d\" />\n        <di:waypoint x=\"%d\" y=\"%d\" />\n",
                      after, a->cy, after, y);
        bs__xb_printf(&w->b, "        <di:waypoint x=\"%d\" y=\"%d\" />\n        <di:waypoint x=\"%d\" y=\"%d\" />\n",
                      before, y, before, b->cy);
    } else if (a->cy != b->cy) {
        bs__xb_printf(&w->b, "        <di:waypoint x=\"%d\" y=\"%d\" />\n        <di:waypoint x=\"%d\" y=\"%d\" />\n",
                      before, a->cy, before, b->cy);
    }
    bs__xb_printf(&w->b, "        <di:waypoint x=\"%d\" y=\"%d\" />\n      </bpmndi:BPMNEdge>\n", x1, b->cy);
}

static void w_diagram(writer *w, const graph *g) {
    bs__xb_printf(&w->b, "  <bpmndi:BPMNDiagram id=\"BPMNDiagram_1\">\n"
                         "    <bpmndi:BPMNPlane id=\"BPMNPlane_1\" bpmnElement=\"Collaboration_1\">\n");
    w_shape(w, "Participant_1", POOL_X, POOL_Y, pool_w(g), lane_h(g, 0) + lane_h(g, 1), true);
    bs__xb_printf(&w->b, "      </bpmndi:BPMNShape>\n");
    static const char *const lanes[] = {"Lane_public", "Lane_private"};
    for (int l = 0; l < 2; l++) {
        w_shape(w, lanes[l], POOL_X + LABEL_BAND, lane_y(g, l), pool_w(g) - LABEL_BAND, lane_h(g, l), true);
        bs__xb_printf(&w->b, "      </bpmndi:BPMNShape>\n");
    }
    for (int v = 0; v < g->n_nodes; v++) {
        const gnode *n = &g->nodes[v];
        w_shape(w, n->id, n->cx - n->w / 2, n->cy - n->h / 2, n->w, n->h, false);
        if (n->kind == N_MILESTONE || n->kind == N_START || n->kind == N_END)
            bs__xb_printf(&w->b,
                          "        <bpmndi:BPMNLabel>\n          <dc:Bounds x=\"%d\" y=\"%d\" width=\"%d\" "
                          "height=\"%d\" />\n        </bpmndi:BPMNLabel>\n",
                          n->cx - 70, n->cy + n->h / 2 + 4, 140, 42);
        bs__xb_printf(&w->b, "      </bpmndi:BPMNShape>\n");
    }
    for (int f = 0; f < g->n_flows; f++) w_edge(w, g, f);
    bs__xb_printf(&w->b, "    </bpmndi:BPMNPlane>\n  </bpmndi:BPMNDiagram>\n");
}

int bs_bpmn_export(const char *json, size_t len, char **xml, bs_err *err) {
    *xml = NULL;
    bs__schema_doc d;
    int rc = bs__schema_doc_load(json, len, &d, err);
    if (rc) return rc;
    graph g = {0};
    build_nodes(&g, d.schema);
    layout(&g);
    place(&g);
    index_flows(&g, true, &g.in_first, &g.in_flow);
    index_flows(&g, false, &g.out_first, &g.out_flow);
    writer w = {.err = err};
    w_head(&w, &d);
    w_lanes(&w, &g);
    for (int v = 0; v < g.n_nodes; v++) w_node(&w, &g, &d, v);
    for (int f = 0; f < g.n_flows; f++)
        bs__xb_printf(&w.b, "    <bpmn:sequenceFlow id=\"Flow_%d\" sourceRef=\"%s\" targetRef=\"%s\" />\n", f + 1,
                      g.nodes[g.flows[f].src].id, g.nodes[g.flows[f].tgt].id);
    bs__xb_printf(&w.b, "  </bpmn:process>\n");
    w_diagram(&w, &g);
    bs__xb_printf(&w.b, "</bpmn:definitions>\n");
    graph_free(&g);
    bs__schema_doc_free(&d);
    if (w.rc) {
        free(w.b.p);
        return w.rc;
    }
    *xml = w.b.p;
    return 0;
}
