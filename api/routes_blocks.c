/*
 * Routes of woningblokken (issue 18 item 1; docs/blocks.md): a project's blocks of homes —
 * list, add, change, delete. The gate has checked the project and the caller's access (read
 * for the list, write for the changes, as the other project sub-resources); every write runs
 * through bs__store_write, so the audit trigger records its actor.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "api_internal.h"
#include "authz.h"
#include "block_rules.h"
#include "handlers.h"
#include "paging.h"
#include "routes_blocks_sql.h"

typedef struct block_ctx {
    bs_req *req;
    int status; /* of a successful answer */
} block_ctx;

/* Validates the body of a POST (create: homes required) or PATCH with the rules every write
 * path of blocks shares (bs_block_check). The body as compact JSON (caller frees), or NULL
 * after a problem naming the field. */
static char *decode_block(bs_req *req, const bs_engine *e, bool create) {
    json_t *doc = bs__body_object(req, BS_BLOCK_MEMBERS);
    if (!doc) return NULL;
    bs_err err = {0};
    char *text = NULL;
    if (bs_block_check(doc, create, bs_engine_is_milestone, e, &err) != 0)
        bs__fail_err(req, &err, NULL);
    else
        text = bs_json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    return text;
}

/* The field a violated table constraint is about (migration 0031), or NULL. */
static const char *constraint_field(const char *err) {
    if (strstr(err, "project_blocks_homes")) return "homes";
    if (strstr(err, "project_blocks_period")) return "period_to";
    if (strstr(err, "project_blocks_price_tenure")) return "price_class";
    if (strstr(err, "project_blocks_spread")) return "spread";
    return NULL;
}

static void block_written(const PGresult *res, const char *err, void *arg) {
    block_ctx *c = arg;
    const char *field = err ? constraint_field(err) : NULL;
    if (field)
        bs__fail(c->req, BS_EINVAL, field, "the block's %s does not fit its other members (%s)", field,
                 strcmp(field, "homes") == 0         ? "negative homes only in a correction block"
                 : strcmp(field, "price_class") == 0 ? "a koop class needs tenure koop, a huur class tenure huur"
                 : strcmp(field, "spread") == 0      ? "years distinct, percents 1 to 100 summing to 100"
                                                     : "period_to must not be before period_from");
    else
        bs__send_row0(c->req, res, err, c->status, "Block not found", "block_id",
                      "This project has no block with this id");
    free(c);
}

static block_ctx *ctx_new(bs_req *req, int status) {
    block_ctx *c = bs_calloc(1, sizeof *c);
    c->req = req;
    c->status = status;
    return c;
}

void bs__list_blocks(bs_api *api, bs_req *req, const bs_path *path) {
    bs_page *pg = bs__page_new(req);
    if (!pg) return;
    const char *p[3] = {path->project, pg->limit, pg->offset};
    bs_store_exec(api->store, &SQL_BLOCK_LIST, p, bs__page_query_done, pg);
}

void bs__add_block(bs_api *api, bs_req *req, const bs_path *path) {
    char *body = decode_block(req, api->engine, true);
    if (!body) return;
    const char *p[2] = {path->project, body};
    bs__store_write_waking(api, req, &SQL_BLOCK_INSERT, p, block_written, ctx_new(req, 201));
    free(body);
}

void bs__patch_block(bs_api *api, bs_req *req, const bs_path *path) {
    char *body = decode_block(req, api->engine, false);
    if (!body) return;
    const char *p[3] = {path->ref, path->project, body};
    bs__store_write_waking(api, req, &SQL_BLOCK_UPDATE, p, block_written, ctx_new(req, 200));
    free(body);
}

void bs__delete_block(bs_api *api, bs_req *req, const bs_path *path) {
    const char *p[2] = {path->ref, path->project};
    bs__store_write_waking(api, req, &SQL_BLOCK_DELETE, p, block_written, ctx_new(req, 204));
}
