/*
 * Routes of alerts and calendar feeds (issue 5).
 */
#include "api_internal.h"

bool bs__route_notify(bs_api *api, bs_req *req, char **seg, int n) {
    (void)api;
    (void)req;
    (void)seg;
    (void)n;
    return false;
}
