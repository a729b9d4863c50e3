/*
 * Routes of forecasts (issue 4): forecast, lead-times.
 */
#include "api_internal.h"

bool bs__route_forecast(bs_api *api, bs_req *req, char **seg, int n) {
    (void)api;
    (void)req;
    (void)seg;
    (void)n;
    return false;
}
