-- Bouwstroom store, version 7: a user holds a role in a project once. The UNIQUE of 0004
-- treats NULL streams as distinct, so a projectleider role could be added twice.
DELETE FROM project_roles a USING project_roles b
 WHERE a.project_id = b.project_id AND a.user_id = b.user_id AND a.role = b.role
   AND a.stream IS NOT DISTINCT FROM b.stream AND a.id > b.id;
CREATE UNIQUE INDEX project_roles_once ON project_roles (project_id, user_id, role, COALESCE(stream, ''));
