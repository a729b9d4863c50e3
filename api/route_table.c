/*
 * Bouwstroom API: the route table — every endpoint once (router.h). To add an endpoint:
 * add its operation to docs/openapi.json, a row here, and its handler (docs/architecture.md
 * "Adding an endpoint").
 *
 * Default deny: a request that matches no row never reaches a handler.
 */
#include "handlers.h"
#include "http.h"

#define UPLOAD BS_HTTP_MAX_UPLOAD_BYTES
#define PAGE "page page_size"

const bs_route bs_routes[] = {
    /* service */
    /* liveness (the process serves) and readiness (a writable primary, migrations, workers) */
    {"GET", "/healthz", BS_NEED_PROBE, "", bs__health, "health", 0},
    {"GET", "/readyz", BS_NEED_PROBE, "", bs__ready, "ready", 0},
    {"GET", "/api/v1/openapi.json", BS_NEED_PUBLIC, "", bs__openapi, "openapi", 0},
    /* what the browser app needs before login: map tiles, languages */
    {"GET", "/api/v1/app-config", BS_NEED_PUBLIC, "", bs__app_config, "getAppConfig", 0},

    /* sessions and credentials */
    {"POST", "/api/v1/login", BS_NEED_PUBLIC, "", bs__login, "login", 0},
    {"POST", "/api/v1/logout", BS_NEED_USER, "", bs__logout, "logout", 0},
    {"GET", "/api/v1/me", BS_NEED_USER, "", bs__me, "me", 0},
    {"POST", "/api/v1/invitations/accept", BS_NEED_PUBLIC, "", bs__accept_invitation, "acceptInvitation", 0},
    /* always 202 with the same body, whether the address is known or not */
    {"POST", "/api/v1/password-reset", BS_NEED_PUBLIC, "", bs__request_reset, "requestPasswordReset", 0},
    /* the mailed secret is the credential */
    {"POST", "/api/v1/password-reset/confirm", BS_NEED_PUBLIC, "", bs__confirm_reset, "confirmPasswordReset", 0},
    {"GET", "/api/v1/api-tokens", BS_NEED_USER, PAGE, bs__list_api_tokens, "listApiTokens", 0},
    {"POST", "/api/v1/api-tokens", BS_NEED_USER, "", bs__create_api_token, "createApiToken", 0},
    {"DELETE", "/api/v1/api-tokens/{id}", BS_NEED_USER, "", bs__revoke_api_token, "revokeApiToken", 0},

    /* people and organisations */
    {"POST", "/api/v1/organisations", BS_NEED_INSTALL_ADMIN, "", bs__create_org, "createOrganisation", 0},
    /* its beheerders and administrators: the settings (calendar options, stale-project threshold) */
    {"GET", "/api/v1/organisations/{id}", BS_NEED_ORG_ADMIN, "", bs__get_org, "getOrganisation", 0},
    /* settings: its beheerders; name, region, provincie: administrators of the installation */
    {"PATCH", "/api/v1/organisations/{id}", BS_NEED_ORG_ADMIN, "", bs__patch_org, "patchOrganisation", 0},
    /* an organisation's users: its beheerders and administrators */
    {"GET", "/api/v1/users", BS_NEED_ORG_ADMIN, PAGE " organisation_id", bs__list_org_users, "listUsers", 0},
    {"POST", "/api/v1/users", BS_NEED_ORG_ADMIN, "", bs__create_user, "createUser", 0},
    /* self, an administrator, or a beheerder of the user's organisation */
    {"GET", "/api/v1/users/{id}", BS_NEED_USER, "", bs__get_user, "getUser", 0},
    /* own settings (an administrator: anyone's): digest, mail language, effective alert rules */
    {"PATCH", "/api/v1/users/{id}", BS_NEED_USER, "", bs__patch_user, "patchUser", 0},
    {"GET", "/api/v1/users/{id}/alert-settings", BS_NEED_USER, "", bs__get_alert_settings, "getAlertSettings", 0},
    /* a user's active sessions; ends them all: self, an administrator, or a beheerder of the user's organisation */
    {"GET", "/api/v1/users/{id}/sessions", BS_NEED_USER, PAGE, bs__list_user_sessions, "listUserSessions", 0},
    {"DELETE", "/api/v1/users/{id}/sessions", BS_NEED_USER, "", bs__revoke_user_sessions, "revokeUserSessions", 0},
    /* erasure of a person (AVG art. 17) */
    {"POST", "/api/v1/users/{id}/erase", BS_NEED_INSTALL_ADMIN, "", bs__erase_user, "eraseUser", 0},

    /* plusvelden, an organisation's own fields: its users read the definitions (a form), its beheerders write
     * (the handler narrows); DELETE retires a definition that has values */
    {"GET", "/api/v1/organisations/{id}/plusvelden", BS_NEED_USER, PAGE " retired applies_to", bs__list_plusvelden,
     "listPlusvelden", 0},
    {"POST", "/api/v1/organisations/{id}/plusvelden", BS_NEED_ORG_ADMIN, "", bs__add_plusveld, "addPlusveld", 0},
    {"PATCH", "/api/v1/organisations/{id}/plusvelden/{key}", BS_NEED_ORG_ADMIN, "", bs__patch_plusveld, "patchPlusveld",
     0},
    {"DELETE", "/api/v1/organisations/{id}/plusvelden/{key}", BS_NEED_ORG_ADMIN, "", bs__delete_plusveld,
     "deletePlusveld", 0},

    /* process schemas and lead times */
    {"GET", "/api/v1/process-schemas", BS_NEED_USER, PAGE, bs__list_schemas, "listProcessSchemas", 0},
    {"GET", "/api/v1/process-schemas/{key}", BS_NEED_USER, "", bs__get_schema, "getProcessSchema", 0},
    {"GET", "/api/v1/process-schemas/{key}/bpmn", BS_NEED_USER, "", bs__get_schema_bpmn, "getProcessSchemaBpmn", 0},
    /* versions deployed through the API (issue 19): beheerders for their organisation, national
     * ones an administrator of the installation (the handler narrows) */
    {"POST", "/api/v1/process-schemas", BS_NEED_ORG_ADMIN, "", bs__deploy_schema, "deployProcessSchema", UPLOAD},
    {"GET", "/api/v1/process-schemas/{key}/versions", BS_NEED_USER, PAGE, bs__list_schema_versions,
     "listProcessSchemaVersions", 0},
    {"GET", "/api/v1/process-schemas/{key}/versions/{n}", BS_NEED_USER, "", bs__get_schema_version,
     "getProcessSchemaVersion", 0},
    /* which version new projects of an organisation get: its beheerders (the handler narrows) */
    {"GET", "/api/v1/organisations/{id}/process-schema-versions", BS_NEED_ORG_ADMIN, PAGE, bs__list_org_schema_versions,
     "listOrganisationSchemaVersions", 0},
    {"PUT", "/api/v1/organisations/{id}/process-schema-versions/{key}", BS_NEED_ORG_ADMIN, "",
     bs__put_org_schema_version, "setOrganisationSchemaVersion", 0},
    /* moving projects to another version (issue 19 item 2): one project its projectleider; every
     * project of an organisation its beheerders (the handler narrows), of the installation its
     * administrators; a job's state who may start it */
    {"POST", "/api/v1/projects/{id}/migrate", BS_NEED_PROJECT_LEAD, "", bs__migrate_project, "migrateProject", 0},
    {"POST", "/api/v1/organisations/{id}/migrations", BS_NEED_ORG_ADMIN, "", bs__start_migration,
     "migrateOrganisationProjects", 0},
    {"POST", "/api/v1/migrations", BS_NEED_INSTALL_ADMIN, "", bs__start_migration, "migrateAllProjects", 0},
    {"GET", "/api/v1/migrations/{job_id}", BS_NEED_ORG_ADMIN, "", bs__get_migration, "getMigration", 0},
    {"GET", "/api/v1/process-schemas/{key}/diff", BS_NEED_USER, "from to rename", bs__diff_schema_versions,
     "diffProcessSchemaVersions", 0},
    {"GET", "/api/v1/lead-times", BS_NEED_USER, "step gemeente size_class schema", bs__get_lead_times, "getLeadTimes",
     0},
    {"GET", "/api/v1/reports/aggregate", BS_NEED_USER, "group_by", bs__aggregate, "aggregate", 0},
    /* dashboards: the caller's projects, aggregate-only ones under the k = 5 rule (docs/security.md §3b) */
    {"GET", "/api/v1/dashboard", BS_NEED_USER, "view group_by", bs__dashboard, "getDashboard", 0},
    /* the public figures: openbaar projects only, whoever asks */
    {"GET", "/api/v1/public/dashboard", BS_NEED_PUBLIC, "view group_by", bs__public_dashboard, "getPublicDashboard", 0},
    {"GET", "/api/v1/public/projects", BS_NEED_PUBLIC, PAGE, bs__public_projects, "listPublicProjects", 0},

    /* projects: anonymous callers see openbaar projects only */
    {"GET", "/api/v1/projects", BS_NEED_PUBLIC,
     PAGE " gemeente provincie planstatus plantype q mine knelpunt sort geometry", bs__list_projects, "listProjects",
     0},
    {"GET", "/api/v1/projects/{id}", BS_NEED_PROJECT_VIEW, "", bs__get_project, "getProject", 0},
    {"PATCH", "/api/v1/projects/{id}", BS_NEED_PROJECT_LEAD, "", bs__patch_project, "patchProject", 0},
    /* stream access: the schedule filtered to the caller's stream */
    {"GET", "/api/v1/projects/{id}/schedule", BS_NEED_PROJECT_VIEW, "known_on near_critical_days", bs__get_schedule,
     "getSchedule", 0},
    {"GET", "/api/v1/projects/{id}/forecast", BS_NEED_PROJECT_PUBLIC, "samples seed", bs__get_forecast, "getForecast",
     0},
    /* public access: without changed_by and reason */
    {"GET", "/api/v1/projects/{id}/history", BS_NEED_PROJECT_PUBLIC, "step", bs__get_history, "getHistory", 0},
    {"GET", "/api/v1/projects/{id}/checks", BS_NEED_PROJECT_PUBLIC,
     "high_float_days high_duration_days missing_logic_max_percent leads_max_percent lags_max_percent "
     "fs_share_min_percent hard_constraints_max_percent high_float_max_percent negative_float_max_percent "
     "high_duration_max_percent out_of_sequence_max_percent",
     bs__get_checks, "getChecks", 0},
    /* computes from the public facts and stores nothing */
    {"POST", "/api/v1/projects/{id}/what-if", BS_NEED_PROJECT_PUBLIC, "", bs__what_if, "whatIf", 0},
    {"GET", "/api/v1/projects/{id}/blocks", BS_NEED_PROJECT_READ, PAGE, bs__list_blocks, "listBlocks", 0},
    {"POST", "/api/v1/projects/{id}/blocks", BS_NEED_PROJECT_WRITE, "", bs__add_block, "addBlock", 0},
    {"PATCH", "/api/v1/projects/{id}/blocks/{block_id}", BS_NEED_PROJECT_WRITE, "", bs__patch_block, "patchBlock", 0},
    {"DELETE", "/api/v1/projects/{id}/blocks/{block_id}", BS_NEED_PROJECT_WRITE, "", bs__delete_block, "deleteBlock",
     0},
    /* plusvelden values (docs/homes-and-goals.md): history keeps retired fields */
    {"GET", "/api/v1/projects/{id}/plusvelden", BS_NEED_PROJECT_READ, "known_on", bs__get_project_plusvelden,
     "getProjectPlusvelden", 0},
    {"PATCH", "/api/v1/projects/{id}/plusvelden", BS_NEED_PROJECT_WRITE, "", bs__patch_project_plusvelden,
     "patchProjectPlusvelden", 0},
    {"GET", "/api/v1/projects/{id}/plusvelden/history", BS_NEED_PROJECT_READ, PAGE, bs__get_plusvelden_history,
     "getPlusveldenHistory", 0},
    {"GET", "/api/v1/projects/{id}/blocks/{block_id}/plusvelden", BS_NEED_PROJECT_READ, "known_on",
     bs__get_block_plusvelden, "getBlockPlusvelden", 0},
    {"PATCH", "/api/v1/projects/{id}/blocks/{block_id}/plusvelden", BS_NEED_PROJECT_WRITE, "",
     bs__patch_block_plusvelden, "patchBlockPlusvelden", 0},
    {"GET", "/api/v1/projects/{id}/scenarios", BS_NEED_PROJECT_READ, PAGE, bs__list_scenarios, "listScenarios", 0},
    {"POST", "/api/v1/projects/{id}/scenarios", BS_NEED_PROJECT_WRITE, "", bs__save_scenario, "saveScenario", 0},
    /* own scenario; anyone's: lead */
    {"DELETE", "/api/v1/projects/{id}/scenarios/{sid}", BS_NEED_PROJECT_WRITE, "", bs__delete_scenario,
     "deleteScenario", 0},
    {"GET", "/api/v1/projects/{id}/scenarios/{sid}/compare", BS_NEED_PROJECT_READ, "", bs__compare_scenario,
     "compareScenario", 0},
    {"POST", "/api/v1/projects/{id}/scenarios/{sid}/apply", BS_NEED_PROJECT_LEAD, "", bs__apply_scenario,
     "applyScenario", 0},
    {"PATCH", "/api/v1/projects/{id}/steps/{key}", BS_NEED_STEP_WRITE, "", bs__patch_step, "patchStep", 0},
    {"POST", "/api/v1/projects/{id}/steps/{key}/start", BS_NEED_STEP_WRITE, "", bs__start_step, "startStep", 0},
    {"POST", "/api/v1/projects/{id}/steps/{key}/complete", BS_NEED_STEP_WRITE, "", bs__complete_step, "completeStep",
     0},
    /* another user than the caller: lead */
    {"POST", "/api/v1/projects/{id}/follows", BS_NEED_PROJECT_READ, "", bs__follow, "follow", 0},
    {"DELETE", "/api/v1/projects/{id}/follows/{user_id}", BS_NEED_PROJECT_READ, "", bs__unfollow, "unfollow", 0},
    {"POST", "/api/v1/projects/{id}/roles", BS_NEED_PROJECT_LEAD, "", bs__add_role, "addRole", 0},
    {"GET", "/api/v1/projects/{id}/members", BS_NEED_PROJECT_READ, PAGE, bs__list_members, "listMembers", 0},
    {"POST", "/api/v1/projects/{id}/members", BS_NEED_PROJECT_LEAD, "", bs__add_member, "addMember", 0},
    {"POST", "/api/v1/projects/{id}/invitations", BS_NEED_PROJECT_LEAD, "", bs__invite, "inviteExternal", 0},
    {"GET", "/api/v1/projects/{id}/audit", BS_NEED_PROJECT_LEAD, PAGE, bs__project_audit, "projectAudit", 0},

    /* beleidsdoelen (policy goals): members of the goal's organisation read (not extern); its
     * beheerders and management write (the handler narrows); the progress lists projects the caller
     * may not read without id and name */
    {"GET", "/api/v1/goals", BS_NEED_USER, PAGE " organisation_id", bs__list_goals, "listGoals", 0},
    {"POST", "/api/v1/goals", BS_NEED_USER, "", bs__create_goal, "createGoal", 0},
    {"GET", "/api/v1/goals/{id}", BS_NEED_USER, "", bs__get_goal, "getGoal", 0},
    {"PATCH", "/api/v1/goals/{id}", BS_NEED_USER, "", bs__patch_goal, "patchGoal", 0},
    {"DELETE", "/api/v1/goals/{id}", BS_NEED_USER, "", bs__delete_goal, "deleteGoal", 0},
    {"GET", "/api/v1/goals/{id}/progress", BS_NEED_USER, "", bs__goal_progress, "getGoalProgress", 0},

    /* alerts and calendar feeds: own rules and tokens; organisation rules: beheerder */
    {"GET", "/api/v1/alert-rules", BS_NEED_USER, PAGE " organisation_id user_id", bs__list_rules, "listAlertRules", 0},
    {"PUT", "/api/v1/alert-rules", BS_NEED_USER, "", bs__put_rule, "putAlertRule", 0},
    {"GET", "/api/v1/feed-tokens", BS_NEED_USER, PAGE " user_id project_id", bs__list_feed_tokens, "listFeedTokens", 0},
    /* project feeds: read access checked in SQL */
    {"POST", "/api/v1/feed-tokens", BS_NEED_USER, "", bs__create_feed_token, "createFeedToken", 0},
    {"DELETE", "/api/v1/feed-tokens/{id}", BS_NEED_USER, "", bs__revoke_feed_token, "revokeFeedToken", 0},
    /* own alerts (all for an administrator) */
    {"GET", "/api/v1/alerts", BS_NEED_USER, PAGE " status user_id project_id include", bs__list_alerts, "listAlerts",
     0},
    /* own alerts still to be sent, with their reasons */
    {"GET", "/api/v1/alerts/upcoming", BS_NEED_USER, PAGE, bs__list_upcoming_alerts, "listUpcomingAlerts", 0},
    /* the projects the caller follows */
    {"GET", "/api/v1/follows", BS_NEED_USER, PAGE, bs__list_follows, "listFollows", 0},
    /* the feed token is the credential */
    {"GET", "/calendar/{token}.ics", BS_NEED_PUBLIC, "", bs__get_feed, "getFeed", 0},
    /* the link's token is the credential; GET changes nothing, POST is RFC 8058's one click */
    {"GET", "/unsubscribe/{token}", BS_NEED_PUBLIC, "", bs__unsubscribe, "getUnsubscribe", 0},
    {"POST", "/unsubscribe/{token}", BS_NEED_PUBLIC, "", bs__unsubscribe, "postUnsubscribe", 0},

    /* exchange: exports hold only projects the caller may read; imports and the adapter
     * outbox are the installation administrator's */
    {"GET", "/api/v1/exports/{key}", BS_NEED_USER, "date part format", bs__get_export, "provinceExport", 0},
    {"GET", "/api/v1/exchange/geojson", BS_NEED_USER, "crs", bs__get_geojson, "exportGeojson", 0},
    {"POST", "/api/v1/exchange/geojson", BS_NEED_INSTALL_ADMIN, "", bs__post_geojson, "importGeojson", UPLOAD},
    {"POST", "/api/v1/exchange/xlsx", BS_NEED_INSTALL_ADMIN, "source sheet", bs__post_xlsx, "importXlsx", UPLOAD},
    /* no data: headers and column descriptions */
    {"GET", "/api/v1/exchange/xlsx/template", BS_NEED_USER, "", bs__get_xlsx_template, "getXlsxTemplate", 0},
    {"GET", "/api/v1/adapters/events", BS_NEED_INSTALL_ADMIN, "project_id limit", bs__get_adapter_events,
     "adapterEvents", 0},
    {"POST", "/api/v1/adapters/events/{id}/retry", BS_NEED_INSTALL_ADMIN, "", bs__retry_adapter_event,
     "retryAdapterEvent", 0},
    /* its Authorization header is the ZGW Notificaties shared secret, read by the handler */
    {"POST", "/api/v1/zgw/notificaties", BS_NEED_WEBHOOK, "", bs__post_notification, "zgwNotification", 0},
};
const size_t bs_n_routes = sizeof bs_routes / sizeof bs_routes[0];
