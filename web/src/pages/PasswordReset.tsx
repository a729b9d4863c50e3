// Password reset. /password-reset: ask for a mail with a reset link (POST
// /api/v1/password-reset {email}; the server answers the same for every address, so the page
// says only that a mail is on its way when the address is known). /password-reset#token=SECRET
// (the mailed link): choose a new password (POST /api/v1/password-reset/confirm {secret,
// password}), then log in. The secret is read from the fragment, never sent as a query.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../lib/api';
import { lang, strings } from '../lib/i18n';
import { linkClick, location, navigate } from '../lib/router';
import { useSignal } from '../lib/signal';
import { flash, fragmentToken } from '../lib/guard';
import { ErrorSummary, Field, SubmitButton, useProblem } from '../components/form';

const S = strings({
  nl: {
    title: 'Wachtwoord vergeten',
    intro: 'Vul uw e-mailadres in. Als het bij Bouwstroom bekend is, sturen we u een link om een nieuw wachtwoord te kiezen. De link is 30 minuten geldig.',
    email: 'E-mailadres',
    request: 'Stuur de link',
    sent: 'Als dit e-mailadres bij Bouwstroom bekend is, is er een mail met een link onderweg. Kijk ook in uw map met ongewenste mail.',
    setTitle: 'Nieuw wachtwoord kiezen',
    password: 'Nieuw wachtwoord',
    hint: 'Minstens 12 tekens. Uw tweede stap (authenticator-app) blijft zoals hij is.',
    repeat: 'Herhaal het wachtwoord',
    mismatch: 'De twee wachtwoorden zijn niet gelijk.',
    set: 'Wachtwoord opslaan',
    done: 'Uw wachtwoord is gewijzigd. Log in met het nieuwe wachtwoord.',
    busy: 'Bezig…',
    summary: 'Dat is niet gelukt',
    toLogin: 'Terug naar inloggen',
    again: 'Vraag een nieuwe link aan',
    network: 'De server is niet bereikbaar. Probeer het later opnieuw.',
  },
  en: {
    title: 'Forgot your password',
    intro: 'Enter your e-mail address. If Bouwstroom knows it, we send you a link to choose a new password. The link is valid for 30 minutes.',
    email: 'E-mail address',
    request: 'Send the link',
    sent: 'If Bouwstroom knows this e-mail address, a mail with a link is on its way. Check your junk mail folder too.',
    setTitle: 'Choose a new password',
    password: 'New password',
    hint: 'At least 12 characters. Your second step (authenticator app) stays as it is.',
    repeat: 'Repeat the password',
    mismatch: 'The two passwords differ.',
    set: 'Save password',
    done: 'Your password has been changed. Log in with the new password.',
    busy: 'Working…',
    summary: 'That did not work',
    toLogin: 'Back to log in',
    again: 'Request a new link',
    network: 'The server cannot be reached. Try again later.',
  },
});

function RequestForm() {
  const s = S();
  const [email, setEmail] = useState('');
  const [busy, setBusy] = useState(false);
  const [sent, setSent] = useState(false);
  const f = useProblem();
  async function submit(e: Event) {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    try {
      await api('POST', '/api/v1/password-reset', { email: email.trim() });
      f.clear();
      setSent(true);
    } catch (err) {
      f.fromError(err, { email: 'reset-email' }, s.network);
      if (err instanceof ApiError && err.status === 429 && err.retryAfter)
        f.set([{ id: 'reset-email', field: 'email', message: `${err.problem.detail ?? err.message} (Retry-After: ${err.retryAfter} s)` }]);
    } finally {
      setBusy(false);
    }
  }
  return (
    <>
      <h1 class="utrecht-heading-1">{s.title}</h1>
      {sent ? (
        <div class="utrecht-alert utrecht-alert--ok bs-notice" role="status">
          {s.sent}
        </div>
      ) : (
        <>
          <p class="utrecht-paragraph">{s.intro}</p>
          <form onSubmit={submit} noValidate>
            <ErrorSummary errors={f.errors} title={s.summary} />
            <Field id="reset-email" label={s.email} type="email" autoComplete="username" required value={email} onValue={setEmail} error={f.at('email')} />
            <SubmitButton busy={busy} busyLabel={s.busy}>
              {s.request}
            </SubmitButton>
          </form>
        </>
      )}
      <p class="utrecht-paragraph">
        <a href="/login" onClick={linkClick}>
          {s.toLogin}
        </a>
      </p>
    </>
  );
}

function SetForm({ secret }: { secret: string }) {
  const s = S();
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [busy, setBusy] = useState(false);
  const f = useProblem();
  async function submit(e: Event) {
    e.preventDefault();
    if (busy) return;
    if (password !== repeat) {
      f.set([{ id: 'reset-repeat', field: 'repeat', message: s.mismatch }]);
      return;
    }
    setBusy(true);
    try {
      await api('POST', '/api/v1/password-reset/confirm', { secret, password });
      flash.set(s.done);
      navigate('/login', true);
    } catch (err) {
      f.fromError(err, { password: 'reset-password' }, s.network);
    } finally {
      setBusy(false);
    }
  }
  return (
    <>
      <h1 class="utrecht-heading-1">{s.setTitle}</h1>
      <form onSubmit={submit} noValidate>
        <ErrorSummary errors={f.errors} title={s.summary} />
        <Field id="reset-password" label={s.password} hint={s.hint} type="password" autoComplete="new-password" required value={password} onValue={setPassword} error={f.at('password')} />
        <Field id="reset-repeat" label={s.repeat} type="password" autoComplete="new-password" required value={repeat} onValue={setRepeat} error={f.at('repeat')} />
        <SubmitButton busy={busy} busyLabel={s.busy}>
          {s.set}
        </SubmitButton>
      </form>
      {f.errors.some((e) => e.field === 'secret') ? (
        <p class="utrecht-paragraph">
          <a href="/password-reset" onClick={linkClick}>
            {s.again}
          </a>
        </p>
      ) : null}
    </>
  );
}

export default function PasswordReset(_: { params: Record<string, string> }) {
  useSignal(lang);
  const loc = useSignal(location);
  const secret = fragmentToken(loc.hash);
  const title = secret ? S().setTitle : S().title;
  useEffect(() => {
    document.title = `${title} — Bouwstroom`;
  }, [title]);
  return <section class="bs-narrow">{secret ? <SetForm key={secret} secret={secret} /> : <RequestForm />}</section>;
}
