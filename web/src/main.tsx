// The app shell: skip link, header (logo, navigation, language, logout), the page of the
// current route. Pages load lazily so the login page stays small (docs/performance.md).
// the NL Design System (Utrecht) components the app uses, each on its own: the whole library's
// CSS is 4× as much for the browser to parse before the first script runs (docs/performance.md)
import '@utrecht/alert-css/dist/index.min.css';
import '@utrecht/button-css/dist/index.min.css';
import '@utrecht/button-group-css/dist/index.min.css';
import '@utrecht/button-link-css/dist/index.min.css';
import '@utrecht/checkbox-css/dist/index.min.css';
import '@utrecht/form-field-css/dist/index.min.css';
import '@utrecht/form-field-description-css/dist/index.min.css';
import '@utrecht/form-field-error-message-css/dist/index.min.css';
import '@utrecht/form-label-css/dist/index.min.css';
import '@utrecht/heading-1-css/dist/index.min.css';
import '@utrecht/heading-2-css/dist/index.min.css';
import '@utrecht/heading-3-css/dist/index.min.css';
import '@utrecht/pagination-css/dist/index.min.css';
import '@utrecht/paragraph-css/dist/index.min.css';
import '@utrecht/select-css/dist/index.min.css';
import '@utrecht/table-css/dist/index.min.css';
import '@utrecht/textarea-css/dist/index.min.css';
import '@utrecht/textbox-css/dist/index.min.css';
import '@utrecht/unordered-list-css/dist/index.min.css';
import './app.css';
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { ComponentType } from 'preact';
import { lang, setLang, strings } from './lib/i18n';
import { linkClick, location, match, navigate } from './lib/router';
import { logout, me, refreshMe } from './lib/session';
import { useSignal } from './lib/signal';
import { prefetchProjects } from './lib/projectsQuery';
import { prefetchProject } from './lib/projectData';

const S = strings({
  nl: { skip: 'Naar de inhoud', projects: 'Projecten', dashboard: 'Dashboard', goals: 'Doelen', public: 'Openbare cijfers', alerts: 'Meldingen en agenda', exchange: 'Uitwisseling', schemas: 'Processen', admin: 'Beheer', logout: 'Uitloggen', login: 'Inloggen', other: 'English', otherLang: 'en', loading: 'Laden…', notFound: 'Deze pagina bestaat niet.', nav: 'Hoofdnavigatie' },
  en: { skip: 'Skip to content', projects: 'Projects', dashboard: 'Dashboard', goals: 'Goals', public: 'Public figures', alerts: 'Alerts and calendar', exchange: 'Exchange', schemas: 'Processes', admin: 'Administration', logout: 'Log out', login: 'Log in', other: 'Nederlands', otherLang: 'nl', loading: 'Loading…', notFound: 'This page does not exist.', nav: 'Main navigation' },
});

type Loader = () => Promise<{ default: ComponentType<{ params: Record<string, string> }> }>;

// one loader for the project page's two routes: opening a step keeps the page (no reload);
// the page's data and the chart's code are asked for while the page's code loads
const projectPage: Loader = () => {
  prefetchProject();
  import('./pages/ProjectGantt').catch(() => undefined); // the page reports a failed load
  return import('./pages/Project');
};

const settingsPage: Loader = () => import('./pages/Settings');
const schemasPage: Loader = () => import('./pages/Schemas');
const goalsPage: Loader = () => import('./pages/Goals');

// route pattern → page module; the first match wins
const routes: [string, Loader, boolean][] = [
  ['/login', () => import('./pages/Login'), false],
  ['/invitation', () => import('./pages/Invitation'), false],
  ['/password-reset', () => import('./pages/PasswordReset'), false],
  // the list is asked for while the page's code loads (lib/projectsQuery.ts)
  ['/projects', () => (prefetchProjects(), import('./pages/Projects')), false],
  ['/projects/:id', projectPage, false],
  ['/projects/:id/steps/:step', projectPage, false],
  ['/projects/:id/what-if', () => import('./pages/WhatIf'), false],
  // moving the project to another version of its process schema (its projectleider)
  ['/projects/:id/migrate', () => import('./pages/ProjectMigrate'), false],
  // alert settings and calendar feeds: one page, two routes (alert mails link to both)
  ['/settings/alerts', settingsPage, false],
  ['/settings/calendar', settingsPage, false],
  ['/exchange', () => import('./pages/Exchange'), false],
  // the dashboard (signed-in users) and the public page (anyone); Chart.js loads with them only
  ['/dashboard', () => import('./pages/Dashboard'), false],
  ['/public', () => import('./pages/Public'), false],
  // policy goals: the list and one goal's progress (one page)
  ['/goals', goalsPage, false],
  ['/goals/:id', goalsPage, false],
  ['/admin', () => import('./pages/Admin'), false],
  // process schemas: the list, a key's versions, one version, the diff of two (one page)
  ['/schemas', schemasPage, false],
  ['/schemas/:key', schemasPage, false],
  ['/schemas/:key/versions/:n', schemasPage, false],
  ['/schemas/:key/diff', schemasPage, false],
];

function Lazy({ load, params }: { load: Loader; params: Record<string, string> }) {
  const [C, setC] = useState<ComponentType<{ params: Record<string, string> }> | null>(null);
  useEffect(() => {
    let live = true;
    setC(null);
    load().then((m) => live && setC(() => m.default));
    return () => {
      live = false;
    };
  }, [load]);
  return C ? <C params={params} /> : <p aria-live="polite">{S().loading}</p>;
}

function Page() {
  const loc = useSignal(location);
  const user = useSignal(me);
  if (loc.path === '/' || loc.path === '') {
    if (user !== undefined) navigate(user ? '/projects' : '/login', true);
    return null;
  }
  for (const [pattern, load] of routes) {
    const params = match(pattern, loc.path);
    if (params) return <Lazy key={routes.findIndex((r) => r[1] === load)} load={load} params={params} />;
  }
  return (
    <section>
      <h1 class="utrecht-heading-1">404</h1>
      <p class="utrecht-paragraph">{S().notFound}</p>
    </section>
  );
}

function App() {
  const user = useSignal(me);
  useSignal(lang);
  const s = S();
  return (
    <>
      <a class="bs-skip-link" href="#main">
        {s.skip}
      </a>
      <header class="bs-header">
        <a href="/projects" onClick={linkClick} class="bs-brand">
          <img src="/theme/logo.svg" alt="" width="32" height="32" />
          <span>Bouwstroom</span>
        </a>
        <nav aria-label={s.nav} class="bs-nav">
          <a href="/projects" onClick={linkClick}>
            {s.projects}
          </a>
          {user ? (
            <>
              <a href="/dashboard" onClick={linkClick}>
                {s.dashboard}
              </a>
              {(user.organisations ?? []).some((o) => o.role !== 'extern') ? (
                <a href="/goals" onClick={linkClick}>
                  {s.goals}
                </a>
              ) : null}
              <a href="/settings/alerts" onClick={linkClick}>
                {s.alerts}
              </a>
              <a href="/exchange" onClick={linkClick}>
                {s.exchange}
              </a>
              <a href="/schemas" onClick={linkClick}>
                {s.schemas}
              </a>
              <a href="/admin" onClick={linkClick}>
                {s.admin}
              </a>
            </>
          ) : user === null ? (
            <a href="/public" onClick={linkClick}>
              {s.public}
            </a>
          ) : null}
        </nav>
        <div class="bs-header-end">
          <button type="button" class="utrecht-button utrecht-button--subtle" lang={s.otherLang} onClick={() => setLang(lang.get() === 'nl' ? 'en' : 'nl')}>
            {s.other}
          </button>
          {user ? (
            <>
              <span class="bs-user">{user.name || user.email}</span>
              <button
                type="button"
                class="utrecht-button utrecht-button--secondary-action"
                onClick={async () => {
                  await logout();
                  navigate('/login');
                }}
              >
                {s.logout}
              </button>
            </>
          ) : user === null ? (
            <a href="/login" onClick={linkClick}>
              {s.login}
            </a>
          ) : null}
        </div>
      </header>
      <main id="main" tabIndex={-1} class="bs-main">
        <Page />
      </main>
    </>
  );
}

document.documentElement.lang = lang.get();
refreshMe();
render(<App />, document.getElementById('app')!);
