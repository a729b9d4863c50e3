// Administration (/admin): my roles per organisation; for its beheerders an organisation's settings
// and users, whose sessions can be ended (AdminOrg.tsx); a project's members with their roles, and
// for its project leaders the invitation of an external developer to the project's private stream
// (the invitation link is shown once); my API tokens with their expiry (made: the token shown
// once; listed; revoked); and, for administrators of the installation, the erasure of a person
// who left, from the members list, after an explicit confirmation (docs/security.md §8a); my
// sessions and logging out everywhere (AdminOrg.tsx).
//
// Every rule is the server's: who may invite (project lead), the token's expiry window
// (serve --token-max-days), who may erase (install admin); refusals are shown at the field the
// problem document names.
import './settings.css';
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, qs, type Page } from '../lib/api';
import { fmtDate, lang, strings } from '../lib/i18n';
import { useRequireLogin } from '../lib/guard';
import { useSignal } from '../lib/signal';
import type { Me } from '../lib/session';
import { ErrorSummary, Field, SubmitButton, useProblem, useSubmit } from '../components/form';
import { ConfirmBox } from '../components/confirm';
import { MySessions, OrganisationAdmin } from './AdminOrg';
import { DataTable } from '../components/table';

const ROLES_NL: Record<string, string> = {
  beheerder: 'beheerder',
  projectleider: 'projectleider',
  medewerker: 'medewerker',
  management: 'management',
  raad: 'raadslid',
  extern: 'extern',
};
const ROLES_EN: Record<string, string> = {
  beheerder: 'administrator',
  projectleider: 'project leader',
  medewerker: 'staff member',
  management: 'management',
  raad: 'council member',
  extern: 'external',
};

const S = strings({
  nl: {
    title: 'Beheer',
    intro: 'Rollen per organisatie, instellingen en gebruikers van een organisatie, leden van een project, uitnodigingen voor externe ontwikkelaars, API-sleutels, uw sessies en het wissen van iemand die vertrokken is.',
    loading: 'Laden…',
    errors: 'Er ging iets mis',
    roles: ROLES_NL,
    myRoles: 'Mijn rollen per organisatie',
    organisation: 'Organisatie',
    kind: 'Soort',
    role: 'Rol',
    installAdmin: 'U bent beheerder van de installatie.',
    noRoles: 'U hebt geen rol in een organisatie.',
    members: 'Leden van een project',
    project: 'Project',
    noProjects: 'U bent bij geen project betrokken.',
    name: 'Naam',
    email: 'E-mailadres',
    since: 'Lid sinds',
    noMembers: 'Dit project heeft geen leden.',
    membersDenied: 'U mag de leden van dit project niet zien.',
    erase: 'Gegevens wissen',
    eraseOf: (n: string) => `Gegevens wissen van ${n}`,
    eraseTitle: (n: string) => `Gegevens van ${n} wissen?`,
    eraseWarn: 'Naam, e-mailadres, wachtwoord en tweede factor worden gewist; sessies, API-sleutels en agenda-abonnementen vervallen. Wat deze persoon deed blijft in de geschiedenis, onder een pseudoniem. Dit kan niet ongedaan worden gemaakt.',
    eraseYes: 'Ja, definitief wissen',
    cancel: 'Annuleren',
    erased: (n: string, p: string) => `De gegevens van ${n} zijn gewist; in de geschiedenis heet deze persoon nu “${p}”.`,
    invite: 'Externe ontwikkelaar uitnodigen',
    inviteHint: 'De uitgenodigde krijgt alleen toegang tot de privéstroom van dit project. De uitnodiging is 14 dagen geldig en werkt één keer; ze wordt ook gemaild.',
    inviteOnlyLead: 'Alleen een projectleider van dit project kan uitnodigen.',
    invName: 'Naam (optioneel)',
    invOrg: 'Organisatie van de ontwikkelaar',
    invOrgHint: 'Bestaat de organisatie nog niet, dan wordt ze aangemaakt als ontwikkelaar.',
    sendInvite: 'Uitnodigen',
    invited: (e: string) => `${e} is uitgenodigd.`,
    inviteLink: 'Uitnodigingslink (wordt maar één keer getoond)',
    tokens: 'Mijn API-sleutels',
    tokensHint: 'Voor koppelingen met andere systemen. Een sleutel vervalt op de einddatum (uiterlijk na de maximale termijn van de installatie).',
    newToken: 'Nieuwe API-sleutel',
    tokenName: 'Naam',
    scopes: 'Rechten',
    scopeOpts: { read: 'lezen', 'read,write': 'lezen en schrijven', 'read,write,admin': 'lezen, schrijven en beheer' } as Record<string, string>,
    expires: 'Geldig tot en met',
    expiresHint: 'Een datum (JJJJ-MM-DD); leeg: de maximale termijn.',
    create: 'Sleutel maken',
    tokenMade: 'De sleutel is gemaakt. Kopieer hem nu: hij wordt niet opnieuw getoond.',
    token: 'API-sleutel',
    made: 'Gemaakt',
    status: 'Status',
    active: 'actief',
    expired: 'verlopen',
    revokedOn: (d: string) => `ingetrokken op ${d}`,
    revoke: 'Intrekken',
    revokeOf: (n: string) => `Intrekken: ${n}`,
    revoked: 'De sleutel is ingetrokken.',
    noTokens: 'U hebt geen API-sleutels.',
  },
  en: {
    title: 'Administration',
    intro: 'Roles per organisation, an organisation\'s settings and users, a project\'s members, invitations of external developers, API tokens, your sessions and erasing a person who left.',
    loading: 'Loading…',
    errors: 'Something went wrong',
    roles: ROLES_EN,
    myRoles: 'My roles per organisation',
    organisation: 'Organisation',
    kind: 'Kind',
    role: 'Role',
    installAdmin: 'You are an administrator of the installation.',
    noRoles: 'You have no role in an organisation.',
    members: 'Members of a project',
    project: 'Project',
    noProjects: 'You are not involved in any project.',
    name: 'Name',
    email: 'E-mail address',
    since: 'Member since',
    noMembers: 'This project has no members.',
    membersDenied: 'You may not see the members of this project.',
    erase: 'Erase data',
    eraseOf: (n: string) => `Erase the data of ${n}`,
    eraseTitle: (n: string) => `Erase the data of ${n}?`,
    eraseWarn: 'Name, e-mail address, password and second factor are erased; sessions, API tokens and calendar links end. What this person did stays in the history, under a pseudonym. This cannot be undone.',
    eraseYes: 'Yes, erase for good',
    cancel: 'Cancel',
    erased: (n: string, p: string) => `The data of ${n} has been erased; in the history this person is now “${p}”.`,
    invite: 'Invite an external developer',
    inviteHint: 'The invited person gets access to this project\'s private stream only. The invitation is valid for 14 days and works once; it is also mailed.',
    inviteOnlyLead: 'Only a project leader of this project can invite.',
    invName: 'Name (optional)',
    invOrg: 'The developer\'s organisation',
    invOrgHint: 'An organisation that does not exist yet is made, as a developer.',
    sendInvite: 'Invite',
    invited: (e: string) => `${e} has been invited.`,
    inviteLink: 'Invitation link (shown only once)',
    tokens: 'My API tokens',
    tokensHint: 'For links with other systems. A token expires on its end date (at the latest after the installation\'s maximum term).',
    newToken: 'New API token',
    tokenName: 'Name',
    scopes: 'Rights',
    scopeOpts: { read: 'read', 'read,write': 'read and write', 'read,write,admin': 'read, write and administration' } as Record<string, string>,
    expires: 'Valid through',
    expiresHint: 'A date (YYYY-MM-DD); empty: the maximum term.',
    create: 'Make token',
    tokenMade: 'The token has been made. Copy it now: it is not shown again.',
    token: 'API token',
    made: 'Made',
    status: 'Status',
    active: 'active',
    expired: 'expired',
    revokedOn: (d: string) => `revoked on ${d}`,
    revoke: 'Revoke',
    revokeOf: (n: string) => `Revoke: ${n}`,
    revoked: 'The token has been revoked.',
    noTokens: 'You have no API tokens.',
  },
});

interface Member {
  user_id: string;
  email: string | null;
  name: string | null;
  organisation_id: string;
  role: string;
  created_at: string;
}
interface Token {
  id: string;
  name: string | null;
  scopes: string[];
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
}
interface ProjectOption {
  id: string;
  name: string;
}

function when(ts: string | null): string {
  return ts ? fmtDate(ts.slice(0, 10)) : '—';
}

function detailOf(e: unknown): string {
  return e instanceof ApiError ? e.problem.detail ?? e.message : String(e);
}

export default function AdminPage() {
  const user = useRequireLogin();
  useSignal(lang);
  const s = S();
  const [notice, setNotice] = useState('');
  if (!user) return <p aria-live="polite">{s.loading}</p>;
  return (
    <section aria-labelledby="adm-title" class="bs-admin">
      <h1 class="utrecht-heading-1" id="adm-title">
        {s.title}
      </h1>
      <p class="utrecht-paragraph bs-muted">{s.intro}</p>
      <p class="utrecht-paragraph bs-notice" role="status" data-testid="notice" hidden={!notice}>
        {notice}
      </p>
      <MyRoles user={user} />
      <OrganisationAdmin user={user} roles={s.roles} />
      <Members user={user} onNotice={setNotice} />
      <Tokens onNotice={setNotice} />
      <MySessions user={user} />
    </section>
  );
}

function MyRoles({ user }: { user: Me }) {
  const s = S();
  const orgs = user.organisations ?? [];
  return (
    <section class="bs-settings-section" aria-labelledby="adm-roles-title">
      <h2 class="utrecht-heading-2" id="adm-roles-title">
        {s.myRoles}
      </h2>
      {user.is_admin ? <p class="utrecht-paragraph">{s.installAdmin}</p> : null}
      {orgs.length ? (
        <DataTable labelledBy="adm-roles-title" testid="roles" heads={[s.organisation, s.kind, s.role]}>
          {orgs.map((o) => (
            <tr class="utrecht-table__row" key={o.organisation_id} data-id={o.organisation_id}>
              <td class="utrecht-table__cell">{o.name}</td>
              <td class="utrecht-table__cell">{o.kind}</td>
              <td class="utrecht-table__cell" data-role={o.role}>
                {s.roles[o.role] ?? o.role}
              </td>
            </tr>
          ))}
        </DataTable>
      ) : (
        <p class="utrecht-paragraph">{s.noRoles}</p>
      )}
    </section>
  );
}

function Members({ user, onNotice }: { user: Me; onNotice: (m: string) => void }) {
  const s = S();
  const [projects, setProjects] = useState<ProjectOption[] | null>(null);
  const [project, setProject] = useState('');
  const [members, setMembers] = useState<Member[] | null | 'denied'>(null);
  const [access, setAccess] = useState('');
  const [version, setVersion] = useState(0);
  useEffect(() => {
    api<Page<ProjectOption>>('GET', `/api/v1/projects${qs({ page_size: 500 })}`)
      .then((p) => {
        setProjects(p.results.map((r) => ({ id: r.id, name: r.name })));
        setProject((cur) => cur || p.results[0]?.id || '');
      })
      .catch(() => setProjects([]));
  }, []);
  useEffect(() => {
    if (!project) return;
    setMembers(null);
    api<{ access?: string }>('GET', `/api/v1/projects/${encodeURIComponent(project)}`)
      .then((p) => setAccess(p.access ?? ''))
      .catch(() => setAccess(''));
    api<Page<Member>>('GET', `/api/v1/projects/${encodeURIComponent(project)}/members${qs({ page_size: 500 })}`)
      .then((p) => setMembers(p.results))
      .catch(() => setMembers('denied'));
  }, [project, version]);
  if (projects === null) return <p>{s.loading}</p>;
  const chosen = projects.find((p) => p.id === project);
  return (
    <>
      <section class="bs-settings-section" aria-labelledby="adm-members-title">
        <h2 class="utrecht-heading-2" id="adm-members-title">
          {s.members}
        </h2>
        {projects.length ? (
          <>
            <Field id="adm-project" as="select" label={s.project} value={project} onValue={setProject} options={projects.map((p) => [p.id, p.name] as [string, string])} />
            {members === null ? (
              <p>{s.loading}</p>
            ) : members === 'denied' ? (
              <p class="utrecht-paragraph">{s.membersDenied}</p>
            ) : members.length ? (
              <MemberTable
                members={members}
                canErase={!!user.is_admin}
                self={user.id}
                onErased={(m) => {
                  onNotice(m);
                  setVersion((v) => v + 1);
                }}
              />
            ) : (
              <p class="utrecht-paragraph">{s.noMembers}</p>
            )}
          </>
        ) : (
          <p class="utrecht-paragraph">{s.noProjects}</p>
        )}
      </section>
      {chosen ? (
        <section class="bs-settings-section" aria-labelledby="adm-invite-title">
          <h2 class="utrecht-heading-2" id="adm-invite-title">
            {s.invite}
          </h2>
          <p class="utrecht-paragraph bs-muted">{s.inviteHint}</p>
          {access === 'lead' ? (
            <Invite key={chosen.id} project={chosen} onInvited={() => setVersion((v) => v + 1)} />
          ) : (
            <p class="utrecht-paragraph">{s.inviteOnlyLead}</p>
          )}
        </section>
      ) : null}
    </>
  );
}

function MemberTable({ members, canErase, self, onErased }: { members: Member[]; canErase: boolean; self: string; onErased: (m: string) => void }) {
  const s = S();
  const [confirm, setConfirm] = useState<Member | null>(null);
  const heads = [s.name, s.email, s.role, s.since];
  return (
    <>
      <DataTable labelledBy="adm-members-title" testid="members" heads={heads} actions={canErase ? s.erase : undefined}>
        {members.map((m) => (
          <tr class="utrecht-table__row" key={m.user_id} data-id={m.user_id}>
            <td class="utrecht-table__cell">{m.name || '—'}</td>
            <td class="utrecht-table__cell">{m.email || '—'}</td>
            <td class="utrecht-table__cell" data-role={m.role}>
              {s.roles[m.role] ?? m.role}
            </td>
            <td class="utrecht-table__cell">{when(m.created_at)}</td>
            {canErase ? (
              <td class="utrecht-table__cell">
                {m.user_id !== self && m.email ? (
                  <button type="button" class="utrecht-button utrecht-button--secondary-action bs-link-button bs-erase" aria-label={s.eraseOf(m.name || m.email)} onClick={() => setConfirm(m)}>
                    {s.erase}
                  </button>
                ) : null}
              </td>
            ) : null}
          </tr>
        ))}
      </DataTable>
      {confirm ? <EraseConfirm member={confirm} onCancel={() => setConfirm(null)} onErased={(m) => (setConfirm(null), onErased(m))} /> : null}
    </>
  );
}

function EraseConfirm({ member, onCancel, onErased }: { member: Member; onCancel: () => void; onErased: (m: string) => void }) {
  const s = S();
  const who = member.name || member.email || member.user_id;
  return (
    <ConfirmBox
      role="alertdialog"
      class="bs-erase-confirm"
      testid="erase-confirm"
      heading="h3"
      titleId="adm-erase-title"
      textId="adm-erase-warn"
      title={s.eraseTitle(who)}
      text={s.eraseWarn}
      focus="title"
      focusKey={member.user_id}
      yes={s.eraseYes}
      yesId="adm-erase-yes"
      cancel={s.cancel}
      onCancel={onCancel}
      onConfirm={async () => {
        const r = await api<{ pseudonym: string }>('POST', `/api/v1/users/${encodeURIComponent(member.user_id)}/erase`);
        onErased(s.erased(who, r.pseudonym));
      }}
    />
  );
}

function Invite({ project, onInvited }: { project: ProjectOption; onInvited: () => void }) {
  const s = S();
  const f = useProblem();
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [org, setOrg] = useState('');
  const [made, setMade] = useState<{ email: string; url: string } | null>(null);
  const sub = useSubmit(
    f,
    async () => {
      setMade(null);
      const body: Record<string, string> = { email, organisation_name: org };
      if (name) body.name = name;
      const r = await api<{ accept_url: string }>('POST', `/api/v1/projects/${encodeURIComponent(project.id)}/invitations`, body);
      setMade({ email, url: r.accept_url });
      setEmail('');
      setName('');
      onInvited();
    },
    { email: 'inv-email', name: 'inv-name', organisation_name: 'inv-org', organisation_id: 'inv-org' },
  );
  return (
    <>
      <form
        class="bs-rule"
        noValidate
        aria-labelledby="adm-invite-title"
        data-testid="invite"
        onSubmit={sub.onSubmit}
      >
        <ErrorSummary errors={f.errors} title={s.errors} />
        <Field id="inv-email" type="email" autoComplete="off" label={s.email} value={email} onValue={setEmail} error={f.at('email')} />
        <Field id="inv-name" label={s.invName} value={name} onValue={setName} error={f.at('name')} />
        <Field id="inv-org" label={s.invOrg} hint={s.invOrgHint} value={org} onValue={setOrg} error={f.at('organisation_name') ?? f.at('organisation_id')} />
        <SubmitButton busy={sub.busy}>{s.sendInvite}</SubmitButton>
      </form>
      {made ? (
        <div class="bs-notice" data-testid="invite-made">
          <p class="utrecht-paragraph" role="status">
            {s.invited(made.email)}
          </p>
          <Field id="inv-link" label={s.inviteLink} value={made.url} onValue={() => undefined} readOnly class="bs-field-wide" />
        </div>
      ) : null}
    </>
  );
}

function Tokens({ onNotice }: { onNotice: (m: string) => void }) {
  const s = S();
  const f = useProblem();
  const [tokens, setTokens] = useState<Token[] | null>(null);
  const [version, setVersion] = useState(0);
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState('read');
  const [expires, setExpires] = useState('');
  const [made, setMade] = useState('');
  const [revokeErr, setRevokeErr] = useState('');
  useEffect(() => {
    api<Page<Token>>('GET', `/api/v1/api-tokens${qs({ page_size: 500 })}`)
      .then((p) => setTokens(p.results))
      .catch(() => setTokens([]));
  }, [version]);
  const status = (t: Token) => (t.revoked_at ? s.revokedOn(when(t.revoked_at)) : t.expires_at && Date.parse(t.expires_at) <= Date.now() ? s.expired : s.active);
  const sub = useSubmit(
    f,
    async () => {
      setMade('');
      const body: Record<string, unknown> = { scopes: scopes.split(',') };
      if (name) body.name = name;
      if (expires) body.expires_at = expires;
      const r = await api<{ token: string }>('POST', '/api/v1/api-tokens', body);
      setMade(r.token);
      setName('');
      setExpires('');
      setVersion((v) => v + 1);
    },
    { name: 'tok-name', label: 'tok-name', scopes: 'tok-scopes', expires_at: 'tok-expires', expires_in_days: 'tok-expires' },
  );
  return (
    <section class="bs-settings-section" aria-labelledby="adm-tokens-title">
      <h2 class="utrecht-heading-2" id="adm-tokens-title">
        {s.tokens}
      </h2>
      <p class="utrecht-paragraph bs-muted">{s.tokensHint}</p>
      <form
        class="bs-rule"
        noValidate
        aria-labelledby="adm-newtoken-title"
        data-testid="new-token"
        onSubmit={sub.onSubmit}
      >
        <h3 class="utrecht-heading-3" id="adm-newtoken-title">
          {s.newToken}
        </h3>
        <ErrorSummary errors={f.errors} title={s.errors} />
        <Field id="tok-name" label={s.tokenName} value={name} onValue={setName} error={f.at('name') ?? f.at('label')} />
        <Field id="tok-scopes" as="select" label={s.scopes} value={scopes} onValue={setScopes} error={f.at('scopes')} options={Object.entries(s.scopeOpts)} />
        <Field id="tok-expires" label={s.expires} hint={s.expiresHint} value={expires} onValue={setExpires} error={f.at('expires_at')} inputMode="numeric" autoComplete="off" />
        <SubmitButton busy={sub.busy}>{s.create}</SubmitButton>
      </form>
      {made ? (
        <div class="bs-notice" data-testid="token-made">
          <p class="utrecht-paragraph" role="status">
            {s.tokenMade}
          </p>
          <Field id="tok-secret" label={s.token} value={made} onValue={() => undefined} readOnly class="bs-field-wide" />
        </div>
      ) : null}
      {revokeErr ? (
        <p class="utrecht-paragraph bs-field-error" role="alert">
          {revokeErr}
        </p>
      ) : null}
      {tokens === null ? (
        <p>{s.loading}</p>
      ) : tokens.length ? (
        <DataTable labelledBy="adm-tokens-title" testid="tokens" heads={[s.tokenName, s.scopes, s.made, s.expires, s.status]} actions={s.revoke}>
          {tokens.map((t) => (
            <tr class="utrecht-table__row" key={t.id} data-id={t.id}>
              <td class="utrecht-table__cell">{t.name || '—'}</td>
              <td class="utrecht-table__cell">{s.scopeOpts[t.scopes.join(',')] ?? t.scopes.join(', ')}</td>
              <td class="utrecht-table__cell">{when(t.created_at)}</td>
              <td class="utrecht-table__cell" data-col="expires">
                {when(t.expires_at)}
              </td>
              <td class="utrecht-table__cell" data-col="status">
                {status(t)}
              </td>
              <td class="utrecht-table__cell">
                {t.revoked_at ? null : (
                  <button
                    type="button"
                    class="utrecht-button utrecht-button--secondary-action bs-link-button bs-revoke"
                    aria-label={s.revokeOf(t.name || t.id)}
                    onClick={async () => {
                      setRevokeErr('');
                      try {
                        await api('DELETE', `/api/v1/api-tokens/${encodeURIComponent(t.id)}`);
                        onNotice(s.revoked);
                        setVersion((v) => v + 1);
                      } catch (e) {
                        setRevokeErr(detailOf(e));
                      }
                    }}
                  >
                    {s.revoke}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </DataTable>
      ) : (
        <p class="utrecht-paragraph">{s.noTokens}</p>
      )}
    </section>
  );
}
