-- Bouwstroom store, version 26: the effective alert rules of a user, for the web app's alert
-- settings (GET /api/v1/users/{id}/alert-settings) and the reasons of the upcoming alerts
-- (GET /api/v1/alerts/upcoming), docs/api.md.
-- Effective rule = the user's own rule, else the organisation's, else the default
-- (docs/alerts.md "Rules"); `source` says which. The defaults are the ones the notifier plans
-- with (notifier/worker_sql.h SQL_PLAN_RECIPIENTS; external_update: api/routes_schedule_sql.h SQL_SCHEDULE_WRITE):
-- every kind on, 10 working days before an upcoming milestone, 10 calendar days of forecast
-- slip. `days_unit` is null for the kinds whose alerts do not use `days`; `basis` (planned
-- date or P50 forecast) applies to milestone_upcoming only.
CREATE FUNCTION bs_effective_alert_rules(p_user uuid) RETURNS SETOF json
LANGUAGE sql STABLE AS $$
  SELECT json_build_object('kind', k.kind, 'enabled', COALESCE(ur.enabled, orr.enabled, true),
    'days', COALESCE(ur.days, orr.days, k.def_days), 'basis', COALESCE(ur.basis, orr.basis, 'planned'),
    'days_unit', k.days_unit, 'basis_applies', k.kind = 'milestone_upcoming',
    'source', CASE WHEN ur.id IS NOT NULL THEN 'user' WHEN orr.id IS NOT NULL THEN 'organisation'
                   ELSE 'default' END)
  FROM users u
  CROSS JOIN (VALUES (1, 'milestone_upcoming', 10, 'working_days'), (2, 'milestone_overdue', 0, NULL),
                     (3, 'blocked_by_other_stream', 0, NULL), (4, 'forecast_slipped', 10, 'calendar_days'),
                     (5, 'external_update', 0, NULL)) AS k(ord, kind, def_days, days_unit)
  LEFT JOIN alert_rules ur ON ur.user_id = u.id AND ur.kind = k.kind
  LEFT JOIN alert_rules orr ON orr.organisation_id = u.organisation_id AND orr.user_id IS NULL
    AND orr.kind = k.kind
  WHERE u.id = p_user
  ORDER BY k.ord
$$;
