/*
 * Routes of scheduling (issue 3): start, PATCH, history, what-if, scenarios, checks.
 */
#include "api_internal.h"

bool bs__route_schedule(bs_api *api, bs_req *req, char **seg, int n) {
    (void)api;
    (void)req;
    (void)seg;
    (void)n;
    return false;
}
