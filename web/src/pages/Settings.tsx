// Alerts and calendar (/settings/alerts, /settings/calendar?project_id=…; alert mails link to
// both): my upcoming alerts with their reasons, my alert rules (on/off, days before, planned or
// P50, one morning digest), the projects I follow (follow, unfollow), and my calendar
// subscription links — per project, per stream or for all projects I follow — created (the link
// is shown once, with a copy button), listed with what each contains, and revoked.
//
// Every rule is the server's: the effective rule of each kind and its source come from
// GET /api/v1/users/{id}/alert-settings, the reasons of an alert from GET /api/v1/alerts/upcoming
// (what it is about, why I receive it, the rule that planned it); refusals are shown at the field
// the problem document names.
import './settings.css';
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, qs, type Page } from '../lib/api';
import { fmtDate, lang, strings } from '../lib/i18n';
import { linkClick, location } from '../lib/router';
import { useRequireLogin } from '../lib/guard';
import { useSignal } from '../lib/signal';
import { ErrorSummary, Field, SubmitButton, useProblem, useSubmit } from '../components/form';
import { Pager } from '../components/pager';
import { DataTable } from '../components/table';

const KIND_NL: Record<string, string> = {
  milestone_upcoming: 'Naderende mijlpaal',
  milestone_overdue: 'Verlopen mijlpaal',
  blocked_by_other_stream: 'Wacht op de andere stroom',
  forecast_slipped: 'Prognose verschoven',
  external_update: 'Wijziging door een externe partij',
  follow_summary: 'Samenvatting bij het volgen',
};
const KIND_EN: Record<string, string> = {
  milestone_upcoming: 'Upcoming milestone',
  milestone_overdue: 'Overdue milestone',
  blocked_by_other_stream: 'Waiting for the other stream',
  forecast_slipped: 'Forecast slipped',
  external_update: 'Update by an external party',
  follow_summary: 'Summary on following',
};

const S = strings({
  nl: {
    title: 'Meldingen en agenda',
    tabs: 'Onderdelen',
    tabAlerts: 'Meldingen',
    tabCalendar: 'Agenda-abonnementen',
    loading: 'Laden…',
    kinds: KIND_NL,
    upcoming: 'Mijn komende meldingen',
    upcomingHint: 'Meldingen die nog verstuurd worden, de eerstvolgende bovenaan, met de reden van elke melding.',
    noUpcoming: 'Er staan geen meldingen voor u klaar. Volg een project om meldingen te krijgen.',
    due: 'Verstuurd op',
    kind: 'Soort',
    project: 'Project',
    step: 'Stap',
    reason: 'Reden',
    delivery: 'Bezorging',
    digest: 'in de ochtendsamenvatting',
    mail: 'e-mail',
    because: { follower: 'u volgt het project', projectleider: 'u bent projectleider', stream_owner_public: 'u bent eigenaar van de gemeentestroom', stream_owner_private: 'u bent eigenaar van de ontwikkelaarsstroom' } as Record<string, string>,
    youGet: (why: string) => `U krijgt deze melding omdat ${why}.`,
    and: ' en ',
    source: { user: 'uw eigen regel', organisation: 'de regel van uw organisatie', default: 'de standaardregel' } as Record<string, string>,
    basis: { planned: 'geplande datum', p50: 'prognose P50' } as Record<string, string>,
    reasons: {
      milestone_upcoming: (d: string, days: number, basis: string, src: string) => `Gepland op ${d}; ${days} werkdagen vooraf (${basis}; ${src}).`,
      milestone_overdue: (d: string) => `Gepland op ${d} en nog niet gerealiseerd.`,
      blocked_by_other_stream: (step: string, d: string) => `Wacht op ‘${step}’ van de andere stroom, die op ${d} klaar zou zijn.`,
      forecast_slipped: (p50: string, base: string, days: number) => `Prognose P50 ${p50} ligt meer dan ${days} kalenderdagen na de eerste prognose (${base}).`,
      external_update: (who: string, why: string) => `Gewijzigd door ${who}${why ? `: ${why}` : ''}.`,
      follow_summary: (n: number) => `${n} punten die al te laat waren toen u het project ging volgen.`,
    },
    rules: 'Mijn regels voor meldingen',
    rulesHint: 'Wat u zelf instelt, gaat voor de regel van uw organisatie; zonder regel geldt de standaard.',
    delivery2: 'Bezorging',
    digestLabel: 'Eén samenvatting per ochtend in plaats van een e-mail per melding',
    locale: 'Taal van de e-mails',
    locales: { nl: 'Nederlands', en: 'English' } as Record<string, string>,
    saveDelivery: 'Bezorging opslaan',
    on: 'Aan',
    days: { working_days: 'Werkdagen vooraf', calendar_days: 'Kalenderdagen verschuiving' } as Record<string, string>,
    basisLabel: 'Rekenen vanaf',
    from: 'Geldt nu: ',
    save: 'Opslaan',
    saved: 'Opgeslagen.',
    errors: 'Er ging iets mis',
    follows: 'Projecten die ik volg',
    followsHint: 'U krijgt meldingen over de projecten die u volgt; een agenda voor “alle projecten die ik volg” toont hun mijlpalen.',
    noFollows: 'U volgt nog geen projecten.',
    unfollow: 'Niet meer volgen',
    unfollowed: (n: string) => `U volgt ${n} niet meer.`,
    followed: (n: string) => `U volgt ${n}.`,
    find: 'Project zoeken om te volgen',
    findLabel: 'Naam van het project',
    search: 'Zoeken',
    follow: 'Volgen',
    noneFound: 'Geen projecten gevonden.',
    calendar: 'Agenda-abonnementen',
    calendarHint: 'Een abonnementslink zet de mijlpalen en stappen in uw agenda-app (iCalendar). Agenda’s verversen traag; wat dringend is, komt per e-mail.',
    newFeed: 'Nieuwe abonnementslink',
    scope: 'Wat komt erin',
    scopes: { project: 'Eén project (beide stromen)', stream: 'Eén stroom van een project', user: 'Alle projecten die ik volg' } as Record<string, string>,
    feedProject: 'Project',
    stream: 'Stroom',
    streams: { public: 'gemeente (publieke stroom)', private: 'ontwikkelaar (private stroom)' } as Record<string, string>,
    label: 'Naam voor uzelf (niet verplicht)',
    labelCol: 'Naam',
    create: 'Link maken',
    created: 'De link is gemaakt. U ziet hem alleen nu: kopieer hem naar uw agenda-app.',
    link: 'Abonnementslink',
    copy: 'Kopieer de link',
    copied: 'De link is gekopieerd.',
    copyFailed: 'Kopiëren lukte niet; selecteer de link en kopieer hem zelf.',
    secret: 'Wie de link heeft, ziet deze agenda. Trek hem in als hij bij anderen terecht is gekomen.',
    contains: {
      user: (n: number) => `Mijlpalen en stappen van alle projecten die u volgt (nu ${n}), met geplande data en prognose.`,
      project: (p: string) => `Mijlpalen en stappen van beide stromen van ${p}, met geplande data en prognose.`,
      stream: (p: string, st: string) => `Alleen de stappen van de ${st} van ${p}.`,
    },
    myFeeds: 'Mijn abonnementslinks',
    noFeeds: 'U heeft nog geen abonnementslinks.',
    what: 'Inhoud',
    made: 'Gemaakt op',
    status: 'Status',
    active: 'actief',
    revokedOn: (d: string) => `ingetrokken op ${d}`,
    revoke: 'Intrekken',
    revoked: 'De link is ingetrokken; de agenda is niet meer op te halen.',
    otherProject: 'een project dat u niet meer kunt zien',
  },
  en: {
    title: 'Alerts and calendar',
    tabs: 'Sections',
    tabAlerts: 'Alerts',
    tabCalendar: 'Calendar subscriptions',
    loading: 'Loading…',
    kinds: KIND_EN,
    upcoming: 'My upcoming alerts',
    upcomingHint: 'Alerts still to be sent, the next one first, each with its reason.',
    noUpcoming: 'No alerts are waiting for you. Follow a project to get alerts.',
    due: 'Sent on',
    kind: 'Kind',
    project: 'Project',
    step: 'Step',
    reason: 'Reason',
    delivery: 'Delivery',
    digest: 'in the morning digest',
    mail: 'e-mail',
    because: { follower: 'you follow the project', projectleider: 'you are its project leader', stream_owner_public: 'you own the municipality stream', stream_owner_private: 'you own the developer stream' } as Record<string, string>,
    youGet: (why: string) => `You get this alert because ${why}.`,
    and: ' and ',
    source: { user: 'your own rule', organisation: 'your organisation’s rule', default: 'the default rule' } as Record<string, string>,
    basis: { planned: 'planned date', p50: 'forecast P50' } as Record<string, string>,
    reasons: {
      milestone_upcoming: (d: string, days: number, basis: string, src: string) => `Planned on ${d}; ${days} working days ahead (${basis}; ${src}).`,
      milestone_overdue: (d: string) => `Planned on ${d} and not yet realised.`,
      blocked_by_other_stream: (step: string, d: string) => `Waits for ‘${step}’ of the other stream, which was due on ${d}.`,
      forecast_slipped: (p50: string, base: string, days: number) => `Forecast P50 ${p50} lies more than ${days} calendar days after the first forecast (${base}).`,
      external_update: (who: string, why: string) => `Changed by ${who}${why ? `: ${why}` : ''}.`,
      follow_summary: (n: number) => `${n} items that were already late when you started following the project.`,
    },
    rules: 'My alert rules',
    rulesHint: 'What you set yourself overrides your organisation’s rule; without a rule the default applies.',
    delivery2: 'Delivery',
    digestLabel: 'One digest each morning instead of one e-mail per alert',
    locale: 'Language of the e-mails',
    locales: { nl: 'Nederlands', en: 'English' } as Record<string, string>,
    saveDelivery: 'Save delivery',
    on: 'On',
    days: { working_days: 'Working days ahead', calendar_days: 'Calendar days of slip' } as Record<string, string>,
    basisLabel: 'Count from',
    from: 'In force: ',
    save: 'Save',
    saved: 'Saved.',
    errors: 'Something went wrong',
    follows: 'Projects I follow',
    followsHint: 'You get alerts about the projects you follow; a calendar of “all projects I follow” shows their milestones.',
    noFollows: 'You do not follow any project yet.',
    unfollow: 'Stop following',
    unfollowed: (n: string) => `You no longer follow ${n}.`,
    followed: (n: string) => `You follow ${n}.`,
    find: 'Find a project to follow',
    findLabel: 'Name of the project',
    search: 'Search',
    follow: 'Follow',
    noneFound: 'No projects found.',
    calendar: 'Calendar subscriptions',
    calendarHint: 'A subscription link puts the milestones and steps in your calendar app (iCalendar). Calendars refresh slowly; what is urgent comes by e-mail.',
    newFeed: 'New subscription link',
    scope: 'What it contains',
    scopes: { project: 'One project (both streams)', stream: 'One stream of a project', user: 'All projects I follow' } as Record<string, string>,
    feedProject: 'Project',
    stream: 'Stream',
    streams: { public: 'municipality (public stream)', private: 'developer (private stream)' } as Record<string, string>,
    label: 'A name for yourself (optional)',
    labelCol: 'Name',
    create: 'Create link',
    created: 'The link has been created. You see it only now: copy it to your calendar app.',
    link: 'Subscription link',
    copy: 'Copy the link',
    copied: 'The link has been copied.',
    copyFailed: 'Copying failed; select the link and copy it yourself.',
    secret: 'Whoever has the link sees this calendar. Revoke it when it reached others.',
    contains: {
      user: (n: number) => `Milestones and steps of every project you follow (now ${n}), with planned dates and forecast.`,
      project: (p: string) => `Milestones and steps of both streams of ${p}, with planned dates and forecast.`,
      stream: (p: string, st: string) => `Only the steps of the ${st} of ${p}.`,
    },
    myFeeds: 'My subscription links',
    noFeeds: 'You have no subscription links yet.',
    what: 'Contents',
    made: 'Created on',
    status: 'Status',
    active: 'active',
    revokedOn: (d: string) => `revoked on ${d}`,
    revoke: 'Revoke',
    revoked: 'The link has been revoked; the calendar can no longer be fetched.',
    otherProject: 'a project you can no longer see',
  },
});

interface Rule {
  kind: string;
  enabled: boolean;
  days: number;
  basis: string;
  days_unit: string | null;
  basis_applies: boolean;
  source: string;
}
interface Settings {
  user_id: string;
  digest: boolean;
  locale: string;
  time_zone: string;
  rules: Rule[];
}
interface Upcoming {
  id: string;
  kind: string;
  status: string;
  due_at: string;
  digest: boolean;
  project_id: string;
  step_key: string | null;
  details: Record<string, any>;
  because: string[];
  rule: Rule | null;
}
interface Follow {
  project_id: string;
  name: string;
  gemeente: string;
}
interface FeedToken {
  id: string;
  scope: 'user' | 'project' | 'stream';
  project_id: string | null;
  project_name: string | null;
  stream: string | null;
  label: string | null;
  created_by: string | null;
  user_id: string | null;
  created_at: string;
  revoked_at: string | null;
}

const when = (t: string | null) => (t ? new Date(t).toLocaleString(lang.get() === 'nl' ? 'nl-NL' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short' }) : '—');

export default function SettingsPage() {
  const user = useRequireLogin();
  const loc = useSignal(location);
  useSignal(lang);
  const s = S();
  const calendar = loc.path.startsWith('/settings/calendar');
  const [follows, setFollows] = useState<Follow[] | null>(null);
  const [announce, setAnnounce] = useState('');
  const [version, setVersion] = useState(0);
  const loadFollows = () =>
    api<Page<Follow>>('GET', '/api/v1/follows?page_size=500')
      .then((p) => setFollows(p.results))
      .catch(() => setFollows([]));
  useEffect(() => {
    if (user) loadFollows();
  }, [user, version]);
  if (!user) return <p aria-live="polite">{s.loading}</p>;
  const changed = (msg: string) => {
    setAnnounce(msg);
    setVersion((v) => v + 1);
  };
  const tab = (href: string, label: string, current: boolean) => (
    <a href={href} onClick={linkClick} aria-current={current ? 'page' : undefined} class={current ? 'bs-tab bs-tab--current' : 'bs-tab'}>
      {label}
    </a>
  );
  return (
    <div class="bs-settings">
      <h1 class="utrecht-heading-1">{s.title}</h1>
      <nav class="bs-tabs" aria-label={s.tabs}>
        {tab('/settings/alerts', s.tabAlerts, !calendar)}
        {tab('/settings/calendar', s.tabCalendar, calendar)}
      </nav>
      <div class="bs-sr-status" role="status" aria-live="polite" data-testid="announce">
        {announce}
      </div>
      {calendar ? (
        <Calendar userId={user.id} follows={follows} projectId={loc.query.get('project_id') ?? ''} onChanged={changed} />
      ) : (
        <>
          <UpcomingAlerts version={version} />
          <Rules userId={user.id} onChanged={changed} />
          <Follows userId={user.id} follows={follows} onChanged={changed} />
        </>
      )}
    </div>
  );
}

/** The reason of one alert in words, from what the server says about it. */
function reasonText(a: Upcoming): string {
  const s = S();
  const d = a.details ?? {};
  const r = a.rule;
  let what = '';
  switch (a.kind) {
    case 'milestone_upcoming':
      what = s.reasons.milestone_upcoming(fmtDate(d.date), r?.days ?? 0, s.basis[r?.basis ?? 'planned'] ?? '', s.source[r?.source ?? 'default'] ?? '');
      break;
    case 'milestone_overdue':
      what = s.reasons.milestone_overdue(fmtDate(d.date));
      break;
    case 'blocked_by_other_stream':
      what = s.reasons.blocked_by_other_stream(d.blocking_step_name ?? '', fmtDate(d.date));
      break;
    case 'forecast_slipped':
      what = s.reasons.forecast_slipped(fmtDate(d.p50), fmtDate(d.baseline_p50), r?.days ?? 0);
      break;
    case 'external_update':
      what = s.reasons.external_update(`${d.author ?? ''}${d.author_organisation ? ` (${d.author_organisation})` : ''}`, d.reason ?? '');
      break;
    case 'follow_summary':
      what = s.reasons.follow_summary(Array.isArray(d.items) ? d.items.length : 0);
      break;
  }
  const why = a.because.map((b) => s.because[b] ?? b).join(s.and);
  return why ? `${what} ${s.youGet(why)}` : what;
}

function UpcomingAlerts({ version }: { version: number }) {
  const s = S();
  const [page, setPage] = useState(1);
  const [list, setList] = useState<Page<Upcoming> | null>(null);
  const size = 20;
  useEffect(() => {
    api<Page<Upcoming>>('GET', `/api/v1/alerts/upcoming${qs({ page, page_size: size })}`)
      .then(setList)
      .catch(() => setList({ count: 0, next: null, previous: null, results: [] }));
  }, [page, version]);
  return (
    <section class="bs-settings-section" aria-labelledby="st-upcoming-title">
      <h2 class="utrecht-heading-2" id="st-upcoming-title">
        {s.upcoming}
      </h2>
      <p class="utrecht-paragraph bs-muted">{s.upcomingHint}</p>
      {!list ? (
        <p>{s.loading}</p>
      ) : list.count === 0 ? (
        <p class="utrecht-paragraph" data-testid="no-upcoming">
          {s.noUpcoming}
        </p>
      ) : (
        <>
          <DataTable labelledBy="st-upcoming-title" testid="upcoming" heads={[s.due, s.kind, s.project, s.step, s.reason, s.delivery]}>
            {list.results.map((a) => (
              <tr class="utrecht-table__row" key={a.id} data-id={a.id} data-kind={a.kind}>
                <td class="utrecht-table__cell">{when(a.due_at)}</td>
                <td class="utrecht-table__cell">{s.kinds[a.kind] ?? a.kind}</td>
                <td class="utrecht-table__cell">
                  <a href={`/projects/${encodeURIComponent(a.project_id)}`} onClick={linkClick}>
                    {a.details?.project_name ?? a.project_id}
                  </a>
                </td>
                <td class="utrecht-table__cell">
                  {a.step_key ? (
                    <a href={`/projects/${encodeURIComponent(a.project_id)}/steps/${encodeURIComponent(a.step_key)}`} onClick={linkClick}>
                      {a.details?.step_name ?? a.step_key}
                    </a>
                  ) : (
                    '—'
                  )}
                </td>
                <td class="utrecht-table__cell" data-col="reason">
                  {reasonText(a)}
                </td>
                <td class="utrecht-table__cell">{a.digest ? s.digest : s.mail}</td>
              </tr>
            ))}
          </DataTable>
          <Pager page={page} size={size} count={list.count} hasPrev={!!list.previous} hasNext={!!list.next} onPage={setPage} />
        </>
      )}
    </section>
  );
}

function Rules({ userId, onChanged }: { userId: string; onChanged: (m: string) => void }) {
  const s = S();
  const [settings, setSettings] = useState<Settings | null>(null);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    api<Settings>('GET', `/api/v1/users/${encodeURIComponent(userId)}/alert-settings`)
      .then(setSettings)
      .catch(() => setSettings(null));
  }, [userId, version]);
  const saved = () => {
    setVersion((v) => v + 1);
    onChanged(s.saved);
  };
  return (
    <section class="bs-settings-section" aria-labelledby="st-rules-title">
      <h2 class="utrecht-heading-2" id="st-rules-title">
        {s.rules}
      </h2>
      <p class="utrecht-paragraph bs-muted">{s.rulesHint}</p>
      {settings ? (
        <>
          <DeliveryForm userId={userId} settings={settings} onSaved={saved} />
          <div class="bs-rules">
            {settings.rules.map((r) => (
              <RuleForm key={`${r.kind}:${r.enabled}:${r.days}:${r.basis}:${r.source}`} userId={userId} rule={r} onSaved={saved} />
            ))}
          </div>
        </>
      ) : (
        <p>{s.loading}</p>
      )}
    </section>
  );
}

function DeliveryForm({ userId, settings, onSaved }: { userId: string; settings: Settings; onSaved: () => void }) {
  const s = S();
  const f = useProblem();
  const [digest, setDigest] = useState(settings.digest);
  const [locale, setLocale] = useState(settings.locale);
  const sub = useSubmit(
    f,
    async () => {
      await api('PATCH', `/api/v1/users/${encodeURIComponent(userId)}`, { digest, locale });
      onSaved();
    },
    { digest: 'st-digest', locale: 'st-locale' },
  );
  return (
    <form
      class="bs-rule"
      noValidate
      aria-labelledby="st-delivery-title"
      data-testid="delivery"
      onSubmit={sub.onSubmit}
    >
      <h3 class="utrecht-heading-3" id="st-delivery-title">
        {s.delivery2}
      </h3>
      <ErrorSummary errors={f.errors} title={s.errors} />
      <Check id="st-digest" label={s.digestLabel} checked={digest} onChange={setDigest} error={f.at('digest')} />
      <Field id="st-locale" as="select" label={s.locale} value={locale} onValue={setLocale} error={f.at('locale')} options={Object.entries(s.locales)} />
      <SubmitButton busy={sub.busy}>{s.saveDelivery}</SubmitButton>
    </form>
  );
}

function Check({ id, label, checked, onChange, error }: { id: string; label: string; checked: boolean; onChange: (v: boolean) => void; error?: string }) {
  return (
    <div class={`utrecht-form-field utrecht-form-field--checkbox bs-check${error ? ' utrecht-form-field--invalid' : ''}`}>
      {error ? (
        <div class="utrecht-form-field-error-message bs-field-error" id={`${id}-error`}>
          {error}
        </div>
      ) : null}
      <input
        type="checkbox"
        id={id}
        class="utrecht-checkbox utrecht-checkbox--html-input"
        checked={checked}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        onChange={(e) => onChange((e.currentTarget as HTMLInputElement).checked)}
      />{' '}
      <label class="utrecht-form-label utrecht-form-label--checkbox" for={id}>
        {label}
      </label>
    </div>
  );
}

function RuleForm({ userId, rule, onSaved }: { userId: string; rule: Rule; onSaved: () => void }) {
  const s = S();
  const f = useProblem();
  const [enabled, setEnabled] = useState(rule.enabled);
  const [days, setDays] = useState(String(rule.days));
  const [basis, setBasis] = useState(rule.basis);
  const idp = `rule-${rule.kind}`;
  const sub = useSubmit(
    f,
    async () => {
      const d = days.trim();
      await api('PUT', '/api/v1/alert-rules', { user_id: userId, kind: rule.kind, enabled, days: /^-?\d+$/.test(d) ? Number(d) : d, basis });
      onSaved();
    },
    { enabled: `${idp}-enabled`, days: `${idp}-days`, basis: `${idp}-basis` },
  );
  return (
    <form
      class="bs-rule"
      noValidate
      aria-labelledby={`${idp}-title`}
      data-kind={rule.kind}
      onSubmit={sub.onSubmit}
    >
      <h3 class="utrecht-heading-3" id={`${idp}-title`}>
        {s.kinds[rule.kind] ?? rule.kind}
      </h3>
      <p class="bs-muted bs-rule-source" data-testid={`${idp}-source`}>
        {s.from}
        {s.source[rule.source] ?? rule.source}
      </p>
      <ErrorSummary errors={f.errors} title={s.errors} />
      <Check id={`${idp}-enabled`} label={s.on} checked={enabled} onChange={setEnabled} error={f.at('enabled')} />
      {rule.days_unit ? (
        <Field id={`${idp}-days`} label={s.days[rule.days_unit] ?? rule.days_unit} value={days} onValue={setDays} error={f.at('days')} inputMode="numeric" class="bs-field-short" />
      ) : null}
      {rule.basis_applies ? (
        <Field id={`${idp}-basis`} as="select" label={s.basisLabel} value={basis} onValue={setBasis} error={f.at('basis')} options={Object.entries(s.basis)} />
      ) : null}
      <SubmitButton busy={sub.busy}>{s.save}</SubmitButton>
    </form>
  );
}

function Follows({ userId, follows, onChanged }: { userId: string; follows: Follow[] | null; onChanged: (m: string) => void }) {
  const s = S();
  const f = useProblem();
  const [q, setQ] = useState('');
  const [found, setFound] = useState<{ id: string; name: string; gemeente: string }[] | null>(null);
  const followed = new Set((follows ?? []).map((x) => x.project_id));
  const act = async (method: 'POST' | 'DELETE', id: string, name: string) => {
    f.clear();
    try {
      if (method === 'POST') await api('POST', `/api/v1/projects/${encodeURIComponent(id)}/follows`, {});
      else await api('DELETE', `/api/v1/projects/${encodeURIComponent(id)}/follows/${encodeURIComponent(userId)}`);
      onChanged(method === 'POST' ? s.followed(name) : s.unfollowed(name));
    } catch (err) {
      f.fromError(err, { q: 'st-q' });
    }
  };
  const sub = useSubmit(
    f,
    async () => {
      const p = await api<Page<{ id: string; name: string; gemeente: string }>>('GET', `/api/v1/projects${qs({ q, page_size: 10 })}`);
      setFound(p.results);
    },
    { q: 'st-q' },
  );
  return (
    <section class="bs-settings-section" aria-labelledby="st-follows-title">
      <h2 class="utrecht-heading-2" id="st-follows-title">
        {s.follows}
      </h2>
      <p class="utrecht-paragraph bs-muted">{s.followsHint}</p>
      <ErrorSummary errors={f.errors} title={s.errors} />
      {follows === null ? (
        <p>{s.loading}</p>
      ) : follows.length ? (
        <ul class="bs-follows" data-testid="follows">
          {follows.map((x) => (
            <li key={x.project_id} data-id={x.project_id}>
              <a href={`/projects/${encodeURIComponent(x.project_id)}`} onClick={linkClick}>
                {x.name}
              </a>{' '}
              <span class="bs-muted">({x.gemeente})</span>{' '}
              <button type="button" class="utrecht-button utrecht-button--subtle bs-link-button" aria-label={`${s.unfollow}: ${x.name}`} onClick={() => act('DELETE', x.project_id, x.name)}>
                {s.unfollow}
              </button>
            </li>
          ))}
        </ul>
      ) : (
        <p class="utrecht-paragraph">{s.noFollows}</p>
      )}
      <form
        class="bs-find"
        noValidate
        role="search"
        aria-labelledby="st-find-title"
        onSubmit={sub.onSubmit}
      >
        <h3 class="utrecht-heading-3" id="st-find-title">
          {s.find}
        </h3>
        <div class="bs-inline-form">
          <Field id="st-q" label={s.findLabel} value={q} onValue={setQ} error={f.at('q')} />
          <SubmitButton busy={sub.busy}>{s.search}</SubmitButton>
        </div>
      </form>
      {found ? (
        found.length ? (
          <ul class="bs-follows" data-testid="found">
            {found.map((x) => (
              <li key={x.id}>
                {x.name} <span class="bs-muted">({x.gemeente})</span>{' '}
                {followed.has(x.id) ? null : (
                  <button type="button" class="utrecht-button utrecht-button--secondary-action bs-link-button" aria-label={`${s.follow}: ${x.name}`} onClick={() => act('POST', x.id, x.name)}>
                    {s.follow}
                  </button>
                )}
              </li>
            ))}
          </ul>
        ) : (
          <p class="utrecht-paragraph">{s.noneFound}</p>
        )
      ) : null}
    </section>
  );
}

interface ProjectOption {
  id: string;
  name: string;
}

function Calendar({ userId, follows, projectId, onChanged }: { userId: string; follows: Follow[] | null; projectId: string; onChanged: (m: string) => void }) {
  const s = S();
  const [tokens, setTokens] = useState<FeedToken[] | null>(null);
  const [projects, setProjects] = useState<ProjectOption[] | null>(null);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    // an administrator's list holds everyone's links: this page shows the user's own
    api<Page<FeedToken>>('GET', `/api/v1/feed-tokens${qs({ page_size: 500 })}`)
      .then((p) => setTokens(p.results.filter((t) => t.created_by === userId || t.user_id === userId)))
      .catch(() => setTokens([]));
  }, [userId, version]);
  // the projects to choose from: mine (member, follower, role) and the one the link named
  useEffect(() => {
    (async () => {
      const mine = await api<Page<ProjectOption>>('GET', '/api/v1/projects?mine=true&page_size=500').catch(() => null);
      const list = (mine?.results ?? []).map((p) => ({ id: p.id, name: p.name }));
      if (projectId && !list.some((p) => p.id === projectId)) {
        const p = await api<ProjectOption>('GET', `/api/v1/projects/${encodeURIComponent(projectId)}`).catch(() => null);
        if (p) list.unshift({ id: p.id, name: p.name });
      }
      setProjects(list);
    })();
  }, [projectId]);
  const contains = (t: { scope: string; project_name?: string | null; stream?: string | null }) => {
    if (t.scope === 'user') return s.contains.user(follows?.length ?? 0);
    const p = t.project_name ?? s.otherProject;
    if (t.scope === 'stream') return s.contains.stream(p, s.streams[t.stream ?? ''] ?? t.stream ?? '');
    return s.contains.project(p);
  };
  return (
    <>
      <section class="bs-settings-section" aria-labelledby="st-cal-title">
        <h2 class="utrecht-heading-2" id="st-cal-title">
          {s.calendar}
        </h2>
        <p class="utrecht-paragraph bs-muted">{s.calendarHint}</p>
        {projects ? <NewFeed projects={projects} projectId={projectId} contains={contains} onCreated={() => setVersion((v) => v + 1)} /> : <p>{s.loading}</p>}
      </section>
      <section class="bs-settings-section" aria-labelledby="st-feeds-title">
        <h2 class="utrecht-heading-2" id="st-feeds-title">
          {s.myFeeds}
        </h2>
        {tokens === null ? (
          <p>{s.loading}</p>
        ) : tokens.length ? (
          <DataTable labelledBy="st-feeds-title" testid="feeds" heads={[s.what, s.labelCol, s.made, s.status]} actions={s.revoke}>
            {tokens.map((t) => (
              <tr class="utrecht-table__row" key={t.id} data-id={t.id} data-scope={t.scope}>
                <td class="utrecht-table__cell">{contains(t)}</td>
                <td class="utrecht-table__cell">{t.label || '—'}</td>
                <td class="utrecht-table__cell">{when(t.created_at)}</td>
                <td class="utrecht-table__cell" data-col="status">
                  {t.revoked_at ? s.revokedOn(when(t.revoked_at)) : s.active}
                </td>
                <td class="utrecht-table__cell">
                  {t.revoked_at ? null : (
                    <RevokeButton
                      label={`${s.revoke}: ${contains(t)}${t.label ? ` (${t.label})` : ''}`}
                      id={t.id}
                      onRevoked={() => {
                        setVersion((v) => v + 1);
                        onChanged(s.revoked);
                      }}
                    />
                  )}
                </td>
              </tr>
            ))}
          </DataTable>
        ) : (
          <p class="utrecht-paragraph">{s.noFeeds}</p>
        )}
      </section>
    </>
  );
}

function RevokeButton({ label, id, onRevoked }: { label: string; id: string; onRevoked: () => void }) {
  const s = S();
  const [err, setErr] = useState('');
  return (
    <>
      <button
        type="button"
        class="utrecht-button utrecht-button--secondary-action bs-link-button"
        aria-label={label}
        onClick={async () => {
          setErr('');
          try {
            await api('DELETE', `/api/v1/feed-tokens/${encodeURIComponent(id)}`);
            onRevoked();
          } catch (e) {
            setErr(e instanceof ApiError ? e.problem.detail ?? e.message : String(e));
          }
        }}
      >
        {s.revoke}
      </button>
      {err ? (
        <span class="bs-field-error" role="alert">
          {err}
        </span>
      ) : null}
    </>
  );
}

function NewFeed({
  projects,
  projectId,
  contains,
  onCreated,
}: {
  projects: ProjectOption[];
  projectId: string;
  contains: (t: { scope: string; project_name?: string | null; stream?: string | null }) => string;
  onCreated: () => void;
}) {
  const s = S();
  const f = useProblem();
  const [scope, setScope] = useState(projectId ? 'project' : 'user');
  const [project, setProject] = useState(projectId || projects[0]?.id || '');
  const [stream, setStream] = useState('public');
  const [label, setLabel] = useState('');
  const [made, setMade] = useState<{ url: string; what: string } | null>(null);
  const [copied, setCopied] = useState('');
  const chosen = projects.find((p) => p.id === project);
  const preview = contains({ scope, project_name: chosen?.name ?? '…', stream });
  const sub = useSubmit(
    f,
    async () => {
      setMade(null);
      setCopied('');
      const body: Record<string, string> = { scope };
      if (scope !== 'user') body.project_id = project;
      if (scope === 'stream') body.stream = stream;
      if (label) body.label = label;
      const r = await api<{ url: string }>('POST', '/api/v1/feed-tokens', body);
      setMade({ url: r.url, what: preview });
      setLabel('');
      onCreated();
    },
    { scope: 'feed-scope', project_id: 'feed-project', stream: 'feed-stream', label: 'feed-label', user_id: 'feed-scope' },
  );
  return (
    <>
      <form
        class="bs-rule bs-new-feed"
        noValidate
        aria-labelledby="st-newfeed-title"
        data-testid="new-feed"
        onSubmit={sub.onSubmit}
      >
        <h3 class="utrecht-heading-3" id="st-newfeed-title">
          {s.newFeed}
        </h3>
        <ErrorSummary errors={f.errors} title={s.errors} />
        <Field id="feed-scope" as="select" label={s.scope} value={scope} onValue={setScope} error={f.at('scope') ?? f.at('user_id')} options={Object.entries(s.scopes)} />
        {scope !== 'user' ? (
          <Field
            id="feed-project"
            as="select"
            label={s.feedProject}
            value={project}
            onValue={setProject}
            error={f.at('project_id')}
            options={projects.map((p) => [p.id, p.name] as [string, string])}
          />
        ) : null}
        {scope === 'stream' ? <Field id="feed-stream" as="select" label={s.stream} value={stream} onValue={setStream} error={f.at('stream')} options={Object.entries(s.streams)} /> : null}
        <p class="utrecht-paragraph bs-feed-preview" data-testid="feed-contains">
          {preview}
        </p>
        <Field id="feed-label" label={s.label} value={label} onValue={setLabel} error={f.at('label')} />
        <SubmitButton busy={sub.busy}>{s.create}</SubmitButton>
      </form>
      {made ? (
        <div class="bs-notice bs-feed-made" data-testid="feed-made">
          <p class="utrecht-paragraph" role="status">
            {s.created}
          </p>
          <p class="utrecht-paragraph">{made.what}</p>
          <div class="bs-inline-form">
            <Field id="feed-url" label={s.link} value={made.url} onValue={() => undefined} readOnly class="bs-field-wide" />
            <button
              type="button"
              class="utrecht-button utrecht-button--primary-action"
              onClick={async () => {
                try {
                  await navigator.clipboard.writeText(made.url);
                  setCopied(s.copied);
                } catch {
                  (document.getElementById('feed-url') as HTMLInputElement | null)?.select();
                  setCopied(s.copyFailed);
                }
              }}
            >
              {s.copy}
            </button>
          </div>
          <p class="utrecht-paragraph" role="status" data-testid="copied">
            {copied}
          </p>
          <p class="utrecht-paragraph bs-muted">{s.secret}</p>
        </div>
      ) : null}
    </>
  );
}
