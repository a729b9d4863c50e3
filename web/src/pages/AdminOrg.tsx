// My sessions (part of /admin, every user): where I am logged in, and logging out everywhere.
//
// Administration of an organisation (part of /admin), for its beheerders and administrators of the
// installation: the organisation's settings — the options of its working-day calendar (Goede
// Vrijdag, Bevrijdingsdag) and the stale-project threshold (months without a progress report
// before the stale_progress check flags a project) — and its users with their role and active
// sessions, where a user's sessions can be ended (their next call answers 401); its plusveld
// definitions (AdminPlusvelden.tsx).
//
// GET/PATCH /api/v1/organisations/{id}, GET /api/v1/users?organisation_id=, DELETE
// /api/v1/users/{id}/sessions. Every rule is the server's: the settings' ranges and values are
// checked there and a refusal is shown at the field the problem document names.
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, qs, type Page } from '../lib/api';
import { fmtDate, lang, strings } from '../lib/i18n';
import { navigate } from '../lib/router';
import { me as session, type Me } from '../lib/session';
import { ErrorSummary, Field, SubmitButton, useProblem, useSubmit } from '../components/form';
import { Pager } from '../components/pager';
import { PlusveldDefinitions } from './AdminPlusvelden';
import { DataTable } from '../components/table';

const PAGE_SIZE = 20;

const S = strings({
  nl: {
    title: 'Organisatie',
    choose: 'Kies een organisatie',
    loading: 'Laden…',
    errors: 'Er ging iets mis',
    settings: 'Instellingen',
    settingsHint: 'Deze instellingen gelden voor de projecten van de organisatie.',
    stale: 'Project verouderd na (maanden)',
    staleHint: 'Een project zonder voortgangsmelding in zoveel maanden valt op in de controle “verouderde voortgang”. Een heel getal van 1 tot en met 120.',
    calendar: 'Werkdagenkalender',
    goedeVrijdag: 'Goede Vrijdag is een vrije dag',
    bevrijdingsdag: 'Bevrijdingsdag (5 mei) is een vrije dag',
    bevrOpts: { never: 'nooit', lustrum: 'in lustrumjaren (2025, 2030, …)', yearly: 'elk jaar' } as Record<string, string>,
    save: 'Instellingen opslaan',
    saved: 'De instellingen zijn opgeslagen.',
    users: 'Gebruikers',
    name: 'Naam',
    email: 'E-mailadres',
    role: 'Rol',
    sessions: 'Actieve sessies',
    lastLogin: 'Laatst ingelogd',
    endSessions: 'Sessies beëindigen',
    endSessionsOf: (n: string) => `Sessies beëindigen van ${n}`,
    ended: (n: string, k: number) => `${k === 1 ? 'De sessie' : `${k} sessies`} van ${n} ${k === 1 ? 'is' : 'zijn'} beëindigd.`,
    noUsers: 'Deze organisatie heeft geen gebruikers.',
    installAdmin: 'beheerder installatie',
    disabled: 'geblokkeerd',
    erased: 'gewist',
    mySessions: 'Mijn sessies',
    mySessionsHint: 'Waar u nu bent ingelogd. Overal afmelden beëindigt ze allemaal, ook deze; daarna logt u opnieuw in.',
    started: 'Begonnen',
    until: 'Geldig tot',
    address: 'Adres',
    thisOne: 'deze browser',
    everywhere: 'Overal afmelden',
  },
  en: {
    title: 'Organisation',
    choose: 'Choose an organisation',
    loading: 'Loading…',
    errors: 'Something went wrong',
    settings: 'Settings',
    settingsHint: 'These settings apply to the organisation\'s projects.',
    stale: 'Project stale after (months)',
    staleHint: 'A project without a progress report for this many months is flagged by the “stale progress” check. A whole number from 1 to 120.',
    calendar: 'Working-day calendar',
    goedeVrijdag: 'Good Friday is a day off',
    bevrijdingsdag: 'Liberation Day (5 May) is a day off',
    bevrOpts: { never: 'never', lustrum: 'in lustrum years (2025, 2030, …)', yearly: 'every year' } as Record<string, string>,
    save: 'Save settings',
    saved: 'The settings have been saved.',
    users: 'Users',
    name: 'Name',
    email: 'E-mail address',
    role: 'Role',
    sessions: 'Active sessions',
    lastLogin: 'Last login',
    endSessions: 'End sessions',
    endSessionsOf: (n: string) => `End the sessions of ${n}`,
    ended: (n: string, k: number) => `${k === 1 ? 'The session' : `${k} sessions`} of ${n} ${k === 1 ? 'has' : 'have'} been ended.`,
    noUsers: 'This organisation has no users.',
    installAdmin: 'installation administrator',
    disabled: 'disabled',
    erased: 'erased',
    mySessions: 'My sessions',
    mySessionsHint: 'Where you are logged in now. Logging out everywhere ends them all, this one too; you then log in again.',
    started: 'Started',
    until: 'Valid until',
    address: 'Address',
    thisOne: 'this browser',
    everywhere: 'Log out everywhere',
  },
});

interface Organisation {
  id: string;
  name: string;
  stale_after_months: number;
  calendar: { goede_vrijdag: boolean; bevrijdingsdag: string };
}
interface OrgUser {
  id: string;
  email: string | null;
  name: string;
  role: string;
  is_admin: boolean;
  disabled_at: string | null;
  erased_at: string | null;
  active_sessions: number;
  last_login_at: string | null;
}

interface SessionRow {
  id: string;
  created_at: string;
  expires_at: string;
  client_address: string | null;
  current: boolean;
}

function when(ts: string): string {
  return new Date(ts).toLocaleString(lang.get() === 'nl' ? 'nl-NL' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Europe/Amsterdam' });
}

function detailOf(e: unknown): string {
  return e instanceof ApiError ? e.problem.detail ?? e.message : String(e);
}

/** The organisations the user administers: beheerder of, or every one of theirs for an
 * administrator of the installation. */
function administered(user: Me) {
  return (user.organisations ?? []).filter((o) => user.is_admin || o.role === 'beheerder');
}

export function OrganisationAdmin({ user, roles }: { user: Me; roles: Record<string, string> }) {
  const s = S();
  const orgs = administered(user);
  const [org, setOrg] = useState(orgs[0]?.organisation_id ?? '');
  if (!orgs.length) return null;
  return (
    <section class="bs-settings-section" aria-labelledby="adm-org-title" data-testid="organisation">
      <h2 class="utrecht-heading-2" id="adm-org-title">
        {s.title}
      </h2>
      <Field id="org-choice" as="select" label={s.choose} value={org} onValue={setOrg} options={orgs.map((o) => [o.organisation_id, o.name] as [string, string])} />
      {org ? <OrgSettings key={`s-${org}`} org={org} /> : null}
      {org ? <OrgUsers key={`u-${org}`} org={org} self={user.id} roles={roles} /> : null}
      {org ? <PlusveldDefinitions key={`p-${org}`} org={org} /> : null}
    </section>
  );
}

function OrgSettings({ org }: { org: string }) {
  const s = S();
  const f = useProblem();
  const [loaded, setLoaded] = useState<Organisation | null | 'failed'>(null);
  const [stale, setStale] = useState('');
  const [gv, setGv] = useState(false);
  const [bevr, setBevr] = useState('lustrum');
  const [saved, setSaved] = useState(false);
  const fill = (o: Organisation) => {
    setLoaded(o);
    setStale(String(o.stale_after_months));
    setGv(o.calendar.goede_vrijdag);
    setBevr(o.calendar.bevrijdingsdag);
  };
  useEffect(() => {
    api<Organisation>('GET', `/api/v1/organisations/${encodeURIComponent(org)}`)
      .then(fill)
      .catch((e) => {
        setLoaded('failed');
        f.set([{ message: detailOf(e) }]);
      });
  }, [org]);
  const sub = useSubmit(
    f,
    async () => {
      setSaved(false);
      // the text as typed when it is no whole number: the server says what is wrong with it
      const months = /^\s*-?\d+\s*$/.test(stale) ? Number(stale) : stale;
      const r = await api<Organisation>('PATCH', `/api/v1/organisations/${encodeURIComponent(org)}`, {
        stale_after_months: months,
        calendar: { goede_vrijdag: gv, bevrijdingsdag: bevr },
      });
      fill(r);
      setSaved(true);
    },
    { stale_after_months: 'org-stale', 'calendar.goede_vrijdag': 'org-gv', 'calendar.bevrijdingsdag': 'org-bevr', calendar: 'org-bevr' },
  );
  if (loaded === null) return <p>{s.loading}</p>;
  if (loaded === 'failed') return <ErrorSummary errors={f.errors} title={s.errors} />;
  return (
    <form
      class="bs-rule"
      noValidate
      aria-labelledby="org-settings-title"
      data-testid="org-settings"
      onSubmit={sub.onSubmit}
    >
      <h3 class="utrecht-heading-3" id="org-settings-title">
        {s.settings}
      </h3>
      <p class="utrecht-paragraph bs-muted">{s.settingsHint}</p>
      <ErrorSummary errors={f.errors} title={s.errors} />
      <Field id="org-stale" label={s.stale} hint={s.staleHint} value={stale} onValue={setStale} error={f.at('stale_after_months')} inputMode="numeric" autoComplete="off" />
      <fieldset class="utrecht-form-fieldset bs-fieldset">
        <legend class="utrecht-form-fieldset__legend">{s.calendar}</legend>
        <div class={`utrecht-form-field utrecht-form-field--checkbox bs-check${f.at('calendar.goede_vrijdag') ? ' utrecht-form-field--invalid' : ''}`}>
          {f.at('calendar.goede_vrijdag') ? (
            <div class="utrecht-form-field-error-message bs-field-error" id="org-gv-error">
              {f.at('calendar.goede_vrijdag')}
            </div>
          ) : null}
          <input
            type="checkbox"
            id="org-gv"
            class="utrecht-checkbox utrecht-checkbox--html-input"
            checked={gv}
            aria-invalid={f.at('calendar.goede_vrijdag') ? 'true' : undefined}
            aria-describedby={f.at('calendar.goede_vrijdag') ? 'org-gv-error' : undefined}
            onChange={(e) => setGv((e.currentTarget as HTMLInputElement).checked)}
          />{' '}
          <label class="utrecht-form-label utrecht-form-label--checkbox" for="org-gv">
            {s.goedeVrijdag}
          </label>
        </div>
        <Field id="org-bevr" as="select" label={s.bevrijdingsdag} value={bevr} onValue={setBevr} error={f.at('calendar.bevrijdingsdag') ?? f.at('calendar')} options={Object.entries(s.bevrOpts)} />
      </fieldset>
      <SubmitButton busy={sub.busy}>{s.save}</SubmitButton>
      <p class="utrecht-paragraph bs-notice" role="status" data-testid="org-saved" hidden={!saved}>
        {saved ? s.saved : ''}
      </p>
    </form>
  );
}

function OrgUsers({ org, self, roles }: { org: string; self: string; roles: Record<string, string> }) {
  const s = S();
  const [page, setPage] = useState(1);
  const [list, setList] = useState<Page<OrgUser> | null>(null);
  const [version, setVersion] = useState(0);
  const [err, setErr] = useState('');
  const [ended, setEnded] = useState('');
  // the ended user's button leaves the page: the focus goes to the list, not to the body
  const wrap = useRef<HTMLDivElement>(null);
  const refocus = useRef(false);
  useLayoutEffect(() => {
    if (refocus.current && wrap.current) {
      refocus.current = false;
      wrap.current.focus();
    }
  }, [list]);
  useEffect(() => {
    api<Page<OrgUser>>('GET', `/api/v1/users${qs({ organisation_id: org, page, page_size: PAGE_SIZE })}`)
      .then(setList)
      .catch((e) => setErr(detailOf(e)));
  }, [org, page, version]);
  const heads = [s.name, s.email, s.role, s.sessions, s.lastLogin];
  return (
    <div class="bs-org-users">
      <h3 class="utrecht-heading-3" id="org-users-title">
        {s.users}
      </h3>
      {err ? (
        <p class="utrecht-paragraph bs-field-error" role="alert">
          {err}
        </p>
      ) : null}
      <p class="utrecht-paragraph bs-notice" role="status" data-testid="org-ended" hidden={!ended}>
        {ended}
      </p>
      {list === null ? (
        <p>{s.loading}</p>
      ) : list.results.length ? (
        <>
          <DataTable labelledBy="org-users-title" wrapRef={wrap} wrapTestid="org-users-wrap" testid="org-users" heads={heads} actions={s.endSessions}>
            {list.results.map((u) => {
              const who = u.name || u.email || u.id;
              const notes = [u.is_admin ? s.installAdmin : '', u.disabled_at ? s.disabled : '', u.erased_at ? s.erased : ''].filter(Boolean);
              return (
                <tr class="utrecht-table__row" key={u.id} data-id={u.id}>
                  <td class="utrecht-table__cell">
                    {u.name || '—'}
                    {notes.length ? <span class="bs-muted"> ({notes.join(', ')})</span> : null}
                  </td>
                  <td class="utrecht-table__cell">{u.email || '—'}</td>
                  <td class="utrecht-table__cell" data-role={u.role}>
                    {roles[u.role] ?? u.role}
                  </td>
                  <td class="utrecht-table__cell" data-col="sessions">
                    {u.active_sessions}
                  </td>
                  <td class="utrecht-table__cell">{u.last_login_at ? fmtDate(u.last_login_at.slice(0, 10)) : '—'}</td>
                  <td class="utrecht-table__cell">
                    {u.active_sessions > 0 && u.id !== self ? (
                      <button
                        type="button"
                        class="utrecht-button utrecht-button--secondary-action bs-link-button bs-end-sessions"
                        aria-label={s.endSessionsOf(who)}
                        onClick={async () => {
                          setErr('');
                          setEnded('');
                          try {
                            const r = await api<{ revoked: number }>('DELETE', `/api/v1/users/${encodeURIComponent(u.id)}/sessions`);
                            setEnded(s.ended(who, r.revoked));
                            refocus.current = true;
                            setVersion((v) => v + 1);
                          } catch (e) {
                            setErr(detailOf(e));
                          }
                        }}
                      >
                        {s.endSessions}
                      </button>
                    ) : null}
                  </td>
                </tr>
              );
            })}
          </DataTable>
          <Pager page={page} size={PAGE_SIZE} count={list.count} hasPrev={!!list.previous} hasNext={!!list.next} onPage={setPage} />
        </>
      ) : (
        <p class="utrecht-paragraph">{s.noUsers}</p>
      )}
    </div>
  );
}

/** My active sessions (GET /api/v1/users/{me}/sessions) and logging out everywhere (DELETE …):
 * this session ends too, so the page goes to the login page. */
export function MySessions({ user }: { user: Me }) {
  const s = S();
  const [list, setList] = useState<Page<SessionRow> | null>(null);
  const [err, setErr] = useState('');
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    api<Page<SessionRow>>('GET', `/api/v1/users/${encodeURIComponent(user.id)}/sessions${qs({ page_size: 100 })}`)
      .then(setList)
      .catch((e) => setErr(detailOf(e)));
  }, [user.id]);
  return (
    <section class="bs-settings-section" aria-labelledby="adm-sessions-title">
      <h2 class="utrecht-heading-2" id="adm-sessions-title">
        {s.mySessions}
      </h2>
      <p class="utrecht-paragraph bs-muted">{s.mySessionsHint}</p>
      {err ? (
        <p class="utrecht-paragraph bs-field-error" role="alert">
          {err}
        </p>
      ) : null}
      {list === null ? (
        err ? null : <p>{s.loading}</p>
      ) : (
        <DataTable labelledBy="adm-sessions-title" testid="my-sessions" heads={[s.started, s.until, s.address]}>
          {list.results.map((x) => (
            <tr class="utrecht-table__row" key={x.id} data-id={x.id} data-current={x.current ? 'true' : undefined}>
              <td class="utrecht-table__cell">
                {when(x.created_at)}
                {x.current ? <span class="bs-muted"> ({s.thisOne})</span> : null}
              </td>
              <td class="utrecht-table__cell">{when(x.expires_at)}</td>
              <td class="utrecht-table__cell">{x.client_address || '—'}</td>
            </tr>
          ))}
        </DataTable>
      )}
      <button
        type="button"
        class="utrecht-button utrecht-button--secondary-action bs-everywhere"
        aria-busy={busy ? 'true' : undefined}
        onClick={async () => {
          if (busy) return;
          setBusy(true);
          setErr('');
          try {
            await api('DELETE', `/api/v1/users/${encodeURIComponent(user.id)}/sessions`);
            session.set(null);
            navigate('/login');
          } catch (e) {
            setErr(detailOf(e));
            setBusy(false);
          }
        }}
      >
        {s.everywhere}
      </button>
    </section>
  );
}
