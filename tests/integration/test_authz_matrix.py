#!/usr/bin/python3
"""Authorisation checks: the authorisation matrix and confidentiality per role, against the real
binary (`bouwstroom serve`), a real PostgreSQL and real HTTP.

The expected outcomes come from docs/security.md only (§3 the access table, §4 what each
endpoint needs, §5 external developers), written down here independently of api/authz.c
and of the SQL function bs_project_access: `documented_access` is §3 row by row, and the
ENDPOINTS table below says per endpoint which §4 need applies. Every endpoint row is run for
every principal (role × relation to the project) and, for project endpoints, for a project
at every confidentiality level. "allow" = a 2xx answer (requests are valid, writes are
ordered so that they stay valid); "deny" = the refusal status §4 names (401 anonymous or
invalid credential, 404 invisible project, 403 visible but not enough).

Access is a set (docs/security.md §3): the best nested level (lead ⊃ write ⊃ read ⊃ public,
or aggregate) of any applicable rule plus, separately, `stream` for an external member. The
principals are the hand-written ones of P plus GENERATED ones: every project membership kind
(projectleider, medewerker, extern) crossed with organisation roles (raad of the owning
municipality, staff of a municipality in the same woonregio, of the province, of the state,
a partner organisation). After the matrix, a property over its answers: a logged-in user never
sees less of a project than an anonymous caller (every endpoint: a 2xx for anonymous is a 2xx
for every user; the schedule has at least as many steps), and the history at access `public`
carries no changed_by and no reason.

Part 2 (confidentiality): for every principal the project list equals the documented set of
visible projects (over every project of the installation), the aggregate report counts
exactly the projects with any access and marks the aggregate-only ones, and calendar feeds
drop a project as soon as their maker loses read access (PATCH to prive / to a level the
role may not see).

Fixture: the shipped sample municipality (adapters/sample/voorbeeldstad.geojson) plus two
more municipalities written from it at run time (Buurdorp: same woonregio, Utrecht; Verweg:
another woonregio, Groningen), a province of the plan, another province, the state, two
developers and a housing association; users by `bouwstroom user add`, tokens by
`bouwstroom token create`, external developers by `bouwstroom user invite`.

Usage: test_authz_matrix.py --binary BOUWSTROOM --source SRC
"""
import argparse
import collections
import concurrent.futures
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bsit  # noqa: E402
from bsit import Api, check, eq, fresh_database, psql  # noqa: E402

LEVELS = ["prive", "intern_ambtelijk", "intern_bestuurlijk", "intern_raad", "extern_woonregio",
          "extern_mede_overheden", "openbaar"]
RANK = {lv: i for i, lv in enumerate(LEVELS)}
# the sample project that is put at each level (by name)
LEVEL_PROJECT = {"prive": "Kerkplein", "intern_ambtelijk": "Schoolstraat (voormalige basisschool)",
                 "intern_bestuurlijk": "Polder Noord", "intern_raad": "Bedrijventerrein De Vaart",
                 "extern_woonregio": "Dijkwoningen", "extern_mede_overheden": "Stationskwartier",
                 "openbaar": "Marktveld"}
OTHER_DEV_PROJECT = "Parkrand"          # the private stream of Ontwikkelaar B
FEED_PROJECT = "Tuinen van West"        # followed, then made prive (part 2)
VBS = "Voorbeeldstad"

# organisations: name -> (kind, region, provincie); the gemeenten come from the import
ORGS = {
    VBS: ("gemeente", "Regio Midden", None),
    "Buurdorp": ("gemeente", "Regio Midden", None),
    "Verweg": ("gemeente", "Regio Noord", None),
    "Provincie Utrecht": ("provincie", None, "Utrecht"),
    "Provincie Groningen": ("provincie", None, "Groningen"),
    "Ministerie van BZK": ("rijk", None, None),
    "Ontwikkelaar A": ("ontwikkelaar", None, None),
    "Ontwikkelaar B": ("ontwikkelaar", None, None),
    "Woonstichting C": ("woningcorporatie", None, None),
    "Bouwstroom Beheer": ("overig", None, None),
}

# principals: name -> (e-mail, role, organisation, token scope, relation (for the summary)).
# Project memberships are set in the fixture (MEMBERS). None e-mail: no user.
P = {
    "admin": ("admin@beheer.test", "ADMIN", "Bouwstroom Beheer", "read,write,admin", "administrator of the installation"),
    "beheerder": ("beheerder@voorbeeldstad.test", "beheerder", VBS, "read,write,admin", "own municipality"),
    "bh_noadmin": ("beheerder2@voorbeeldstad.test", "beheerder", VBS, "read,write", "own municipality, token without admin"),
    "projectleider": ("pl@voorbeeldstad.test", "projectleider", VBS, "read,write,admin", "own municipality"),
    "medewerker": ("mw@voorbeeldstad.test", "medewerker", VBS, "read,write,admin", "own municipality"),
    "mw_readonly": ("mw@voorbeeldstad.test", "medewerker", VBS, "read", "own municipality, read-only token"),
    "management": ("mgmt@voorbeeldstad.test", "management", VBS, "read,write,admin", "own municipality"),
    "raad": ("raad@voorbeeldstad.test", "raad", VBS, "read,write,admin", "own municipality"),
    "extern_gem": ("ext@voorbeeldstad.test", "extern", VBS, "read,write,admin", "role extern in the owning municipality"),
    "lid_pl": ("lid-pl@verweg.test", "medewerker", "Verweg", "read,write,admin", "member projectleider (other region)"),
    "lid_mw": ("lid-mw@verweg.test", "medewerker", "Verweg", "read,write,admin", "member medewerker (other region)"),
    "mgmt_lid": ("mgmt-lid@voorbeeldstad.test", "management", VBS, "read,write,admin", "management + member medewerker"),
    "ext_own": ("dev@ontwikkelaar-a.test", "extern", "Ontwikkelaar A", "read,write,admin", "external on own stream"),
    "ext_foreign": ("dev2@ontwikkelaar-b.test", "extern", "Ontwikkelaar B", "read,write,admin",
                    "external member, stream of another developer"),
    "ext_other": ("dev@ontwikkelaar-b.test", "extern", "Ontwikkelaar B", "read,write,admin",
                  "external on other stream (member of another project)"),
    "ext_none": ("partner@woonstichting-c.test", "extern", "Woonstichting C", "read,write,admin",
                 "other organisation (partner, no membership)"),
    "buur_mw": ("mw@buurdorp.test", "medewerker", "Buurdorp", "read,write,admin", "other municipality, same woonregio"),
    "buur_raad": ("raad@buurdorp.test", "raad", "Buurdorp", "read,write,admin", "other municipality, same woonregio"),
    "ver_bh": ("beheerder@verweg.test", "beheerder", "Verweg", "read,write,admin", "other municipality, other woonregio"),
    "prov_ut": ("mw@provincie-utrecht.test", "medewerker", "Provincie Utrecht", "read,write,admin", "province of the plan"),
    "prov_gr": ("mw@provincie-groningen.test", "medewerker", "Provincie Groningen", "read,write,admin", "another province"),
    "rijk": ("mw@bzk.test", "medewerker", "Ministerie van BZK", "read,write,admin", "the state"),
    "anon": (None, None, None, None, "anonymous"),
    "badtoken": (None, None, None, None, "invalid bearer token"),
}
# project memberships on every LEVEL_PROJECT (principal -> project role)
MEMBERS = {"lid_pl": "projectleider", "lid_mw": "medewerker", "mgmt_lid": "medewerker", "ext_own": "extern",
           "ext_foreign": "extern"}

# GENERATED principals: every membership kind × an organisation role; their memberships are
# written by SQL in the fixture (SQL_MEMBERS), so that no invitation side effect interferes
GEN_ROLES = {"raadvbs": ("raad", VBS), "buur": ("medewerker", "Buurdorp"), "prov": ("medewerker", "Provincie Utrecht"),
             "rijk": ("medewerker", "Ministerie van BZK"), "partner": ("extern", "Woonstichting C")}
SQL_MEMBERS = {}
for _m, _mk in (("projectleider", "pl"), ("medewerker", "mw"), ("extern", "ext")):
    for _g, (_role, _org) in GEN_ROLES.items():
        _name = f"gen_{_mk}_{_g}"
        P[_name] = (f"{_name.replace('_', '-')}@gen.test", _role, _org, "read,write,admin",
                    f"generated: member {_m} + {_role} of {_org}")
        MEMBERS[_name] = _m
        SQL_MEMBERS[_name] = _m

START, FINISH = "2026-11-02", "2026-11-03"


# ---------------------------------------------------------------------------------------
# docs/security.md §3, row by row (the expectation; not derived from the implementation)
# ---------------------------------------------------------------------------------------
class Access(tuple):
    """A caller's access per §3: (best level, stream flag). level: None, "aggregate", "public",
    "read", "write" or "lead"; stream: an external member's private stream."""
    level = property(lambda self: self[0])
    stream = property(lambda self: self[1])

    def __str__(self):
        parts = [x for x in (self.level, "stream" if self.stream else None) if x]
        return "+".join(parts) or "none"


def documented_access(pname, proj, orgs):
    """Access of principal pname to proj {owner, provincie, level, members} per §3: the set of
    what every applicable rule grants."""
    stream = pname not in ("anon", "badtoken") and proj["members"].get(P[pname][0]) == "extern"   # 3
    return Access((documented_level(pname, proj, orgs), stream))


def documented_level(pname, proj, orgs):
    """The best nested level any rule of §3 grants (rows 1, 2, 4–13; row 3 is the stream flag)."""
    if pname in ("anon", "badtoken"):
        return "public" if proj["level"] == "openbaar" else None
    email, role, org, _, _ = P[pname]
    m = proj["members"].get(email)
    if m == "projectleider":
        return "lead"                                                   # 1
    if m == "medewerker":
        return "write"                                                  # 2
    lv = RANK[proj["level"]]
    if proj["level"] == "prive":
        return None                                                     # 4
    roles = [(org, "beheerder" if role == "ADMIN" else role)]
    own = [r for o, r in roles if o == proj["owner"]]
    if "beheerder" in own or "projectleider" in own:
        return "lead"                                                   # 5
    if "medewerker" in own:
        return "write"                                                  # 6
    if "management" in own and lv >= RANK["intern_bestuurlijk"]:
        return "read"                                                   # 7
    if "raad" in own and lv >= RANK["intern_raad"]:
        return "read"                                                   # 8
    oreg = orgs[proj["owner"]][1]
    if lv >= RANK["extern_woonregio"] and any(
            r != "extern" and o != proj["owner"] and orgs[o][0] == "gemeente" and oreg and orgs[o][1] == oreg
            for o, r in roles):
        return "read"                                                   # 9
    if lv >= RANK["extern_mede_overheden"] and any(
            r != "extern" and (orgs[o][0] == "rijk" or (orgs[o][0] == "provincie" and orgs[o][2] == proj["provincie"]))
            for o, r in roles):
        return "read"                                                   # 10
    if proj["level"] == "openbaar":
        return "public"                                                 # 11
    if "management" in own or "raad" in own:
        return "aggregate"                                              # 12
    return None                                                         # 13


LEVEL_ORDER = {None: 0, "aggregate": 0, "public": 1, "read": 2, "write": 3, "lead": 4}


def project_need(need, acc, pname, step_stream, proj, orgs):
    """§4 project needs over the access set → (allowed, set of acceptable refusal statuses)."""
    anon = pname in ("anon", "badtoken")
    if pname == "badtoken":
        return False, {401}
    lv = LEVEL_ORDER[acc.level]
    if lv == 0 and not acc.stream:
        return False, {401} if anon else {404}
    if need == "view":
        ok = lv >= 1 or acc.stream
    elif need == "public":          # the public facts (also anonymous; what-if stores nothing)
        ok = lv >= 1
    elif need in ("read", "follow"):
        ok = lv >= 2
        if need == "follow" and anon:
            ok = False          # following needs an identity ("yourself")
    elif need == "feed_stream":
        ok = (lv >= 1 or acc.stream) and not anon
    elif need == "feed_project":
        ok = lv >= 1 and not anon
    elif need == "step":
        ok = lv >= 3 or (acc.stream and step_stream == "private" and P[pname][2] == proj["developer"])
    elif need == "write":
        ok = lv >= 3
    elif need == "lead":
        ok = lv >= 4
    else:
        raise ValueError(need)
    return ok, ({401, 403} if anon else {403})


# ---------------------------------------------------------------------------------------
# The one table: every endpoint, its §4 need and a valid request
# ---------------------------------------------------------------------------------------
# kind "project": run for every principal × the project at every level; need as above;
#   step: "public"/"private" for step writes. The request builder gets (ctx, pname, proj).
# kind "global": run for every principal; need one of public, user, install_admin,
#   org_admin, org_rules_read, org_rules_write, user_read, own_only (a resource of someone else).
def E(name, kind, need, method, path, body=None, step=None, note=""):
    return {"name": name, "kind": kind, "need": need, "method": method, "path": path, "body": body,
            "step": step, "note": note}


ENDPOINTS = [
    # public
    E("GET /healthz", "global", "probe", "GET", "/healthz"),
    E("GET /readyz", "global", "probe", "GET", "/readyz"),
    E("GET /api/v1/openapi.json", "global", "public", "GET", "/api/v1/openapi.json"),
    E("GET /api/v1/app-config", "global", "public", "GET", "/api/v1/app-config"),
    E("GET /api/v1/projects", "global", "public", "GET", "/api/v1/projects?page_size=500"),
    E("GET /api/v1/public/projects", "global", "public", "GET", "/api/v1/public/projects?page_size=500"),
    E("GET /api/v1/public/dashboard", "global", "public", "GET", "/api/v1/public/dashboard?view=lead_times"),
    E("POST /api/v1/login", "global", "public", "POST", "/api/v1/login",
      lambda c, p, _: {"email": c["login_email"], "password": c["login_password"]}),
    E("POST /api/v1/invitations/accept", "global", "public", "POST", "/api/v1/invitations/accept",
      lambda c, p, _: {"token": c["accept_tokens"][p], "password": "Een-lang-wachtwoord-2026"}),
    E("GET /calendar/{token}.ics", "global", "public", "GET", lambda c, p, _: f"/calendar/{c['feed_token']}.ics"),
    E("GET /calendar/{revoked}.ics", "global", "feed_revoked", "GET",
      lambda c, p, _: f"/calendar/{c['feed_token_revoked']}.ics"),
    # user
    E("GET /api/v1/me", "global", "user", "GET", "/api/v1/me"),
    E("GET /api/v1/process-schemas", "global", "user", "GET", "/api/v1/process-schemas"),
    E("GET /api/v1/process-schemas/{key}", "global", "user", "GET", "/api/v1/process-schemas/ppm-woningbouw"),
    E("GET /api/v1/lead-times", "global", "user", "GET", "/api/v1/lead-times?step=aanbesteding"),
    E("GET /api/v1/reports/aggregate", "global", "user", "GET", "/api/v1/reports/aggregate?group_by=confidentiality"),
    E("GET /api/v1/dashboard", "global", "user", "GET", "/api/v1/dashboard?view=homes&group_by=tenure"),
    E("GET /api/v1/api-tokens", "global", "user", "GET", "/api/v1/api-tokens"),
    E("POST /api/v1/api-tokens", "global", "user", "POST", "/api/v1/api-tokens",
      lambda c, p, _: {"label": "matrix", "scopes": ["read"]}),
    E("DELETE /api/v1/api-tokens/{own}", "global", "user", "DELETE",
      lambda c, p, _: f"/api/v1/api-tokens/{c['state'][p].get('api_token', c['victim_api_token'][p])}"),
    E("DELETE /api/v1/api-tokens/{other user's}", "global", "own_only", "DELETE",
      lambda c, p, _: f"/api/v1/api-tokens/{c['victim_api_token'][p]}"),
    E("GET /api/v1/alert-rules?user_id=self", "global", "user", "GET",
      lambda c, p, _: f"/api/v1/alert-rules?user_id={c['uid'].get(p, c['uid']['medewerker'])}"),
    E("PUT /api/v1/alert-rules (own)", "global", "user", "PUT", "/api/v1/alert-rules",
      lambda c, p, _: {"user_id": c["uid"].get(p, c["uid"]["medewerker"]), "kind": "milestone_upcoming", "days": 12}),
    E("GET /api/v1/alert-rules?user_id=other", "global", "own_only", "GET",
      lambda c, p, _: f"/api/v1/alert-rules?user_id={c['victim_uid']}"),
    E("PUT /api/v1/alert-rules (other user)", "global", "own_only", "PUT", "/api/v1/alert-rules",
      lambda c, p, _: {"user_id": c["victim_uid"], "kind": "milestone_upcoming", "days": 12}),
    E("GET /api/v1/alert-rules?organisation_id=VBS", "global", "org_rules_read", "GET",
      lambda c, p, _: f"/api/v1/alert-rules?organisation_id={c['org'][VBS]}"),
    E("PUT /api/v1/alert-rules (organisation VBS)", "global", "org_rules_write", "PUT", "/api/v1/alert-rules",
      lambda c, p, _: {"organisation_id": c["org"][VBS], "kind": "milestone_overdue", "days": 5}),
    E("GET /api/v1/feed-tokens", "global", "user", "GET", "/api/v1/feed-tokens"),
    E("POST /api/v1/feed-tokens (user)", "global", "user", "POST", "/api/v1/feed-tokens",
      lambda c, p, _: {"scope": "user", "label": "matrix"}),
    E("DELETE /api/v1/feed-tokens/{own}", "global", "user", "DELETE",
      lambda c, p, _: f"/api/v1/feed-tokens/{c['state'][p].get('feed_token', c['victim_feed_token'][p])}"),
    E("DELETE /api/v1/feed-tokens/{other user's}", "global", "own_only", "DELETE",
      lambda c, p, _: f"/api/v1/feed-tokens/{c['victim_feed_token'][p]}"),
    E("GET /api/v1/alerts", "global", "user", "GET", "/api/v1/alerts"),
    E("GET /api/v1/alerts/upcoming", "global", "user", "GET", "/api/v1/alerts/upcoming"),
    E("GET /api/v1/follows", "global", "user", "GET", "/api/v1/follows"),
    E("GET /api/v1/users/{self}/alert-settings", "global", "user", "GET",
      lambda c, p, _: f"/api/v1/users/{c['uid'].get(p, c['uid']['medewerker'])}/alert-settings"),
    E("GET /api/v1/users/{other}/alert-settings", "global", "own_only", "GET",
      lambda c, p, _: f"/api/v1/users/{c['victim_uid']}/alert-settings"),
    E("PATCH /api/v1/users/{self}", "global", "user", "PATCH",
      lambda c, p, _: f"/api/v1/users/{c['uid'].get(p, c['uid']['medewerker'])}", lambda c, p, _: {"digest": False}),
    E("PATCH /api/v1/users/{other}", "global", "own_only", "PATCH",
      lambda c, p, _: f"/api/v1/users/{c['victim_uid']}", lambda c, p, _: {"digest": False}),
    E("GET /api/v1/users/{medewerker}", "global", "user_read", "GET",
      lambda c, p, _: f"/api/v1/users/{c['uid']['medewerker']}"),
    E("POST /api/v1/users (into Voorbeeldstad)", "global", "org_admin", "POST", "/api/v1/users",
      lambda c, p, _: {"organisation_id": c["org"][VBS], "email": f"new-{p}@voorbeeldstad.test", "role": "medewerker"}),
    E("POST /api/v1/organisations", "global", "install_admin", "POST", "/api/v1/organisations",
      lambda c, p, _: {"name": f"Organisatie {p}", "kind": "overig"}),
    E("PATCH /api/v1/organisations/{id}", "global", "install_admin", "PATCH",
      lambda c, p, _: f"/api/v1/organisations/{c['org']['Buurdorp']}", lambda c, p, _: {"region": "Regio Midden"}),
    E("POST /api/v1/logout", "global", "user", "POST", "/api/v1/logout"),
    # project endpoints
    E("GET /projects/{id}", "project", "view", "GET", "/api/v1/projects/{id}"),
    E("GET /projects/{id}/schedule", "project", "view", "GET", "/api/v1/projects/{id}/schedule"),
    E("GET /projects/{id}/forecast", "project", "public", "GET", "/api/v1/projects/{id}/forecast?samples=100"),
    E("GET /projects/{id}/history", "project", "public", "GET", "/api/v1/projects/{id}/history"),
    E("GET /projects/{id}/checks", "project", "public", "GET", "/api/v1/projects/{id}/checks"),
    E("GET /projects/{id}/scenarios", "project", "read", "GET", "/api/v1/projects/{id}/scenarios"),
    E("GET /projects/{id}/blocks", "project", "read", "GET", "/api/v1/projects/{id}/blocks"),
    E("POST /projects/{id}/blocks", "project", "write", "POST", "/api/v1/projects/{id}/blocks",
      lambda c, p, pr: {"homes": 10}),
    E("GET /projects/{id}/scenarios/{sid}/compare", "project", "read", "GET",
      lambda c, p, pr: f"/api/v1/projects/{pr['id']}/scenarios/{pr['scenario']}/compare"),
    E("POST /projects/{id}/what-if", "project", "public", "POST", "/api/v1/projects/{id}/what-if",
      lambda c, p, pr: {"changes": []}),
    E("GET /projects/{id}/members", "project", "read", "GET", "/api/v1/projects/{id}/members"),
    E("POST /projects/{id}/follows", "project", "follow", "POST", "/api/v1/projects/{id}/follows",
      lambda c, p, pr: {}),
    E("DELETE /projects/{id}/follows/{self}", "project", "follow", "DELETE",
      lambda c, p, pr: f"/api/v1/projects/{pr['id']}/follows/{c['uid'].get(p, c['uid']['medewerker'])}"),
    E("POST /projects/{id}/feed-tokens (project feed)", "project", "feed_project", "POST", "/api/v1/feed-tokens",
      lambda c, p, pr: {"scope": "project", "project_id": pr["id"]}),
    E("POST /projects/{id}/feed-tokens (private stream feed)", "project", "feed_stream", "POST", "/api/v1/feed-tokens",
      lambda c, p, pr: {"scope": "stream", "project_id": pr["id"], "stream": "private"}),
    E("POST /steps/{public}/start", "project", "step", "POST",
      lambda c, p, pr: f"/api/v1/projects/{pr['id']}/steps/{pr['steps']['public'][0]}/start",
      lambda c, p, pr: {"date": START}, step="public"),
    E("POST /steps/{public}/complete", "project", "step", "POST",
      lambda c, p, pr: f"/api/v1/projects/{pr['id']}/steps/{pr['steps']['public'][1]}/complete",
      lambda c, p, pr: {"date": FINISH}, step="public"),
    E("PATCH /steps/{public}", "project", "step", "PATCH",
      lambda c, p, pr: f"/api/v1/projects/{pr['id']}/steps/{pr['steps']['public'][2]}",
      lambda c, p, pr: {"reason": "matrix", "start_no_earlier_than": "2027-03-01"}, step="public"),
    E("POST /steps/{private}/start", "project", "step", "POST",
      lambda c, p, pr: f"/api/v1/projects/{pr['id']}/steps/{pr['steps']['private'][0]}/start",
      lambda c, p, pr: {"date": START}, step="private"),
    E("POST /steps/{private}/complete", "project", "step", "POST",
      lambda c, p, pr: f"/api/v1/projects/{pr['id']}/steps/{pr['steps']['private'][1]}/complete",
      lambda c, p, pr: {"date": FINISH}, step="private"),
    E("PATCH /steps/{private}", "project", "step", "PATCH",
      lambda c, p, pr: f"/api/v1/projects/{pr['id']}/steps/{pr['steps']['private'][2]}",
      lambda c, p, pr: {"reason": "matrix", "start_no_earlier_than": "2027-03-01"}, step="private"),
    E("POST /projects/{id}/scenarios", "project", "write", "POST", "/api/v1/projects/{id}/scenarios",
      lambda c, p, pr: {"name": f"matrix {p}",
                        "changes": [{"op": "set_duration", "step": "financiele_afwikkeling", "duration": 70}]}),
    E("POST /projects/{id}/scenarios/{sid}/apply", "project", "lead", "POST",
      lambda c, p, pr: f"/api/v1/projects/{pr['id']}/scenarios/{pr['scenario']}/apply",
      lambda c, p, pr: {"reason": "matrix"}),
    E("POST /projects/{id}/roles", "project", "lead", "POST", "/api/v1/projects/{id}/roles",
      lambda c, p, pr: {"user_id": c["uid"].get(p, c["uid"]["medewerker"]), "role": "stream_owner", "stream": "public"}),
    E("POST /projects/{id}/members", "project", "lead", "POST", "/api/v1/projects/{id}/members",
      lambda c, p, pr: {"user_id": c["pool"].pop(), "role": "medewerker"}),
    E("POST /projects/{id}/invitations", "project", "lead", "POST", "/api/v1/projects/{id}/invitations",
      lambda c, p, pr: {"email": f"inv-{uuid.uuid4().hex[:8]}@ontwikkelaar-a.test",
                        "organisation_id": c["org"]["Ontwikkelaar A"]}),
    E("GET /projects/{id}/audit", "project", "lead", "GET", "/api/v1/projects/{id}/audit?page_size=5"),
    E("PATCH /projects/{id}", "project", "lead", "PATCH", "/api/v1/projects/{id}",
      lambda c, p, pr: {"confidentiality": pr["level"]}),
]


def global_need(need, pname, ctx):
    """§4 needs of the endpoints without a project → (allowed, refusal statuses)."""
    if need == "probe":                     # liveness and readiness read no credential, not even a bad one
        return True, set()
    if pname == "badtoken":
        return False, {401}
    anon = pname == "anon"
    email, role, org = P[pname][:3]
    scope = P[pname][3] or ""
    if need == "public":
        return True, set()
    if need == "feed_revoked":
        return False, {404}                 # a revoked feed token: 404 (docs/security.md §4)
    if anon:
        return False, {401}
    if need == "user":
        return True, set()
    if need == "own_only":                  # "own tokens", "own rules", "own feeds": someone else's is refused,
        return role == "ADMIN", {403, 404}  # except to an administrator of the installation (§4)
    if need == "user_read":                 # self, administrator, beheerder of the user's organisation
        ok = email == P["medewerker"][0] or role == "ADMIN" or (role == "beheerder" and org == VBS)
        return ok, {404}
    if need == "install_admin":
        ok = role == "ADMIN" and "admin" in scope
        return ok, {403}
    if need == "org_admin":                 # into Voorbeeldstad: its beheerder or an administrator, scope admin
        ok = (role == "ADMIN" or (role == "beheerder" and org == VBS)) and "admin" in scope
        return ok, {403}
    if need == "org_rules_read":            # organisation rules: read by its members (and the administrator)
        return org == VBS or role == "ADMIN", {403, 404}
    if need == "org_rules_write":           # organisation rules: its beheerder (and the administrator)
        return (role == "beheerder" and org == VBS) or role == "ADMIN", {403, 404}
    raise ValueError(need)


def scope_bound(method, pname, allowed, refusal):
    """Token scopes bound everything: a read-only token gets 403 for other methods than GET/HEAD."""
    if P[pname][3] and "write" not in P[pname][3].split(",") and method not in ("GET", "HEAD"):
        return False, {403} if allowed else (refusal | {403})
    return allowed, refusal


# ---------------------------------------------------------------------------------------
# fixture
# ---------------------------------------------------------------------------------------
def run(binary, env, args, stdin=""):
    r = subprocess.run([binary] + args, env=env, input=stdin, capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise RuntimeError(f"bouwstroom {' '.join(args)} failed: {r.stderr}")
    return r.stdout


def write_municipality(source, tmp, name, provincie, offset):
    """A copy of the sample's first three plans as another municipality (in a temp dir)."""
    with open(os.path.join(source, "adapters", "sample", "voorbeeldstad.geojson")) as f:
        doc = json.load(f)
    feats = []
    for feat in doc["features"][:3]:
        g = json.loads(json.dumps(feat))
        g["properties"].update(Gem_naam=name, Provincie=provincie, OBJECTID=g["properties"]["OBJECTID"] + offset,
                               Plannaam=g["properties"]["Plannaam"] + " " + name)
        feats.append(g)
    doc["features"] = feats
    path = os.path.join(tmp, name + ".geojson")
    with open(path, "w") as f:
        json.dump(doc, f)
    return path


def setup(binary, env, source, tmp):
    url = env["BOUWSTROOM_DATABASE_URL"]
    run(binary, env, ["import", os.path.join(source, "adapters", "sample", "voorbeeldstad.geojson")])
    run(binary, env, ["import", write_municipality(source, tmp, "Buurdorp", "Utrecht", 100), "--source", "buurdorp"])
    run(binary, env, ["import", write_municipality(source, tmp, "Verweg", "Groningen", 200), "--source", "verweg"])
    bsit.provision(binary, env)
    ctx = {"state": collections.defaultdict(dict)}
    passwords = {}
    done = set()
    for pname, (email, role, org, _, _) in P.items():
        if not email or email in done or role == "extern" and org.startswith("Ontwikkelaar") or pname in SQL_MEMBERS:
            continue
        done.add(email)
        args = ["user", "add", email, "--organisation", org, "--organisation-kind", ORGS[org][0], "--generate-password"]
        args += ["--admin"] if role == "ADMIN" else ["--role", role]
        out = run(binary, env, args)
        passwords[email] = re.search(r"password \(shown once[^)]*\): (\S+)", out).group(1)
    # the generated principals need no password (they use tokens): made by SQL, which is
    # much faster than `user add` (Argon2id) per user
    for pname in SQL_MEMBERS:
        email, role, org = P[pname][:3]
        psql(url, f"WITH u AS (INSERT INTO users (organisation_id, email, name) SELECT id, '{email}', '' "
                  f"FROM organisations WHERE name = '{org}' RETURNING id, organisation_id) "
                  f"INSERT INTO organisation_members (organisation_id, user_id, role) "
                  f"SELECT organisation_id, id, '{role}' FROM u")
    for name, (kind, region, prov) in ORGS.items():
        if region or prov:
            psql(url, f"UPDATE organisations SET region = {sql_lit(region)}, provincie = {sql_lit(prov)} "
                      f"WHERE name = '{name}'")
    ctx["org"] = dict(line.split("|") for line in psql(url, "SELECT name, id FROM organisations").splitlines())
    ops = Api(BASE[0])
    names = dict(line.split("|") for line in psql(url, "SELECT name, id FROM projects").splitlines())
    projects = {}
    for level, pname in LEVEL_PROJECT.items():
        projects[level] = {"id": names[pname], "name": pname, "level": level, "owner": VBS, "provincie": "Utrecht"}
    # steps to write: open, not milestones, per stream
    for proj in projects.values():
        st, _, sched = ops.json("GET", f"/api/v1/projects/{proj['id']}/schedule")
        eq(st, 200, f"fixture: schedule of {proj['name']}")
        pick = {"public": [], "private": []}
        for s in sched["steps"]:
            if s["status"] == "open" and not s["milestone"] and s["key"] != "financiele_afwikkeling":
                pick[s["stream"]].append(s["key"])
        proj["steps"] = {k: v[:3] for k, v in pick.items()}
        if len(proj["steps"]["public"]) < 3 or len(proj["steps"]["private"]) < 3:
            raise RuntimeError(f"fixture: {proj['name']} has too few open steps: {pick}")
        st, _, doc = ops.json("POST", f"/api/v1/projects/{proj['id']}/scenarios",
                              {"name": "basis", "changes": [{"op": "set_duration", "step": "financiele_afwikkeling",
                                                             "duration": 60}]})
        eq(st, 201, f"fixture: scenario of {proj['name']}")
        proj["scenario"] = doc["id"] if doc else str(uuid.uuid4())
    # external developers: Ontwikkelaar A invited to every level project (its private stream),
    # Ontwikkelaar B to Parkrand; a second user of B is put on the level projects by SQL (an
    # invitation refuses another developer, 409)
    for proj in projects.values():
        run(binary, env, ["user", "invite", P["ext_own"][0], "--project", proj["id"], "--organisation", "Ontwikkelaar A"])
    run(binary, env, ["user", "invite", P["ext_other"][0], "--project", names[OTHER_DEV_PROJECT],
                      "--organisation", "Ontwikkelaar B"])
    run(binary, env, ["user", "add", P["ext_foreign"][0], "--role", "extern", "--organisation", "Ontwikkelaar B",
                      "--organisation-kind", "ontwikkelaar", "--generate-password"])
    ctx["org"] = dict(line.split("|") for line in psql(url, "SELECT name, id FROM organisations").splitlines())
    ctx["uid"] = {}
    uids = dict(line.split("|") for line in psql(url, "SELECT email, id FROM users").splitlines())
    for pname, (email, *_rest) in P.items():
        if email:
            ctx["uid"][pname] = uids[email]
    for proj in projects.values():
        for pname, mrole in MEMBERS.items():
            if pname in SQL_MEMBERS:
                psql(url, f"INSERT INTO project_members (project_id, user_id, role) VALUES "
                          f"('{proj['id']}', '{ctx['uid'][pname]}', '{mrole}')")
                continue
            if mrole == "extern":
                if pname == "ext_foreign":
                    psql(url, f"INSERT INTO project_members (project_id, user_id, role) VALUES "
                              f"('{proj['id']}', '{ctx['uid'][pname]}', 'extern')")
                continue
            st, _, _ = ops.json("POST", f"/api/v1/projects/{proj['id']}/members",
                                {"user_id": ctx["uid"][pname], "role": mrole})
            eq(st, 201, f"fixture: member {pname} of {proj['name']}")
        proj["members"] = {P[k][0]: v for k, v in MEMBERS.items()}
        proj["developer"] = "Ontwikkelaar A"
    # one token per principal (bouwstroom token create)
    tokens = {}
    for pname, (email, _, _, scope, _) in P.items():
        if email:
            tokens[pname] = bsit.token_for(binary, env, email, scope)
    tokens["badtoken"] = "bs_" + "x" * 43
    tokens["anon"] = None
    # victims: an api token and a feed token of another user per principal (SQL), invitations
    # to accept, pool users to add as members
    victim = uids[bsit.OPERATOR]
    ctx["victim_uid"] = victim
    ctx["victim_api_token"], ctx["victim_feed_token"], ctx["accept_tokens"] = {}, {}, {}
    for pname in P:
        ctx["victim_api_token"][pname] = psql(
            url, f"INSERT INTO api_tokens (token_hash, user_id, scopes) VALUES ('{uuid.uuid4().hex}', '{victim}', "
                 "'{read}') RETURNING id")
        ctx["victim_feed_token"][pname] = psql(
            url, f"INSERT INTO feed_tokens (token_hash, scope, user_id, created_by) VALUES ('{uuid.uuid4().hex}', "
                 f"'user', '{victim}', '{victim}') RETURNING id")
        st, _, doc = ops.json("POST", f"/api/v1/projects/{names[OTHER_DEV_PROJECT]}/invitations",
                              {"email": f"accept-{pname}@ontwikkelaar-b.test"})
        eq(st, 201, f"fixture: invitation for {pname}")
        ctx["accept_tokens"][pname] = doc["token"] if doc else "x"
    ctx["pool"] = psql(url, f"INSERT INTO users (organisation_id, email, name) SELECT '{ctx['org']['Verweg']}', "
                            "'pool' || g || '@verweg.test', '' FROM generate_series(1, 400) g RETURNING id").split()
    # a feed to read and one revoked
    st, _, doc = ops.json("POST", "/api/v1/feed-tokens", {"scope": "user", "label": "matrix"})
    eq(st, 201, "fixture: feed token")
    ctx["feed_token"] = doc["token"]
    st, _, doc = ops.json("POST", "/api/v1/feed-tokens", {"scope": "user", "label": "revoked"})
    ctx["feed_token_revoked"] = doc["token"]
    eq(ops.json("DELETE", f"/api/v1/feed-tokens/{doc['id']}")[0], 204, "fixture: feed token revoked")
    # an external user that logs in without TOTP (login cases)
    ctx["login_email"] = P["ext_none"][0]
    ctx["login_password"] = passwords[P["ext_none"][0]]
    # the levels, prive last (the operator, beheerder of the owner, loses access then)
    for level in LEVELS[::-1]:
        proj = projects[level]
        st, _, doc = ops.json("PATCH", f"/api/v1/projects/{proj['id']}", {"confidentiality": level})
        eq(st, 200, f"fixture: PATCH {proj['name']} to {level}")
    return ctx, tokens, projects, uids, passwords


def sql_lit(v):
    return "NULL" if v is None else "'" + v.replace("'", "''") + "'"


BASE = [None]
ANSWERS = {}    # (endpoint name, principal, level) -> (status, schedule steps, history document)


# ---------------------------------------------------------------------------------------
# the matrix
# ---------------------------------------------------------------------------------------
def build_cases(ctx, projects):
    """Cases in groups that run in order (one group per project, one for the rest)."""
    groups = collections.OrderedDict()
    g = groups.setdefault("global", [])
    for ep in ENDPOINTS:
        if ep["kind"] != "global":
            continue
        for pname in P:
            allowed, refusal = global_need(ep["need"], pname, ctx)
            allowed, refusal = scope_bound(ep["method"], pname, allowed, refusal)
            if ep["name"].startswith("POST /api/v1/login") or ep["name"].startswith("POST /api/v1/invitations"):
                if pname == "mw_readonly":
                    continue    # a public POST with a read-only token: the docs do not say; not a case
            g.append((ep, pname, None, allowed, refusal, P[pname][4]))
    for level in LEVELS:
        proj = projects[level]
        g = groups.setdefault(level, [])
        for ep in ENDPOINTS:
            if ep["kind"] != "project":
                continue
            for pname in P:
                acc = documented_access(pname, proj, ORGS)
                allowed, refusal = project_need(ep["need"], acc, pname, ep["step"], proj, ORGS)
                allowed, refusal = scope_bound(ep["method"], pname, allowed, refusal)
                g.append((ep, pname, proj, allowed, refusal, f"{P[pname][4]}; access {acc}"))
    return groups


def run_case(ctx, tokens, case):
    ep, pname, proj, allowed, refusal, why = case
    path = ep["path"]
    path = path(ctx, pname, proj) if callable(path) else path.replace("{id}", proj["id"] if proj else "")
    body = ep["body"](ctx, pname, proj) if ep["body"] else None
    api = Api(BASE[0], tokens[pname])
    st, _, doc = api.json(ep["method"], path, body)
    if proj:
        steps = len(doc.get("steps", [])) if isinstance(doc, dict) and ep["name"].endswith("/schedule") else None
        ANSWERS[(ep["name"], pname, proj["level"])] = (st, steps, doc if ep["name"].endswith("/history") else None)
    if 200 <= st < 300 and isinstance(doc, dict):
        if ep["name"] == "POST /api/v1/api-tokens":
            ctx["state"][pname]["api_token"] = doc.get("id")
        if ep["name"] == "POST /api/v1/feed-tokens (user)":
            ctx["state"][pname]["feed_token"] = doc.get("id")
    ok = (200 <= st < 300) if allowed else (st in refusal)
    want = "allow (2xx)" if allowed else "deny " + "/".join(str(s) for s in sorted(refusal))
    level = proj["level"] if proj else "-"
    detail = f"[{ep['name']}] {ep['method']} {path} as {pname} [{why}] level {level}: got {st}, want {want}"
    if not ok and doc is not None:
        detail += f" ({(doc.get('code') or doc.get('title') or '') if isinstance(doc, dict) else ''})"
    return ok, detail, allowed


def run_matrix(ctx, tokens, projects):
    groups = build_cases(ctx, projects)
    per_ep = collections.defaultdict(lambda: [0, 0, 0, 0])   # cases, allow, deny, mismatches
    mismatches = []
    t0 = time.time()

    def run_group(cases):
        return [(c, run_case(ctx, tokens, c)) for c in cases]

    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as ex:
        results = list(ex.map(run_group, groups.values()))
    for res in results:
        for case, (ok, detail, allowed) in res:
            row = per_ep[case[0]["name"]]
            row[0] += 1
            row[1 if allowed else 2] += 1
            check(ok, "matrix", detail)
            if not ok:
                row[3] += 1
                mismatches.append(detail)
    total = sum(r[0] for r in per_ep.values())
    print(f"\nauthorisation matrix: {len(per_ep)} endpoints x {len(P)} principals "
          f"(x {len(LEVELS)} confidentiality levels for project endpoints), {time.time() - t0:.1f} s")
    print(f"{'endpoint':58} {'cases':>5} {'allow':>5} {'deny':>5} {'wrong':>5}")
    for name, (n, a, d, w) in per_ep.items():
        print(f"{name:58} {n:5d} {a:5d} {d:5d} {w:5d}")
    print(f"{'total':58} {total:5d} {sum(r[1] for r in per_ep.values()):5d} "
          f"{sum(r[2] for r in per_ep.values()):5d} {len(mismatches):5d}")
    by_p = collections.Counter(c[1] for g in groups.values() for c in g)
    print(f"principals: {len(by_p)}; cases per principal: min {min(by_p.values())}, max {max(by_p.values())}")
    check(total >= 200, "matrix has at least 200 cases", total)
    return total, len(mismatches)


def check_never_less_than_anonymous(projects):
    """Property over the matrix's answers: for every level and project endpoint, a logged-in
    user gets a 2xx wherever an anonymous caller does, and a schedule with at least as many
    steps. Not applied to what a token's scopes take away (a read-only token cannot POST the
    what-if: that is the token, not the user's access)."""
    n = bad = 0
    for (name, pname, level), (st, steps, _) in sorted(ANSWERS.items()):
        if pname in ("anon", "badtoken"):
            continue
        ep = next(e for e in ENDPOINTS if e["name"] == name)
        if "write" not in P[pname][3].split(",") and ep["method"] not in ("GET", "HEAD"):
            continue
        ast, asteps, _ = ANSWERS[(name, "anon", level)]
        n += 1
        ok = not (200 <= ast < 300) or (200 <= st < 300)
        if ok and asteps is not None:
            ok = steps is not None and steps >= asteps
        if not ok:
            bad += 1
            check(False, "property: a logged-in user never sees less than anonymous",
                  f"[{name}] level {level}: anonymous {ast} ({asteps} steps), {pname} {st} ({steps} steps)")
    check(n > 1000 and bad == 0, "property: a logged-in user never sees less than anonymous",
          f"{n} comparisons, {bad} violations")
    # issue report: the external developer of an openbaar project sees all steps and the forecast
    st, steps, _ = ANSWERS[("GET /projects/{id}/schedule", "ext_own", "openbaar")]
    ast, asteps, _ = ANSWERS[("GET /projects/{id}/schedule", "anon", "openbaar")]
    check(st == 200 and steps == asteps and steps > 30, "property: external developer of an openbaar project sees "
          "the full schedule", f"{steps} steps, anonymous {asteps}")
    eq(ANSWERS[("GET /projects/{id}/forecast", "ext_own", "openbaar")][0], 200,
       "property: external developer of an openbaar project gets the forecast")


def check_public_history(tokens, projects):
    """The history of an openbaar project at access public has no changed_by and no reason
    members (dropped, not blanked); with read access they are there."""
    pid = projects["openbaar"]["id"]
    for pname, full in (("anon", False), ("ext_none", False), ("ext_own", False), ("ver_bh", False),
                        ("lid_pl", True), ("beheerder", True), ("buur_mw", True)):
        st, _, doc = Api(BASE[0], tokens[pname]).json("GET", f"/api/v1/projects/{pid}/history")
        eq(st, 200, f"history of the openbaar project as {pname}")
        rows = (doc or {}).get("results", [])
        check(len(rows) > 0, f"history of the openbaar project as {pname} has entries", len(rows))
        keys = set().union(*(r.keys() for r in rows)) if rows else set()
        if full:
            check({"changed_by", "reason"} <= keys, f"history as {pname} (read): changed_by and reason present",
                  sorted(keys))
        else:
            check(not ({"changed_by", "reason"} & keys) and {"step", "field", "new_value"} <= keys,
                  f"history as {pname} (public): no changed_by, no reason", sorted(keys))
            check("matrix" not in json.dumps(doc) and "@" not in json.dumps(doc),
                  f"history as {pname} (public): no reason text, no e-mail address", "")


# ---------------------------------------------------------------------------------------
# part 2: confidentiality per role (lists, aggregate report, calendar feeds)
# ---------------------------------------------------------------------------------------
def all_projects(url, projects):
    rows = psql(url, "SELECT p.id, p.name, o.name, p.provincie, p.confidentiality, coalesce(d.name, '') FROM projects p "
                     "JOIN organisations o ON o.id = p.owner_organisation_id "
                     "LEFT JOIN organisations d ON d.id = p.developer_organisation_id").splitlines()
    level_ids = {p["id"]: p for p in projects.values()}
    out = []
    for r in rows:
        pid, name, owner, prov, level, dev = r.split("|")
        members = level_ids[pid]["members"] if pid in level_ids else {}
        if name == OTHER_DEV_PROJECT:
            members = {P["ext_other"][0]: "extern"}
        out.append({"id": pid, "name": name, "owner": owner, "provincie": prov, "level": level, "members": members,
                    "developer": dev})
    return out


def check_lists_and_aggregates(url, tokens, projects):
    allp = all_projects(url, projects)
    for pname in P:
        if pname == "badtoken":
            continue
        api = Api(BASE[0], tokens[pname])
        acc = {p["id"]: documented_access(pname, p, ORGS) for p in allp}
        want = {pid for pid, a in acc.items() if LEVEL_ORDER[a.level] >= 1 or a.stream}
        st, _, doc = api.json("GET", "/api/v1/projects?page_size=500")
        eq(st, 200, f"list as {pname}")
        got = {r["id"] for r in doc["results"]} if doc else set()
        names = {p["id"]: f"{p['name']} ({p['level']})" for p in allp}
        check(got == want, f"confidentiality: GET /api/v1/projects as {pname} lists exactly the visible projects",
              f"extra {sorted(names[i] for i in got - want)}, missing {sorted(names[i] for i in want - got)}")
        if pname == "anon":
            continue
        st, _, doc = api.json("GET", "/api/v1/reports/aggregate?group_by=confidentiality")
        eq(st, 200, f"aggregate as {pname}")
        got_agg = {r["key"]: (r["projects"], r["aggregate_only"]) for r in (doc or {}).get("results", [])}
        want_agg = collections.defaultdict(lambda: [0, 0])
        hidden = collections.Counter(p["level"] for p in allp
                                     if acc[p["id"]].level == "aggregate" and not acc[p["id"]].stream)
        # the k = 5 rule (docs/security.md §3b): aggregate-only projects count in a level's cell only when
        # at least 5 of them are there; the others merge into the cell of key null (all of them when that
        # would hold 1..4); with fewer than 5 in all, none counts (confidential_withheld)
        small = sum(n for n in hidden.values() if n < 5)
        mode = "none" if sum(hidden.values()) < 5 else "cells" if small == 0 or small >= 5 else "all"
        for p in allp:
            a = acc[p["id"]]
            agg_only = a.level == "aggregate" and not a.stream
            if agg_only and mode == "none":
                continue
            key = None if agg_only and (mode == "all" or hidden[p["level"]] < 5) else p["level"]
            if a.level is not None or a.stream:
                want_agg[key][0] += 1
                want_agg[key][1] += agg_only
        want_agg = {k: tuple(v) for k, v in want_agg.items()}
        eq(got_agg, want_agg, f"confidentiality: aggregate report as {pname} (projects, aggregate_only) per level")
        eq((doc or {}).get("confidential_withheld"), mode == "none" and bool(hidden),
           f"confidentiality: aggregate report as {pname}: confidential_withheld")


def feed_text(token):
    st, _, body = Api(BASE[0], None).call("GET", f"/calendar/{token}.ics")
    return st, body.decode("utf-8", "replace")


def wait_feed(token, needle, present, what, timeout=20):
    """Polls a feed until needle is (not) in it; the notifier fills the feed asynchronously."""
    deadline = time.time() + timeout
    while True:
        st, text = feed_text(token)
        if (st == 200 and (needle in text) == present) or time.time() > deadline:
            check(st in (200, 404) and ((st == 200 and (needle in text) == present) or (st == 404 and not present)),
                  what, f"status {st}, {'found' if needle in text else 'not found'} {needle!r}")
            return text
        time.sleep(0.3)


def check_feeds(url, tokens, uids, projects):
    names = dict(line.split("|") for line in psql(url, "SELECT name, id FROM projects").splitlines())
    bh = Api(BASE[0], tokens["beheerder"])
    # (1) a medewerker follows an intern_ambtelijk project; its user feed shows it; PATCH to
    # prive: gone from the user feed and from its project feed, and from the list
    pid = names[FEED_PROJECT]
    mw = Api(BASE[0], tokens["medewerker"])
    eq(mw.json("POST", f"/api/v1/projects/{pid}/follows", {})[0], 201, "feeds: medewerker follows " + FEED_PROJECT)
    st, _, doc = mw.json("POST", "/api/v1/feed-tokens", {"scope": "user"})
    eq(st, 201, "feeds: medewerker's user feed")
    user_feed = doc["token"] if doc else "x"
    st, _, doc = mw.json("POST", "/api/v1/feed-tokens", {"scope": "project", "project_id": pid})
    eq(st, 201, "feeds: medewerker's project feed")
    project_feed = doc["token"] if doc else "x"
    wait_feed(user_feed, FEED_PROJECT, True, "feeds: the follower's user feed shows the followed project")
    wait_feed(project_feed, FEED_PROJECT, True, "feeds: the project feed shows the project")
    eq(bh.json("PATCH", f"/api/v1/projects/{pid}", {"confidentiality": "prive"})[0], 200, "feeds: PATCH to prive")
    wait_feed(user_feed, FEED_PROJECT, False, "feeds: after PATCH to prive the follower's user feed drops it")
    wait_feed(project_feed, FEED_PROJECT, False, "feeds: after PATCH to prive the project feed shows nothing of it")
    st, _, doc = mw.json("GET", "/api/v1/projects?page_size=500")
    check(pid not in {r["id"] for r in doc["results"]}, "feeds: prive project not in the medewerker's list", "")
    # (2) raad: a project feed of an intern_raad project, then lowered to intern_bestuurlijk
    # (raad: aggregate only); management: intern_bestuurlijk, then lowered to intern_ambtelijk
    # both are hard plans in the sample, and a hard plan cannot go below extern mede-overheden
    # (§2): make them soft (planstatus 3) first, as a changed zoning status would
    psql(url, "UPDATE projects SET planstatus = '3' WHERE name IN ('Molenweide', 'Oude Haven fase 2')")
    for role, start, lower, pname in (("raad", "intern_raad", "intern_bestuurlijk", "Molenweide"),
                                      ("management", "intern_bestuurlijk", "intern_ambtelijk", "Oude Haven fase 2")):
        pid = names[pname]
        eq(bh.json("PATCH", f"/api/v1/projects/{pid}", {"confidentiality": start})[0], 200, f"feeds: {pname} to {start}")
        api = Api(BASE[0], tokens[role])
        st, _, doc = api.json("POST", "/api/v1/feed-tokens", {"scope": "project", "project_id": pid})
        eq(st, 201, f"feeds: {role} makes a project feed of a {start} project")
        tok = doc["token"] if doc else "x"
        eq(api.json("POST", f"/api/v1/projects/{pid}/follows", {})[0], 201, f"feeds: {role} follows it")
        st, _, doc = api.json("POST", "/api/v1/feed-tokens", {"scope": "user"})
        utok = doc["token"] if doc else "x"
        wait_feed(tok, pname, True, f"feeds: {role}'s project feed shows the {start} project")
        wait_feed(utok, pname, True, f"feeds: {role}'s user feed shows the followed {start} project")
        eq(bh.json("PATCH", f"/api/v1/projects/{pid}", {"confidentiality": lower})[0], 200, f"feeds: {pname} to {lower}")
        wait_feed(tok, pname, False, f"feeds: {role}'s project feed drops it at {lower} (aggregate only)")
        wait_feed(utok, pname, False, f"feeds: {role}'s user feed drops it at {lower} (aggregate only)")
        st, _, doc = api.json("GET", "/api/v1/projects?page_size=500")
        check(pid not in {r["id"] for r in doc["results"]}, f"feeds: {pname} not in {role}'s list at {lower}", "")
        st, _, doc = api.json("GET", f"/api/v1/projects/{pid}")
        eq(st, 404, f"feeds: {role} GET {pname} at {lower}")
        st, _, doc = api.json("GET", "/api/v1/reports/aggregate?group_by=confidentiality")
        rows = (doc or {}).get("results", [])
        row = {r["key"]: r for r in rows}.get(lower, {})
        # counted only as aggregate: in its level's cell or the merged one, or withheld (k = 5, §3b)
        check(row.get("aggregate_only", 0) >= 1 or any(r.get("merged") for r in rows)
              or (doc or {}).get("confidential_withheld") is True,
              f"feeds: {role} sees {pname} only as aggregate (aggregate_only, merged or withheld)", row)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--source", required=True)
    args = ap.parse_args()
    t0 = time.time()
    with fresh_database() as url, tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, BOUWSTROOM_DATABASE_URL=url, BOUWSTROOM_HOME=args.source)
        proc = None
        try:
            # the server is started before the fixture's API calls (with the operator provisioned)
            run(args.binary, env, ["migrate"])
            proc, BASE[0] = bsit.start_server(args.binary, env)
            ctx, tokens, projects, uids, _ = setup(args.binary, env, args.source, tmp)
            print(f"fixture ready in {time.time() - t0:.1f} s")
            total, wrong = run_matrix(ctx, tokens, projects)
            check_never_less_than_anonymous(projects)
            check_public_history(tokens, projects)
            t1 = time.time()
            n0 = bsit.checks
            check_lists_and_aggregates(url, tokens, projects)
            check_feeds(url, tokens, uids, projects)
            print(f"confidentiality: {bsit.checks - n0} checks (lists and aggregates per principal, feeds) "
                  f"in {time.time() - t1:.1f} s")
        finally:
            if proc:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                err = proc.stderr.read()
                if proc.returncode not in (0, -15):
                    check(False, "server exit", f"{proc.returncode}: {err[-2000:]}")
    print(f"total {time.time() - t0:.1f} s")
    return bsit.finish()


if __name__ == "__main__":
    sys.exit(main())
