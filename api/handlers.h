/*
 * Bouwstroom API: the handlers named by the route table (api/route_table.c), by module.
 * Each has the bs_route_fn signature (router.h) and answers its request exactly once.
 */
#ifndef BS_HANDLERS_H
#define BS_HANDLERS_H

#include "router.h"

#define BS_HANDLER(name) void name(bs_api *api, bs_req *req, const bs_path *path)

/* routes.c: service, process schemas, projects */
BS_HANDLER(bs__health);
BS_HANDLER(bs__ready);
BS_HANDLER(bs__openapi);
BS_HANDLER(bs__app_config);
BS_HANDLER(bs__list_schemas);
BS_HANDLER(bs__get_schema);
BS_HANDLER(bs__get_schema_bpmn);
BS_HANDLER(bs__list_projects);
BS_HANDLER(bs__get_project);

/* routes_dashboard.c: dashboards and the public figures */
BS_HANDLER(bs__dashboard);
BS_HANDLER(bs__public_dashboard);
BS_HANDLER(bs__public_projects);

/* routes_auth.c: sessions, API tokens, members, organisations, audit */
BS_HANDLER(bs__login);
BS_HANDLER(bs__logout);
BS_HANDLER(bs__me);
BS_HANDLER(bs__accept_invitation);
BS_HANDLER(bs__request_reset);
BS_HANDLER(bs__confirm_reset);
BS_HANDLER(bs__list_api_tokens);
BS_HANDLER(bs__create_api_token);
BS_HANDLER(bs__revoke_api_token);
BS_HANDLER(bs__aggregate);
BS_HANDLER(bs__get_org);
BS_HANDLER(bs__patch_org);
BS_HANDLER(bs__list_org_users);
BS_HANDLER(bs__list_user_sessions);
BS_HANDLER(bs__revoke_user_sessions);
BS_HANDLER(bs__patch_project);
BS_HANDLER(bs__list_members);
BS_HANDLER(bs__add_member);
BS_HANDLER(bs__invite);
BS_HANDLER(bs__project_audit);

/* routes_exchange.c: province exports, GeoJSON/Excel exchange, adapter outbox, ZGW */
BS_HANDLER(bs__get_export);
BS_HANDLER(bs__get_geojson);
BS_HANDLER(bs__post_geojson);
BS_HANDLER(bs__post_xlsx);
BS_HANDLER(bs__get_xlsx_template);
BS_HANDLER(bs__get_adapter_events);
BS_HANDLER(bs__retry_adapter_event);
BS_HANDLER(bs__post_notification);

/* routes_forecast.c */
BS_HANDLER(bs__get_lead_times);
BS_HANDLER(bs__get_forecast);

/* routes_notify.c: users, organisations, alert rules, feeds, alerts, follows, roles */
BS_HANDLER(bs__get_feed);
BS_HANDLER(bs__unsubscribe);
BS_HANDLER(bs__create_org);
BS_HANDLER(bs__create_user);
BS_HANDLER(bs__get_user);
BS_HANDLER(bs__patch_user);
BS_HANDLER(bs__get_alert_settings);
BS_HANDLER(bs__erase_user);
BS_HANDLER(bs__list_rules);
BS_HANDLER(bs__put_rule);
BS_HANDLER(bs__list_feed_tokens);
BS_HANDLER(bs__create_feed_token);
BS_HANDLER(bs__revoke_feed_token);
BS_HANDLER(bs__list_alerts);
BS_HANDLER(bs__list_upcoming_alerts);
BS_HANDLER(bs__follow);
BS_HANDLER(bs__unfollow);
BS_HANDLER(bs__list_follows);
BS_HANDLER(bs__add_role);

/* routes_schema_versions.c: process schema versions (deploy, list, get, diff) */
BS_HANDLER(bs__deploy_schema);
BS_HANDLER(bs__list_schema_versions);
BS_HANDLER(bs__get_schema_version);
BS_HANDLER(bs__diff_schema_versions);
BS_HANDLER(bs__list_org_schema_versions);
BS_HANDLER(bs__put_org_schema_version);
/* moving projects to another schema version (api/routes_migrate.c) */
BS_HANDLER(bs__migrate_project);
BS_HANDLER(bs__start_migration);
BS_HANDLER(bs__get_migration);

/* routes_blocks.c: woningblokken (docs/blocks.md) */
BS_HANDLER(bs__list_blocks);
BS_HANDLER(bs__add_block);
BS_HANDLER(bs__patch_block);
BS_HANDLER(bs__delete_block);

/* routes_goals.c, routes_goals_progress.c: beleidsdoelen (docs/homes-and-goals.md) */
BS_HANDLER(bs__list_goals);
BS_HANDLER(bs__create_goal);
BS_HANDLER(bs__get_goal);
BS_HANDLER(bs__patch_goal);
BS_HANDLER(bs__delete_goal);
BS_HANDLER(bs__goal_progress);
/* routes_plusvelden.c: plusvelden, definitions and values (docs/homes-and-goals.md) */
BS_HANDLER(bs__list_plusvelden);
BS_HANDLER(bs__add_plusveld);
BS_HANDLER(bs__patch_plusveld);
BS_HANDLER(bs__delete_plusveld);
BS_HANDLER(bs__get_project_plusvelden);
BS_HANDLER(bs__patch_project_plusvelden);
BS_HANDLER(bs__get_plusvelden_history);
BS_HANDLER(bs__get_block_plusvelden);
BS_HANDLER(bs__patch_block_plusvelden);

/* routes_schedule.c: schedule, history, checks, what-if, scenarios, step updates */
BS_HANDLER(bs__get_schedule);
BS_HANDLER(bs__get_history);
BS_HANDLER(bs__get_checks);
BS_HANDLER(bs__what_if);
BS_HANDLER(bs__list_scenarios);
BS_HANDLER(bs__save_scenario);
BS_HANDLER(bs__compare_scenario);
BS_HANDLER(bs__apply_scenario);
BS_HANDLER(bs__delete_scenario);
BS_HANDLER(bs__patch_step);
BS_HANDLER(bs__start_step);
BS_HANDLER(bs__complete_step);

#endif
